import Foundation
import Logging
import PostgresClient
import Tenancy

/// Runs jobs of one kind. Modules register their handlers with the daemon's ``JobRegistry``.
///
/// A handler that throws has the job retried with backoff (``JobError/permanent(_:)`` buries it
/// at once). Work whose effects live in this database should go through
/// ``JobContext/transaction(_:)``: the effects and the job's completion then commit together, so
/// a crash or a lost lease never applies them twice.
public protocol JobHandler: Sendable {
    var kind: String { get }
    func run(_ context: JobContext) async throws
}

/// Everything a running job may use.
public struct JobContext: Sendable {
    public let job: Job
    public let pool: ConnectionPool
    public let workerID: String
    public let logger: Logger
    let completion: CompletionFlag

    /// Runs `body` in a transaction under the job's tenant context (a system identity with every
    /// permission, under row-level security; system jobs get no tenant) and marks the job
    /// succeeded in the same transaction. If the job's lease was lost meanwhile, everything is
    /// rolled back and ``JobError/leaseLost(_:)`` is thrown.
    @discardableResult
    public func transaction<T: Sendable>(
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        let job = self.job
        let worker = self.workerID
        let context = job.tenantID == 0
            ? AccessContext(kind: .system, tenantID: nil, tenantSlug: nil, userID: nil, username: nil, permissions: [],
                            allStores: false, storeIDs: [], actor: "system:" + job.kind)
            : AccessContext.system(tenantID: job.tenantID, name: job.kind)
        let value = try await pool.withConnection { connection in
            try await TenantScope(connection: connection).with(context) { tx, context in
                let value = try await body(tx, context)
                guard try JobQueue.complete(ids: [job.id], worker: worker, on: tx).contains(job.id) else {
                    throw JobError.leaseLost(job.id)
                }
                return value
            }
        }
        completion.markCompleted()
        return value
    }
}

/// Set once a handler has completed its job inside its own transaction.
final class CompletionFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var completed = false
    func markCompleted() { lock.withLock { completed = true } }
    var isCompleted: Bool { lock.withLock { completed } }
}


/// The handlers a daemon knows, by kind.
public struct JobRegistry: Sendable {
    private var handlers: [String: any JobHandler] = [:]

    public init(_ handlers: [any JobHandler] = []) {
        for handler in handlers { register(handler) }
    }

    public mutating func register(_ handler: any JobHandler) {
        handlers[handler.kind] = handler
    }

    public func handler(for kind: String) -> (any JobHandler)? { handlers[kind] }
    public var kinds: [String] { handlers.keys.sorted() }
}
