import Foundation
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing

// MARK: - One database per suite

/// Gives a suite a fresh migrated database of its own for as long as its tests run, then drops it.
///
/// Attach with `@Suite(.tenancyDatabase)`; tests reach it through ``TenancyEnvironment/get()``.
extension Trait where Self == SuiteDatabaseTrait<TenancyEnvironment> {
    /// A fresh database, cloned from the migrated template, for the whole suite.
    static var tenancyDatabase: Self { SuiteDatabaseTrait() }
}

/// The suite's database plus fixtures built once per suite and shared by its tests.
final class TenancyEnvironment: SuiteEnvironment {
    @TaskLocal static var current: TenancyEnvironment?

    static func withCurrent(_ environment: TenancyEnvironment, _ body: @Sendable () async throws -> Void) async throws {
        try await $current.withValue(environment) { try await body() }
    }

    let database: TestDatabase
    private let cache = FixtureCache()

    init(database: TestDatabase) { self.database = database }

    static func get() throws -> TenancyEnvironment {
        guard let current else { throw TestFailure("the suite has no database; add @Suite(.tenancyDatabase)") }
        return current
    }

    /// Builds a fixture once per suite (the first caller builds it, concurrent callers wait for it).
    func fixture<T: Sendable>(_ key: String, _ make: @escaping @Sendable (TenancyEnvironment) async throws -> T) async throws -> T {
        try await cache.value(key) { try await make(self) }
    }

    // MARK: Connections

