import Foundation
import Imports
import Ingest
import PostgresClient
import Tenancy
import Testing

/// Who may import, who may read what was imported, and tenant separation, under row-level
/// security through the application role (sessions resolved as the CLI does).
@Suite("Import permissions under row-level security", .importsDatabase, .serialized)
struct ImportPermissionTests {
    struct Fixture: Sendable {
        var tenant: TenantRef
        var sales: String
        var finance: String
        var scoped: String
        var financeUserID: Int64
    }

    static let password = "imports-tests-pw-1"

    /// Tenant `perm` with stores s1, s2 and three users: `sales1` (sales), `fin` (finance, all
    /// stores) and `scoped` (finance through group g1, limited to s1). Built once per suite.
    static func fixture() async throws -> Fixture {
        try await ImportsEnvironment.get().fixture("perm") { env in
            let tenant = try await env.createTenant("perm", stores: ["s1", "s2"])
            try await env.addUsers(tenant: tenant, [("sales1", password, ["sales"], []), ("fin", password, ["finance"], []),
                                                    ("scoped", password, [], ["g1"])],
                                   groups: [(name: "g1", roles: ["finance"], stores: ["s1"])])
            let userID = try await env.ownerScalar(Int64.self, "SELECT user_id FROM users WHERE tenant_id = $1 AND username = 'fin'",
                                                   [tenant.id])
            return Fixture(tenant: tenant,
                           sales: try await env.login(tenant: tenant, username: "sales1", password: password),
                           finance: try await env.login(tenant: tenant, username: "fin", password: password),
                           scoped: try await env.login(tenant: tenant, username: "scoped", password: password),
                           financeUserID: userID)
        }
    }

    /// Counts of every import table as the token's user sees them (row-level security applies).
    static func visibleCounts(token: String) async throws -> [String: Int] {
        try await ImportsEnvironment.get().withApp { app in
            try await TenantScope(connection: app).asUser(token: token) { tx, _ in
                var counts: [String: Int] = [:]
                for table in ImportTables.all { counts[table] = try tx.scalar(Int.self, "SELECT count(*) FROM \(table)") }
                return counts
            }
        }
    }

    @Test("a sales user cannot import: a permission error, and nothing is written")
    func salesCannotImport() async throws {
        let env = try ImportsEnvironment.get()
        let f = try await Self.fixture()
        let before = try await env.counts(tenant: f.tenant.id)
        let url = try SampleFiles.write(TaobaoLayout.file([TaobaoLayout.order(day: 1)]), name: "sales.csv", encoding: .gbk)
        let error = await expectThrows(TenancyError.self) {
            try await env.importFile(ImportRequest(file: url, storeCode: "s1"), token: f.sales)
        }
        #expect(error?.kind == .permissionDenied)
        #expect(error?.message.contains("import.run") == true, "\(String(describing: error))")
        #expect(try await env.counts(tenant: f.tenant.id) == before)

        // Nor can the sales user write the tables directly: the policies refuse it.
        let (store, tenantID) = (try f.tenant.store("s1"), f.tenant.id)
        let state = try await env.withApp { app -> String? in
            do {
                _ = try await TenantScope(connection: app).asUser(token: f.sales) { tx, _ in
                    try tx.query("""
                        INSERT INTO orders (tenant_id, store_id, channel, order_no, status, currency, import_id)
                        VALUES ($1, $2, 'taobao', 'FORGED-1', 'paid', 'CNY', 1)
                        """, [tenantID, store])
                }
                return nil
            } catch let error as PostgresError {
                return error.sqlState
            }
        }
        #expect(state == SQLState.insufficientPrivilege)
    }

