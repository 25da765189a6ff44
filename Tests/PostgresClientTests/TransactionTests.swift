import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("Transactions", .freshDatabase(), .timeLimit(.minutes(1)))
struct TransactionTests {
    private func createTable(_ connection: PostgresConnection) async throws -> String {
        let table = uniqueName("tx")
        try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, label text NOT NULL)")
        return table
    }

    private func labels(_ connection: PostgresConnection, _ table: String) async throws -> [String] {
        try await connection.query("SELECT label FROM \(table) ORDER BY id").map { try $0.decode(String.self, at: 0) }
    }

    @Test("a committed transaction returns its value and its rows are visible elsewhere")
    func commits() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let value = try await connection.transaction { tx in
                let open = tx.isInTransaction
                #expect(open)
                try tx.query("INSERT INTO \(table) VALUES (1, 'a'), (2, 'b')")
                return try tx.scalar(Int.self, "SELECT count(*) FROM \(table)")
            }
            #expect(value == 2)
            #expect(await !connection.isInTransaction)
            try await withConnection { other throws in
                #expect(try await labels(other, table) == ["a", "b"])
            }
        }
    }

    @Test("an error thrown inside the transaction rolls it back and is rethrown unchanged")
    func thrownErrorRollsBack() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            try await connection.query("INSERT INTO \(table) VALUES (0, 'before')")
            let error = await #expect(throws: DeliberateFailure.self) {
                try await connection.transaction { tx in
                    try tx.query("INSERT INTO \(table) VALUES (1, 'inside'), (2, 'inside')")
                    try tx.query("UPDATE \(table) SET label = 'changed' WHERE id = 0")
                    #expect(try tx.scalar(Int.self, "SELECT count(*) FROM \(table)") == 3)
                    throw DeliberateFailure(tag: "rollback me")
                }
            }
            #expect(error == DeliberateFailure(tag: "rollback me"))
            #expect(await !connection.isInTransaction)
            #expect(try await labels(connection, table) == ["before"])
        }
    }

    @Test("a failed statement inside the transaction rolls it back and the connection recovers")
    func serverErrorRollsBack() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try tx.query("INSERT INTO \(table) VALUES (1, 'kept?')")
                    try tx.query("INSERT INTO \(table) VALUES (1, 'duplicate')")
                }
            }
            #expect(error?.sqlState == SQLState.uniqueViolation)
            #expect(await !connection.isInTransaction)
            #expect(try await labels(connection, table) == [])
            try await connection.transaction { tx in _ = try tx.query("INSERT INTO \(table) VALUES (2, 'works')") }
            #expect(try await labels(connection, table) == ["works"])
        }
    }

    @Test("a transaction whose failed statement was caught and ignored does not report a commit")
    func swallowedErrorIsNotACommit() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try tx.query("INSERT INTO \(table) VALUES (1, 'lost?')")
                    _ = try? tx.query("SELECT 1 / 0")  // the error is swallowed; the transaction is aborted
                    return "done"
                }
            }
            // The server turned the COMMIT into a ROLLBACK; the caller must hear about it.
            #expect(error?.sqlState == "25P02", "\(String(describing: error))")
            #expect(await !connection.isInTransaction)
            #expect(try await labels(connection, table) == [])
            // The connection is fine for the next transaction.
            try await connection.transaction { tx in _ = try tx.query("INSERT INTO \(table) VALUES (2, 'kept')") }
            #expect(try await labels(connection, table) == ["kept"])
        }
    }

    @Test("a nested transaction is a savepoint: an inner failure undoes only the inner work")
    func nestedSavepoint() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            try await connection.transaction { tx in
                try tx.query("INSERT INTO \(table) VALUES (1, 'outer-before')")
                let inner = await #expect(throws: PostgresError.self) {
                    try await tx.transaction { inner in
                        try inner.query("INSERT INTO \(table) VALUES (2, 'inner')")
                        try inner.query("INSERT INTO \(table) VALUES (2, 'inner-duplicate')")  // fails
                    }
                }
                #expect(inner?.sqlState == SQLState.uniqueViolation)
                await #expect(throws: DeliberateFailure.self) {
                    try await tx.transaction { inner in
                        try inner.query("INSERT INTO \(table) VALUES (3, 'inner-thrown')")
                        throw DeliberateFailure(tag: "inner")
                    }
                }
                // The outer transaction is still open and healthy.
                let open = tx.isInTransaction
                #expect(open)
                let kept = try await tx.transaction { inner in
                    try inner.query("INSERT INTO \(table) VALUES (4, 'inner-kept')")
                    return "ok"
                }
                #expect(kept == "ok")
                try tx.query("INSERT INTO \(table) VALUES (5, 'outer-after')")
            }
            #expect(try await labels(connection, table) == ["outer-before", "inner-kept", "outer-after"])
        }
    }

    @Test("an outer failure also undoes a nested transaction that succeeded")
    func outerFailureUndoesInner() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            await #expect(throws: DeliberateFailure.self) {
                try await connection.transaction { tx in
                    try await tx.transaction { inner in
                        try inner.query("INSERT INTO \(table) VALUES (1, 'inner')")
                        try await inner.transaction { innermost in
                            _ = try innermost.query("INSERT INTO \(table) VALUES (2, 'innermost')")
                        }
                    }
                    #expect(try tx.scalar(Int.self, "SELECT count(*) FROM \(table)") == 2)
                    throw DeliberateFailure(tag: "outer")
                }
            }
            #expect(try await labels(connection, table) == [])
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("isolation level and read-only mode are applied")
    func isolationAndReadOnly() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let level = try await connection.transaction(isolation: .serializable) { tx in
                try tx.scalar(String.self, "SHOW transaction_isolation")
            }
            #expect(level == "serializable")
            let repeatable = try await connection.transaction(isolation: .repeatableRead) { tx in
                try tx.scalar(String.self, "SHOW transaction_isolation")
            }
            #expect(repeatable == "repeatable read")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction(readOnly: true) { tx in
                    try tx.query("INSERT INTO \(table) VALUES (1, 'x')")
                }
            }
            #expect(error?.sqlState == "25006")
            #expect(await !connection.isInTransaction)
        }
    }

    /// Runs the classic write-skew pair: each transaction counts the rows, waits until the
    /// other has counted too (first attempt only), then inserts. Under SERIALIZABLE one of
    /// them must fail with 40001.
    private func writeSkew(
        table: String, connection: PostgresConnection, id: Int, barrier: Barrier, attempts: Counter, retrying: Bool
    ) async throws -> Int {
        let body: @Sendable (isolated PostgresConnection) async throws -> Int = { tx in
            let attempt = await attempts.increment("conn\(id)")
            let seen = try tx.scalar(Int.self, "SELECT count(*) FROM \(table)")
            if attempt == 1 { await barrier.arriveAndWait() }
            try tx.query("INSERT INTO \(table) VALUES ($1, $2)", [id, "saw \(seen)"])
            return seen
        }
        if retrying {
            return try await connection.retryingTransaction(isolation: .serializable, body)
        }
        return try await connection.transaction(isolation: .serializable, body)
    }

    /// The error `body` throws, or nil when it succeeds.
    private func failure(_ body: () async throws -> Int) async -> (any Error)? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("conflicting SERIALIZABLE transactions fail with 40001 when not retried")
    func serializationFailureWithoutRetry() async throws {
        try await withConnection { first in
            try await withConnection { second in
                let table = try await createTable(first)
                let barrier = Barrier(parties: 2)
                let attempts = Counter()
                async let a = failure { try await writeSkew(table: table, connection: first, id: 1, barrier: barrier, attempts: attempts, retrying: false) }
                async let b = failure { try await writeSkew(table: table, connection: second, id: 2, barrier: barrier, attempts: attempts, retrying: false) }
                let failures = await [a, b].compactMap { $0 }
                #expect(failures.count == 1, "exactly one of the two must fail: \(failures)")
                let error = failures.first as? PostgresError
                #expect(error?.sqlState == SQLState.serializationFailure)
                #expect(error?.isTransient == true)
                #expect(try await first.scalar(Int.self, "SELECT count(*) FROM \(table)") == 1)
            }
        }
    }

    @Test("retryingTransaction runs a serialization failure again until it succeeds")
    func serializationFailureIsRetried() async throws {
        try await withConnection { first in
            try await withConnection { second in
                let table = try await createTable(first)
                let barrier = Barrier(parties: 2)
                let attempts = Counter()
                async let a = writeSkew(table: table, connection: first, id: 1, barrier: barrier, attempts: attempts, retrying: true)
                async let b = writeSkew(table: table, connection: second, id: 2, barrier: barrier, attempts: attempts, retrying: true)
                let seen = try await [a, b]
                // One committed on the first attempt having seen 0 rows; the other was retried and saw 1.
                #expect(seen.sorted() == [0, 1])
                let counts = [await attempts.count("conn1"), await attempts.count("conn2")].sorted()
                #expect(counts[0] == 1, "one transaction should commit at the first attempt: \(counts)")
                #expect(counts[1] >= 2, "the other should have been retried: \(counts)")
                #expect(try await labels(first, table).sorted() == ["saw 0", "saw 1"])
                #expect(await !first.isInTransaction)
                #expect(await !second.isInTransaction)
            }
        }
    }

    @Test("retryingTransaction gives up after maxAttempts and does not retry other errors")
    func retryLimits() async throws {
        try await withConnection { connection in
            let attempts = Counter()
            let error = await #expect(throws: PostgresError.self) {
                try await connection.retryingTransaction(maxAttempts: 3) { tx in
                    await attempts.increment("serialization")
                    try tx.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$")
                }
            }
            #expect(error?.sqlState == SQLState.serializationFailure)
            #expect(await attempts.count("serialization") == 3)

            await #expect(throws: PostgresError.self) {
                try await connection.retryingTransaction(maxAttempts: 5) { tx in
                    await attempts.increment("unique")
                    try tx.query("DO $$ BEGIN RAISE EXCEPTION 'dup' USING ERRCODE = 'unique_violation'; END $$")
                }
            }
            #expect(await attempts.count("unique") == 1)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("a unique violation reports SQLSTATE 23505 and the constraint name")
    func uniqueViolation() async throws {
        try await withConnection { connection in
            let table = uniqueName("uniq")
            try await connection.query("""
                CREATE TABLE \(table) (id int PRIMARY KEY, code text NOT NULL, CONSTRAINT \(table)_code_unique UNIQUE (code))
                """)
            try await connection.query("INSERT INTO \(table) VALUES (1, $1)", ["淘宝-001"])
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO \(table) VALUES (2, $1)", ["淘宝-001"])
            }
            let failure = try #require(error)
            #expect(failure.code == .server)
            #expect(failure.sqlState == "23505")
            #expect(failure.sqlState == SQLState.uniqueViolation)
            #expect(failure.serverInfo?[.constraintName] == "\(table)_code_unique")
            #expect(failure.serverInfo?[.tableName] == table)
            #expect(failure.serverInfo?[.detail]?.contains("淘宝-001") == true)
            #expect(!failure.isTransient)
            #expect(!failure.isConnectionLost)
            #expect(failure.debugDescription.contains("\(table)_code_unique"))
        }
    }
}
