import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// One month of hand-made records with one case of every rule, so that each statement of the
/// engine is checked against an exact expectation: what must be found, and what must not.
@Suite(.engineDatabase, .serialized)
struct EngineScenarioTests {
    static let period = try! ReconPeriod(parsing: "2026-10")

    /// Builds the scenario once per tenant.
    func scenario(_ slug: String) async throws -> EngineTenant {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant(slug, stores: [("s1", "taobao")])
        let r = EngineRecords(env: env, tenant: tenant)
        // Orders flow.
        try await r.order("s1", "1001", status: "completed", created: "2026-10-03 10:00+08", paid: "2026-10-03 10:01+08",
                          shipped: "2026-10-04 09:00+08", completed: "2026-10-08 12:00+08", paidAmount: 10000, buyer: "b1")
        try await r.transaction("s1", "T1001", ref: "T200P1001", type: "sale", gross: 10000, at: "2026-10-08 12:00+08")
        try await r.transaction("s1", "F1001", ref: "T200P1001", type: "fee", gross: -60, at: "2026-10-08 12:00+08")
        try await r.order("s1", "1002", status: "completed", created: "2026-10-04 10:00+08", paid: "2026-10-04 10:00+08",
                          completed: "2026-10-09 10:00+08", paidAmount: 5000, buyer: "b2")
        try await r.order("s1", "1003", status: "shipped", created: "2026-10-02 10:00+08", paid: "2026-10-02 10:00+08",
                          shipped: "2026-10-02 18:00+08", paidAmount: 3000, buyer: "b3")
        try await r.order("s1", "1004", status: "shipped", created: "2026-10-30 10:00+08", paid: "2026-10-30 10:00+08",
                          shipped: "2026-11-20 18:00+08", paidAmount: 3000, buyer: "b4")
        try await r.order("s1", "1005", status: "pending_payment", created: "2026-10-05 10:00+08", waybill: "SF500",
                          paidAmount: 0, orderAmount: 2500, buyer: "b5")
        try await r.order("s1", "1006", status: "completed", created: "2026-10-06 10:00+08", paid: "2026-10-06 10:00+08",
                          completed: "2026-10-10 10:00+08", paidAmount: 8000, buyer: "b6")
        try await r.transaction("s1", "T1006", ref: "1006", type: "sale", gross: 7000, at: "2026-10-10 10:00+08")
        try await r.order("s1", "1007", status: "completed", created: "2026-10-07 10:00+08", paid: "2026-10-07 10:00+08",
                          completed: "2026-10-11 10:00+08", paidAmount: 10000, buyer: "b7")
        try await r.transaction("s1", "T1007", ref: "1007", type: "sale", gross: 10000, at: "2026-10-11 10:00+08")
        try await r.transaction("s1", "C1007", ref: "1007", type: "commission", gross: -1000, at: "2026-10-11 10:00+08")
        // The same buyer, goods and amount two minutes after 1001: a duplicate (paid and settled).
        try await r.order("s1", "1008", status: "completed", created: "2026-10-03 10:02+08", paid: "2026-10-03 10:03+08",
                          completed: "2026-10-08 12:00+08", paidAmount: 10000, buyer: "b1")
        try await r.transaction("s1", "T1008", ref: "1008", type: "sale", gross: 10000, at: "2026-10-08 12:00+08")
        // A sale for an order nobody has.
        try await r.transaction("s1", "T9999", ref: "9999", type: "sale", gross: 1234, at: "2026-10-12 10:00+08")
        // A sale without a reference, the only one fitting order 1010: matched by amount and date.
        try await r.order("s1", "1010", status: "completed", created: "2026-10-10 10:00+08", paid: "2026-10-10 10:00+08",
                          completed: "2026-10-15 10:00+08", paidAmount: 4200, buyer: "b10")
        try await r.transaction("s1", "T1010", ref: nil, type: "sale", gross: 4200, at: "2026-10-15 10:00+08")
        // A split payment: two sales for one order.
        try await r.order("s1", "1012", status: "completed", created: "2026-10-12 10:00+08", paid: "2026-10-12 10:00+08",
                          completed: "2026-10-16 10:00+08", paidAmount: 6000, buyer: "b12")
        try await r.transaction("s1", "T1012a", ref: "1012", type: "sale", gross: 4000, at: "2026-10-16 10:00+08")
        try await r.transaction("s1", "T1012b", ref: "1012", type: "sale", gross: 2000, at: "2026-10-16 10:00+08")

        // Returns flow: a refund after shipping without the goods back; a refund with a received return.
        try await r.order("s1", "1011", status: "completed", created: "2026-10-11 10:00+08", paid: "2026-10-11 10:00+08",
                          shipped: "2026-10-11 18:00+08", completed: "2026-10-14 10:00+08", paidAmount: 2000, buyer: "b11")
        try await r.transaction("s1", "T1011", ref: "1011", type: "sale", gross: 2000, at: "2026-10-14 10:00+08")
        try await r.transaction("s1", "R1011", ref: "1011", type: "refund", gross: -2000, at: "2026-10-16 10:00+08")
        try await r.order("s1", "1013", status: "completed", created: "2026-10-13 10:00+08", paid: "2026-10-13 10:00+08",
                          shipped: "2026-10-13 18:00+08", completed: "2026-10-15 10:00+08", paidAmount: 3000, buyer: "b13")
        try await r.transaction("s1", "T1013", ref: "1013", type: "sale", gross: 3000, at: "2026-10-15 10:00+08")
        try await r.transaction("s1", "R1013", ref: "1013", type: "refund", gross: -1000, at: "2026-10-20 10:00+08")
        try await r.returnRecord("s1", "RT1013", order: "1013", waybill: "SFR1013", refund: 1000, received: true,
                                 created: "2026-10-17 10:00+08")
        try await r.returnRecord("s1", "RT1014", order: "1001", waybill: "SFR1014", refund: 0, received: false,
                                 created: "2026-10-05 10:00+08")
        try await r.rateCard(courier: "SF", zone: "华东", firstFee: 1200, extraPerKg: 200)
        try await r.courierLine("s1", waybill: "SFR1013", zone: "华东", grams: 900, amountDue: 1200, date: "2026-10-18")
        try await r.courierLine("s1", waybill: "SF777", zone: "华东", grams: 2500, amountDue: 1800, date: "2026-10-18")
        try await r.courierLine("s1", waybill: "SF778", zone: "华东", grams: 2500, amountDue: 1600, date: "2026-10-18")

        // Collections: by reference; by amount and date; two payouts in one credit; one payout in two credits; missing; unexplained.
        try await r.payout("s1", "PAY000001", amount: 100000, date: "2026-10-10")
        try await r.bankLine("B1", amount: 100000, date: "2026-10-11", reference: "ALIPAY PAY000001", counterparty: "Alipay")
        try await r.payout("s1", "PAY000002", amount: 50000, date: "2026-10-12")
        try await r.bankLine("B2", amount: 50000, date: "2026-10-13", counterparty: "Alipay")
        try await r.payout("s1", "PAY000003", amount: 20000, date: "2026-10-15")
        try await r.payout("s1", "PAY000004", amount: 50001, date: "2026-10-15")
        try await r.bankLine("B3", amount: 70001, date: "2026-10-16", counterparty: "Alipay")
        try await r.payout("s1", "PAY000005", amount: 80000, date: "2026-10-20")
        try await r.bankLine("B4a", amount: 30000, date: "2026-10-21", counterparty: "Alipay")
        try await r.bankLine("B4b", amount: 50000, date: "2026-10-21", counterparty: "Alipay")
        try await r.payout("s1", "PAY000006", amount: 90000, date: "2026-10-22")
        try await r.bankLine("B5", amount: 12345, date: "2026-10-25", reference: "GIFT-77", counterparty: "Someone")
        try await r.bankLine("B6", amount: -5000, date: "2026-10-26", reference: "RENT", counterparty: "Landlord")
        return tenant
    }