    @Test("after a finance import, a sales user reads orders and lines but no amounts, contacts or settlements")
    func salesReadsOnlyBasicFacts() async throws {
        let env = try ImportsEnvironment.get()
        let f = try await Self.fixture()
        let orders = try SampleFiles.write(TaobaoLayout.file((1...3).map { TaobaoLayout.order(day: $0) }), name: "fin-orders.csv",
                                           encoding: .gbk)
        let settlement = try SampleFiles.write(AlipayAccountLayout.file(), name: "fin-alipay.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: orders, storeCode: "s1"), token: f.finance)
        try await env.importFile(ImportRequest(file: settlement, storeCode: "s1"), token: f.finance)
        let statement = try await env.importFile(ImportRequest(file: try SampleFiles.write(BankLayout.camt, name: "fin-camt.xml")),
                                                 token: f.finance)
        #expect(statement.records["bank_lines"]?.inserted == 3)
        #expect(summary.records["orders"]?.inserted == 3)

        let logged = try await env.ownerTexts("SELECT actor, user_id::text AS user FROM imports WHERE tenant_id = $1 AND import_id = $2",
                                              [f.tenant.id, summary.importID])
        #expect(logged.first?["actor"] == "user:fin")
        #expect(logged.first?["user"] == String(f.financeUserID))

        let owner = try await env.counts(tenant: f.tenant.id)
        let finance = try await Self.visibleCounts(token: f.finance)
        let sales = try await Self.visibleCounts(token: f.sales)
        #expect(owner["orders"]! >= 3 && owner["order_financials"]! >= 3 && owner["platform_transactions"]! >= 5)
        #expect(finance["orders"] == owner["orders"])
        #expect(finance["order_financials"] == owner["order_financials"])
        #expect(finance["platform_transactions"] == owner["platform_transactions"])
        #expect(finance["payouts"] == owner["payouts"])
        #expect(sales["orders"] == owner["orders"])
        #expect(sales["order_lines"] == owner["order_lines"])
        for table in ["order_financials", "order_line_amounts", "order_contacts", "platform_transactions", "payouts", "import_rejects",
                      "bank_accounts", "bank_statement_lines"] {
            #expect(sales[table] == 0, "a sales user sees rows of \(table)")
        }
        // The import log: store imports within the user's stores; imports without a store (bank
        // statements) only for those who may see amounts.
        let storeless = try await env.ownerScalar(Int.self, "SELECT count(*) FROM imports WHERE tenant_id = $1 AND store_id IS NULL",
                                                  [f.tenant.id])
        #expect(storeless >= 1)
        #expect(finance["imports"] == owner["imports"])
        #expect(sales["imports"] == owner["imports"]! - storeless, "sales sees \(sales["imports"] ?? -1) of \(owner["imports"] ?? -1) imports")
        // The facts themselves are readable.
        let numbers = try await env.withApp { app in
            try await TenantScope(connection: app).asUser(token: f.sales) { tx, _ in
                try tx.query("SELECT order_no, status FROM orders WHERE order_no = $1", [TaobaoLayout.order(day: 2).number])
                    .map { try $0.decode((String, String).self) }
            }
        }
        #expect(numbers.map(\.0) == [TaobaoLayout.order(day: 2).number])
        #expect(numbers.map(\.1) == ["completed"])
        // The reject list needs import.run.
        let rejects = await expectThrows(TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).asUser(token: f.sales) { tx, context in
                    _ = try ImportLog.rejects(importID: summary.importID ?? 0, context: context, on: tx)
                }
            }
        }
        #expect(rejects?.kind == .permissionDenied)
    }

    @Test("a store-scoped user imports only into their stores and sees only those stores' records")
    func storeScopedUser() async throws {
        let env = try ImportsEnvironment.get()
        let f = try await Self.fixture()
        let (s1, s2) = (try f.tenant.store("s1"), try f.tenant.store("s2"))
        let mine = try SampleFiles.write(TaobaoLayout.file([TaobaoLayout.order(day: 21), TaobaoLayout.order(day: 22)]),
                                         name: "scoped-s1.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: mine, storeCode: "s1"), token: f.scoped)
        #expect(summary.records["orders"]?.inserted == 2)
        #expect(summary.store == "s1")

        let before = try await env.counts(tenant: f.tenant.id)
        let theirs = try SampleFiles.write(TaobaoLayout.file([TaobaoLayout.order(day: 23)]), name: "scoped-s2.csv", encoding: .gbk)
        let refused = await expectThrows(TenancyError.self) {
            try await env.importFile(ImportRequest(file: theirs, storeCode: "s2"), token: f.scoped)
        }
        #expect(refused?.kind == .notFound, "\(String(describing: refused))")
        // Tenant-wide records (bank statements have no store) are refused as well.
        let bank = try SampleFiles.write(BankLayout.camt, name: "scoped-camt.xml")
        await #expect(throws: (any Error).self) {
            try await env.importFile(ImportRequest(file: bank), token: f.scoped)
        }
        #expect(try await env.counts(tenant: f.tenant.id) == before, "a refused import wrote rows")

        // Finance (all stores) loads s2; the scoped user does not see it.
        try await env.importFile(ImportRequest(file: theirs, storeCode: "s2"), token: f.finance)
        let seen = try await env.withApp { app in
            try await TenantScope(connection: app).asUser(token: f.scoped) { tx, _ in
                (try tx.scalar(Int.self, "SELECT count(*) FROM orders WHERE store_id = $1", [s1]),
                 try tx.scalar(Int.self, "SELECT count(*) FROM orders WHERE store_id = $1", [s2]),
                 try tx.scalar(Int.self, "SELECT count(*) FROM order_financials WHERE store_id = $1", [s2]),
                 try tx.scalar(Int.self, "SELECT count(*) FROM imports WHERE store_id = $1", [s2]))
            }
        }
        let ownerS1 = try await env.ownerScalar(Int.self, "SELECT count(*) FROM orders WHERE tenant_id = $1 AND store_id = $2",
                                                [f.tenant.id, s1])
        #expect(seen.0 == ownerS1)
        #expect(seen.1 == 0)
        #expect(seen.2 == 0)
        #expect(seen.3 == 0)
    }

    @Test("tenant A's imports never touch tenant B: same order numbers stay separate, sha256 matches stay private")
    func tenantIsolation() async throws {
        let env = try ImportsEnvironment.get()
        let a = try await env.createTenant("iso-a")
        let b = try await env.createTenant("iso-b")
        let rows = (1...3).map { TaobaoLayout.order(day: $0) }
        let url = try SampleFiles.write(TaobaoLayout.file(rows), name: "same.csv", encoding: .gbk)
        let intoA = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: a)
        let intoB = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: b)
        #expect(intoA.records["orders"]?.inserted == 3)
        #expect(intoB.records["orders"]?.inserted == 3, "B's orders were taken for A's")
        #expect(intoB.previousImports.isEmpty, "B learned of A's import of the same file")
        let snapshotB = try await env.snapshot(tenant: b.id)

        // A changes its orders; B's rows stay exactly as they were.
        var changed = rows
        changed[0].status = "交易关闭"
        changed[1].paid = "1.00"
        let second = try await env.importFile(
            ImportRequest(file: try SampleFiles.write(TaobaoLayout.file(changed), name: "changed.csv", encoding: .gbk), storeCode: "s1"),
            tenant: a)
        #expect(second.records["orders"] == MergeCounts(read: 3, inserted: 0, updated: 2))
        #expect(try await env.snapshot(tenant: b.id) == snapshotB)

        let perTenant = try await env.ownerTexts("""
            SELECT o.tenant_id::text AS tenant, o.store_id::text AS store, o.status, f.paid_amount
            FROM orders o JOIN order_financials f USING (tenant_id, order_id)
            WHERE o.order_no = $1 AND o.tenant_id IN ($2, $3) ORDER BY o.tenant_id
            """, [rows[0].number, a.id, b.id])
        #expect(perTenant.map { $0["tenant"] } == [String(a.id), String(b.id)])
        #expect(perTenant.map { $0["store"] } == [String(try a.store("s1")), String(try b.store("s1"))])
        #expect(perTenant.map { $0["status"] } == ["cancelled", "completed"])
        let paid = try await env.ownerTexts("""
            SELECT o.tenant_id::text AS tenant, f.paid_amount FROM orders o JOIN order_financials f USING (tenant_id, order_id)
            WHERE o.order_no = $1 AND o.tenant_id IN ($2, $3) ORDER BY o.tenant_id
            """, [rows[1].number, a.id, b.id])
        #expect(paid.map { $0["paid_amount"] } == ["100", "11050"])
        // A's system context sees only A's rows.
        let visible = try await env.withApp { app in
            try await TenantScope(connection: app).with(a.system) { tx, _ in
                try tx.scalar(Int.self, "SELECT count(*) FROM orders WHERE order_no = $1", [rows[0].number])
            }
        }
        #expect(visible == 1)
    }
}
