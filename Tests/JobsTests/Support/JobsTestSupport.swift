import Foundation
import Logging
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing
@testable import Jobs

// MARK: - A database per test

/// Runs `body` with a fresh migrated database of its own and drops it afterwards, whatever happens.
func withTestDatabase<T: Sendable>(_ body: (TestDatabase) async throws -> T) async throws -> T {
    try await TestDatabase.withFresh(body)
}

extension TestDatabase {
    /// The first column of the first row, read as the owner.
    func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> T {
        try await withOwner { owner in try await owner.scalar(type, sql, binds) }
    }

    /// Enqueues as the operator (the schema owner sees and may insert every tenant's jobs).
    @discardableResult
    func enqueue(_ requests: [JobRequest]) async throws -> [Job] {
        try await withOwner { owner in try await owner.transaction { tx in try JobQueue.enqueue(requests, on: tx) } }
    }

    func job(_ id: Int64) async throws -> Job {
        try await withOwner { owner in try await owner.withIsolation { tx in try JobQueue.find(id: id, on: tx) } }
    }

    /// Creates an active tenant as the operator; returns its id.
    func createTenant(_ slug: String, timeZone: String = "Asia/Shanghai") async throws -> Int64 {
        try await withOwner { owner in
            try await TenantScope(connection: owner).asOperator(name: "jobs-tests", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: "Tenant \(slug)", timeZone: timeZone, on: tx).id
            }
        }
    }

    /// The suite database's application-role connection string, as the daemon takes it.
    var appConnectionString: String {
        get throws { try appConfiguration.connectionString }
    }
}

extension PostgresConnection {
    /// Runs a synchronous block on the connection with its isolated API (no transaction of its own).
    func withIsolation<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) throws -> T {
        guard let row = try query(sql, binds).first else { throw TestFailure("no rows from \(sql)") }
        return try row.decode(type, at: 0)
    }
}

// MARK: - Waiting

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration, every interval: Duration = .milliseconds(50),
                _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// A logger for in-process workers and schedulers: the tests make them fail on purpose.
func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

// MARK: - Requests

/// JSON text of a flat argument object (`noop` and `sleep` arguments).
func jsonArgs(_ values: [String: any Sendable]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: values, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

func noop(mark: String? = nil, tenant: Int64 = 0, queue: String = "default", uniqueKey: String? = nil) -> JobRequest {
    JobRequest(kind: "noop", queue: queue, tenantID: tenant, args: mark.map { jsonArgs(["mark": $0]) } ?? "{}", uniqueKey: uniqueKey)
}

func sleepJob(seconds: Double, mark: String? = nil, fail: Bool = false, tenant: Int64 = 0, maxAttempts: Int = 5) -> JobRequest {
    var args: [String: any Sendable] = ["seconds": seconds]
    if let mark { args["mark"] = mark }
    if fail { args["fail"] = true }
    return JobRequest(kind: "sleep", tenantID: tenant, args: jsonArgs(args), maxAttempts: maxAttempts)
}

/// `2024-05-01T18:00:00Z`.
func isoString(_ date: Date) -> String {
    date.formatted(.iso8601)
}

func utc(_ text: String) throws -> Date {
    try Date(text, strategy: .iso8601)
}
