import Foundation
import PostgresClient

/// A job as stored in the `jobs` table.
public struct Job: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case available, running, succeeded, dead, cancelled
    }

    /// 0 for system jobs that belong to no tenant.
    public var tenantID: Int64
    public var id: Int64
    public var queue: String
    public var kind: String
    /// The arguments as JSON text; handlers decode what they expect with ``decodeArgs(_:)``.
    public var args: String
    public var priority: Int
    public var state: State
    public var attempt: Int
    public var maxAttempts: Int
    public var runAt: Date
    public var uniqueKey: String?
    public var lastError: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public func decodeArgs<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(args.utf8))
        } catch {
            throw JobError.badArguments("job \(id) (\(kind)) has arguments this handler cannot read: \(error)")
        }
    }

    static let columns = """
        tenant_id, job_id, queue, kind, args::text, priority, state, attempt, max_attempts, run_at, unique_key,
        last_error, created_at, started_at, finished_at
        """

    init(row: PostgresRow) throws {
        tenantID = try row.decode(Int64.self, at: 0)
        id = try row.decode(Int64.self, at: 1)
        queue = try row.decode(String.self, at: 2)
        kind = try row.decode(String.self, at: 3)
        args = try row.decode(String.self, at: 4)
        priority = try row.decode(Int.self, at: 5)
        guard let state = State(rawValue: try row.decode(String.self, at: 6)) else {
            throw JobError.badArguments("unknown job state")
        }
        self.state = state
        attempt = try row.decode(Int.self, at: 7)
        maxAttempts = try row.decode(Int.self, at: 8)
        runAt = try row.decode(Date.self, at: 9)
        uniqueKey = try row.decode(String?.self, at: 10)
        lastError = try row.decode(String?.self, at: 11)
        createdAt = try row.decode(Date.self, at: 12)
        startedAt = try row.decode(Date?.self, at: 13)
        finishedAt = try row.decode(Date?.self, at: 14)
    }
}

/// Failures of the queue machinery, worded for the person at the terminal.
public enum JobError: Error, Sendable, CustomStringConvertible {
    case badArguments(String)
    case notFound(String)
    case invalid(String)
    /// The job's lease went to another worker (this one was too slow or was thought dead);
    /// whatever this worker did in the job's transaction is rolled back.
    case leaseLost(Int64)
    /// The handler says retrying cannot help; the job goes straight to `dead`.
    case permanent(String)

    public var description: String {
        switch self {
        case .badArguments(let m), .notFound(let m), .invalid(let m), .permanent(let m): m
        case .leaseLost(let id): "job \(id) was taken over by another worker after its lease expired"
        }
    }
}
