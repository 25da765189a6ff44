import Foundation
@testable import Jobs
import Logging
import PostgresClient
import Reconcile
import Tenancy
import Testing

@Suite("notify: webhook delivery from the outbox", .rulesDatabase, .serialized)
struct NotifyDeliveryTests {
    static let logger: Logger = {
        var logger = Logger(label: "rules-tests.notify")
        logger.logLevel = .critical
        return logger
    }()

    /// A tenant with two orders over 10,000 and a notify rule posting to `url`; returns the
    /// tenant and the id of the notify job the run enqueued.
    func setUp(_ slug: String, url: String) async throws -> (RulesTenant, Int64) {
        let env = try RulesEnvironment.get()
        let t = try await env.createTenant(slug)
        try await env.insertOrder(t, store: "tmall-1", no: "T-1", createdAt: rulesShanghai(2026, 10, 2), paid: 1_500_000)
        try await env.insertOrder(t, store: "jd-1", no: "J-1", createdAt: rulesShanghai(2026, 10, 3), paid: 2_500_000)
        try await env.insertOrder(t, store: "jd-1", no: "J-2", createdAt: rulesShanghai(2026, 10, 3), paid: 100)
        let applied = try await env.asContext(t.system) { tx, context in
            _ = try RuleDirectory.add(.init(name: "ping", recordType: .order, condition: "amount > 10000", action: .notify, webhookURL: url),
                                      context: context, on: tx)
            return try RuleEngine.apply(scope: try t.scope(run: 1), context: context, on: tx)
        }
        return (t, try #require(applied.notifyJobID))
    }

    func outbox(_ tenant: RulesTenant) async throws -> [[String: String?]] {
        try await RulesEnvironment.get().ownerRows("""
            SELECT outbox_id::text AS id, status, attempts::text, last_error, delivered_at IS NOT NULL AS delivered, payload::text
            FROM notification_outbox WHERE tenant_id = $1 ORDER BY outbox_id
            """, [tenant.id])
    }

    /// Runs the notify job's handler the way a worker does.
    func runJob(_ id: Int64, handler: NotifyHandler, pool: ConnectionPool) async throws {
        let env = try RulesEnvironment.get()
        let job = try await env.withOwner { owner in try await owner.rulesRun { tx in try JobQueue.find(id: id, on: tx) } }
        try await handler.run(JobContext(job: job, pool: pool, workerID: "rules-tests", logger: Self.logger, completion: CompletionFlag()))
    }

    @Test("pending rows are posted as JSON to a loopback receiver and marked delivered")
    func delivered() async throws {
        let env = try RulesEnvironment.get()
        let receiver = RulesWebhookReceiver([.init(status: 200)])
        try await receiver.serve { url in
            let (t, job) = try await setUp("notify-ok", url: url)
            try await env.withAppPool { pool in try await runJob(job, handler: NotifyHandler(), pool: pool) }
            let rows = try await outbox(t)
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0["status"] == "delivered" && $0["attempts"] == "1" && $0["delivered"] == "t" && $0["last_error"]! == nil })
            let received = await receiver.received
            #expect(received.count == 2)
            #expect(received.allSatisfy { $0.contentType == "application/json" })
            #expect(received.map(\.delivery) == rows.map { "\(t.id)-\($0["id"]!!)" })
            let bodies = try received.map { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] }
            #expect(bodies.map { $0?["reference"] as? String } == ["T-1", "J-1"])
            #expect(bodies.allSatisfy { $0?["rule"] as? String == "ping" && $0?["tenant"] as? String == "notify-ok" })

