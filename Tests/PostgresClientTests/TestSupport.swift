import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

// MARK: - One database per suite

/// Gives a suite a fresh database of its own for as long as its tests run, then drops it.
///
/// Attach with `@Suite(.freshDatabase())`; tests reach it through ``SuiteDatabase/get()``.
struct FreshDatabaseTrait: SuiteTrait, TestScoping {
    var migrated: Bool

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        try await TestDatabase.withFresh(migrated: migrated) { database in
            try await SuiteDatabase.$current.withValue(database) { try await function() }
        }
    }
}

extension Trait where Self == FreshDatabaseTrait {
    /// A fresh database (cloned from the migrated template unless `migrated` is false) for the suite.
    static func freshDatabase(migrated: Bool = true) -> Self { FreshDatabaseTrait(migrated: migrated) }
}

struct MissingSuiteDatabase: Error, CustomStringConvertible {
    var description: String { "the suite has no database; add @Suite(.freshDatabase())" }
}

enum SuiteDatabase {
    @TaskLocal static var current: TestDatabase?

    static func get() throws -> TestDatabase {
        guard let current else { throw MissingSuiteDatabase() }
        return current
    }
}

// MARK: - Connections

/// Connects to the suite's database, runs `body`, and closes the connection whatever happens.
@discardableResult
func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    let connection = try await SuiteDatabase.get().connect()
    do {
        let value = try await body(connection)
        await connection.close()
        return value
    } catch {
        await connection.close()
        throw error
    }
}

/// Runs `body` on a superuser connection to the `postgres` database.
@discardableResult
func withAdminConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    let connection = try await PostgresConnection.connect(TestDatabase.adminConfiguration())
    do {
        let value = try await body(connection)
        await connection.close()
        return value
    } catch {
        await connection.close()
        throw error
    }
}

/// Terminates a backend from an admin connection and waits until the server process is gone.
func terminateBackend(_ pid: Int32) async throws {
    try await withAdminConnection { admin in
        let terminated = try await admin.query("SELECT pg_terminate_backend($1::int, 5000)", [pid])
        #expect(try terminated[0].decode(Bool.self, at: 0), "pg_terminate_backend(\(pid)) failed")
        // pg_terminate_backend with a timeout returns once the process left the proc array; it
        // still has to exit, which is when the kernel closes its socket.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let gone = try await admin.query("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1::int)", [pid])
            if try gone[0].decode(Bool.self, at: 0) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("backend \(pid) did not exit within 5 s")
    }
}

extension PostgresConnection {
    /// Runs a synchronous block on the connection's own thread, with direct access to its
    /// isolated API (`copyIn`, `copyOut`, `query`) and to local mutable state.
    func isolated<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) throws -> T {
        let result = try query(sql, binds)
        guard let row = result.first else {
            throw PostgresError(code: .decoding, message: "no rows from \(sql)")
        }
        return try row.decode(type, at: 0)
    }
}

// MARK: - Small helpers

/// A table (or channel) name that no other test uses.
func uniqueName(_ prefix: String) -> String {
    prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// Elapsed wall-clock time of `body` in seconds.
func measure<T>(_ body: () async throws -> T) async rethrows -> (value: T, seconds: Double) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, (ContinuousClock.now - start).seconds)
}

/// An error a test throws on purpose, so it can check that exactly this error comes back.
struct DeliberateFailure: Error, Equatable {
    var tag: String
}

/// Lets `parties` tasks wait until all of them have arrived.
actor Barrier {
    private let parties: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arriveAndWait() async {
        arrived += 1
        if arrived >= parties {
            let all = waiting
            waiting.removeAll()
            all.forEach { $0.resume() }
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// A one-shot signal: `wait()` suspends until `open()` was called (before or after).
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func open() {
        isOpen = true
        let all = waiting
        waiting.removeAll()
        all.forEach { $0.resume() }
    }

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }
}

/// Counts things by key from concurrent tasks.
actor Counter {
    private var counts: [String: Int] = [:]
    private var current = 0
    private(set) var peak = 0

    @discardableResult
    func increment(_ key: String = "") -> Int {
        counts[key, default: 0] += 1
        return counts[key]!
    }

    func count(_ key: String = "") -> Int { counts[key, default: 0] }

    /// Tracks how many are inside a section at once (see ``peak``).
    func enter() {
        current += 1
        peak = max(peak, current)
    }

    func leave() { current -= 1 }
}

/// The UTF-8 bytes of a string, for comparisons that must not treat canonically equivalent
/// strings (`é` and `e\u{301}`) as equal, as Swift's `==` does.
func utf8Bytes(_ string: String?) -> [UInt8]? {
    string.map { Array($0.utf8) }
}

/// Strings that break naive quoting, escaping or encoding. No NUL: PostgreSQL text cannot hold it.
let trickyStrings: [String] = [
    "plain",
    "",
    " ",
    "it's",
    "''",
    "\"double\" quotes",
    "semi;colon",
    "'; DROP TABLE victims; --",
    "back\\slash",
    "\\\\ two backslashes",
    "\\N",
    "\\.",
    "ends with backslash\\",
    "tab\there",
    "new\nline",
    "carriage\rreturn\r\n",
    "\u{01}\u{02}\u{07}\u{08}\u{0B}\u{0C}\u{1B}\u{1F}\u{7F}",
    "淘宝订单，退款！",
    "emoji 🚀👩‍👩‍👧‍👦🇨🇳",
    "e\u{301} combining vs é precomposed",
    "{braces},[brackets],(parens)",
    "NULL",
    "$1 $2 ?",
    "%s %d %@",
    "\u{FEFF}bom and \u{200B}zero width",
    String(repeating: "长", count: 3000),
]
