import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("Connection pool", .freshDatabase(), .timeLimit(.minutes(1)))
struct PoolTests {
    private func makePool(max: Int, timeout: Duration = .seconds(10)) throws -> ConnectionPool {
        var configuration = try SuiteDatabase.get().configuration
        configuration.applicationName = uniqueName("pool")
        return ConnectionPool(configuration: configuration,
                              options: .init(maxConnections: max, acquireTimeout: timeout))
    }

    /// Borrows `count` connections and keeps them until the returned closure is called, which
    /// gives them back and returns their backend PIDs.
    private func hold(_ count: Int, from pool: ConnectionPool) async throws -> (pids: Set<Int32>, release: @Sendable () async throws -> Void) {
        let gate = Gate()
        let (acquired, continuation) = AsyncStream.makeStream(of: Int32.self)
        let holders = Task {
            defer { continuation.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await pool.withConnection { connection in
                            continuation.yield(await connection.backendPID)
                            await gate.wait()
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var pids: Set<Int32> = []
        for await pid in acquired {
            pids.insert(pid)
            if pids.count == count { break }
        }
        if pids.count < count { try await holders.value }  // surfaces why holding failed
        return (pids, {
            await gate.open()
            try await holders.value
        })
    }

    /// `[open, idle, waiting]`.
    private func counts(_ pool: ConnectionPool) async -> [Int] {
        let statistics = await pool.statistics
        return [statistics.open, statistics.idle, statistics.waiting]
    }

    private func waitUntil(_ condition: @Sendable () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 5 s")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test("when every connection is lent out, the next caller gets poolTimeout after the acquire timeout")
    func acquireTimeout() async throws {
        let pool = try makePool(max: 2, timeout: .milliseconds(300))
        let (held, release) = try await hold(2, from: pool)
        #expect(held.count == 2)
        #expect(await counts(pool) == [2, 0, 0])

        let (error, seconds) = await measure {
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in await connection.backendPID }
            }
        }
        #expect(error?.code == .poolTimeout)
        #expect(error?.message.contains("timed out") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("all 2 connections") == true, "\(error?.message ?? "")")
        #expect(error?.hint != nil)
        #expect(seconds >= 0.28, "gave up after \(seconds) s, before the timeout")
        #expect(seconds < 1.5, "gave up after \(seconds) s, long after the 300 ms timeout")
        #expect(await counts(pool) == [2, 0, 0])

        try await release()
        // Once they are back, acquiring works again, on one of the same connections.
        let pid = try await pool.withConnection { connection throws in
            #expect(try await connection.scalar(Int.self, "SELECT 1") == 1)
            return await connection.backendPID
        }
        #expect(held.contains(pid))
        #expect(await counts(pool) == [2, 2, 0])
        await pool.shutdown()
    }

    @Test("a waiting caller gets the connection as soon as it is released")
    func waiterGetsReleasedConnection() async throws {
        let pool = try makePool(max: 1, timeout: .seconds(10))
        let (held, release) = try await hold(1, from: pool)
        let waiter = Task { try await pool.withConnection { connection in await connection.backendPID } }
        try await waitUntil { await pool.statistics.waiting == 1 }
        try await Task.sleep(for: .milliseconds(100))
        let (pid, seconds) = try await measure {
            try await release()
            return try await waiter.value
        }
        #expect(held == [pid])
        #expect(seconds < 1, "the waiter was served after \(seconds) s")
        #expect(await counts(pool) == [1, 1, 0])
        await pool.shutdown()
    }

    @Test("a terminated idle connection is detected and replaced by a working one", arguments: 1...3)
    func terminatedIdleConnectionIsReplaced(round: Int) async throws {
        let pool = try makePool(max: 2)
        let first = try await pool.withConnection { connection in await connection.backendPID }
        #expect(await counts(pool) == [1, 1, 0])
        try await terminateBackend(first)

        let (second, answer) = try await pool.withConnection { connection in
            (await connection.backendPID, try await connection.scalar(Int.self, "SELECT 41 + $1::int", [round]))
        }
        #expect(second != first)
        #expect(answer == 41 + round)
        #expect(await pool.statistics.open <= 2)
        #expect(await counts(pool) == [1, 1, 0])
        await pool.shutdown()
    }

    @Test("terminating every idle connection still leaves the pool within its limit")
    func allIdleConnectionsTerminated() async throws {
        let pool = try makePool(max: 2)
        let (held, release) = try await hold(2, from: pool)
        try await release()
        for pid in held { try await terminateBackend(pid) }
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    try await pool.withConnection { connection in
                        _ = try await connection.query("SELECT pg_sleep(0.05)")
                        return await connection.backendPID
                    }
                }
            }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(pids.isDisjoint(with: held))
        #expect(pids.count <= 2)
        #expect(await pool.statistics.open <= 2)
        await pool.shutdown()
    }

