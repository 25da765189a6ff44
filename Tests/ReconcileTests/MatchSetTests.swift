import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// The automatic one-to-one order matches that a run keeps as match sets (0009_match_sets.sql):
/// their ids, their records through the views, what a re-run and a store-scoped run replace,
/// and who sees them.
@Suite(.engineDatabase, .serialized)
struct MatchSetTests {
    static let period = EngineScenarioTests.period
    static let request = RunRequest(period: period, flows: [.orders], asOf: "2026-11-30")

    /// Two stores. Clean one-to-one orders (3001, 3002 in s1; 4001, 4002 in s2, 4002 with a sale
    /// 100 above its payment), a split payment (3003), a sale without a reference (3004, matched
    /// by amount and date) and an order nobody paid for on the platform (3005) with a sale of no
    /// known order (T9005), for a manual match.
    func scenario(_ slug: String) async throws -> EngineTenant {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant(slug, stores: [("s1", "taobao"), ("s2", "jd")])
        let r = EngineRecords(env: env, tenant: tenant)
        func order(_ store: String, _ number: String, day: Int, amount: Int64) async throws {
            try await r.order(store, number, status: "completed", created: "2026-10-0\(day) 10:00+08", paid: "2026-10-0\(day) 10:05+08",
                              completed: "2026-10-1\(day) 10:00+08", paidAmount: amount)
        }
        func sale(_ store: String, _ number: String, ref: String?, day: Int, amount: Int64) async throws {
            try await r.transaction(store, number, ref: ref, type: "sale", gross: amount, at: "2026-10-1\(day) 12:00+08")
        }
        try await order("s1", "3001", day: 1, amount: 10000)
        try await sale("s1", "T3001", ref: "3001", day: 1, amount: 10000)
        try await order("s1", "3002", day: 2, amount: 5000)
        try await sale("s1", "T3002", ref: "T200P3002", day: 2, amount: 5000)
        try await order("s1", "3003", day: 3, amount: 3000)
        try await sale("s1", "T3003a", ref: "3003", day: 3, amount: 1000)
        try await sale("s1", "T3003b", ref: "3003", day: 3, amount: 2000)
        try await order("s1", "3004", day: 4, amount: 4200)
        try await sale("s1", "T3004", ref: nil, day: 4, amount: 4200)
        try await order("s1", "3005", day: 5, amount: 700)
        try await sale("s1", "T9005", ref: "9005X", day: 5, amount: 650)
        try await order("s2", "4001", day: 6, amount: 8000)
        try await sale("s2", "T4001", ref: "4001", day: 6, amount: 8000)
        try await order("s2", "4002", day: 7, amount: 6000)
        try await sale("s2", "T4002", ref: "4002", day: 7, amount: 6100)
        return tenant
    }

    /// Order, transaction, left and right amount of every set element, through
    /// `recon_match_records`, with how many records each has.
    func setMatches(_ tenant: EngineTenant) async throws -> [[String?]] {
        try await EngineEnvironment.get().ownerRows("""
            SELECT o.order_no, t.transaction_no, l.amount::text, r.amount::text, st.code,
                   (SELECT count(*) FROM recon_match_records x WHERE x.tenant_id = s.tenant_id AND x.match_id = e.match_id)::text
            FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids) AS e (match_id)
            JOIN stores st ON st.tenant_id = s.tenant_id AND st.store_id = s.store_id
            JOIN recon_match_records l ON l.tenant_id = s.tenant_id AND l.match_id = e.match_id AND l.side = 'left'
            JOIN recon_match_records r ON r.tenant_id = s.tenant_id AND r.match_id = e.match_id AND r.side = 'right'
            JOIN orders o ON o.tenant_id = s.tenant_id AND o.order_id = l.record_id AND l.record_type = 'order'
            JOIN platform_transactions t ON t.tenant_id = s.tenant_id AND t.txn_id = r.record_id AND r.record_type = 'transaction'
            WHERE s.tenant_id = $1 ORDER BY 1
            """, [tenant.id])
    }

    static let expectedSetMatches: [[String?]] = [
        ["3001", "T3001", "10000", "10000", "s1", "2"], ["3002", "T3002", "5000", "5000", "s1", "2"],
        ["4001", "T4001", "8000", "8000", "s2", "2"], ["4002", "T4002", "6000", "6100", "s2", "2"],
    ]