            // Nothing pending: another pass posts nothing.
            let again = try await env.withAppPool { pool in
                try await OutboxDelivery().deliverPending(tenantID: t.id, pool: pool, logger: Self.logger)
            }
            #expect(again == OutboxDelivery.Report())
            #expect(await receiver.received.count == 2)
        }
    }

    @Test("a 500 is counted and retried: the job throws so the queue retries it, and the next pass delivers")
    func retriedAfter500() async throws {
        let env = try RulesEnvironment.get()
        let receiver = RulesWebhookReceiver([.init(status: 500), .init(status: 200)])
        try await receiver.serve { url in
            let (t, job) = try await setUp("notify-retry", url: url)
            try await env.withAppPool { pool in
                await #expect(throws: JobError.self) { try await runJob(job, handler: NotifyHandler(), pool: pool) }
                return ()
            }
            var rows = try await outbox(t)
            #expect(rows.map { $0["status"]! } == ["pending", "delivered"])
            #expect(rows[0]["attempts"] == "1")
            #expect(rows[0]["last_error"]??.contains("HTTP 500") == true)

            try await env.withAppPool { pool in try await runJob(job, handler: NotifyHandler(), pool: pool) }
            rows = try await outbox(t)
            #expect(rows.map { $0["status"]! } == ["delivered", "delivered"])
            #expect(rows.map { $0["attempts"]! } == ["2", "1"])
            #expect(await receiver.received.map(\.status) == [500, 200, 200])
        }
    }

    @Test("rows are marked failed after the maximum attempts; timeouts count as failures")
    func failedAfterMaxAttempts() async throws {
        let env = try RulesEnvironment.get()
        let receiver = RulesWebhookReceiver([.init(status: 200, delay: 3), .init(status: 503)])
        try await receiver.serve { url in
            let (t, _) = try await setUp("notify-fail", url: url)
            let delivery = OutboxDelivery(maxAttempts: 2, timeout: 1)
            let first = try await env.withAppPool { pool in try await delivery.deliverPending(tenantID: t.id, pool: pool, logger: Self.logger) }
            #expect(first.retrying == 2 && first.failed == 0 && first.delivered == 0)
            var rows = try await outbox(t)
            #expect(rows.allSatisfy { $0["status"] == "pending" && $0["attempts"] == "1" })
            #expect(rows[1]["last_error"]??.contains("HTTP 503") == true)
            #expect(rows[0]["last_error"]! != nil)  // the timed-out one

            let second = try await env.withAppPool { pool in try await delivery.deliverPending(tenantID: t.id, pool: pool, logger: Self.logger) }
            #expect(second.failed == 2 && second.retrying == 0)
            rows = try await outbox(t)
            #expect(rows.allSatisfy { $0["status"] == "failed" && $0["attempts"] == "2" && $0["delivered"] == "f" })

            // Failed rows are left alone: the job has nothing to retry.
            let third = try await env.withAppPool { pool in try await delivery.deliverPending(tenantID: t.id, pool: pool, logger: Self.logger) }
            #expect(third == OutboxDelivery.Report())
            #expect(await receiver.received.count == 4)
        }
    }

    @Test("a notify job waits while another one of the tenant is delivering")
    func oneJobPerTenant() async throws {
        let env = try RulesEnvironment.get()
        let receiver = RulesWebhookReceiver([.init(status: 200)])
        try await receiver.serve { url in
            let (t, job) = try await setUp("notify-busy", url: url)
            let other = try await env.asContext(t.system) { tx, _ in
                try #require(try JobQueue.enqueue(JobRequest(kind: "notify", tenantID: t.id), on: tx)).id
            }
            try await env.ownerExecute("UPDATE jobs SET state = 'running', lease_owner = 'w2', lease_expires_at = now() + interval '1 minute' WHERE job_id = $1",
                                       [other])
            try await env.withAppPool { pool in
                await #expect(throws: JobError.self) { try await runJob(job, handler: NotifyHandler(), pool: pool) }
                return ()
            }
            #expect(await receiver.received.isEmpty)
            // Once the other one's lease is gone, this one delivers.
            try await env.ownerExecute("UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE job_id = $1", [other])
            try await env.withAppPool { pool in try await runJob(job, handler: NotifyHandler(), pool: pool) }
            #expect(await receiver.received.count == 2)
            #expect(try await outbox(t).allSatisfy { $0["status"] == "delivered" })
        }
    }
}
