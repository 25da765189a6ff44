import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

@Suite("rule engine: exceptions, approvals, notifications", .rulesDatabase, .serialized)
struct RulesEngineTests {
    /// A tenant with two stores and orders of October 2026 (Shanghai) plus one of September and
    /// one just before midnight on 31 October, UTC+8.
    struct Fixture: Sendable {
        var tenant: RulesTenant
        var big: Int64          // tmall, 12,000.00, SKU A-100 x5
        var bigJD: Int64        // jd, 20,000.00
        var small: Int64        // tmall, 500.00
        var september: Int64    // tmall, 50,000.00 but in September
        var lateOctober: Int64  // tmall, 15,000.00 at 23:30 on 31 October (Shanghai)
        var feeOrder: Int64     // tmall, 1,000.00 whose sale pays an 8% fee
    }

    static func fixture(_ slug: String) async throws -> Fixture {
        let env = try RulesEnvironment.get()
        let tenant = try await env.createTenant(slug)
        let big = try await env.insertOrder(tenant, store: "tmall-1", no: "T-1", createdAt: rulesShanghai(2026, 10, 3), paid: 1_200_000,
                                            lines: [("A-100", 2), ("A-100", 3)])
        let bigJD = try await env.insertOrder(tenant, store: "jd-1", no: "J-1", createdAt: rulesShanghai(2026, 10, 5), paid: 2_000_000)
        let small = try await env.insertOrder(tenant, store: "tmall-1", no: "T-2", createdAt: rulesShanghai(2026, 10, 6), paid: 50_000,
                                              lines: [("B-7", 1)])
        let september = try await env.insertOrder(tenant, store: "tmall-1", no: "T-0", createdAt: rulesShanghai(2026, 9, 30, 23),
                                                  paid: 5_000_000)
        let late = try await env.insertOrder(tenant, store: "tmall-1", no: "T-9", createdAt: rulesShanghai(2026, 10, 31, 23), paid: 1_500_000)
        let fee = try await env.insertOrder(tenant, store: "tmall-1", no: "T-3", createdAt: rulesShanghai(2026, 10, 7), paid: 100_000)
        try await env.insertTransaction(tenant, store: "tmall-1", no: "S-3", orderRef: "T-3", gross: 100_000, fee: 6_000,
                                        occurredAt: rulesShanghai(2026, 10, 8))
        try await env.insertTransaction(tenant, store: "tmall-1", no: "C-3", orderRef: "T-3", type: "commission", gross: -2_000,
                                        occurredAt: rulesShanghai(2026, 10, 8))
        try await env.insertTransaction(tenant, store: "tmall-1", no: "S-1", orderRef: "T-1", gross: 1_200_000, fee: 7_200,
                                        occurredAt: rulesShanghai(2026, 10, 4))
        return Fixture(tenant: tenant, big: big, bigJD: bigJD, small: small, september: september, lateOctober: late, feeOrder: fee)
    }

    func addRule(_ tenant: RulesTenant, _ definition: RuleDirectory.Definition) async throws -> Rule {
        try await RulesEnvironment.get().asContext(tenant.system) { tx, context in try RuleDirectory.add(definition, context: context, on: tx) }
    }

    func apply(_ scope: RunScope, _ context: AccessContext) async throws -> RuleApplication {
        try await RulesEnvironment.get().asContext(context) { tx, context in try RuleEngine.apply(scope: scope, context: context, on: tx) }
    }

