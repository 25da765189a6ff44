import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// The matching keys of 0006_match_keys.sql: the buyer for sales matched without a reference
/// (`loose_match_buyer`) and the SKU and quantity of returned goods against refunds
/// (`refund_goods_check`), each run with the setting off and on over the same records.
@Suite(.engineDatabase, .serialized)
struct MatchKeysTests {
    static let period = EngineScenarioTests.period

    /// A day of the month with two digits.
    func dd(_ day: Int) -> String { day < 10 ? "0\(day)" : String(day) }

    static func set(_ tenant: EngineTenant, _ changes: [ReconSettings.Change]) async throws {
        let env = try EngineEnvironment.get()
        _ = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconSettings.update(changes, context: context, on: tx)
            }
        }
    }

    /// Sales without an order reference and paid orders that fit them by amount and date, with
    /// buyers that agree, disagree or are missing. Every case has an amount of its own.
    func buyerScenario(_ slug: String) async throws -> EngineTenant {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant(slug, stores: [("s1", "taobao")])
        let r = EngineRecords(env: env, tenant: tenant)
        func order(_ number: String, day: Int, amount: Int64, buyer: String?, account: String?) async throws {
            try await r.order("s1", number, status: "completed", created: "2026-10-\(dd(day)) 10:00+08", paid: "2026-10-\(dd(day)) 10:05+08",
                              shipped: "2026-10-\(dd(day)) 18:00+08", completed: "2026-10-\(dd(day + 3)) 10:00+08", paidAmount: amount,
                              buyer: buyer, buyerAccount: account)
        }
        func sale(_ number: String, day: Int, amount: Int64, payer: String?) async throws {
            try await r.transaction("s1", number, ref: nil, type: "sale", gross: amount, at: "2026-10-\(dd(day)) 12:00+08", counterparty: payer)
        }
        // Two orders fit the sale; the payer is the first order's (masked) Alipay account.
        try await order("2001", day: 10, amount: 5000, buyer: "tb_alice", account: "138****1234")
        try await order("2002", day: 11, amount: 5000, buyer: "tb_bob", account: "bob***@163.com")
        try await sale("TK", day: 14, amount: 5000, payer: " 138****1234\t")
        // The only candidate, paid by someone else.
        try await order("2003", day: 12, amount: 4200, buyer: "tb_zhang", account: "zhang***@qq.com")
        try await sale("TM", day: 15, amount: 4200, payer: "li***@163.com")
        // An order without buyer data: the pair qualifies on amount and date alone.
        try await order("2004", day: 13, amount: 3100, buyer: nil, account: nil)
        try await sale("TN", day: 16, amount: 3100, payer: "138****0000")
        // One order, two sales: the one whose payer is the buyer wins; the other has no payer.
        try await order("2005", day: 14, amount: 2700, buyer: "tb_pan", account: "pan***@qq.com")
        try await sale("TP1", day: 17, amount: 2700, payer: "PAN***@QQ.COM")
        try await sale("TP2", day: 17, amount: 2700, payer: nil)
        // The same buyer's two orders of one amount: the buyer cannot tell them apart.
        try await order("2006", day: 3, amount: 6600, buyer: "tb_qin", account: "qin***@qq.com")
        try await order("2007", day: 5, amount: 6600, buyer: "tb_qin", account: "qin***@qq.com")
        try await sale("TQ", day: 7, amount: 6600, payer: "qin***@qq.com")
        return tenant
    }

    /// (rule, confidence, order, transaction) of the loose matches.
    func looseMatches(_ tenant: EngineTenant) async throws -> [[String?]] {
        try await EngineEnvironment.get().ownerRows("""
            SELECT m.rule, m.confidence::text, o.order_no, t.transaction_no
            FROM recon_match_list m
            JOIN recon_match_records l ON l.tenant_id = m.tenant_id AND l.match_id = m.match_id AND l.side = 'left'
            JOIN recon_match_records r ON r.tenant_id = m.tenant_id AND r.match_id = m.match_id AND r.side = 'right'
            JOIN orders o ON o.tenant_id = m.tenant_id AND o.order_id = l.record_id AND l.record_type = 'order'
            JOIN platform_transactions t ON t.tenant_id = m.tenant_id AND t.txn_id = r.record_id AND r.record_type = 'transaction'
            WHERE m.tenant_id = $1 AND m.flow = 'orders' AND m.rule LIKE 'amount+date%' ORDER BY o.order_no
            """, [tenant.id])
    }

    @Test("without the buyer rule, ambiguous sales stay unmatched and a stranger's payment matches")
    func buyerRuleOff() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await buyerScenario("keys-off")
        let result = try await env.run(tenant, RunRequest(period: Self.period, flows: [.orders], asOf: "2026-11-30"))
        #expect(try await env.exceptions(tenant) == [
            "missing_on_platform 2001", "missing_on_platform 2002", "missing_on_platform 2005", "missing_on_platform 2006",
            "missing_on_platform 2007", "transaction_without_order TK", "transaction_without_order TP1",
            "transaction_without_order TP2", "transaction_without_order TQ",
        ])
        #expect(try await looseMatches(tenant) == [["amount+date", "0.80", "2003", "TM"], ["amount+date", "0.80", "2004", "TN"]])
        #expect(result.matches["orders amount+date"] == 2)
        #expect(result.matches["orders amount+date+buyer"] == nil)
    }

    @Test("with the buyer rule, the buyer breaks ties and a disagreeing buyer prevents the match")
    func buyerRuleOn() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await buyerScenario("keys-on")
        try await Self.set(tenant, [.looseMatchBuyer(true)])
        let result = try await env.run(tenant, RunRequest(period: Self.period, flows: [.orders], asOf: "2026-11-30"))
        #expect(try await env.exceptions(tenant) == [
            "missing_on_platform 2002", "missing_on_platform 2003", "missing_on_platform 2006", "missing_on_platform 2007",
            "transaction_without_order TM", "transaction_without_order TP2", "transaction_without_order TQ",
        ])
        #expect(try await looseMatches(tenant) == [
            ["amount+date+buyer", "0.90", "2001", "TK"], ["amount+date", "0.80", "2004", "TN"], ["amount+date+buyer", "0.90", "2005", "TP1"],
        ])
        #expect(result.matches["orders amount+date"] == 1)
        #expect(result.matches["orders amount+date+buyer"] == 2)
        // The exceptions of the pair the buyer kept apart name each other.
        let details = try await env.ownerRows("""
            SELECT reference, detail ->> 'buyer_mismatch' FROM recon_exceptions
            WHERE tenant_id = $1 AND detail ? 'buyer_mismatch' ORDER BY reference
            """, [tenant.id])
        #expect(details == [["2002", "[\"TK\"]"], ["2003", "[\"TM\"]"], ["TM", "[\"2003\"]"]])

        // Off again: the same records match as before the rule.
        try await Self.set(tenant, [.looseMatchBuyer(false)])
        try await env.run(tenant, RunRequest(period: Self.period, flows: [.orders], asOf: "2026-11-30"))
        #expect(try await looseMatches(tenant) == [["amount+date", "0.80", "2003", "TM"], ["amount+date", "0.80", "2004", "TN"]])
    }

    @Test("buyers compare trimmed and case-folded; masked accounts by their visible characters", arguments: [
        // payer, buyer id, buyer account, verdict
        ("138****1234", "tb_alice", "138****1234", "t"),
        (" 138****1234 ", nil, "13800001234", "t"),        // trimmed
        ("138****1234", nil, "13900001234", "f"),          // the start differs
        ("13800001234", nil, "138****1234", "t"),          // plain against masked
        ("138****1234", nil, "1381234", "f"),              // nothing left to hide
        ("139****1234", nil, "138****1234", "f"),
        ("abc***@163.com", nil, "a***@163.com", "t"),      // masked twice, differently
        ("abc***@163.com", nil, "abd***@163.com", "f"),
        ("Zhang***@QQ.com", nil, "zhang***@qq.com", "t"),
        ("oAbC-123_xyz", "oabc-123_xyz", nil, "t"),        // WeChat openid against the mini-program's user id
        ("oAbC-123_xyz", "oAbC-123_xyy", nil, "f"),
        ("zhang＊＊＊@qq.com", nil, "zhang***@qq.com", "t"),  // full-width stars
        ("someone@qq.com", "tb_someone", "s***@qq.com", "t"),  // either of the order's identifiers
        ("someone@qq.com", "tb_someone", "x***@qq.com", "f"),
        ("", "tb_alice", "138****1234", "-"),              // no payer
        ("***", "tb_alice", nil, "-"),                     // nothing visible is no payer
        ("-", "tb_alice", nil, "-"),
        ("138****1234", nil, nil, "-"),                    // no buyer
        ("138****1234", " ", "", "-"),
    ] as [(String, String?, String?, String)])
    func buyerComparison(payer: String, buyerID: String?, account: String?, verdict: String) async throws {
        let rows = try await EngineEnvironment.get().ownerRows("SELECT coalesce(recon_buyer_agrees($1, $2, $3)::text, '-')",
                                                               [payer, buyerID, account])
        #expect(rows == [[verdict == "t" ? "true" : verdict == "f" ? "false" : "-"]], "\(payer) / \(buyerID ?? "nil") / \(account ?? "nil")")
    }

    /// Orders refunded after shipping with goods received back, each with its sale and refund.
    func goodsScenario(_ slug: String) async throws -> EngineTenant {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant(slug, stores: [("s1", "taobao")])
        let r = EngineRecords(env: env, tenant: tenant)
        var day = 2
        func order(_ number: String, paid: Int64, sku: String?, quantity: Int, lineAmount: Int64?, shipping: Int64 = 0,
                   refund: Int64, returned: [(sku: String?, quantity: Int?)]) async throws {
            day += 1
            try await r.order("s1", number, status: "completed", created: "2026-10-\(dd(day)) 10:00+08", paid: "2026-10-\(dd(day)) 10:05+08",
                              shipped: "2026-10-\(dd(day)) 18:00+08", completed: "2026-10-\(dd(day + 2)) 10:00+08", paidAmount: paid,
                              buyer: "b\(number)", sku: sku, quantity: quantity, lineAmount: lineAmount, shipping: shipping)
            try await r.transaction("s1", "T" + number, ref: number, type: "sale", gross: paid, at: "2026-10-\(dd(day + 2)) 10:00+08")
            try await r.transaction("s1", "R" + number, ref: number, type: "refund", gross: -refund, at: "2026-10-\(dd(day + 6)) 10:00+08")
            for (i, item) in returned.enumerated() {
                try await r.returnRecord("s1", "RT\(number)-\(i)", order: number, waybill: nil, refund: 0, received: true,
                                         created: "2026-10-\(dd(day + 4)) 10:00+08", sku: item.sku, quantity: item.quantity)
            }
        }
        // One of two units back, one unit refunded (SKUs compared trimmed and case-folded).
        try await order("3001", paid: 10000, sku: "A-1", quantity: 2, lineAmount: 10000, refund: 5000, returned: [(" a-1", 1)])
        // One of two units back, both refunded.
        try await order("3002", paid: 10000, sku: "A-1", quantity: 2, lineAmount: 10000, refund: 10000, returned: [("A-1", 1)])
        // Goods back that the order did not sell: only the shipping is covered.
        try await order("3003", paid: 5800, sku: "A-1", quantity: 1, lineAmount: 5000, shipping: 800, refund: 5000,
                        returned: [("B-9", 1)])
        // A return without a SKU cannot be judged.
        try await order("3004", paid: 10000, sku: "A-1", quantity: 2, lineAmount: 10000, refund: 10000, returned: [(nil, 1)])
        // A Taobao export: one line without SKU, which stands for the SKU returned; refund with shipping.
        try await order("3005", paid: 10000, sku: nil, quantity: 3, lineAmount: 9000, shipping: 1000, refund: 10000,
                        returned: [("X-7", 2), ("X-7", 1)])
        // Two lines; three units of B back, but only two were sold (unit price 2000, no line amount).
        try await order("3006", paid: 7000, sku: "A-1", quantity: 1, lineAmount: 3000, refund: 5000, returned: [("B-2", 3)])
        try await r.orderLine("s1", "3006", line: 2, sku: "B-2", quantity: 2, unitPrice: 2000)
        // All goods back, refunded in full with the shipping.
        try await order("3007", paid: 6500, sku: "C-3", quantity: 1, lineAmount: 6000, shipping: 500, refund: 6500,
                        returned: [("C-3", 1)])
        return tenant
    }

    @Test("the goods check: refunds beyond the goods received back, by SKU and quantity")
    func refundGoodsCheck() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await goodsScenario("goods-a")
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        // Off: a received return answers any refund.
        #expect(try await env.exceptions(tenant) == [])

        try await Self.set(tenant, [.refundGoodsCheck(true)])
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        let found = try await env.ownerRows("""
            SELECT type, reference, expected::text, actual::text, difference::text, detail ->> 'check', detail ->> 'goods_back',
                   detail -> 'goods' ->> 0
            FROM recon_exceptions WHERE tenant_id = $1 ORDER BY reference
            """, [tenant.id])
        #expect(found == [
            ["refund_without_return", "3002", "5000", "10000", "5000", "goods", "5000", #"{"sku": "A-1", "ordered": 2, "returned": 1}"#],
            ["refund_without_return", "3003", "800", "5000", "4200", "goods", "0", #"{"sku": "B-9", "ordered": 0, "returned": 1}"#],
            ["refund_without_return", "3006", "4000", "5000", "1000", "goods", "4000", #"{"sku": "B-2", "ordered": 2, "returned": 3}"#],
        ])

        // Within the amount tolerance the difference is accepted.
        try await Self.set(tenant, [.amountTolerance(1000)])
        try await env.run(tenant, RunRequest(period: Self.period, asOf: "2026-11-30"))
        #expect(try await env.exceptions(tenant) == ["refund_without_return 3002", "refund_without_return 3003"])
    }

    @Test("settings round trip: defaults, changes, and other settings untouched")
    func settingsRoundTrip() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant("keys-settings", stores: [("s1", "taobao")])
        func load(_ context: AccessContext) async throws -> ReconSettings {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(context) { tx, context in try ReconSettings.load(context: context, on: tx) }
            }
        }
        let defaults = try await load(tenant.system)
        #expect(!defaults.looseMatchBuyer && !defaults.refundGoodsCheck)
        try await Self.set(tenant, [.looseMatchBuyer(true), .refundGoodsCheck(true), .settlementLagDays(9)])
        let changed = try await load(tenant.system)
        #expect(changed.looseMatchBuyer && changed.refundGoodsCheck && changed.settlementLagDays == 9)
        #expect(changed.amountTolerance == defaults.amountTolerance && changed.feeRates == defaults.feeRates)
        let json = String(decoding: try JSONEncoder().encode(changed), as: UTF8.self)
        #expect(json.contains("\"loose_match_buyer\":true") && json.contains("\"refund_goods_check\":true"))
        try await Self.set(tenant, [.refundGoodsCheck(false)])
        let again = try await load(tenant.system)
        #expect(again.looseMatchBuyer && !again.refundGoodsCheck && again.settlementLagDays == 9)
        // Changing needs settings.manage.
        var clerk = tenant.system
        clerk.permissions.remove("settings.manage")
        let noManage = clerk
        await #expect(throws: TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(noManage) { tx, context in
                    try ReconSettings.update([.looseMatchBuyer(false)], context: context, on: tx)
                }
            }
        }
        #expect(try await load(tenant.system).looseMatchBuyer)
    }
}
