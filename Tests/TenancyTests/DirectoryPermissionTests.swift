import Foundation
import PostgresClient
import Tenancy
import Testing

/// The directories check permissions in Swift (with a message saying what is missing) before the
/// database would refuse anyway.
@Suite("Directory permissions", .tenancyDatabase)
struct DirectoryPermissionTests {
    struct World: Sendable {
        var tenant: TenantFixture
        var ownerToken: String
        var financeToken: String
    }

    static let password = "directory-permission-password"

    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("directory") { env in
            let tenant = try await env.createTenant(
                slug: "perms", stores: ["s1"],
                users: [UserSpec(username: "olga", password: Self.password, roles: ["owner"]),
                        UserSpec(username: "finn", password: Self.password, roles: ["finance"])])
            return World(tenant: tenant,
                         ownerToken: try await env.login(tenant: "perms", username: "olga", password: Self.password),
                         financeToken: try await env.login(tenant: "perms", username: "finn", password: Self.password))
        }
    }

    @Test("a finance user may not add users, groups, roles or stores")
    func financeIsDenied() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let token = world.financeToken
        let addUser = await expectTenancyError(.permissionDenied, "UserDirectory.add") {
            _ = try await env.asUser(token: token) { tx, context in
                try UserDirectory.add(username: "intruder", password: nil, roles: ["owner"], context: context, on: tx)
            }
        }
        #expect(addUser?.message.contains(Permission.userManage) == true)
        await expectTenancyError(.permissionDenied, "UserDirectory.setPassword") {
            try await env.asUser(token: token) { tx, context in
                try UserDirectory.setPassword(username: "olga", password: "taken-over-password", context: context, on: tx)
            }
        }
        await expectTenancyError(.permissionDenied, "GroupDirectory.create") {
            _ = try await env.asUser(token: token) { tx, context in try GroupDirectory.create(name: "mine", context: context, on: tx) }
        }
        await expectTenancyError(.permissionDenied, "RoleDirectory.create") {
            _ = try await env.asUser(token: token) { tx, context in
                try RoleDirectory.create(name: "mine", permissions: [Permission.userManage], context: context, on: tx)
            }
        }
        await expectTenancyError(.permissionDenied, "StoreDirectory.add") {
            _ = try await env.asUser(token: token) { tx, context in
                try StoreDirectory.add(code: "mine", name: "Mine", channel: "own", context: context, on: tx)
            }
        }
        // The database refuses the same insert made directly, without the Swift check.
        let tenant = world.tenant.id
        let raw = try await env.withApp { app in
            try await Attempt(table: "users", sql: "INSERT INTO users (tenant_id, username) VALUES ($1, 'intruder')", binds: [tenant])
                .run(asUser: token, on: app)
        }
        #expect(raw == .denied)
        let intruders = try await env.ownerScalar(Int.self, "SELECT count(*) FROM users WHERE username = 'intruder'")
        #expect(intruders == 0)
    }

    @Test("an owner-role user may add users with roles")
    func ownerMayAddUsers() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let added = try await env.asUser(token: world.ownerToken) { tx, context in
            try UserDirectory.add(username: "newbie", displayName: "New", password: "newbie-password", roles: ["sales"],
                                  context: context, on: tx)
        }
        #expect(added.username == "newbie")
        #expect(added.roles == ["sales"])
        #expect(added.status == "active")
        let token = try await env.login(tenant: "perms", username: "newbie", password: "newbie-password")
        let permissions = try await env.asUser(token: token) { _, context in context.permissions }
        #expect(permissions == [Permission.orderViewBasic])
    }

    @Test("custom roles accept only catalogue permissions and valid names", arguments: [
        ("reporter.plus", [Permission.reportView, "report.fly"]),
        ("reporter.empty", []),
        ("Bad Name", [Permission.reportView]),
        ("sneaky", [Permission.reportView + ",user.manage"]),
    ])
    func customRoleValidation(name: String, permissions: [String]) async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        await expectTenancyError(.invalidInput, "\(name) \(permissions)") {
            _ = try await env.asUser(token: world.ownerToken) { tx, context in
                try RoleDirectory.create(name: name, permissions: permissions, context: context, on: tx)
            }
        }
        let created = try await env.ownerScalar(Int.self, "SELECT count(*) FROM roles WHERE name = $1", [name])
        #expect(created == 0)
    }

    @Test("a valid custom role is created with its permissions, and the database rejects unknown ones too")
    func customRoleCreated() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let role = try await env.asUser(token: world.ownerToken) { tx, context in
            try RoleDirectory.create(name: "reporter", permissions: [Permission.reportView, Permission.reportExport, Permission.reportView],
                                     context: context, on: tx)
        }
        #expect(!role.builtin)
        #expect(role.permissions == [Permission.reportExport, Permission.reportView])
        let tenant = world.tenant.id
        let roleID = role.id
        let raw = try await env.withApp { app in
            try await Attempt(table: "role_permissions", sql: "INSERT INTO role_permissions VALUES ($1, $2, 'report.fly')", binds: [tenant, roleID])
                .run(asUser: world.ownerToken, on: app)
        }
        #expect(raw == .failed(SQLState.foreignKeyViolation))
    }
}
