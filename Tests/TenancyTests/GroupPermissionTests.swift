import Foundation
import PostgresClient
import Tenancy
import Testing

/// A session's permissions are the union of the user's own roles and their groups' roles,
/// computed again for every transaction.
@Suite("Permissions from roles and groups", .tenancyDatabase)
struct GroupPermissionTests {
    struct World: Sendable {
        var tenant: TenantFixture
        var ginaToken: String
        var rossToken: String
    }

    static let password = "group-permission-password"

    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("groups") { env in
            try await env.createProbeTable()
            let tenant = try await env.createTenant(
                slug: "grouped", stores: ["s1", "s2"],
                groups: [GroupSpec(name: "fin-group", roles: ["finance"]), GroupSpec(name: "audit-group", roles: ["auditor"])],
                users: [UserSpec(username: "gina", password: Self.password, groups: ["fin-group"]),
                        UserSpec(username: "ross", password: Self.password, roles: ["sales"], groups: ["audit-group"])])
            try await env.insertProbeRows(for: tenant)
            return World(tenant: tenant,
                         ginaToken: try await env.login(tenant: "grouped", username: "gina", password: Self.password),
                         rossToken: try await env.login(tenant: "grouped", username: "ross", password: Self.password))
        }
    }

    struct View: Sendable {
        var context: AccessContext
        var probes: Int
        var stores: Int
        /// What the database itself was told (`app.perms`).
        var databasePerms: String
    }

    func view(_ token: String) async throws -> View {
        try await TenancyEnvironment.get().asUser(token: token) { tx, context in
            View(context: context,
                 probes: try tx.scalar(Int.self, "SELECT count(*) FROM probe_amounts"),
                 stores: try tx.scalar(Int.self, "SELECT count(*) FROM stores"),
                 databasePerms: try tx.scalar(String.self, "SELECT current_setting('app.perms')"))
        }
    }

    func builtinPermissions(_ role: String) async throws -> Set<String> {
        Set(try await TenancyEnvironment.get().ownerScalar([String].self, "SELECT permissions FROM builtin_roles WHERE name = $1", [role]))
    }

    @Test("a user without a role of their own gets finance's permissions from a group, until the group's role is revoked")
    func groupGrantsAndRevocation() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let directRoles = try await env.ownerScalar(Int.self, "SELECT count(*) FROM user_roles WHERE tenant_id = $1 AND user_id = $2",
                                                    [world.tenant.id, try world.tenant.user("gina")])
        #expect(directRoles == 0)

        let finance = try await builtinPermissions("finance")
        let granted = try await view(world.ginaToken)
        #expect(granted.context.permissions == finance)
        #expect(granted.databasePerms == finance.sorted().joined(separator: ","))
        #expect(granted.context.allStores)
        #expect(granted.probes == 2)
        #expect(granted.stores == 2)

        _ = try await env.asOperator("ops", tenant: "grouped") { tx, context in
            try GroupDirectory.revoke(group: "fin-group", role: "finance", context: context, on: tx)
        }
        let revoked = try await view(world.ginaToken)
        #expect(revoked.context.permissions.isEmpty)
        #expect(revoked.databasePerms == "")
        #expect(revoked.probes == 0)
        #expect(revoked.stores == 0, "no grant at all covers no store")
        #expect(!revoked.context.allStores)

        _ = try await env.asOperator("ops", tenant: "grouped") { tx, context in
            try GroupDirectory.grant(group: "fin-group", role: "finance", context: context, on: tx)
        }
        let regranted = try await view(world.ginaToken)
        #expect(regranted.context.permissions == finance)
        #expect(regranted.probes == 2)
    }

    @Test("own roles and group roles add up")
    func rolesAndGroupsUnion() async throws {
        let world = try await world()
        let expected = try await builtinPermissions("sales").union(try await builtinPermissions("auditor"))
        let ross = try await view(world.rossToken)
        #expect(ross.context.permissions == expected)
        #expect(ross.context.has(Permission.auditView), "audit.view comes only from the group")
        #expect(ross.probes == 2, "order.view_financial comes only from the group's auditor role")
        #expect(!ross.context.has(Permission.orderEdit))
    }
}