    /// (store, run) of each set, by store.
    func sets(_ tenant: EngineTenant) async throws -> [[String?]] {
        try await EngineEnvironment.get().ownerRows("""
            SELECT st.code, s.run_id::text, s.set_id::text, cardinality(s.match_ids)::text
            FROM recon_match_sets s JOIN stores st ON st.tenant_id = s.tenant_id AND st.store_id = s.store_id
            WHERE s.tenant_id = $1 ORDER BY 1
            """, [tenant.id])
    }

    func addManualMatch(_ tenant: EngineTenant) async throws -> ManualMatcher.Match {
        try await EngineEnvironment.get().withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ManualMatcher.add(left: [try RecordRef(parsing: "order:3005")], right: [try RecordRef(parsing: "transaction:T9005")],
                                      reason: "paid in the shop", context: context, on: tx)
            }
        }
    }

    @Test("a run keeps its one-to-one order matches as sets: own ids from the match sequence, both records with their amounts")
    func storedAsSets() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("sets-a")
        let result = try await env.run(tenant, Self.request)
        #expect(result.matches["orders exact:order_no"] == 5)
        #expect(result.matches["orders amount+date"] == 1)
        // One set per store (and currency), nothing else of the kind on rows.
        let sets = try await sets(tenant)
        #expect(sets.map { [$0[0], $0[1], $0[3]] } == [["s1", String(result.runID), "2"], ["s2", String(result.runID), "2"]])
        #expect(try await setMatches(tenant) == Self.expectedSetMatches)
        let rows = try await env.ownerRows("""
            SELECT shape, rule, count(*)::text FROM recon_matches WHERE tenant_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
            """, [tenant.id])
        #expect(rows == [["one_to_many", "exact:order_no", "1"], ["one_to_one", "amount+date", "1"]])
        // Ids: unique across both tables and drawn from recon_matches' sequence.
        let ids = try await env.ownerRows("""
            SELECT count(*)::text, count(DISTINCT l.match_id)::text,
                   count(*) FILTER (WHERE EXISTS (SELECT FROM recon_matches m WHERE m.match_id = l.match_id)
                                    AND l.match_id IN (SELECT unnest(match_ids) FROM recon_match_sets))::text,
                   (max(l.match_id) <= pg_sequence_last_value(pg_get_serial_sequence('recon_matches', 'match_id')::regclass))::text
            FROM recon_match_list l WHERE l.tenant_id = $1
            """, [tenant.id])
        #expect(ids == [["6", "6", "0", "true"]])
        let list = try await env.ownerRows("""
            SELECT shape, rule, confidence::text, manual::text, (reason IS NULL)::text, count(*)::text
            FROM recon_match_list WHERE tenant_id = $1 AND match_id IN (SELECT unnest(match_ids) FROM recon_match_sets WHERE tenant_id = $1)
            GROUP BY 1, 2, 3, 4, 5
            """, [tenant.id])
        #expect(list == [["one_to_one", "exact:order_no", "1.00", "false", "true", "4"]])
    }

    @Test("a re-run replaces the sets and keeps manual matches; a store's run replaces only that store's sets")
    func rerunAndStoreScope() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("sets-b")
        let first = try await env.run(tenant, Self.request)
        let firstSets = try await sets(tenant)
        let firstIDs = try await env.ownerRows("""
            SELECT e::text FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids) e WHERE s.tenant_id = $1
            """, [tenant.id])
        let manual = try await addManualMatch(tenant)

        let second = try await env.run(tenant, Self.request)
        #expect(second.matches == first.matches)
        let secondSets = try await sets(tenant)
        #expect(secondSets.map { [$0[0], $0[1], $0[3]] } == [["s1", String(second.runID), "2"], ["s2", String(second.runID), "2"]])
        #expect(Set(secondSets.map { $0[2] }).isDisjoint(with: firstSets.map { $0[2] }))
        #expect(try await setMatches(tenant) == Self.expectedSetMatches)
        let left = try await env.ownerRows("""
            SELECT count(*)::text FROM recon_match_list WHERE tenant_id = $1 AND match_id = ANY ($2::bigint[])
            """, [tenant.id, firstIDs.compactMap { $0[0].flatMap(Int64.init) }])
        #expect(left == [["0"]], "the first run's set matches are gone")
        let runs = try await env.ownerRows("""
            SELECT manual::text, string_agg(DISTINCT coalesce(run_id::text, '-'), ','), count(*)::text
            FROM recon_match_list WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1
            """, [tenant.id])
        #expect(runs == [["false", String(second.runID), "6"], ["true", "-", "1"]])
        let kept = try await env.ownerRows("SELECT match_id::text FROM recon_match_list WHERE tenant_id = $1 AND manual", [tenant.id])
        #expect(kept == [[String(manual.matchID)]])

        // Store s1 alone: its set is replaced, s2's stays the second run's.
        let scoped = try await env.run(tenant, RunRequest(period: Self.period, flows: [.orders], store: "s1", asOf: "2026-11-30"))
        let thirdSets = try await sets(tenant)
        #expect(thirdSets.map { [$0[0], $0[1], $0[3]] } == [["s1", String(scoped.runID), "2"], ["s2", String(second.runID), "2"]])
        #expect(thirdSets[1][2] == secondSets[1][2])
        #expect(try await setMatches(tenant) == Self.expectedSetMatches)
        #expect(try await env.ownerRows("SELECT count(*)::text FROM recon_matches WHERE tenant_id = $1 AND manual", [tenant.id]) == [["1"]])
    }

    @Test("a user limited to one store sees only that store's set matches, and nobody without order.view_financial sees any")
    func rowLevelSecurity() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("sets-c")
        try await env.run(tenant, Self.request)
        let s1 = try #require(tenant.stores["s1"])
        var scoped = tenant.system
        scoped.allStores = false
        scoped.storeIDs = [s1]
        var basic = tenant.system
        basic.permissions = ["order.view_basic"]

        func seen(_ context: AccessContext) async throws -> Set<String> {
            let snapshot = context
            return Set(try await env.withApp { app in
                try await TenantScope(connection: app).with(snapshot) { tx, _ in
                    try tx.query("""
                        SELECT 'list ' || coalesce(store_id::text, '-') || ' ' || count(*) FROM recon_match_list
                        WHERE rule = 'exact:order_no' AND shape = 'one_to_one' GROUP BY store_id
                        UNION ALL
                        SELECT 'records ' || coalesce(store_id::text, '-') || ' ' || count(*) FROM recon_match_records
                        WHERE record_type = 'order' GROUP BY store_id
                        UNION ALL
                        SELECT 'sets ' || coalesce(store_id::text, '-') || ' ' || count(*) FROM recon_match_sets GROUP BY store_id
                        """).map { try $0.decode(String.self, at: 0) }
                }
            })
        }
        let s2 = try #require(tenant.stores["s2"])
        #expect(try await seen(tenant.system) == ["list \(s1) 2", "list \(s2) 2", "records \(s1) 4", "records \(s2) 2",
                                                  "sets \(s1) 1", "sets \(s2) 1"])
        #expect(try await seen(scoped) == ["list \(s1) 2", "records \(s1) 4", "sets \(s1) 1"])
        #expect(try await seen(basic).isEmpty)

        // The function that finds records by match id shows each user what the view shows them.
        let ids = try await env.ownerRows("SELECT match_id::text FROM recon_match_list WHERE tenant_id = $1", [tenant.id])
            .compactMap { $0[0].flatMap(Int64.init) }
        for context in [tenant.system, scoped, basic] {
            let snapshot = context
            let (viaView, viaFunction) = try await env.withApp { app in
                try await TenantScope(connection: app).with(snapshot) { tx, _ in
                    let columns = "match_id::text || ' ' || side || ' ' || record_type || ' ' || record_id || ' ' || amount"
                    let view = try tx.query("SELECT \(columns) FROM recon_match_records ORDER BY 1").map { try $0.decode(String.self, at: 0) }
                    let function = try tx.query("SELECT \(columns) FROM recon_match_records_of($1, $2::bigint[]) ORDER BY 1",
                                                [tenant.id, ids]).map { try $0.decode(String.self, at: 0) }
                    return (view, function)
                }
            }
            #expect(viaFunction == viaView)
        }

        // A store-scoped user cannot write sets of another store either.
        let attempt = scoped
        do {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(attempt) { tx, context in
                    _ = try tx.query("""
                        INSERT INTO recon_match_sets (tenant_id, run_id, period, flow, store_id, rule, anchor_type, counter_type, currency,
                                                      first_match_id, last_match_id, match_ids, anchor_ids, counter_ids, left_amounts,
                                                      right_amounts, created_by)
                        VALUES ($1, 1, '2026-10-01', 'orders', $2, 'exact:order_no', 'order', 'transaction', 'CNY',
                                1, 1, '{1}', '{1}', '{1}', '{1}', '{1}', 'x')
                        """, [try context.requireTenant(), s2])
                }
            }
            Issue.record("a user of store s1 wrote a match set of store s2")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42501", "refused by row-level security: \(error)")
        }
    }

    @Test("match list shows set matches with their ids and records, newest first; the summary counts them; they cannot be removed by hand")
    func readers() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await scenario("sets-d")
        let result = try await env.run(tenant, Self.request)
        func list(limit: Int, manualOnly: Bool = false) async throws -> [ManualMatcher.Match] {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    try ManualMatcher.list(period: Self.period, flow: .orders, manualOnly: manualOnly, limit: limit, context: context, on: tx)
                }
            }
        }
        let all = try await list(limit: 100)
        #expect(all.count == 6)
        #expect(all.map(\.matchID) == all.map(\.matchID).sorted(by: >))
        #expect(try await list(limit: 2).map(\.matchID) == Array(all.map(\.matchID).prefix(2)))
        #expect(try await list(limit: 100, manualOnly: true).isEmpty)
        let setIDs = try await env.ownerRows("""
            SELECT e::text FROM recon_match_sets s CROSS JOIN LATERAL unnest(s.match_ids) e WHERE s.tenant_id = $1
            """, [tenant.id]).compactMap { $0[0].flatMap(Int64.init) }
        let fromSets = all.filter { setIDs.contains($0.matchID) }
        #expect(fromSets.count == 4)
        for match in fromSets {
            #expect(match.shape == "one_to_one" && match.rule == "exact:order_no" && !match.manual && match.flow == .orders)
            #expect(match.left.count == 1 && match.left.first?.type == .order)
            #expect(match.right.count == 1 && match.right.first?.type == .transaction)
        }
        #expect(fromSets.map { "\($0.left[0].amount)/\($0.right[0].amount)" }.sorted() == ["10000/10000", "5000/5000", "6000/6100", "8000/8000"])
        // The split payment keeps its three records as allocations.
        let split = try #require(all.first { $0.shape == "one_to_many" })
        #expect(split.left.count == 1 && split.right.map(\.amount).sorted() == [1000, 2000])

        // Matched: 3001-3004 in s1 (3005 has no sale), 4001 in s2 (4002 is an amount mismatch).
        let summary = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconSummary.load(period: Self.period, store: nil, context: context, on: tx)
            }
        }
        let orders = summary.rows.filter { $0.flow == "orders" }.map { "\($0.store ?? "-") \($0.records) \($0.matched) \($0.exceptions)" }
        #expect(orders == ["s1 5 4 1", "s2 2 1 1"])

        // Records by id, from sets, rows and allocations alike, and nothing for an unknown id.
        let picked = [setIDs[0], setIDs[3], split.matchID, try #require(all.first { $0.rule == "amount+date" }).matchID, -1]
        let records = try await env.ownerRows("""
            SELECT match_id::text, side, record_type, amount::text FROM recon_match_records_of($1, $2::bigint[]) ORDER BY 1, 2, 4
            """, [tenant.id, picked])
        let expected = try await env.ownerRows("""
            SELECT match_id::text, side, record_type, amount::text FROM recon_match_records
            WHERE tenant_id = $1 AND match_id = ANY ($2::bigint[]) ORDER BY 1, 2, 4
            """, [tenant.id, picked])
        #expect(records.count == 9)
        #expect(records == expected)

        let automatic = try #require(setIDs.first)
        do {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    try ManualMatcher.remove(matchID: automatic, context: context, on: tx)
                }
            }
            Issue.record("an automatic match was removed by hand")
        } catch let error as ReconcileError {
            #expect(error.kind == .invalidInput)
            #expect(error.message.contains("made by a run"))
        }
        #expect(try await sets(tenant).count == 2)
        #expect(result.matches["orders exact:order_no"] == 5)
    }
}
