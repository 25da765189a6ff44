import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

/// Blocking libpq calls run on each connection's own thread, never on Swift's cooperative
/// pool (two threads on a two-core machine), so slow statements do not hold up each other or
/// unrelated tasks.
@Suite("No blocking of the cooperative pool", .freshDatabase(), .timeLimit(.minutes(1)))
struct ConcurrencyTests {
    @Test("8 concurrent pg_sleep(0.5) on 8 connections take about 0.5 s, not 4 s")
    func sleepsRunInParallel() async throws {
        let database = try SuiteDatabase.get()
        let connections = try await withThrowingTaskGroup(of: PostgresConnection.self) { group in
            for _ in 0..<8 { group.addTask { try await database.connect() } }
            return try await group.reduce(into: [PostgresConnection]()) { $0.append($1) }
        }
        #expect(connections.count == 8)
        let (pids, seconds) = try await measure {
            try await withThrowingTaskGroup(of: Int32.self) { group in
                for connection in connections {
                    group.addTask {
                        try await connection.scalar(Int32.self, "SELECT pg_backend_pid() FROM pg_sleep(0.5)")
                    }
                }
                return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
            }
        }
        for connection in connections { await connection.close() }
        #expect(pids.count == 8)
        #expect(seconds >= 0.5)
        // Run on the cooperative pool (as many threads as cores: 2 here), the eight calls would
        // take at least 8 / 2 × 0.5 s = 2 s; on their own threads, about 0.5 s.
        let cooperativeWidth = max(ProcessInfo.processInfo.activeProcessorCount, 1)
        let serializedFloor = Double((8 + cooperativeWidth - 1) / cooperativeWidth) * 0.5
        #expect(seconds < min(2.5, max(serializedFloor - 0.5, 1.2)),
                "8 × 0.5 s of sleeping took \(seconds) s: libpq calls are serializing")
    }

    @Test("slow statements on three connections do not hold up another connection or plain tasks")
    func slowStatementsDoNotBlockOthers() async throws {
        let database = try SuiteDatabase.get()
        var slow: [PostgresConnection] = []
        for _ in 0..<3 { slow.append(try await database.connect()) }
        let fast = try await database.connect()
        let events = EventLog()

        // Three blocking libpq calls: more than the cooperative pool has threads here.
        let sleepers = slow.map { connection in
            Task {
                try await connection.query("SELECT pg_sleep(2.0)")
                await events.record("slow done")
            }
        }
        // Plain tasks keep running meanwhile...
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(10))
                await events.record("tick")
            }
        }
        // ...and so does another connection.
        try await Task.sleep(for: .milliseconds(50))
        var answers: [Int] = []
        for n in 0..<10 { answers.append(try await fast.scalar(Int.self, "SELECT $1::int * 2", [n])) }
        await events.record("fast done")
        for sleeper in sleepers { try await sleeper.value }
        ticker.cancel()
        await ticker.value

        #expect(answers == (0..<10).map { $0 * 2 })
        let log = await events.entries
        let firstSlowDone = try #require(log.firstIndex(of: "slow done"))
        let fastDone = try #require(log.firstIndex(of: "fast done"))
        #expect(fastDone < firstSlowDone, "the quick queries had to wait for the slow ones")
        let ticksBeforeSlowDone = log[..<firstSlowDone].filter { $0 == "tick" }.count
        #expect(ticksBeforeSlowDone >= 5, "only \(ticksBeforeSlowDone) ticks while three connections slept for 2 s")
        for connection in slow + [fast] { await connection.close() }
    }
}

/// Records the order in which things happened, across tasks.
actor EventLog {
    private(set) var entries: [String] = []
    func record(_ event: String) { entries.append(event) }
}
