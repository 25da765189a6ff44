import Foundation
import PostgresClient
import Tenancy
import Testing

/// The built-in `sales` role sees basic order facts only: it changes nothing in any tenant table,
/// not even its own tenant's, and never sees amounts.
@Suite("Sales restrictions", .tenancyDatabase, .serialized)
struct SalesRestrictionTests {
    struct World: Sendable {
        var shop: TenantFixture
        var salesToken: String
        var financeToken: String
        var sessionID: Int64
        var auditID: Int64
        var tables: [String]
    }

    static let password = "sales-suite-password"

    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("sales") { env in
            try await env.createProbeTable()
            let shop = try await env.createFullTenant(
                slug: "shop", password: Self.password,
                extraUsers: [UserSpec(username: "sam", password: Self.password, roles: ["sales"]),
                             UserSpec(username: "fiona", password: Self.password, roles: ["finance"])])
            try await env.insertProbeRows(for: shop)
            let salesToken = try await env.login(tenant: "shop", username: "sam", password: Self.password)
            let financeToken = try await env.login(tenant: "shop", username: "fiona", password: Self.password)
            let session = try await env.ownerScalar(Int64.self, "SELECT min(session_id) FROM sessions WHERE tenant_id = $1", [shop.id])
            let audit = try await env.ownerScalar(Int64.self, "SELECT min(audit_id) FROM audit_log WHERE tenant_id = $1", [shop.id])
            return World(shop: shop, salesToken: salesToken, financeToken: financeToken, sessionID: session, auditID: audit,
                         tables: try await env.tenantTables())
        }
    }

    @Test("a sales user can insert, update and delete nothing in any tenant table of their own tenant",
          arguments: [StatementKind.insert, .update, .delete])
    func salesCannotWrite(kind: StatementKind) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let shop = world.shop
        let before = try await env.snapshot(tenant: shop.id, tables: world.tables)

        var all = try attempts(kind, on: shop, sessionID: world.sessionID, auditID: world.auditID)
        let s1 = try shop.store("s1")
        switch kind {
        case .insert:
            all.append(Attempt(table: "probe_amounts", sql: "INSERT INTO probe_amounts VALUES ($1, 999999, $2, 5)", binds: [shop.id, s1]))
        case .update:
            all.append(Attempt(table: "probe_amounts", sql: "UPDATE probe_amounts SET amount_fen = 0 WHERE tenant_id = $1", binds: [shop.id]))
            all.append(Attempt(table: "users", sql: "UPDATE users SET display_name = 'me' WHERE username = 'sam'"))
        case .delete:
            all.append(Attempt(table: "probe_amounts", sql: "DELETE FROM probe_amounts WHERE tenant_id = $1", binds: [shop.id]))
        case .select:
            break
        }
        for table in world.tables where !(table == "tenants" && kind != .delete) {
            all.append(genericAttempt(kind, table: table, target: shop.id, quoted: quoted(table)))
        }
        #expect(Set(all.map(\.table)).isSuperset(of: Set(world.tables)), "every tenant table is tried")

        let results = try await env.withApp { app in
            var results: [(Attempt, Outcome)] = []
            for attempt in all { results.append((attempt, try await attempt.run(asUser: world.salesToken, on: app))) }
            return results
        }
        for (attempt, outcome) in results {
            if kind == .insert {
                #expect(outcome == .denied, "\(attempt) gave \(outcome), expected 42501")
            } else {
                #expect(outcome.isHarmless, "\(attempt) gave \(outcome), expected 0 rows or 42501")
            }
        }
        let after = try await env.snapshot(tenant: shop.id, tables: world.tables)
        for table in world.tables {
            #expect(after[table] == before[table], "\(table) changed")
        }
    }

    @Test("sales sees no amounts while finance sees them; both see the stores")
    func amountsNeedFinancialPermission() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let shop = world.shop
        let probeID = try shop.store("s2")
        let expectedSum = shop.stores.values.reduce(0) { $0 + $1 * 100 + 1 }
        let ownerCount = try await env.ownerScalar(Int.self, "SELECT count(*) FROM probe_amounts WHERE tenant_id = $1", [shop.id])
        #expect(ownerCount == 2)

        let sales = try await env.asUser(token: world.salesToken) { tx, context in try Self.look(tx, context, tenant: shop.id, probe: probeID) }
        let finance = try await env.asUser(token: world.financeToken) { tx, context in try Self.look(tx, context, tenant: shop.id, probe: probeID) }

        #expect(sales.context.permissions == [Permission.orderViewBasic])
        #expect(sales.stores == 2)
        #expect(sales.probes == 0)
        #expect(sales.sum == nil)
        #expect(sales.one == 0)

        #expect(finance.context.has(Permission.orderViewFinancial))
        #expect(finance.stores == 2)
        #expect(finance.probes == 2)
        #expect(finance.sum == expectedSum)
        #expect(finance.one == 1)
    }

    typealias View = (context: AccessContext, stores: Int, probes: Int, sum: Int64?, one: Int)

    static func look(_ tx: isolated PostgresConnection, _ context: AccessContext, tenant: Int64, probe: Int64) throws -> View {
        (context,
         try tx.scalar(Int.self, "SELECT count(*) FROM stores"),
         try tx.scalar(Int.self, "SELECT count(*) FROM probe_amounts"),
         try tx.scalar(Int64?.self, "SELECT sum(amount_fen)::bigint FROM probe_amounts"),
         try tx.scalar(Int.self, "SELECT count(*) FROM probe_amounts WHERE tenant_id = $1 AND probe_id = $2", [tenant, probe]))
    }

    @Test("finance may change amounts (order.edit) where sales may not")
    func financeMayWriteAmounts() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let (tenant, s1) = (world.shop.id, try world.shop.store("s1"))
        let results = try await env.withApp { app in
            [try await Attempt(table: "probe_amounts", sql: "INSERT INTO probe_amounts VALUES ($1, 777, $2, 10)", binds: [tenant, s1])
                .run(asUser: world.salesToken, on: app),
             try await Attempt(table: "probe_amounts", sql: "INSERT INTO probe_amounts VALUES ($1, 777, $2, 10)", binds: [tenant, s1])
                .run(asUser: world.financeToken, on: app),
             try await Attempt(table: "probe_amounts", sql: "UPDATE probe_amounts SET amount_fen = 11 WHERE tenant_id = $1 AND probe_id = 777",
                               binds: [tenant]).run(asUser: world.salesToken, on: app),
             try await Attempt(table: "probe_amounts", sql: "UPDATE probe_amounts SET amount_fen = 12 WHERE tenant_id = $1 AND probe_id = 777",
                               binds: [tenant]).run(asUser: world.financeToken, on: app)]
        }
        #expect(results == [.denied, .rows(1), .rows(0), .rows(1)])
        let amount = try await env.ownerScalar(Int64.self, "SELECT amount_fen FROM probe_amounts WHERE tenant_id = $1 AND probe_id = 777",
                                               [tenant])
        #expect(amount == 12)
        let deleted = try await env.withApp { app in
            try await Attempt(table: "probe_amounts", sql: "DELETE FROM probe_amounts WHERE tenant_id = $1 AND probe_id = 777", binds: [tenant])
                .run(asUser: world.financeToken, on: app)
        }
        #expect(deleted == .rows(1))
    }
}