    /// A connection as the schema owner (the operator), closed after `body`.
    func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withOwner(body)
    }

    /// A connection as `shoprecon_app` (what the CLI uses for users), closed after `body`.
    func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withApp(body)
    }


    // MARK: Acting as someone

    /// One transaction as the operator (schema owner connection), as `shoprecon --tenant SLUG` does.
    func asOperator<T: Sendable>(
        _ name: String = "fixtures", tenant: String?,
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        try await withOwner { owner in try await TenantScope(connection: owner).asOperator(name: name, tenant: tenant, body) }
    }

    /// One transaction as the user of a session token through the application role, as the CLI does.
    func asUser<T: Sendable>(
        token: String,
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        try await withApp { app in try await TenantScope(connection: app).asUser(token: token, body) }
    }

    /// Logs in through the application role outside any transaction, so failed attempts persist.
    func login(tenant: String, username: String, password: String) async throws -> String {
        try await withApp { app in
            try await app.run { tx in try Authenticator.login(tenant: tenant, username: username, password: password, on: tx).token }
        }
    }

    // MARK: Owner-side reads

    /// The first column of the first row, read as the owner.
    func ownerScalar<T: PostgresDecodable & Sendable>(_ type: T.Type, _ sql: String,
                                                      _ binds: [any PostgresEncodable] = []) async throws -> T {
        try await withOwner { owner in try await owner.run { tx in try tx.scalar(type, sql, binds) } }
    }

    /// Tables in schema `public` with a `tenant_id` column: every tenant table, including ones
    /// later migrations add.
    func tenantTables() async throws -> [String] {
        try await withOwner { owner in
            try await owner.query("""
                SELECT c.relname::text FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                              AND a.attnum > 0 AND NOT a.attisdropped)
                ORDER BY 1
                """).map { try $0.decode(String.self, at: 0) }
        }
    }

    /// Every row of one tenant in each table, as JSON text read by the owner. `last_seen_at` is
    /// left out: resolving a session touches it, and that is not a change anybody made.
    func snapshot(tenant: Int64, tables: [String]) async throws -> [String: String] {
        try await withOwner { owner in
            try await owner.run { tx in
                var result: [String: String] = [:]
                for table in tables {
                    result[table] = try tx.scalar(String.self, """
                        SELECT coalesce(jsonb_agg(r ORDER BY r::text), '[]'::jsonb)::text
                        FROM (SELECT to_jsonb(t) - 'last_seen_at' AS r FROM \(try tx.quoteIdentifier(table)) t
                              WHERE t.tenant_id = $1) s
                        """, [tenant])
                }
                return result
            }
        }
    }

    /// Row counts of one tenant per table, read by the owner.
    func ownerCounts(tenant: Int64, tables: [String]) async throws -> [String: Int] {
        try await withOwner { owner in
            try await owner.run { tx in
                var result: [String: Int] = [:]
                for table in tables {
                    result[table] = try tx.scalar(Int.self, "SELECT count(*) FROM \(try tx.quoteIdentifier(table)) WHERE tenant_id = $1",
                                                  [tenant])
                }
                return result
            }
        }
    }

    // MARK: Fixtures

    /// Creates a tenant as the operator with stores, groups (roles and store scope), users and,
    /// optionally, a custom role; returns the ids of everything, read back as the owner.
    func createTenant(slug: String, name: String? = nil, stores: [String] = [], groups: [GroupSpec] = [],
                      users: [UserSpec] = [], customRole: Bool = false) async throws -> TenantFixture {
        _ = try await asOperator(tenant: nil) { tx, _ in
            try TenantDirectory.create(slug: slug, name: name ?? "Tenant \(slug)", on: tx)
        }
        try await asOperator(tenant: slug) { tx, context in
            for code in stores {
                _ = try StoreDirectory.add(code: code, name: "Store \(code)", channel: "tmall", context: context, on: tx)
            }
            for group in groups {
                _ = try GroupDirectory.create(name: group.name, context: context, on: tx)
                for role in group.roles { try GroupDirectory.grant(group: group.name, role: role, context: context, on: tx) }
                if !group.stores.isEmpty {
                    try GroupDirectory.scope(group: group.name, storeCodes: group.stores, context: context, on: tx)
                }
            }
            if customRole {
                _ = try RoleDirectory.create(name: "custom.viewer", permissions: [Permission.reportView],
                                             description: "fixture", context: context, on: tx)
            }
            for user in users {
                _ = try UserDirectory.add(username: user.username, displayName: user.displayName, password: user.password,
                                          roles: user.roles, groups: user.groups, context: context, on: tx)
            }
        }
        return try await withOwner { owner in
            try await owner.run { tx in
                let tenantID = try tx.scalar(Int64.self, "SELECT tenant_id FROM tenants WHERE slug = $1", [slug])
                return TenantFixture(
                    id: tenantID, slug: slug,
                    stores: try idMap("SELECT code, store_id FROM stores WHERE tenant_id = $1", tenantID, on: tx),
                    users: try idMap("SELECT username, user_id FROM users WHERE tenant_id = $1", tenantID, on: tx),
                    roles: try idMap("SELECT name, role_id FROM roles WHERE tenant_id = $1", tenantID, on: tx),
                    groups: try idMap("SELECT name, group_id FROM groups WHERE tenant_id = $1", tenantID, on: tx))
            }
        }
    }

    /// The probe table of the issue: amounts readable with `order.view_financial`, writable with
    /// `order.edit`, filtered by store scope, protected with the migration's helper.
    func createProbeTable() async throws {
        try await withOwner { owner in
            try await owner.run { tx in
                try tx.executeScript("""
                    CREATE TABLE probe_amounts (tenant_id bigint, probe_id bigint, store_id bigint, amount_fen bigint,
                                                PRIMARY KEY (tenant_id, probe_id));
                    SELECT shoprecon_protect_tenant_table('probe_amounts', 'order.view_financial', 'order.edit', 'store_id');
                    GRANT SELECT, INSERT, UPDATE, DELETE ON probe_amounts TO shoprecon_app;
                    """)
            }
        }
    }

    /// One probe row per store of the tenant: probe_id = store_id, amount = 100 × store_id + 1.
    func insertProbeRows(for tenant: TenantFixture) async throws {
        try await withOwner { owner in
            for storeID in tenant.stores.values {
                _ = try await owner.query("INSERT INTO probe_amounts VALUES ($1, $2, $2, $3)", [tenant.id, storeID, storeID * 100 + 1])
            }
        }
    }
}

/// The first two columns of a query's rows as name → id.
private func idMap(_ sql: String, _ tenant: Int64, on tx: isolated PostgresConnection) throws -> [String: Int64] {
    var result: [String: Int64] = [:]
    for row in try tx.query(sql, [tenant]) {
        let (key, id) = try row.decode((String, Int64).self)
        result[key] = id
    }
    return result
}

