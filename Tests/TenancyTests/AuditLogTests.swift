import Foundation
import PostgresClient
import Tenancy
import Testing

/// Changes through the directories leave audit rows naming the right actor; the rows cannot be
/// changed through the application role and never carry password hashes.
@Suite("Audit log", .tenancyDatabase, .serialized)
struct AuditLogTests {
    struct World: Sendable {
        var tenant: TenantFixture
        var aliceToken: String
        var bobToken: String
    }

    static let password = "audit-password-1"
    static let bobPassword = "audit-password-bob"

    /// Alice (owner role) adds bob, a store, a group and a role as herself; the operator `ops`
    /// resets bob's password; bob changes his own.
    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("audit") { env in
            let tenant = try await env.createTenant(slug: "audited", users: [UserSpec(username: "alice", password: Self.password, roles: ["owner"])])
            let aliceToken = try await env.login(tenant: "audited", username: "alice", password: Self.password)
            try await env.asUser(token: aliceToken) { tx, context in
                _ = try UserDirectory.add(username: "bob", displayName: "Bob", password: "bob-first-password", roles: ["sales"],
                                          context: context, on: tx)
                _ = try StoreDirectory.add(code: "main", name: "Main store", channel: "jd", context: context, on: tx)
                _ = try GroupDirectory.create(name: "auditors", context: context, on: tx)
                _ = try RoleDirectory.create(name: "reporter", permissions: [Permission.reportView], context: context, on: tx)
            }
            try await env.asOperator("ops", tenant: "audited") { tx, context in
                try UserDirectory.setPassword(username: "bob", password: Self.bobPassword, context: context, on: tx)
            }
            let bobToken = try await env.login(tenant: "audited", username: "bob", password: Self.bobPassword)
            try await env.asUser(token: bobToken) { tx, _ in
                try Authenticator.changeOwnPassword(token: bobToken, current: Self.bobPassword, new: Self.bobPassword + "-2", on: tx)
            }
            return World(tenant: tenant, aliceToken: aliceToken, bobToken: bobToken)
        }
    }

    struct Row: Sendable, Equatable, CustomStringConvertible {
        var actor: String
        var userID: Int64?
        var action: String
        var target: String
        var description: String { "\(actor) \(action) \(target) (user \(userID.map(String.init) ?? "-"))" }
    }

    func rows(_ tenant: Int64) async throws -> [Row] {
        try await TenancyEnvironment.get().withOwner { owner in
            try await owner.query("SELECT actor, user_id, action, target FROM audit_log WHERE tenant_id = $1 ORDER BY audit_id", [tenant]).map {
                let (actor, userID, action, target) = try $0.decode((String, Int64?, String, String).self)
                return Row(actor: actor, userID: userID, action: action, target: target)
            }
        }
    }

    @Test("changes made through the directories are audited with the acting user or operator")
    func actorsAndActions() async throws {
        let world = try await world()
        let alice = try world.tenant.user("alice")
        let bob = try await TenancyEnvironment.get().ownerScalar(Int64.self, "SELECT user_id FROM users WHERE username = 'bob'")
        let log = try await rows(world.tenant.id)
        func expectRow(_ row: Row, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(log.contains(row), "missing \(row) in:\n\(log.map(\.description).joined(separator: "\n"))", sourceLocation: sourceLocation)
        }
        // Created by the fixture operator.
        expectRow(Row(actor: "operator:fixtures", userID: nil, action: "tenants.insert", target: "tenants:audited"))
        expectRow(Row(actor: "operator:fixtures", userID: nil, action: "users.insert", target: "users:alice"))
        // Alice's changes as herself, through the application role.
        expectRow(Row(actor: "user:alice", userID: alice, action: "users.insert", target: "users:bob"))
        #expect(log.contains { $0.actor == "user:alice" && $0.action == "user_roles.insert" })
        expectRow(Row(actor: "user:alice", userID: alice, action: "stores.insert", target: "stores:main"))
        expectRow(Row(actor: "user:alice", userID: alice, action: "groups.insert", target: "groups:auditors"))
        expectRow(Row(actor: "user:alice", userID: alice, action: "roles.insert", target: "roles:reporter"))
        #expect(log.contains { $0.actor == "user:alice" && $0.action == "role_permissions.insert" })
        // The operator's password reset, and bob's own change.
        expectRow(Row(actor: "operator:ops", userID: nil, action: "users.update.password", target: "users:bob"))
        expectRow(Row(actor: "user:bob", userID: bob, action: "users.update.password", target: "users:bob"))
        // Logins are audited too.
        expectRow(Row(actor: "user:bob", userID: bob, action: "session.login", target: "users:bob"))
        // Nothing is attributed to anyone else.
        let actors = Set(log.map(\.actor))
        #expect(actors == ["operator:fixtures", "operator:ops", "user:alice", "user:bob"])

        // AuditLog.list shows the same to a user with audit.view, filtered by actor.
        let listed = try await TenancyEnvironment.get().asUser(token: world.aliceToken) { tx, context in
            try AuditLog.list(actor: "alice", context: context, on: tx)
        }
        #expect(!listed.isEmpty)
        #expect(listed.allSatisfy { $0.actor == "user:alice" })
        #expect(listed.contains { $0.action == "stores.insert" && $0.target == "stores:main" })
    }

    @Test("a user without audit.view cannot read the audit log")
    func readingNeedsAuditView() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        await expectTenancyError(.permissionDenied) {
            _ = try await env.asUser(token: world.bobToken) { tx, context in try AuditLog.list(context: context, on: tx) }
        }
        let visible = try await env.asUser(token: world.bobToken) { tx, _ in try tx.scalar(Int.self, "SELECT count(*) FROM audit_log") }
        #expect(visible == 0)
    }

    @Test("the application role cannot change or remove audit rows, even its own tenant's with audit.view", arguments: [
        "UPDATE audit_log SET actor = 'user:nobody' WHERE tenant_id = $1",
        "UPDATE audit_log SET before = NULL, after = NULL WHERE tenant_id = $1",
        "DELETE FROM audit_log WHERE tenant_id = $1",
        "DELETE FROM audit_log WHERE tenant_id = $1 AND action = 'users.update.password'",
        "INSERT INTO audit_log (tenant_id, actor, action, target) VALUES ($1, 'user:alice', 'forged', 'forged')",
        "TRUNCATE audit_log",
    ])
    func auditRowsAreImmutable(sql: String) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let tenant = world.tenant.id
        let before = try await env.snapshot(tenant: tenant, tables: ["audit_log"])
        let (canView, visibleRows) = try await env.asUser(token: world.aliceToken) { tx, context in
            (context.has(Permission.auditView), try tx.scalar(Int.self, "SELECT count(*) FROM audit_log"))
        }
        #expect(canView)
        #expect(visibleRows > 0)
        let outcome = try await env.withApp { app in
            try await Attempt(table: "audit_log", sql: sql, binds: sql.contains("$1") ? [tenant] : []).run(asUser: world.aliceToken, on: app)
        }
        #expect(outcome.isHarmless, "\(sql) gave \(outcome)")
        let after = try await env.snapshot(tenant: tenant, tables: ["audit_log"])
        #expect(after == before)
    }

    @Test("password hashes never appear in audit rows")
    func noPasswordHashes() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let (passwordRows, hashKeys, bcryptLike, hashes, leaked) = try await env.withOwner { owner in
            try await owner.run { tx in
                let passwordRows = try tx.scalar(Int.self, """
                    SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'users.update.password'
                    """, [world.tenant.id])
                let hashKeys = try tx.scalar(Int.self, """
                    SELECT count(*) FROM audit_log WHERE coalesce(before ? 'password_hash', false) OR coalesce(after ? 'password_hash', false)
                    """)
                let bcryptLike = try tx.scalar(Int.self, """
                    SELECT count(*) FROM audit_log WHERE concat(before::text, after::text) ~ '\\$2[abxy]?\\$[0-9]{2}\\$'
                    """)
                let hashes = try tx.query("SELECT password_hash FROM users WHERE password_hash IS NOT NULL").map { try $0.decode(String.self, at: 0) }
                let leaked = try tx.scalar(Int.self, """
                    SELECT count(*) FROM audit_log a, users u
                    WHERE u.password_hash IS NOT NULL AND strpos(concat(a.before::text, a.after::text), u.password_hash) > 0
                    """)
                return (passwordRows, hashKeys, bcryptLike, hashes, leaked)
            }
        }
        #expect(passwordRows == 2, "the operator's reset and bob's own change")
        #expect(hashes.count == 2)
        #expect(hashes.allSatisfy { $0.hasPrefix("$2") })
        #expect(hashKeys == 0)
        #expect(bcryptLike == 0)
        #expect(leaked == 0)
        // The password rows still say what changed about the user, just not the hash.
        let after = try await env.ownerScalar(String?.self, """
            SELECT after::text FROM audit_log WHERE tenant_id = $1 AND actor = 'operator:ops' AND action = 'users.update.password'
            """, [world.tenant.id])
        #expect(after?.contains("\"username\": \"bob\"") == true)
    }
}
