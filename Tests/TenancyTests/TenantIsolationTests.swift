import Foundation
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing

/// Tenant A's owner, acting through the application role with a real session (as the CLI
/// does), tries raw SQL against tenant B's real ids in every tenant table.
@Suite("Tenant isolation", .tenancyDatabase, .serialized)
struct TenantIsolationTests {
    struct World: Sendable {
        var a: TenantFixture
        var b: TenantFixture
        /// A session of A's owner-role user.
        var tokenA: String
        var bSessionID: Int64
        var bAuditID: Int64
        /// Every table in public with a tenant_id column, from the catalog.
        var tables: [String]
    }

    static let password = "isolation-password-1"

    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("isolation") { env in
            try await env.createProbeTable()
            let a = try await env.createFullTenant(slug: "acme", password: Self.password)
            let b = try await env.createFullTenant(slug: "bolt", password: Self.password)
            try await env.insertProbeRows(for: a)
            try await env.insertProbeRows(for: b)
            let tokenA = try await env.login(tenant: a.slug, username: a.ownerName, password: Self.password)
            let bSession = try await env.ownerScalar(Int64.self, "SELECT min(session_id) FROM sessions WHERE tenant_id = $1", [b.id])
            let bAudit = try await env.ownerScalar(Int64.self, "SELECT min(audit_id) FROM audit_log WHERE tenant_id = $1", [b.id])
            return World(a: a, b: b, tokenA: tokenA, bSessionID: bSession, bAuditID: bAudit, tables: try await env.tenantTables())
        }
    }

    @Test("the catalog lists every tenant table and the fixtures fill all of them for both tenants; A's owner sees A's rows")
    func fixturesCoverEveryTable() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        #expect(Set(knownTenantTables + ["probe_amounts"]).isSubset(of: Set(world.tables)), "tables: \(world.tables)")
        let countsA = try await env.ownerCounts(tenant: world.a.id, tables: world.tables)
        let countsB = try await env.ownerCounts(tenant: world.b.id, tables: world.tables)
        for table in knownTenantTables + ["probe_amounts"] {
            #expect((countsA[table] ?? 0) > 0, "tenant A has no rows in \(table)")
            #expect((countsB[table] ?? 0) > 0, "tenant B has no rows in \(table)")
        }
        // Positive control: the context is applied, so A's own rows are visible through the app role.
        let tenantA = world.a.id
        let seen = try await env.withApp { app in
            var seen: [String: Int] = [:]
            for table in knownTenantTables + ["probe_amounts"] {
                let outcome = try await Attempt(table: table, sql: "SELECT count(*) FROM \(quoted(table)) WHERE tenant_id = $1",
                                                binds: [tenantA]).run(asUser: world.tokenA, on: app)
                if case .rows(let count) = outcome { seen[table] = count } else { Issue.record("\(table): \(outcome)") }
            }
            return seen
        }
        for table in knownTenantTables + ["probe_amounts"] where table != "sessions" {
            #expect(seen[table] == countsA[table], "A's owner should see all of A's rows in \(table)")
        }
        #expect(seen["sessions"] == 2, "A's owner sees their own two sessions (fixture login and test login)")
    }

    @Test("tenant A's owner cannot touch tenant B's rows with B's real ids", arguments: StatementKind.allCases)
    func crossTenant(kind: StatementKind) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let (a, b) = (world.a, world.b)
        let beforeA = try await env.snapshot(tenant: a.id, tables: world.tables)
        let beforeB = try await env.snapshot(tenant: b.id, tables: world.tables)

        var all = try attempts(kind, on: b, sessionID: world.bSessionID, auditID: world.bAuditID)
        #expect(Set(all.map(\.table)) == Set(knownTenantTables), "every known table has a \(kind) attempt")
        for table in world.tables {
            let name = quoted(table)
            // tenants.tenant_id is GENERATED ALWAYS: no statement can write it (428C9), so the
            // generic writes make no sense there; the OVERRIDING SYSTEM VALUE attempt covers it.
            let writesTenantID = kind == .insert || kind == .update
            if !(table == "tenants" && writesTenantID) {
                all.append(genericAttempt(kind, table: table, target: b.id, quoted: name))
            }
            switch kind {
            case .select:
                all.append(Attempt(table: table, sql: "SELECT count(*) FROM \(name) WHERE tenant_id <> $1", binds: [a.id]))
            case .insert:
                break
            case .update:
                // Moving one's own rows into the other tenant.
                if table != "tenants" {
                    all.append(Attempt(table: table, sql: "UPDATE \(name) SET tenant_id = $1 WHERE tenant_id = $2", binds: [b.id, a.id]))
                }
            case .delete:
                all.append(Attempt(table: table, sql: "DELETE FROM \(name) WHERE tenant_id <> $1", binds: [a.id]))
            }
        }
        let results = try await env.withApp { app in
            var results: [(Attempt, Outcome)] = []
            for attempt in all { results.append((attempt, try await attempt.run(asUser: world.tokenA, on: app))) }
            return results
        }
        for (attempt, outcome) in results {
            switch kind {
            case .select where knownTenantTables.contains(attempt.table):
                #expect(outcome == .rows(0), "\(attempt) returned \(outcome)")
            case .insert:
                #expect(outcome == .denied, "\(attempt) gave \(outcome), expected 42501")
            case .select, .update, .delete:
                #expect(outcome.isHarmless, "\(attempt) gave \(outcome), expected 0 rows or 42501")
            }
        }

        let afterA = try await env.snapshot(tenant: a.id, tables: world.tables)
        let afterB = try await env.snapshot(tenant: b.id, tables: world.tables)
        for table in world.tables {
            #expect(afterB[table] == beforeB[table], "tenant B's \(table) changed")
            #expect(afterA[table] == beforeA[table], "tenant A's \(table) changed")
        }
    }

    enum Connection: String, Sendable, CaseIterable, CustomTestStringConvertible {
        /// Logged in as shoprecon_app, nothing set.
        case appRole
        /// Logged in as the owner, dropped to shoprecon_app without any context.
        case ownerDroppedToApp
        var testDescription: String { rawValue }
    }

    @Test("without any context the application role sees no row of any tenant table", arguments: Connection.allCases)
    func failsClosed(connection: Connection) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let countsA = try await env.ownerCounts(tenant: world.a.id, tables: world.tables)
        let tables = world.tables
        let seen: [String: Outcome]
        switch connection {
        case .appRole:
            seen = try await env.withApp { app in try await Self.countAll(tables, on: app, dropRole: false) }
        case .ownerDroppedToApp:
            seen = try await env.withOwner { owner in try await Self.countAll(tables, on: owner, dropRole: true) }
        }
        for table in tables {
            if knownTenantTables.contains(table) || table == "probe_amounts" {
                #expect((countsA[table] ?? 0) > 0, "precondition: \(table) has rows")
                #expect(seen[table] == .rows(0), "\(table): \(seen[table].map(String.init(describing:)) ?? "nothing")")
            } else {
                #expect(seen[table]?.isHarmless == true, "\(table): \(seen[table].map(String.init(describing:)) ?? "nothing")")
            }
        }
    }

    /// `count(*)` of every table, each in its own transaction, as `shoprecon_app` with no context.
    private static func countAll(_ tables: [String], on connection: PostgresConnection, dropRole: Bool) async throws -> [String: Outcome] {
        var seen: [String: Outcome] = [:]
        for table in tables {
            do {
                seen[table] = try await connection.transaction { tx in
                    if dropRole { try tx.query("SET LOCAL ROLE shoprecon_app") }
                    let user = try tx.scalar(String.self, "SELECT current_user")
                    guard user == "shoprecon_app" else { throw TestFailure("running as \(user)") }
                    return Outcome.rows(try tx.scalar(Int.self, "SELECT count(*) FROM \(try tx.quoteIdentifier(table))"))
                }
            } catch let error as PostgresError where error.code == .server {
                seen[table] = .failed(error.sqlState)
            }
        }
        return seen
    }

    @Test("even for its own tenant a user cannot read password hashes or session token hashes",
          arguments: [
              "SELECT password_hash FROM users WHERE tenant_id = $1",
              "SELECT * FROM users WHERE tenant_id = $1",
              "SELECT to_jsonb(u) FROM users u WHERE tenant_id = $1",
              "SELECT count(*) FROM users WHERE tenant_id = $1 AND password_hash LIKE '$2%'",
              "UPDATE users SET display_name = display_name WHERE tenant_id = $1 RETURNING password_hash",
              "UPDATE users SET display_name = password_hash WHERE tenant_id = $1",
              "SELECT token_hash FROM sessions WHERE tenant_id = $1",
              "SELECT * FROM sessions WHERE tenant_id = $1",
              "SELECT count(*) FROM sessions WHERE tenant_id = $1 AND token_hash IS NOT NULL",
          ])
    func secretsAreUnreadable(sql: String) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let tenantA = world.a.id
        let outcome = try await env.withApp { app in
            try await Attempt(table: "users", sql: sql, binds: [tenantA]).run(asUser: world.tokenA, on: app)
        }
        #expect(outcome == .denied, "\(sql) gave \(outcome)")
    }
}