actor FixtureCache {
    private var entries: [String: Task<any Sendable, any Error>] = [:]

    func value<T: Sendable>(_ key: String, _ make: @escaping @Sendable () async throws -> T) async throws -> T {
        let task: Task<any Sendable, any Error>
        if let existing = entries[key] {
            task = existing
        } else {
            task = Task { try await make() as any Sendable }
            entries[key] = task
        }
        guard let value = try await task.value as? T else { throw TestFailure("fixture \(key) has another type") }
        return value
    }
}

struct UserSpec: Sendable {
    var username: String
    var password: String?
    var roles: [String] = []
    var groups: [String] = []
    var displayName: String = ""
}

struct GroupSpec: Sendable {
    var name: String
    var roles: [String] = []
    var stores: [String] = []
}

/// A tenant created by ``TenancyEnvironment/createTenant(slug:name:stores:groups:users:customRole:)``.
struct TenantFixture: Sendable {
    var id: Int64
    var slug: String
    /// code → store_id
    var stores: [String: Int64]
    /// username → user_id
    var users: [String: Int64]
    /// role name → role_id
    var roles: [String: Int64]
    /// group name → group_id
    var groups: [String: Int64]

    func store(_ code: String) throws -> Int64 { try lookup(stores, code, "store") }
    func user(_ name: String) throws -> Int64 { try lookup(users, name, "user") }
    func role(_ name: String) throws -> Int64 { try lookup(roles, name, "role") }
    func group(_ name: String) throws -> Int64 { try lookup(groups, name, "group") }

    private func lookup(_ ids: [String: Int64], _ key: String, _ kind: String) throws -> Int64 {
        guard let id = ids[key] else { throw TestFailure("tenant \(slug) has no \(kind) \(key)") }
        return id
    }
}

// MARK: - Connections

extension PostgresConnection {
    /// Runs a synchronous block on the connection with its isolated API, outside any transaction
    /// unless the block opens one.
    func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) throws -> T {
        guard let row = try query(sql, binds).first else {
            throw TestFailure("no rows from \(sql)")
        }
        return try row.decode(type, at: 0)
    }
}

// MARK: - Outcomes of statements that should be refused

/// What a statement did: how many rows it affected (or the `count(*)` it returned), or the
/// SQLSTATE it failed with.
enum Outcome: Sendable, Equatable, CustomStringConvertible {
    case rows(Int)
    case failed(String?)

    static let denied = Outcome.failed(SQLState.insufficientPrivilege)

    /// Nothing happened: no rows, or refused for lack of privilege / by a policy (both 42501).
    var isHarmless: Bool { self == .rows(0) || self == .denied }

    var description: String {
        switch self {
        case .rows(let count): "\(count) rows"
        case .failed(let state): "error \(state ?? "without SQLSTATE")"
        }
    }
}

/// One raw SQL statement somebody might try.
struct Attempt: Sendable, CustomStringConvertible {
    var table: String
    var sql: String
    var binds: [any PostgresEncodable] = []

    var description: String { sql }

    /// Runs the statement in its own transaction as the token's user through the application role
    /// (TenantScope.asUser, as the CLI does). A SELECT reports its `count(*)`, anything else the
    /// rows affected; server errors become `.failed(sqlState)`.
    func run(asUser token: String, on app: PostgresConnection) async throws -> Outcome {
        let (sql, binds) = (sql, binds)
        do {
            return try await TenantScope(connection: app).asUser(token: token) { tx, _ in
                let result = try tx.query(sql, binds)
                if sql.hasPrefix("SELECT") {
                    return .rows(try result.first.map { try $0.decode(Int.self, at: 0) } ?? 0)
                }
                return .rows(result.affectedRows)
            }
        } catch let error as PostgresError where error.code == .server {
            return .failed(error.sqlState)
        }
    }
}

/// The four kinds of statement the isolation matrix tries.
enum StatementKind: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case select, insert, update, delete
    var testDescription: String { rawValue.uppercased() }
}

/// Tables the migration creates with a `tenant_id`; the fixtures put rows into all of them.
let knownTenantTables = ["audit_log", "group_roles", "group_stores", "groups", "memberships", "role_permissions",
                         "roles", "sessions", "stores", "tenants", "user_roles", "users"]

