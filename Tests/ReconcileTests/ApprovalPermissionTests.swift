import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

@Suite("approvals: who may decide", .rulesDatabase, .serialized)
struct ApprovalPermissionTests {
    struct Fixture: Sendable {
        var tenant: RulesTenant
        /// approval ids by order number, for the rule needing finance_manager
        var managerApprovals: [String: Int64]
        /// approval ids by order number, for the rule needing owner
        var ownerApprovals: [String: Int64]
    }

    static func fixture() async throws -> Fixture {
        let env = try RulesEnvironment.get()
        let t = try await env.createTenant("appr-perm")
        for (store, no, amount) in [("tmall-1", "T-1", 1_500_000), ("tmall-1", "T-2", 2_500_000), ("jd-1", "J-1", 3_000_000),
                                    ("tmall-1", "T-3", 1_100_000)] as [(String, String, Int64)] {
            try await env.insertOrder(t, store: store, no: no, createdAt: rulesShanghai(2026, 10, 10), paid: amount)
        }
        try await env.asContext(t.system) { tx, context in
            _ = try RuleDirectory.add(.init(name: "big", recordType: .order, condition: "amount > 10000 and amount < 30000",
                                            action: .approval, approverRole: "finance_manager"), context: context, on: tx)
            _ = try RuleDirectory.add(.init(name: "huge", recordType: .order, condition: "amount >= 30000", action: .approval,
                                            approverRole: "owner"), context: context, on: tx)
            try RuleEngine.apply(scope: try t.scope(run: 1), context: context, on: tx)
        }
        try await env.addUsers(t, [("fin", ["finance"], []), ("mgr", ["finance_manager"], []), ("boss", ["owner"], []),
                                   ("viagroup", [], ["managers"]), ("jdmgr", [], ["jd-managers"])],
                               groups: [("managers", ["finance_manager"], []), ("jd-managers", ["finance_manager"], ["jd-1"])])
        let rows = try await env.ownerRows("""
            SELECT a.approval_id::text AS id, a.reference, r.name FROM recon_approvals a JOIN recon_rules r USING (tenant_id, rule_id)
            WHERE a.tenant_id = $1
            """, [t.id])
        var manager: [String: Int64] = [:]
        var owner: [String: Int64] = [:]
        for row in rows {
            let id = Int64(row["id"]!!)!
            if row["name"] == "big" { manager[row["reference"]!!] = id } else { owner[row["reference"]!!] = id }
        }
        return Fixture(tenant: t, managerApprovals: manager, ownerApprovals: owner)
    }

    @Test("finance cannot approve, finance_manager can; the rule's role is enforced; decisions are audited")
    func decide() async throws {
        let env = try RulesEnvironment.get()
        let f = try await Self.fixture()
        #expect(f.managerApprovals.keys.sorted() == ["T-1", "T-2", "T-3"])
        #expect(f.ownerApprovals.keys.sorted() == ["J-1"])
        let t1 = f.managerApprovals["T-1"]!, t2 = f.managerApprovals["T-2"]!, t3 = f.managerApprovals["T-3"]!
        let j1 = f.ownerApprovals["J-1"]!

        let fin = try await env.login(f.tenant, "fin")
        await #expect(throws: TenancyError.self) {
            _ = try await env.asUser(fin) { tx, c in try ApprovalDirectory.decide(ids: [t1], .approve, note: nil, context: c, on: tx) }
        }
        // Finance may still see what waits.
        let visible = try await env.asUser(fin) { tx, c in try ApprovalDirectory.list(context: c, on: tx) }
        #expect(visible.map(\.id) == [t1, t2, j1, t3].sorted())
        #expect(visible.first { $0.id == t1 }?.approverRole == "finance_manager")
        #expect(visible.first { $0.id == t1 }?.amount == 1_500_000)

        // The raw UPDATE is refused to finance by row-level security: it changes no row.
        let changed = try await env.asUser(fin) { tx, _ in
            try tx.query("UPDATE recon_approvals SET status = 'approved' WHERE approval_id = $1", [t1]).affectedRows
        }
        #expect(changed == 0)