    @Test("a connection that broke while lent out is closed, not reused")
    func brokenWhileLentOut() async throws {
        let pool = try makePool(max: 2)
        let broken = try await pool.withConnection { connection in
            let pid = await connection.backendPID
            await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
            }
            #expect(await connection.isBroken)
            return pid
        }
        #expect(await counts(pool) == [0, 0, 0])

        // Terminated from outside while the borrower holds it, and the borrower only learns
        // of it from an error that it rethrows.
        let external = try await pool.withConnection { connection in await connection.backendPID }
        #expect(external != broken)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.withConnection { connection in
                try await terminateBackend(await connection.backendPID)
                try await connection.query("SELECT 1")
            }
        }
        #expect(error?.isConnectionLost == true)
        #expect(await counts(pool) == [0, 0, 0])

        let fresh = try await pool.withConnection { connection throws in
            #expect(try await connection.scalar(Int.self, "SELECT 5") == 5)
            return await connection.backendPID
        }
        #expect(fresh != broken && fresh != external)
        await pool.shutdown()
    }

    @Test("a connection given back with an open transaction is rolled back before reuse")
    func openTransactionIsRolledBack() async throws {
        let pool = try makePool(max: 1)
        let table = uniqueName("pooled")
        try await pool.withConnection { connection in
            try await connection.query("CREATE TABLE \(table) (id int)")
            try await connection.query("BEGIN")
            try await connection.query("INSERT INTO \(table) VALUES (1)")
        }
        try await pool.withConnection { connection throws in
            #expect(await !connection.isInTransaction)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 0)
        }
        // pool.transaction rolls back on error and hands the connection back clean.
        await #expect(throws: DeliberateFailure.self) {
            try await pool.transaction { tx in
                try tx.query("INSERT INTO \(table) VALUES (2)")
                throw DeliberateFailure(tag: "pool")
            }
        }
        let count = try await pool.transaction { tx in try tx.scalar(Int.self, "SELECT count(*) FROM \(table)") }
        #expect(count == 0)
        await pool.shutdown()
    }

    @Test("50 concurrent tasks on a pool of 4 all complete without exceeding it")
    func manyTasksSmallPool() async throws {
        let pool = try makePool(max: 4)
        let inside = Counter()
        let results = try await withThrowingTaskGroup(of: (Int, Int32).self) { group in
            for task in 0..<50 {
                group.addTask {
                    try await pool.withConnection { connection in
                        await inside.enter()
                        let row = try await connection.query("SELECT $1::int * 10, pg_backend_pid(), pg_sleep(0.02)", [task])[0]
                        await inside.leave()
                        let (value, pid) = try row.decode((Int, Int32).self)
                        #expect(pid == (await connection.backendPID))
                        return (value / 10, pid)
                    }
                }
            }
            return try await group.reduce(into: [(Int, Int32)]()) { $0.append($1) }
        }
        #expect(results.map(\.0).sorted() == Array(0..<50))
        #expect(Set(results.map(\.1)).count <= 4)
        #expect(await inside.peak <= 4)
        #expect(await inside.peak >= 2, "the tasks should have run concurrently")
        let statistics = await pool.statistics
        #expect(statistics.open <= 4)
        #expect(statistics.waiting == 0)
        #expect(statistics.idle == statistics.open)

        let serverSide = try await withAdminConnection { admin in
            try await admin.scalar(Int.self, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                   [pool.configuration.applicationName])
        }
        #expect(serverSide == statistics.open)
        await pool.shutdown()
    }

    @Test("a cancelled waiter stops waiting at once")
    func cancelledWaiter() async throws {
        let pool = try makePool(max: 1, timeout: .seconds(20))
        let (_, release) = try await hold(1, from: pool)
        let waiter = Task { try await pool.withConnection { _ in 1 } }
        try await waitUntil { await pool.statistics.waiting == 1 }
        let (result, seconds) = await measure {
            waiter.cancel()
            return await waiter.result
        }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(seconds < 1)
        try await waitUntil { await pool.statistics.waiting == 0 }
        try await release()
        #expect(try await pool.withConnection { _ in 2 } == 2)
        await pool.shutdown()
    }

    @Test("shutdown fails waiting callers and refuses new ones")
    func shutdown() async throws {
        let pool = try makePool(max: 1, timeout: .seconds(20))
        let (_, release) = try await hold(1, from: pool)
        let waiter = Task { try await pool.withConnection { _ in 1 } }
        try await waitUntil { await pool.statistics.waiting == 1 }
        await pool.shutdown()
        let waited = await waiter.result
        let waitError = #expect(throws: PostgresError.self) { try waited.get() }
        #expect(waitError?.code == .poolClosed)

        try await release()
        #expect(await counts(pool) == [0, 0, 0])
        let error = await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 1 } }
        #expect(error?.code == .poolClosed)

        // Closed connections leave the server shortly after.
        try await withAdminConnection { admin in
            try await waitUntil {
                let count = try? await admin.scalar(Int.self, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                                    [pool.configuration.applicationName])
                return count == 0
            }
        }
    }
}
