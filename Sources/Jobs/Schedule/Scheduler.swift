import Foundation
import Logging
import PostgresClient

/// Turns due schedules into jobs. Every daemon may run one: due schedules are locked with
/// SKIP LOCKED and each slot is enqueued under a unique key, so a slot becomes exactly one job
/// however many daemons run.
public struct Scheduler: Sendable {
    public let pool: ConnectionPool
    /// After downtime, at most this many missed slots per schedule are enqueued (the latest).
    public let maxCatchUp: Int
    let logger: Logger

    public init(pool: ConnectionPool, maxCatchUp: Int = 1, logger: Logger) {
        self.pool = pool
        self.maxCatchUp = max(1, maxCatchUp)
        self.logger = logger
    }

    /// Enqueues the jobs of every due schedule; returns how many jobs were created.
    @discardableResult
    public func tick(now: Date = Date()) async throws -> Int {
        let maxCatchUp = self.maxCatchUp
        let logger = self.logger
        return try await pool.withConnection { connection in
            try await connection.transaction { tx in
                var created = 0
                let due = try tx.query("""
                    SELECT tenant_id, schedule_id, name, cron, time_zone, next_run_at FROM jobs_due_schedules(100)
                    """)
                for row in due {
                    let (tenant, id, name, cron, zoneName, nextRun) = try row.decode((Int64, Int64, String, String, String, Date).self)
                    guard let expression = try? CronExpression(cron), let zone = TimeZone(identifier: zoneName) else {
                        logger.error("schedule has a bad cron expression or time zone; skipping it",
                                     metadata: ["tenant": "\(tenant)", "schedule": "\(name)"])
                        continue
                    }
                    // next_run_at is itself a slot; the others follow it up to now.
                    var slots = [nextRun] + expression.slots(after: nextRun, through: now, in: zone, limit: maxCatchUp)
                    if slots.count > maxCatchUp {
                        logger.warning("skipping missed schedule slots after downtime",
                                       metadata: ["schedule": "\(name)", "skipped": "\(slots.count - maxCatchUp)"])
                        slots = Array(slots.suffix(maxCatchUp))
                    }
                    let next = expression.next(after: max(now, slots.last ?? now), in: zone) ?? now.addingTimeInterval(86_400 * 365)
                    created += try tx.query("SELECT jobs_advance_schedule($1, $2, $3::timestamptz[], $4)",
                                            [tenant, id, slots, next])[0].decode(Int.self, at: 0)
                }
                return created
            }
        }
    }
}
