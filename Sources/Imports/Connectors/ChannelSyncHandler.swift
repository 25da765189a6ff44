import Foundation
import Jobs
import PostgresClient
import Tenancy

/// `channel_sync` jobs: `{"store": "CODE"}` runs every connector of that store (its inbox and
/// its API), under the tenant's context with a system identity. Schedule it per store, e.g.
/// `shoprecon schedule add --kind channel_sync --cron "*/30 * * * *" --args '{"store":"tmall-1"}'`.
public struct ChannelSyncHandler: JobHandler {
    public let kind = "channel_sync"
    /// Seconds an API retry may wait at most (tests lower it).
    let maxDelay: Double

    public init(maxDelay: Double = 300) { self.maxDelay = maxDelay }

    struct Args: Codable { var store: String }

    public func run(_ job: JobContext) async throws {
        let store = try job.job.decodeArgs(Args.self).store
        guard job.job.tenantID != 0 else { throw JobError.permanent("channel_sync needs a tenant") }
        let context = AccessContext.system(tenantID: job.job.tenantID, name: kind)
        let connectors = try await job.pool.withConnection { connection in
            try await TenantScope(connection: connection).with(context) { tx, context in
                try ConnectorDirectory.list(store: store, context: context, on: tx)
            }
        }
        guard !connectors.isEmpty else {
            throw JobError.permanent("store \(store) has no connector; add one with `shoprecon store connect \(store) --inbox DIR` or --http URL")
        }
        var failures: [String] = []
        for connector in connectors {
            do {
                switch connector.kind {
                case .inbox:
                    guard let inbox = connector.inbox else { continue }
                    let outcome = try await InboxConnector(store: store, inbox: inbox).run(pool: job.pool, context: context, logger: job.logger)
                    if !outcome.failed.isEmpty { failures.append("inbox: \(outcome.failed.count) file(s) failed, see the failed/ folder") }
                case .http:
                    guard let http = connector.http else { continue }
                    _ = try await HTTPConnector(store: store, config: http, maxDelay: maxDelay)
                        .run(pool: job.pool, context: context, startCursor: connector.cursor, logger: job.logger)
                }
                try await note(store: store, kind: connector.kind, error: nil, pool: job.pool, context: context)
            } catch {
                failures.append("\(connector.kind.rawValue): \(error)")
                try? await note(store: store, kind: connector.kind, error: "\(error)", pool: job.pool, context: context)
            }
        }
        // Inbox files that failed are parked in failed/; retrying the job cannot fix them.
        if let apiFailure = failures.first(where: { $0.hasPrefix("http") }) { throw JobError.invalid(apiFailure) }
        if !failures.isEmpty { job.logger.warning("channel sync finished with failures", metadata: ["failures": "\(failures)"]) }
    }

    private func note(store: String, kind: StoreConnector.Kind, error: String?, pool: ConnectionPool, context: AccessContext) async throws {
        try await pool.withConnection { connection in
            try await TenantScope(connection: connection).with(context) { tx, context in
                try ConnectorDirectory.record(store: store, kind: kind, cursor: nil, error: error, context: context, on: tx)
            }
        }
    }
}
