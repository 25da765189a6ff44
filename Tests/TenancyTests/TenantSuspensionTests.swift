import Foundation
import PostgresClient
import Tenancy
import Testing

/// Suspending a tenant locks its users out at once, sessions included; resuming lets them back.
@Suite("Tenant suspension", .tenancyDatabase)
struct TenantSuspensionTests {
    static let password = "suspension-password"

    @Test("a suspended tenant's users cannot log in and their sessions stop working; resuming restores both")
    func suspendAndResume() async throws {
        let env = try TenancyEnvironment.get()
        _ = try await env.createTenant(slug: "paused", users: [UserSpec(username: "pat", password: Self.password, roles: ["owner"])])
        _ = try await env.createTenant(slug: "running", users: [UserSpec(username: "rita", password: Self.password, roles: ["sales"])])
        let token = try await env.login(tenant: "paused", username: "pat", password: Self.password)
        let otherToken = try await env.login(tenant: "running", username: "rita", password: Self.password)
        let before = try await env.asUser(token: token) { _, context in context.username }
        #expect(before == "pat")

        let suspended = try await env.withOwner { owner in
            try await owner.run { tx in try TenantDirectory.setActive(false, slug: "paused", on: tx) }
        }
        #expect(suspended.status == "suspended")

        // Logging in is refused with the tenant_suspended status, even with the right password.
        let status = try await env.withApp { app in
            try await app.run { tx in
                try tx.scalar(String.self, "SELECT status FROM auth_login('paused', 'pat', $1)", [Self.password])
            }
        }
        #expect(status == "tenant_suspended")
        let loginError = await expectTenancyError(.authenticationFailed) {
            _ = try await env.login(tenant: "paused", username: "pat", password: Self.password)
        }
        #expect(loginError?.message.contains("suspended") == true)

        // The open session no longer resolves, nor can it change the password.
        await expectTenancyError(.authenticationFailed, "existing session") {
            _ = try await env.asUser(token: token) { _, context in context.username }
        }
        await expectTenancyError(.authenticationFailed, "password change through the session") {
            try await env.withApp { app in
                try await app.transaction { tx in
                    try Authenticator.changeOwnPassword(token: token, current: Self.password, new: "another-password-1", on: tx)
                }
            }
        }

        // Other tenants are not affected.
        let other = try await env.asUser(token: otherToken) { _, context in context.tenantSlug }
        #expect(other == "running")

        let resumed = try await env.withOwner { owner in
            try await owner.run { tx in try TenantDirectory.setActive(true, slug: "paused", on: tx) }
        }
        #expect(resumed.status == "active")
        let newToken = try await env.login(tenant: "paused", username: "pat", password: Self.password)
        let after = try await env.asUser(token: newToken) { _, context in context.username }
        #expect(after == "pat")
        let stillPassword = try await env.ownerScalar(
            Bool.self, "SELECT password_hash = crypt($1, password_hash) FROM users WHERE username = 'pat'", [Self.password])
        #expect(stillPassword, "the refused password change did not happen")
    }
}