    static let expected = [
        "amount_mismatch 1006", "courier_overcharge SF777", "duplicate_order 1008", "fee_anomaly 1007",
        "missing_on_platform 1002", "overdue_receivable 1003", "payout_not_in_bank PAY000006",
        "refund_without_return 1011", "return_not_received RT1014", "transaction_without_order T9999",
        "unexplained_bank_credit GIFT-77", "unpaid 1005",
    ]

    @Test("every rule finds its case and nothing else")
    func findsExactly() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-a")
        let result = try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        #expect(try await env.exceptions(tenant) == Self.expected)
        #expect(result.exceptionsFound == Self.expected.count)
        #expect(result.exceptionsNew == Self.expected.count)
        #expect(result.matches["orders exact:order_no"] == 7)
        #expect(result.matches["orders amount+date"] == 1)
        #expect(result.matches["collections exact:reference"] == 1)
        #expect(result.matches["collections amount+date"] == 1)
        #expect(result.matches["collections sum:day"] == 1)
        #expect(result.matches["collections split:day"] == 1)
        #expect(result.matches["returns exact:waybill"] == 1)
        // The split payment is one match with two sales; the loose one has the lower confidence.
        let shapes = try await env.ownerRows("""
            SELECT m.shape, m.confidence::text, count(*)::text FROM recon_match_list m JOIN recon_match_records a USING (tenant_id, match_id)
            WHERE m.tenant_id = $1 AND a.side = 'right' AND a.record_id IN (SELECT txn_id FROM platform_transactions
                                                                             WHERE tenant_id = $1 AND transaction_no IN ('T1012a', 'T1012b', 'T1010'))
            GROUP BY 1, 2 ORDER BY 1
            """, [tenant.id])
        #expect(shapes == [["one_to_many", "1.00", "2"], ["one_to_one", "0.80", "1"]])
        // Every match has records on both sides, whether kept in a match set, on the match row or
        // as allocations; the one-to-one order matches in one currency (1001, 1006, 1007, 1008)
        // are elements of a set, the loose one keeps its records on its row.
        let sides = try await env.ownerRows("""
            SELECT count(*)::text, count(*) FILTER (WHERE l.n = 0 OR r.n = 0)::text,
                   (SELECT count(*) FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids) e WHERE s.tenant_id = $1)::text,
                   (SELECT count(*) FROM recon_matches m WHERE m.tenant_id = $1 AND m.flow = 'orders' AND m.shape = 'one_to_one'
                    AND (m.rule = 'exact:order_no' OR m.counter_id IS NULL))::text
            FROM recon_match_list m
            CROSS JOIN LATERAL (SELECT count(*) AS n FROM recon_match_records x WHERE x.tenant_id = m.tenant_id
                                AND x.match_id = m.match_id AND x.side = 'left') l
            CROSS JOIN LATERAL (SELECT count(*) AS n FROM recon_match_records x WHERE x.tenant_id = m.tenant_id
                                AND x.match_id = m.match_id AND x.side = 'right') r
            WHERE m.tenant_id = $1
            """, [tenant.id])
        #expect(sides == [[String(result.matches.values.reduce(0, +)), "0", "4", "0"]])
    }

    @Test("what is overdue depends on the as-of date")
    func asOfMatters() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-b")
        let aged = ["overdue_receivable 1003", "payout_not_in_bank PAY000006", "return_not_received RT1014"]
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-10-12"))
        let early = try await env.exceptions(tenant)
        for item in aged { #expect(!early.contains(item), "\(item) as of 2026-10-12") }
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        let late = try await env.exceptions(tenant)
        for item in aged { #expect(late.contains(item), "\(item) as of 2026-11-30") }
    }

    @Test("a re-run replaces automatic results and keeps the work done on exceptions")
    func rerun() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-c")
        let first = try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        // Someone starts working on one exception.
        try await env.owner("""
            UPDATE recon_exceptions SET status = 'in_review' WHERE tenant_id = $1 AND type = 'missing_on_platform'
            """, [tenant.id])
        let second = try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        #expect(second.exceptionsNew == 0)
        #expect(second.exceptionsFound == first.exceptionsFound)
        #expect(try await env.exceptions(tenant) == Self.expected)
        let matches = try await env.ownerRows("SELECT count(*)::text, count(DISTINCT run_id)::text FROM recon_match_list WHERE tenant_id = $1",
                                              [tenant.id])
        #expect(matches == [[String(first.matches.values.reduce(0, +)), "1"]])
        let status = try await env.ownerRows("SELECT status FROM recon_exceptions WHERE tenant_id = $1 AND type = 'missing_on_platform'",
                                             [tenant.id])
        #expect(status == [["in_review"]])
        let found = try await env.ownerRows("""
            SELECT count(*)::text FROM recon_exception_events WHERE tenant_id = $1 AND action = 'found'
            """, [tenant.id])
        #expect(found == [[String(Self.expected.count)]])
        // The sale turns up: the exception someone worked on is resolved with a note, not deleted.
        try await EngineRecords(env: env, tenant: tenant).transaction("s1", "T1002", ref: "1002", type: "sale", gross: 5000,
                                                                      at: "2026-10-09 10:00+08")
        let third = try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        #expect(third.exceptionsCleared == 1)
        let cleared = try await env.ownerRows("""
            SELECT status, resolution FROM recon_exceptions WHERE tenant_id = $1 AND type = 'missing_on_platform'
            """, [tenant.id])
        #expect(cleared.first?[0] == "resolved")
        #expect(cleared.first?[1]?.hasPrefix("no longer found") == true)
    }

    @Test("a run for one flow leaves the other flows' results alone")
    func oneFlow() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-d")
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        let result = try await env.run(tenant, RunRequest(period: Self.period, flows: [.collections], asOf: "2026-11-30"))
        #expect(result.exceptionsFound == 2)
        #expect(try await env.exceptions(tenant) == Self.expected)
        let flows = try await env.ownerRows("""
            SELECT flow, count(DISTINCT run_id)::text FROM recon_match_list WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1
            """, [tenant.id])
        #expect(flows == [["collections", "1"], ["orders", "1"], ["returns", "1"]])
    }

    @Test("a closed period refuses runs and changes to its records")
    func closedPeriod() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-e")
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        _ = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try PeriodLock.close(Self.period, context: context, on: tx)
            }
        }
        await #expect(throws: ReconcileError.self) { try await env.run(tenant, RunRequest(period: Self.period)) }
        do {
            try await EngineRecords(env: env, tenant: tenant).transaction("s1", "LATE", ref: "1002", type: "sale", gross: 5000,
                                                                          at: "2026-10-09 10:00+08")
            Issue.record("a record dated in a closed period was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == ReconcileError.periodClosedSQLState)
        }
        // The next month is open.
        try await EngineRecords(env: env, tenant: tenant).transaction("s1", "NOV", ref: nil, type: "sale", gross: 100,
                                                                      at: "2026-11-09 10:00+08")
    }

    @Test("a user without recon.run cannot run, and sees the summary only with order.view_financial")
    func permissions() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("scene-f")
        var sales = AccessContext.system(tenantID: tenant.id, tenantSlug: tenant.slug, name: "sales")
        sales.permissions = ["order.view_basic"]
        let context = sales
        await #expect(throws: TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(context) { tx, context in
                    try ReconRunner.run(RunRequest(period: Self.period), context: context, on: tx)
                }
            }
        }
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        let summary = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconSummary.load(period: Self.period, store: nil, context: context, on: tx)
            }
        }
        let orders = summary.rows.filter { $0.flow == "orders" }
        #expect(orders.map(\.records).reduce(0, +) == 11)
        #expect(orders.map(\.exceptions).reduce(0, +) == 6)
        #expect(summary.exceptions.map(\.count).reduce(0, +) == Self.expected.count)
        await #expect(throws: TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(context) { tx, context in
                    try ReconSummary.load(period: Self.period, store: nil, context: context, on: tx)
                }
            }
        }
    }
}