        let mgr = try await env.login(f.tenant, "mgr")
        // finance_manager cannot decide an approval that needs the owner role; nothing changes.
        let refused = await expectRulesError(.permissionDenied) {
            _ = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.decide(ids: [t1, j1], .approve, note: nil, context: c, on: tx) }
        }
        #expect(refused?.message.contains("needs the role owner") == true)
        #expect(try await env.ownerScalar(Int.self, "SELECT count(*) FROM recon_approvals WHERE tenant_id = $1 AND status <> 'pending'", [f.tenant.id]) == 0)

        let approved = try await env.asUser(mgr) { tx, c in
            try ApprovalDirectory.decide(ids: [t1], .approve, note: "checked", context: c, on: tx)
        }
        #expect(approved.map(\.status) == [.approved])
        #expect(approved.first?.decidedBy == "user:mgr")
        #expect(approved.first?.note == "checked")
        #expect(try await env.ownerScalar(Int.self, """
            SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'recon_approvals.update' AND actor = 'user:mgr'
            """, [f.tenant.id]) == 1)

        await expectRulesError(.conflict) {
            _ = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.decide(ids: [t1], .reject, note: "late", context: c, on: tx) }
        }
        await expectRulesError(.invalidInput) {
            _ = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.decide(ids: [t2], .reject, note: "  ", context: c, on: tx) }
        }
        await expectRulesError(.notFound) {
            _ = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.decide(ids: [t2, 999_999], .approve, note: nil, context: c, on: tx) }
        }

        // The role held through a group counts.
        let viaGroup = try await env.login(f.tenant, "viagroup")
        let rejected = try await env.asUser(viaGroup) { tx, c in
            try ApprovalDirectory.decide(ids: [t2], .reject, note: "price not agreed", context: c, on: tx)
        }
        #expect(rejected.map(\.status) == [.rejected])

        // A manager limited to jd-1 does not see tmall approvals.
        let jd = try await env.login(f.tenant, "jdmgr")
        let jdVisible = try await env.asUser(jd) { tx, c in try ApprovalDirectory.list(.init(statuses: []), context: c, on: tx) }
        #expect(jdVisible.map(\.id) == [j1])
        await expectRulesError(.notFound) {
            _ = try await env.asUser(jd) { tx, c in try ApprovalDirectory.decide(ids: [t3], .approve, note: nil, context: c, on: tx) }
        }

        // The owner decides the owner-role one; the operator may decide any.
        let boss = try await env.login(f.tenant, "boss")
        _ = try await env.asUser(boss) { tx, c in try ApprovalDirectory.decide(ids: [j1], .approve, note: nil, context: c, on: tx) }
        let byOperator = try await env.withOwner { owner in
            try await TenantScope(connection: owner).asOperator(name: "ops", tenant: f.tenant.slug) { tx, c in
                try ApprovalDirectory.decide(ids: [t3], .approve, note: "operator", context: c, on: tx)
            }
        }
        #expect(byOperator.first?.decidedBy == "operator:ops")

        let all = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.list(.init(statuses: []), context: c, on: tx) }
        #expect(all.map(\.status) == [.approved, .rejected, .approved, .approved])
        let pendingOnly = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.list(context: c, on: tx) }
        #expect(pendingOnly.isEmpty)
        let byRule = try await env.asUser(mgr) { tx, c in try ApprovalDirectory.list(.init(statuses: [.rejected], rule: "big"), context: c, on: tx) }
        #expect(byRule.map(\.id) == [t2])

        // A re-run keeps every decision.
        _ = try await env.asContext(f.tenant.system) { tx, c in try RuleEngine.apply(scope: try f.tenant.scope(run: 2), context: c, on: tx) }
        #expect(try await env.ownerScalar(String.self, """
            SELECT string_agg(status, ',' ORDER BY approval_id) FROM recon_approvals WHERE tenant_id = $1
            """, [f.tenant.id]) == "approved,rejected,approved,approved")
    }
}

