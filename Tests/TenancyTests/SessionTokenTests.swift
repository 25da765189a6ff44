import Foundation
import PostgresClient
import Tenancy
import Testing

/// Only a live session's exact token opens a tenant context.
@Suite("Session tokens", .tenancyDatabase)
struct SessionTokenTests {
    static let password = "session-token-password"

    func tenant() async throws -> TenantFixture {
        try await TenancyEnvironment.get().fixture("tokens") { env in
            try await env.createTenant(slug: "tokens", users: [UserSpec(username: "tom", password: Self.password, roles: ["owner"]),
                                                               UserSpec(username: "dora", password: Self.password, roles: ["sales"])])
        }
    }

    func login(_ username: String) async throws -> String {
        _ = try await tenant()
        return try await TenancyEnvironment.get().login(tenant: "tokens", username: username, password: Self.password)
    }

    /// Resolves the token in a transaction as the CLI does; returns the user name of the context.
    func use(_ token: String) async throws -> String? {
        try await TenancyEnvironment.get().asUser(token: token) { _, context in context.username }
    }

    func expectRefused(_ token: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        await expectTenancyError(.authenticationFailed, what, sourceLocation: sourceLocation) {
            _ = try await use(token)
        }
    }

    @Test("a live token works, the same token with one character changed does not")
    func tamperedToken() async throws {
        let token = try await login("tom")
        #expect(token.hasPrefix("srt_"))
        #expect(token.count == 4 + 64)
        let user = try await use(token)
        #expect(user == "tom")
        for position in [token.index(before: token.endIndex), token.index(token.startIndex, offsetBy: 10)] {
            var tampered = token
            let original = tampered[position]
            tampered.replaceSubrange(position...position, with: original == "a" ? "b" : "a")
            #expect(tampered != token)
            await expectRefused(tampered, "tampered at \(token.distance(from: token.startIndex, to: position))")
        }
        await expectRefused(token.uppercased(), "upper-cased")
        await expectRefused(token + "0", "extended")
        await expectRefused(String(token.dropLast()), "truncated")
        let stillWorks = try await use(token)
        #expect(stillWorks == "tom")
    }

    @Test("an expired token is refused")
    func expiredToken() async throws {
        let env = try TenancyEnvironment.get()
        let token = try await login("tom")
        let before = try await use(token)
        #expect(before == "tom")
        let updated = try await env.withOwner { owner in
            try await owner.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = digest($1, 'sha256')",
                                  [token]).affectedRows
        }
        #expect(updated == 1)
        await expectRefused(token, "expired")
    }

    @Test("a logged-out token is refused, and logging out twice reports that it had ended")
    func loggedOutToken() async throws {
        let env = try TenancyEnvironment.get()
        let token = try await login("tom")
        let before = try await use(token)
        #expect(before == "tom")
        let (first, second) = try await env.withApp { app in
            try await app.run { tx in
                (try Authenticator.logout(token: token, on: tx), try Authenticator.logout(token: token, on: tx))
            }
        }
        #expect(first)
        #expect(!second)
        await expectRefused(token, "logged out")
    }

    @Test("a disabled user's token is refused and the user cannot log in")
    func disabledUser() async throws {
        let env = try TenancyEnvironment.get()
        let token = try await login("dora")
        let before = try await use(token)
        #expect(before == "dora")
        let disabled = try await env.asOperator("ops", tenant: "tokens") { tx, context in
            try UserDirectory.setEnabled(false, username: "dora", context: context, on: tx)
        }
        #expect(disabled.status == "disabled")
        await expectRefused(token, "disabled user's session")
        let error = await expectTenancyError(.authenticationFailed, "disabled user's login") {
            _ = try await env.login(tenant: "tokens", username: "dora", password: Self.password)
        }
        #expect(error?.message.contains("disabled") == true)
    }

    @Test("garbage is refused", arguments: [
        "",
        "garbage",
        "srt_",
        "srt_" + String(repeating: "0", count: 64),
        "' OR '1'='1",
        "srt_'; DROP TABLE sessions; --",
        String(repeating: "x", count: 10_000),
        "令牌🔑",
    ])
    func garbageToken(token: String) async throws {
        _ = try await tenant()
        await expectRefused(token, "garbage")
    }
}