/// Attacks on the rows of `target` (with its real ids), per table, for one statement kind. The
/// target must come from ``TenancyEnvironment/createFullTenant(slug:password:extraUsers:)``.
func attempts(_ kind: StatementKind, on target: TenantFixture, sessionID: Int64, auditID: Int64) throws -> [Attempt] {
    let t = target.id
    let (s1, s2) = (try target.store("s1"), try target.store("s2"))
    let (boss, clerk) = (try target.user(target.ownerName), try target.user("clerk"))
    let (owner, finance, sales) = (try target.role("owner"), try target.role("finance"), try target.role("sales"))
    let (g1, g2) = (try target.group("g1"), try target.group("g2"))
    switch kind {
    case .select:
        return [
            Attempt(table: "tenants", sql: "SELECT count(*) FROM tenants WHERE tenant_id = $1", binds: [t]),
            Attempt(table: "tenants", sql: "SELECT count(*) FROM tenants WHERE slug = $1", binds: [target.slug]),
            Attempt(table: "stores", sql: "SELECT count(*) FROM stores WHERE tenant_id = $1 AND store_id = $2", binds: [t, s1]),
            Attempt(table: "users", sql: "SELECT count(*) FROM users WHERE tenant_id = $1 AND user_id = $2", binds: [t, boss]),
            Attempt(table: "users", sql: "SELECT count(*) FROM users WHERE username = $1", binds: [target.ownerName]),
            Attempt(table: "roles", sql: "SELECT count(*) FROM roles WHERE tenant_id = $1 AND role_id = $2", binds: [t, owner]),
            Attempt(table: "role_permissions", sql: "SELECT count(*) FROM role_permissions WHERE tenant_id = $1 AND role_id = $2",
                    binds: [t, owner]),
            Attempt(table: "user_roles", sql: "SELECT count(*) FROM user_roles WHERE tenant_id = $1 AND user_id = $2", binds: [t, boss]),
            Attempt(table: "groups", sql: "SELECT count(*) FROM groups WHERE tenant_id = $1 AND group_id = $2", binds: [t, g1]),
            Attempt(table: "group_roles", sql: "SELECT count(*) FROM group_roles WHERE tenant_id = $1 AND group_id = $2", binds: [t, g1]),
            Attempt(table: "group_stores", sql: "SELECT count(*) FROM group_stores WHERE tenant_id = $1 AND store_id = $2", binds: [t, s1]),
            Attempt(table: "memberships", sql: "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND user_id = $2", binds: [t, clerk]),
            Attempt(table: "sessions", sql: "SELECT count(*) FROM sessions WHERE tenant_id = $1 AND session_id = $2", binds: [t, sessionID]),
            Attempt(table: "audit_log", sql: "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND audit_id = $2", binds: [t, auditID]),
        ]
    case .insert:
        return [
            Attempt(table: "tenants", sql: "INSERT INTO tenants (slug, name) VALUES ('evil', 'Evil')"),
            Attempt(table: "tenants", sql: "INSERT INTO tenants (tenant_id, slug, name) OVERRIDING SYSTEM VALUE VALUES ($1 + 1000, 'evil2', 'Evil')",
                    binds: [t]),
            Attempt(table: "stores", sql: "INSERT INTO stores (tenant_id, code, name, channel) VALUES ($1, 'evil', 'Evil', 'own')", binds: [t]),
            Attempt(table: "users", sql: "INSERT INTO users (tenant_id, username, display_name, password_hash) VALUES ($1, 'evil', 'Evil', crypt('evil-password', gen_salt('bf', 4)))",
                    binds: [t]),
            Attempt(table: "roles", sql: "INSERT INTO roles (tenant_id, name) VALUES ($1, 'evil')", binds: [t]),
            Attempt(table: "role_permissions", sql: "INSERT INTO role_permissions (tenant_id, role_id, permission) VALUES ($1, $2, 'user.manage')",
                    binds: [t, sales]),
            Attempt(table: "user_roles", sql: "INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3)", binds: [t, clerk, owner]),
            Attempt(table: "groups", sql: "INSERT INTO groups (tenant_id, name) VALUES ($1, 'evil')", binds: [t]),
            Attempt(table: "group_roles", sql: "INSERT INTO group_roles (tenant_id, group_id, role_id) VALUES ($1, $2, $3)", binds: [t, g2, owner]),
            Attempt(table: "group_stores", sql: "INSERT INTO group_stores (tenant_id, group_id, store_id) VALUES ($1, $2, $3)", binds: [t, g2, s2]),
            Attempt(table: "memberships", sql: "INSERT INTO memberships (tenant_id, group_id, user_id) VALUES ($1, $2, $3)", binds: [t, g2, clerk]),
            Attempt(table: "sessions", sql: "INSERT INTO sessions (tenant_id, user_id, token_hash, expires_at) VALUES ($1, $2, digest('forged', 'sha256'), now() + interval '1 day')",
                    binds: [t, boss]),
            Attempt(table: "audit_log", sql: "INSERT INTO audit_log (tenant_id, actor, action, target) VALUES ($1, 'user:forged', 'forged', 'forged')",
                    binds: [t]),
        ]
    case .update:
        return [
            Attempt(table: "tenants", sql: "UPDATE tenants SET name = 'pwned' WHERE tenant_id = $1", binds: [t]),
            Attempt(table: "tenants", sql: "UPDATE tenants SET status = 'suspended' WHERE tenant_id = $1", binds: [t]),
            Attempt(table: "stores", sql: "UPDATE stores SET name = 'pwned' WHERE tenant_id = $1 AND store_id = $2", binds: [t, s1]),
            Attempt(table: "users", sql: "UPDATE users SET display_name = 'pwned', status = 'disabled' WHERE tenant_id = $1 AND user_id = $2",
                    binds: [t, boss]),
            Attempt(table: "users", sql: "UPDATE users SET password_hash = crypt('pwned-password', gen_salt('bf', 4)) WHERE tenant_id = $1",
                    binds: [t]),
            Attempt(table: "roles", sql: "UPDATE roles SET description = 'pwned' WHERE tenant_id = $1 AND role_id = $2", binds: [t, owner]),
            Attempt(table: "role_permissions", sql: "UPDATE role_permissions SET permission = 'user.manage' WHERE tenant_id = $1 AND role_id = $2",
                    binds: [t, sales]),
            Attempt(table: "user_roles", sql: "UPDATE user_roles SET role_id = $3 WHERE tenant_id = $1 AND user_id = $2", binds: [t, clerk, owner]),
            Attempt(table: "groups", sql: "UPDATE groups SET name = 'pwned' WHERE tenant_id = $1 AND group_id = $2", binds: [t, g1]),
            Attempt(table: "group_roles", sql: "UPDATE group_roles SET role_id = $3 WHERE tenant_id = $1 AND role_id = $2", binds: [t, finance, owner]),
            Attempt(table: "group_stores", sql: "UPDATE group_stores SET store_id = $2 WHERE tenant_id = $1", binds: [t, s2]),
            Attempt(table: "memberships", sql: "UPDATE memberships SET user_id = $2 WHERE tenant_id = $1", binds: [t, boss]),
            Attempt(table: "sessions", sql: "UPDATE sessions SET expires_at = now() + interval '100 years', revoked_at = NULL WHERE tenant_id = $1",
                    binds: [t]),
            Attempt(table: "audit_log", sql: "UPDATE audit_log SET actor = 'pwned' WHERE tenant_id = $1 AND audit_id = $2", binds: [t, auditID]),
        ]
    case .delete:
        return [
            Attempt(table: "tenants", sql: "DELETE FROM tenants WHERE tenant_id = $1", binds: [t]),
            Attempt(table: "stores", sql: "DELETE FROM stores WHERE tenant_id = $1 AND store_id = $2", binds: [t, s1]),
            Attempt(table: "users", sql: "DELETE FROM users WHERE tenant_id = $1 AND user_id = $2", binds: [t, clerk]),
            Attempt(table: "roles", sql: "DELETE FROM roles WHERE tenant_id = $1 AND role_id = $2", binds: [t, owner]),
            Attempt(table: "role_permissions", sql: "DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2", binds: [t, owner]),
            Attempt(table: "user_roles", sql: "DELETE FROM user_roles WHERE tenant_id = $1 AND user_id = $2", binds: [t, boss]),
            Attempt(table: "groups", sql: "DELETE FROM groups WHERE tenant_id = $1 AND group_id = $2", binds: [t, g1]),
            Attempt(table: "group_roles", sql: "DELETE FROM group_roles WHERE tenant_id = $1 AND group_id = $2", binds: [t, g1]),
            Attempt(table: "group_stores", sql: "DELETE FROM group_stores WHERE tenant_id = $1 AND store_id = $2", binds: [t, s1]),
            Attempt(table: "memberships", sql: "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", binds: [t, clerk]),
            Attempt(table: "sessions", sql: "DELETE FROM sessions WHERE tenant_id = $1 AND session_id = $2", binds: [t, sessionID]),
            Attempt(table: "audit_log", sql: "DELETE FROM audit_log WHERE tenant_id = $1 AND audit_id = $2", binds: [t, auditID]),
        ]
    }
}

