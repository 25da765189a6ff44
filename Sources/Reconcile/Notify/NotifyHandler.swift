import Foundation
import Jobs

/// `notify` jobs: deliver the tenant's pending webhook notifications (``OutboxDelivery``).
///
/// Rule runs enqueue one when they add notifications. When some rows failed and may be retried,
/// the job throws, so the queue runs it again with backoff; rows that used their attempts are
/// marked failed and no longer hold the job back. A notify job is also safe to schedule
/// (`shoprecon schedule add --kind notify --cron "*/10 * * * *"`) to pick up rows left pending.
public struct NotifyHandler: JobHandler {
    public static let kindName = "notify"
    /// Job attempts: one more than the per-row attempts, so rows reach `failed` before the job dies.
    public static let jobMaxAttempts = OutboxDelivery().maxAttempts + 1

    public let kind = NotifyHandler.kindName
    let delivery: OutboxDelivery

    public init(delivery: OutboxDelivery = OutboxDelivery()) {
        self.delivery = delivery
    }

    public func run(_ job: JobContext) async throws {
        guard job.job.tenantID != 0 else { throw JobError.permanent("notify jobs belong to a tenant") }
        let report = try await delivery.deliverPending(tenantID: job.job.tenantID, pool: job.pool, logger: job.logger)
        if report.retrying > 0 {
            throw JobError.invalid("\(report.retrying) notification(s) not delivered yet, will retry: "
                                   + report.errors.prefix(3).joined(separator: "; "))
        }
        if report.failed > 0 {
            job.logger.warning("notifications failed for good", metadata: ["failed": "\(report.failed)"])
        }
    }
}