@Suite(.engineDatabase, .serialized)
struct ManualMatchTests {
    @Test("a manual match answers exceptions, survives re-runs, and its removal reopens them")
    func manualMatch() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await EngineScenarioTests().scenario("manual-a")
        let request = RunRequest(period: EngineScenarioTests.period, asOf: "2026-11-30")
        try await env.run(tenant, request)
        let match = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ManualMatcher.add(left: [try RecordRef(parsing: "order:1002")], right: [try RecordRef(parsing: "transaction:T9999")],
                                      reason: "paid by bank transfer", context: context, on: tx)
            }
        }
        #expect(match.flow == .orders)
        #expect(match.exceptionsResolved == 2)
        #expect(match.period == "2026-10")
        let rerun = try await env.run(tenant, request)
        #expect(rerun.exceptionsFound == EngineScenarioTests.expected.count - 2)
        let statuses = try await env.ownerRows("""
            SELECT type, status FROM recon_exceptions WHERE tenant_id = $1 AND type IN ('missing_on_platform', 'transaction_without_order')
            ORDER BY type
            """, [tenant.id])
        #expect(statuses == [["missing_on_platform", "resolved"], ["transaction_without_order", "resolved"]])
        let manual = try await env.ownerRows("SELECT count(*)::text FROM recon_matches WHERE tenant_id = $1 AND manual", [tenant.id])
        #expect(manual == [["1"]])
        let audited = try await env.ownerRows("SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'recon_matches.%'",
                                              [tenant.id])
        #expect(audited == [["recon_matches.insert"]])

        try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ManualMatcher.remove(matchID: match.matchID, context: context, on: tx)
            }
        }
        try await env.run(tenant, request)
        let reopened = try await env.ownerRows("""
            SELECT status FROM recon_exceptions WHERE tenant_id = $1 AND type IN ('missing_on_platform', 'transaction_without_order')
            """, [tenant.id])
        #expect(reopened == [["open"], ["open"]])
    }

    @Test("matching needs match.manual, one currency, and records on both sides")
    func refusals() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await EngineScenarioTests().scenario("manual-b")
        var finance = tenant.system
        finance.permissions.remove("match.manual")
        let noMatching = finance
        await #expect(throws: TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(noMatching) { tx, context in
                    try ManualMatcher.add(left: [try RecordRef(parsing: "order:1002")], right: [try RecordRef(parsing: "transaction:T9999")],
                                          reason: "x", context: context, on: tx)
                }
            }
        }
        for (left, right) in [("order:1002", "payout:PAY000001"), ("order:nope", "transaction:T9999")] {
            await #expect(throws: ReconcileError.self) {
                try await env.withApp { app in
                    try await TenantScope(connection: app).with(tenant.system) { tx, context in
                        try ManualMatcher.add(left: [try RecordRef(parsing: left)], right: [try RecordRef(parsing: right)],
                                              reason: "x", context: context, on: tx)
                    }
                }
            }
        }
        #expect(throws: ReconcileError.self) { try RecordRef(parsing: "invoice:1") }
        #expect(try RecordRef(parsing: "bank_line#12") == RecordRef(type: .bankLine, key: .id(12)))
    }
}

@Suite(.engineDatabase, .serialized)
struct StoreScopedRunTests {
    @Test("a user limited to some stores reconciles one of them, without collections")
    func storeScoped() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant("scoped-a", stores: [("s1", "taobao"), ("s2", "jd")])
        var scoped = tenant.system
        scoped.allStores = false
        scoped.storeIDs = [try #require(tenant.stores["s1"])]
        let context = scoped
        func run(_ request: RunRequest) async throws -> RunResult {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(context) { tx, context in try ReconRunner.run(request, context: context, on: tx) }
            }
        }
        let period = EngineScenarioTests.period
        for request in [RunRequest(period: period), RunRequest(period: period, store: "s2", asOf: "2026-11-30"),
                        RunRequest(period: period, store: "s1", asOf: "2026-11-30")] {
            // Refused by the engine, or (another store) not even found in the user's scope.
            await #expect(throws: (any Error).self) { try await run(request) }
        }
        await #expect(throws: ReconcileError.self) { try await run(RunRequest(period: period)) }
        let result = try await run(RunRequest(period: period, flows: [.orders, .returns], store: "s1", asOf: "2026-11-30"))
        #expect(result.store == "s1")
    }
}