/// The same kind of statement for any tenant table, whatever its other columns: used for tables
/// that later migrations add, and for the known ones as well.
func genericAttempt(_ kind: StatementKind, table: String, target: Int64, quoted: String) -> Attempt {
    switch kind {
    case .select: Attempt(table: table, sql: "SELECT count(*) FROM \(quoted) WHERE tenant_id = $1", binds: [target])
    case .insert: Attempt(table: table, sql: "INSERT INTO \(quoted) (tenant_id) VALUES ($1)", binds: [target])
    case .update: Attempt(table: table, sql: "UPDATE \(quoted) SET tenant_id = tenant_id WHERE tenant_id = $1", binds: [target])
    case .delete: Attempt(table: table, sql: "DELETE FROM \(quoted) WHERE tenant_id = $1", binds: [target])
    }
}

/// Quotes an identifier the way PostgreSQL does for the simple names used here.
func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension TenantFixture {
    /// The owner-role user of a tenant made by ``TenancyEnvironment/createFullTenant(slug:password:extraUsers:)``.
    var ownerName: String { "boss-" + slug }
}

extension TenancyEnvironment {
    /// A tenant with rows in every table of the migration: two stores, a store-scoped group with
    /// the finance role (g1, with the clerk in it), an empty group (g2), a custom role, the owner
    /// user `boss-<slug>` with a password and a session, and audit rows for all of it.
    func createFullTenant(slug: String, password: String, extraUsers: [UserSpec] = []) async throws -> TenantFixture {
        let owner = "boss-" + slug  // TenantFixture.ownerName
        let tenant = try await createTenant(
            slug: slug, stores: ["s1", "s2"],
            groups: [GroupSpec(name: "g1", roles: ["finance"], stores: ["s1"]), GroupSpec(name: "g2")],
            users: [UserSpec(username: owner, password: password, roles: ["owner"]),
                    UserSpec(username: "clerk", password: nil, roles: ["finance"], groups: ["g1"])] + extraUsers,
            customRole: true)
        _ = try await login(tenant: slug, username: owner, password: password)
        return tenant
    }
}

// MARK: - Expectations

/// Runs `body` and checks that it throws a ``TenancyError`` of `kind`; returns the error.
@discardableResult
func expectTenancyError(_ kind: TenancyError.Kind, _ comment: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation,
                        _ body: () async throws -> Void) async -> TenancyError? {
    do {
        try await body()
        Issue.record(Comment(rawValue: "expected TenancyError.\(kind), but nothing was thrown" + (comment.map { ": \($0)" } ?? "")),
                     sourceLocation: sourceLocation)
        return nil
    } catch let error as TenancyError {
        #expect(error.kind == kind, Comment(rawValue: error.message + (comment.map { " (\($0))" } ?? "")), sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record(Comment(rawValue: "expected TenancyError.\(kind), got \(String(reflecting: error))" + (comment.map { ": \($0)" } ?? "")),
                     sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs `body` and returns the SQLSTATE of the PostgresError it throws, or nil when it succeeds.
func sqlState(of body: () async throws -> Void) async throws -> String? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError where error.code == .server {
        return error.sqlState
    }
}
