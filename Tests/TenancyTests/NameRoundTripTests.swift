import Foundation
import PostgresClient
import Tenancy
import Testing

/// Names with quotes, backslashes and Chinese text come back byte for byte, whether read by the
/// operator or through the application role.
@Suite("Name round trips", .tenancyDatabase)
struct NameRoundTripTests {
    static let names: [String] = [
        "O'Brien \"老王\" \\ 店",
        "'; DROP TABLE stores; --",
        "\\\\server\\share\\ and a trailing backslash\\",
        "淘宝旗舰店（官方）·天猫",
        "E'\\x41' $1 %s {a,b} \"\"",
        "emoji 🛒 and e\u{301} vs \u{E9}",
    ]

    struct Seen: Sendable {
        var tenantName: String
        var storeName: String
        var displayName: String
        var groupName: String
    }

    @Test("tenant, store, user display and group names round-trip", arguments: zip(names.indices, names))
    func roundTrip(index: Int, name: String) async throws {
        let env = try TenancyEnvironment.get()
        let slug = "names-\(index)"
        let created = try await env.withOwner { owner in
            try await owner.run { tx in try TenantDirectory.create(slug: slug, name: name, on: tx) }
        }
        #expect(Array(created.name.utf8) == Array(name.utf8))
        let returned = try await env.asOperator(tenant: slug) { tx, context in
            (try StoreDirectory.add(code: "s", name: name, channel: "own", context: context, on: tx).name,
             try UserDirectory.add(username: "u", displayName: name, password: nil, context: context, on: tx).displayName,
             try GroupDirectory.create(name: name, context: context, on: tx).name)
        }
        #expect(Array(returned.0.utf8) == Array(name.utf8))
        #expect(Array(returned.1.utf8) == Array(name.utf8))
        #expect(Array(returned.2.utf8) == Array(name.utf8))

        // Read back by the operator.
        let byOperator = try await env.asOperator(tenant: slug) { tx, context in
            Seen(tenantName: try TenantDirectory.find(slug: slug, on: tx).name,
                 storeName: try StoreDirectory.find(code: "s", context: context, on: tx).name,
                 displayName: try UserDirectory.find(username: "u", context: context, on: tx).displayName,
                 groupName: try GroupDirectory.find(name: name, context: context, on: tx).name)
        }
        // Read back through the application role (a job's context, SET LOCAL ROLE shoprecon_app).
        let tenantID = created.id
        let byApp = try await env.withApp { app in
            try await TenantScope(connection: app).with(.system(tenantID: tenantID, name: "names")) { tx, context in
                Seen(tenantName: try tx.scalar(String.self, "SELECT name FROM tenants"),
                     storeName: try StoreDirectory.list(context: context, on: tx)[0].name,
                     displayName: try UserDirectory.list(context: context, on: tx)[0].displayName,
                     groupName: try GroupDirectory.list(context: context, on: tx)[0].name)
            }
        }
        for seen in [byOperator, byApp] {
            #expect(Array(seen.tenantName.utf8) == Array(name.utf8))
            #expect(Array(seen.storeName.utf8) == Array(name.utf8))
            #expect(Array(seen.displayName.utf8) == Array(name.utf8))
            #expect(Array(seen.groupName.utf8) == Array(name.utf8))
        }
    }

    @Test("a user name with quotes, a backslash and Chinese logs in and is the audit actor verbatim")
    func trickyUsername() async throws {
        let env = try TenancyEnvironment.get()
        let username = "o'brien\\\"老王\""
        let password = "tricky-user-password"
        let tenant = try await env.createTenant(slug: "tricky", users: [UserSpec(username: username, password: password, roles: ["owner"])])
        let token = try await env.login(tenant: "tricky", username: username, password: password)
        let (contextActor, settingActor) = try await env.asUser(token: token) { tx, context in
            _ = try GroupDirectory.create(name: "made by a tricky name", context: context, on: tx)
            return (context.actor, try tx.scalar(String.self, "SELECT current_setting('app.actor')"))
        }
        #expect(contextActor == "user:" + username)
        #expect(Array(settingActor.utf8) == Array(("user:" + username).utf8))
        let actor = try await env.ownerScalar(String.self, "SELECT actor FROM audit_log WHERE tenant_id = $1 AND action = 'groups.insert'",
                                              [tenant.id])
        #expect(Array(actor.utf8) == Array(("user:" + username).utf8))
    }
}
