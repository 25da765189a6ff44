import Foundation
import PostgresClient
import Testing

/// Guards for every migration, present and future: each table in `public` is either a tenant
/// table protected by row-level security or a global table someone consciously allowed.
@Suite("Schema guard", .tenancyDatabase)
struct SchemaGuardTests {
    /// Tables without `tenant_id`. Adding one is a decision: add it here, in the same change,
    /// after checking that nothing in it belongs to a tenant.
    static let globalTables: Set<String> = ["schema_migrations", "permissions", "builtin_roles"]

    struct Relation: Sendable {
        var name: String
        var kind: String
        var hasTenantID: Bool
        var rowSecurity: Bool
        var forceRowSecurity: Bool
        /// Columns of the primary key in key order; empty when there is none.
        var primaryKey: [String]
    }

    func relations() async throws -> [Relation] {
        try await TenancyEnvironment.get().withOwner { owner in
            try await owner.query("""
                SELECT c.relname::text, c.relkind::text,
                       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                               AND a.attnum > 0 AND NOT a.attisdropped),
                       c.relrowsecurity, c.relforcerowsecurity,
                       coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
                                 FROM pg_constraint pk
                                 CROSS JOIN unnest(pk.conkey) WITH ORDINALITY AS k(attnum, ord)
                                 JOIN pg_attribute a ON a.attrelid = pk.conrelid AND a.attnum = k.attnum
                                 WHERE pk.conrelid = c.oid AND pk.contype = 'p'), '{}')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm', 'f')
                ORDER BY 1
                """).map { row in
                let (name, kind, hasTenantID, rls, force, pk) = try row.decode((String, String, Bool, Bool, Bool, [String]).self)
                return Relation(name: name, kind: kind, hasTenantID: hasTenantID, rowSecurity: rls, forceRowSecurity: force, primaryKey: pk)
            }
        }
    }

    @Test("every tenant table enables and forces row-level security")
    func tenantTablesForceRowSecurity() async throws {
        let tenantTables = try await relations().filter(\.hasTenantID)
        #expect(Set(tenantTables.map(\.name)).isSuperset(of: knownTenantTables))
        for table in tenantTables {
            #expect(table.rowSecurity, "\(table.name) lacks ENABLE ROW LEVEL SECURITY; use shoprecon_protect_tenant_table()")
            #expect(table.forceRowSecurity, "\(table.name) lacks FORCE ROW LEVEL SECURITY; use shoprecon_protect_tenant_table()")
        }
    }

    @Test("every tenant table's primary key starts with tenant_id")
    func primaryKeysStartWithTenant() async throws {
        for table in try await relations().filter(\.hasTenantID) {
            #expect(table.primaryKey.first == "tenant_id", "primary key of \(table.name): \(table.primaryKey)")
        }
    }

    @Test("every relation without tenant_id is an allowlisted global table")
    func globalTablesAreAllowlisted() async throws {
        let global = try await relations().filter { !$0.hasTenantID }
        let unexpected = global.filter { !Self.globalTables.contains($0.name) }.map { "\($0.name) (relkind \($0.kind))" }
        #expect(unexpected.isEmpty,
                "relations without tenant_id that are not allowlisted: \(unexpected). Tenant data needs a tenant_id and shoprecon_protect_tenant_table(); a truly global table must be added to SchemaGuardTests.globalTables")
        #expect(global.contains { $0.name == "permissions" }, "the catalogue itself is found")
    }

    @Test("every tenant table has policies for shoprecon_app, and each of them checks the tenant")
    func policiesCheckTheTenant() async throws {
        let policies = try await TenancyEnvironment.get().withOwner { owner in
            try await owner.query("""
                SELECT c.relname::text, p.polname::text, p.polpermissive,
                       coalesce(pg_get_expr(p.polqual, p.polrelid), '') || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), ''),
                       EXISTS (SELECT FROM unnest(p.polroles) r WHERE r = 0 OR pg_has_role('shoprecon_app', r, 'USAGE'))
                FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public'
                """).map { try $0.decode((String, String, Bool, String, Bool).self) }
        }
        let tenantTables = try await relations().filter(\.hasTenantID).map(\.name)
        for table in tenantTables {
            let forApp = policies.filter { $0.0 == table && $0.4 }
            #expect(!forApp.isEmpty, "\(table) has no policy for shoprecon_app: the application role would see nothing (or, without RLS, everything)")
            for (_, name, _, expression, _) in forApp {
                // Permissive policies are OR-ed: one without the tenant check opens every tenant.
                #expect(expression.contains("app_tenant_id()"), "policy \(name) on \(table) applies to shoprecon_app without checking app_tenant_id(): \(expression)")
            }
        }
    }

    @Test("views in public run with the caller's rights, so row-level security applies through them")
    func viewsAreSecurityInvoker() async throws {
        let views = try await TenancyEnvironment.get().withOwner { owner in
            try await owner.query("""
                SELECT c.relname::text, coalesce('security_invoker=true' = ANY (c.reloptions) OR 'security_invoker=on' = ANY (c.reloptions), false)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'v'
                """).map { try $0.decode((String, Bool).self) }
        }
        let definerViews = views.filter { !$0.1 }.map { $0.0 }
        #expect(definerViews.isEmpty,
                "views \(definerViews) run as their owner and bypass row-level security; create them WITH (security_invoker = true)")
    }

    @Test("the application role cannot bypass row-level security or create objects")
    func applicationRoleIsPlain() async throws {
        let (superuser, bypass, create, owns) = try await TenancyEnvironment.get().withApp { app in
            try await app.run { tx in
                try tx.query("""
                    SELECT r.rolsuper, r.rolbypassrls, has_schema_privilege('public', 'CREATE'),
                           EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = 'public' AND pg_has_role(c.relowner, 'USAGE'))
                    FROM pg_roles r WHERE r.rolname = current_user
                    """)[0].decode((Bool, Bool, Bool, Bool).self)
            }
        }
        #expect(!superuser)
        #expect(!bypass)
        #expect(!create, "shoprecon_app may create objects in public")
        #expect(!owns, "shoprecon_app owns (or is a member of the owner of) a relation in public; owners bypass non-forced RLS")
    }
}
