import Foundation
import Jobs
import Tenancy

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
        // One delivery pass per tenant at a time, so a row is not posted by two jobs at once;
        // the other job's rows are its business, this one tries again after a backoff.
        let (tenant, me) = (job.job.tenantID, job.job.id)
        let busy = try await job.pool.withConnection { connection in
            try await TenantScope(connection: connection).with(.system(tenantID: tenant, name: NotifyHandler.kindName)) { tx, _ in
                try tx.query("""
                    SELECT min(job_id) FROM jobs
                    WHERE tenant_id = $1 AND kind = $2 AND state = 'running' AND job_id <> $3 AND lease_expires_at > now()
                    """, [tenant, NotifyHandler.kindName, me])[0].decode(Int64?.self, at: 0)
            }
        }
        if let busy {
            throw JobError.invalid("notify job \(busy) of this tenant is delivering; trying again later")
        }
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