    @Test("exception rules raise rule:<name> for the matching records of the period only, and re-runs keep the workflow")
    func exceptions() async throws {
        let env = try RulesEnvironment.get()
        let f = try await Self.fixture("rules-exc")
        let t = f.tenant
        _ = try await addRule(t, .init(name: "big-orders", recordType: .order, condition: "amount > 10000", action: .exception, severity: .high))
        _ = try await addRule(t, .init(name: "a100-bulk", recordType: .order, condition: "sku = \"A-100\" and quantity >= 5 and age >= 30",
                                       action: .exception, severity: .low))
        _ = try await addRule(t, .init(name: "fees", recordType: .order, condition: "fee_rate > 5%", action: .exception, severity: .medium))
        _ = try await addRule(t, .init(name: "bank-big", recordType: .bankLine, condition: "amount > 1", action: .exception))

        let first = try await apply(try t.scope(run: 1, flows: [.orders]), t.system)
        #expect(first.rules.map(\.name) == ["a100-bulk", "big-orders", "fees"])  // bank rule: collections not in scope
        let counts = Dictionary(uniqueKeysWithValues: first.rules.map { ($0.name, ($0.matched, $0.created)) })
        #expect(counts["big-orders"]! == (3, 3))
        #expect(counts["a100-bulk"]! == (1, 1))
        #expect(counts["fees"]! == (1, 1))

        let rows = try await env.ownerRows("""
            SELECT type, record_id::text, severity, run_id::text, actual::text, currency, reference, channel, status, period::text, flow
            FROM recon_exceptions WHERE tenant_id = $1 ORDER BY type, record_id
            """, [t.id])
        let bigOrders = rows.filter { $0["type"] == "rule:big-orders" }
        #expect(bigOrders.compactMap { Int64($0["record_id"]!!) }.sorted() == [f.big, f.bigJD, f.lateOctober].sorted())
        #expect(bigOrders.allSatisfy { $0["severity"] == "high" && $0["run_id"] == "1" && $0["status"] == "open"
            && $0["period"] == "2026-10-01" && $0["flow"] == "orders" && $0["currency"] == "CNY" })
        #expect(bigOrders.first { $0["record_id"] == String(f.big) }?["actual"] == "1200000")
        #expect(bigOrders.first { $0["record_id"] == String(f.big) }?["reference"] == "T-1")
        #expect(bigOrders.first { $0["record_id"] == String(f.bigJD) }?["channel"] == "jd")
        #expect(rows.first { $0["type"] == "rule:a100-bulk" }?["record_id"] == String(f.big))
        #expect(rows.first { $0["type"] == "rule:fees" }?["record_id"] == String(f.feeOrder))
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM recon_exception_events WHERE tenant_id = $1 AND action = 'found'", [t.id]) == 5)

        // Someone works on one; a re-run finds it again, keeps its status, and records the new run.
        try await env.ownerExecute("UPDATE recon_exceptions SET status = 'in_review' WHERE tenant_id = $1 AND type = 'rule:big-orders' AND record_id = $2",
                                   [t.id, f.big])
        try await env.ownerExecute("UPDATE order_financials SET paid_amount = 1300000 WHERE tenant_id = $1 AND order_id = $2", [t.id, f.big])
        let second = try await apply(try t.scope(run: 2, flows: [.orders]), t.system)
        #expect(second.rules.allSatisfy { $0.created == 0 })
        let again = try await env.ownerRows("""
            SELECT status, run_id::text, actual::text FROM recon_exceptions WHERE tenant_id = $1 AND type = 'rule:big-orders' AND record_id = $2
            """, [t.id, f.big])
        #expect(again.count == 1)
        #expect(again[0]["status"] == "in_review")
        #expect(again[0]["run_id"] == "2")
        #expect(again[0]["actual"] == "1300000")
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM recon_exceptions WHERE tenant_id = $1", [t.id]) == 5)
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM recon_exception_events WHERE tenant_id = $1", [t.id]) == 5)

        // A store-scoped run only touches that store's records.
        let scoped = try await apply(try t.scope(run: 3, flows: [.orders], store: try t.store("jd-1")), t.system)
        #expect(scoped.rules.first { $0.name == "big-orders" }?.matched == 1)
        let runs = try await env.ownerRows("SELECT record_id::text, run_id::text FROM recon_exceptions WHERE tenant_id = $1 AND type = 'rule:big-orders' ORDER BY record_id", [t.id])
        #expect(runs.first { $0["record_id"] == String(f.bigJD) }?["run_id"] == "3")
        #expect(runs.first { $0["record_id"] == String(f.big) }?["run_id"] == "2")

        // Transaction fee rates: the printed rate (stored in percent) when there is one, else fee / gross.
        _ = try await addRule(t, .init(name: "txn-fees", recordType: .transaction, condition: "type = sale and fee_rate > 5%",
                                       action: .exception, severity: .low))
        var txnRun = try await apply(try t.scope(run: 6, flows: [.orders]), t.system)
        #expect(txnRun.rules.first { $0.name == "txn-fees" }?.matched == 1)   // S-3: 6,000 of 100,000
        try await env.ownerExecute("UPDATE platform_transactions SET fee_rate = 7.5 WHERE tenant_id = $1 AND transaction_no = 'S-1'", [t.id])
        txnRun = try await apply(try t.scope(run: 7, flows: [.orders]), t.system)
        #expect(txnRun.rules.first { $0.name == "txn-fees" }?.matched == 2)
        #expect(try await env.ownerScalar(String.self, """
            SELECT string_agg(reference, ',' ORDER BY reference) FROM recon_exceptions
            WHERE tenant_id = $1 AND type = 'rule:txn-fees' AND record_type = 'transaction'
            """, [t.id]) == "S-1,S-3")

        // Collections runs apply bank-line rules; store-scoped ones skip them (bank lines have no store).
        try await env.insertBankLine(t, key: "B1", valueDate: "2026-10-10", amount: 500, counterparty: "Alipay", reference: "R1")
        #expect(try await apply(try t.scope(run: 4, flows: [.collections]), t.system).rules.map(\.matched) == [1])
        #expect(try await apply(try t.scope(run: 5, flows: [.collections], store: try t.store("jd-1")), t.system).rules.isEmpty)
    }

    @Test("approval rules request one pending approval per record, keep decided ones, withdraw stale pending ones")
    func approvals() async throws {
        let env = try RulesEnvironment.get()
        let f = try await Self.fixture("rules-appr")
        let t = f.tenant
        let rule = try await addRule(t, .init(name: "big-orders", recordType: .order, condition: "amount >= 10,000", action: .approval,
                                              approverRole: "finance_manager"))
        let first = try await apply(try t.scope(run: 1), t.system)
        #expect(first.rules.map { [$0.matched, $0.created, $0.withdrawn] } == [[3, 3, 0]])
        let pending = try await env.ownerRows("SELECT record_id::text, status, amount::text, reference FROM recon_approvals WHERE tenant_id = $1 ORDER BY record_id", [t.id])
        #expect(pending.compactMap { Int64($0["record_id"]!!) }.sorted() == [f.big, f.bigJD, f.lateOctober].sorted())
        #expect(pending.allSatisfy { $0["status"] == "pending" })

        try await env.ownerExecute("UPDATE recon_approvals SET status = 'rejected', decided_by = 'x', note = 'no' WHERE tenant_id = $1 AND record_id = $2",
                                   [t.id, f.big])
        // The JD order drops below the threshold: its pending approval is withdrawn; the decided one stays.
        try await env.ownerExecute("UPDATE order_financials SET paid_amount = 100 WHERE tenant_id = $1 AND order_id IN ($2, $3)", [t.id, f.bigJD, f.big])
        let second = try await apply(try t.scope(run: 2), t.system)
        #expect(second.rules.map { [$0.matched, $0.created, $0.withdrawn] } == [[1, 0, 1]])
        let after = try await env.ownerRows("SELECT record_id::text, status, note FROM recon_approvals WHERE tenant_id = $1 ORDER BY record_id", [t.id])
        #expect(after.compactMap { Int64($0["record_id"]!!) }.sorted() == [f.big, f.lateOctober].sorted())
        #expect(after.first { $0["record_id"] == String(f.big) }?["status"] == "rejected")
        #expect(after.first { $0["record_id"] == String(f.big) }?["note"] == "no")

        // The summary helper sees the held orders.
        let held = try ApprovalDirectory.heldCondition(tenant: "o.tenant_id", record: "o.order_id")
        let heldOrders = try await env.ownerRows("SELECT o.order_id::text AS id FROM orders o WHERE o.tenant_id = $1 AND \(held) ORDER BY 1", [t.id])
        #expect(heldOrders.map { $0["id"]!! }.sorted() == [f.big, f.lateOctober].map { String($0) }.sorted())
        #expect(throws: ReconcileError.self) { try ApprovalDirectory.heldCondition(tenant: "1; DROP TABLE x", record: "o.order_id") }
        let state = try ApprovalDirectory.stateExpression(tenant: "o.tenant_id", record: "o.order_id")
        let states = try await env.ownerRows("SELECT o.order_no, \(state) AS state FROM orders o WHERE o.tenant_id = $1", [t.id])
        let byOrder = Dictionary(uniqueKeysWithValues: states.map { ($0["order_no"]!!, $0["state"]!) })
        #expect(byOrder["T-1"] == "rejected")
        #expect(byOrder["T-9"] == "pending")
        #expect(byOrder["T-2"] == .some(nil))
        _ = rule
    }

    @Test("notify rules queue one outbox row per record, deduplicated on re-runs, and one notify job")
    func notifications() async throws {
        let env = try RulesEnvironment.get()
        let f = try await Self.fixture("rules-notify")
        let t = f.tenant
        let rule = try await addRule(t, .init(name: "ping", recordType: .order, condition: "amount > 10000 and store = tmall-1",
                                              action: .notify, webhookURL: "http://127.0.0.1:9/hook"))
        let first = try await apply(try t.scope(run: 1), t.system)
        #expect(first.rules.map(\.created) == [2])
        let job = try #require(first.notifyJobID)
        let rows = try await env.ownerRows("SELECT payload::text AS p, url, status FROM notification_outbox WHERE tenant_id = $1 ORDER BY outbox_id", [t.id])
        #expect(rows.count == 2)
        let payload = try JSONSerialization.jsonObject(with: Data(rows[0]["p"]!!.utf8)) as? [String: Any]
        #expect(payload?["tenant"] as? String == "rules-notify")
        #expect(payload?["rule"] as? String == "ping")
        #expect(payload?["record_type"] as? String == "order")
        #expect(payload?["reference"] as? String == "T-1")
        #expect(payload?["amount"] as? Int == 1_200_000)
        #expect(payload?["currency"] as? String == "CNY")
        #expect(payload?["period"] as? String == "2026-10")
        #expect(rows.allSatisfy { $0["url"] == "http://127.0.0.1:9/hook" && $0["status"] == "pending" })
        #expect(try await env.ownerScalar(String.self, "SELECT kind FROM jobs WHERE job_id = $1", [job]) == "notify")

        let second = try await apply(try t.scope(run: 2), t.system)
        #expect(second.rules.map { [$0.matched, $0.created] } == [[2, 0]])
        #expect(second.notifyJobID == nil)
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", [t.id]) == 2)
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = 'notify'", [t.id]) == 1)

        // A finance user (recon.run, no settings.manage) runs the rules and queues the notify job.
        try await env.addUsers(t, [("fin", ["finance"], [])])
        try await env.ownerExecute("DELETE FROM notification_outbox WHERE tenant_id = $1", [t.id])
        let token = try await env.login(t, "fin")
        let scope = try t.scope(run: 3)
        let byFinance = try await env.asUser(token) { tx, context in try RuleEngine.apply(scope: scope, context: context, on: tx) }
        #expect(byFinance.rules.map(\.created) == [2])
        #expect(!byFinance.notifyJobDeferred)
        #expect(byFinance.notifyJobID != nil)
        // Their re-run adds only what is missing.
        try await env.ownerExecute("DELETE FROM notification_outbox WHERE tenant_id = $1 AND payload ->> 'reference' = 'T-9'", [t.id])
        let rerun = try await env.asUser(token) { tx, context in try RuleEngine.apply(scope: scope, context: context, on: tx) }
        #expect(rerun.rules.map { [$0.matched, $0.created] } == [[2, 1]])
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM notification_outbox WHERE tenant_id = $1", [t.id]) == 2)
        _ = rule
    }

    @Test("rules test previews matches without changing anything; rule admin needs settings.manage")
    func previewAndPermissions() async throws {
        let env = try RulesEnvironment.get()
        let f = try await Self.fixture("rules-admin")
        let t = f.tenant
        try await env.addUsers(t, [("fin", ["finance"], []), ("boss", ["owner"], [])])
        let fin = try await env.login(t, "fin")
        let boss = try await env.login(t, "boss")
        let definition = RuleDirectory.Definition(name: "big", recordType: .order, condition: "amount > 10000", action: .exception)
        await #expect(throws: TenancyError.self) {
            _ = try await env.asUser(fin) { tx, context in try RuleDirectory.add(definition, context: context, on: tx) }
        }
        let rule = try await env.asUser(boss) { tx, context in try RuleDirectory.add(definition, context: context, on: tx) }
        #expect(rule.severity == .medium)
        #expect(rule.createdBy == "user:boss")
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND target LIKE '%recon_rules%'", [t.id]) >= 1)

        await expectRulesError(.conflict) { _ = try await env.asUser(boss) { tx, c in try RuleDirectory.add(definition, context: c, on: tx) } }
        let typo = await expectRulesError(.invalidInput) {
            _ = try await env.asUser(boss) { tx, c in
                try RuleDirectory.add(.init(name: "x", recordType: .order, condition: "ammount > 1", action: .exception), context: c, on: tx)
            }
        }
        #expect(typo?.message.contains("column 1") == true)
        await expectRulesError(.invalidInput) {
            _ = try await env.asUser(boss) { tx, c in
                try RuleDirectory.add(.init(name: "x", recordType: .order, condition: "amount > 1", action: .approval, approverRole: "finance"),
                                      context: c, on: tx)
            }
        }
        await expectRulesError(.notFound) {
            _ = try await env.asUser(boss) { tx, c in
                try RuleDirectory.add(.init(name: "x", recordType: .order, condition: "amount > 1", action: .approval, approverRole: "nobody"),
                                      context: c, on: tx)
            }
        }
        await expectRulesError(.invalidInput) {
            _ = try await env.asUser(boss) { tx, c in
                try RuleDirectory.add(.init(name: "x", recordType: .order, condition: "amount > 1", action: .notify, webhookURL: "ftp://x"),
                                      context: c, on: tx)
            }
        }
        await expectRulesError(.invalidInput) {
            _ = try await env.asUser(boss) { tx, c in
                try RuleDirectory.add(.init(name: "Bad Name", recordType: .order, condition: "amount > 1", action: .exception), context: c, on: tx)
            }
        }

        let scope = try t.scope(run: 0, flows: [.orders])
        let preview = try await env.asUser(boss) { tx, context in
            try RuleDirectory.preview(try RuleDirectory.parseCondition("amount > 10000", for: .order), recordType: .order, scope: scope,
                                      limit: 2, context: context, on: tx)
        }
        #expect(preview.count == 3)
        #expect(preview.records.map(\.recordID) == Array([f.big, f.bigJD, f.lateOctober].sorted().prefix(2)))
        #expect(preview.records.first?.amount == 1_200_000)
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM recon_exceptions WHERE tenant_id = $1", [t.id]) == 0)

        try await env.asUser(boss) { tx, context in try RuleDirectory.remove(name: "big", context: context, on: tx) }
        await expectRulesError(.notFound) { try await env.asUser(boss) { tx, c in try RuleDirectory.remove(name: "big", context: c, on: tx) } }
    }
}
