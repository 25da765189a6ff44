import Foundation
import PostgresClient
import Tenancy
import Testing

/// Five wrong passwords lock a user for 15 minutes; an operator's new password or the lock's
/// expiry lets them in again.
@Suite("Lock-out", .tenancyDatabase)
struct LockoutTests {
    static let password = "lockout-password-1"
    static let newPassword = "lockout-password-2"

    enum LoginResult: Equatable, CustomStringConvertible {
        case ok
        case refused(String)
        var description: String {
            switch self {
            case .ok: "ok"
            case .refused(let message): "refused: \(message)"
            }
        }
        var isLocked: Bool { if case .refused(let message) = self { message.contains("locked") } else { false } }
        var isWrongPassword: Bool { if case .refused(let message) = self { message.contains("wrong") } else { false } }
    }

    func login(_ password: String) async throws -> LoginResult {
        let env = try TenancyEnvironment.get()
        do {
            _ = try await env.login(tenant: "locks", username: "lou", password: password)
            return .ok
        } catch let error as TenancyError {
            #expect(error.kind == .authenticationFailed)
            return .refused(error.message)
        }
    }

    func state() async throws -> (attempts: Int, locked: Bool) {
        try await TenancyEnvironment.get().withOwner { owner in
            try await owner.run { tx in
                let row = try tx.query("SELECT failed_attempts, coalesce(locked_until > now(), false) FROM users WHERE username = 'lou'")[0]
                let (attempts, locked) = try row.decode((Int, Bool).self)
                return (attempts, locked)
            }
        }
    }

    /// Five wrong passwords in a row: the first four are "wrong password", the fifth locks.
    func failFiveTimes() async throws {
        for attempt in 1...5 {
            let result = try await login("wrong-password-\(attempt)")
            if attempt < 5 {
                #expect(result.isWrongPassword, "attempt \(attempt): \(result)")
            } else {
                #expect(result.isLocked, "attempt \(attempt): \(result)")
            }
        }
        let (attempts, locked) = try await state()
        #expect(attempts == 5)
        #expect(locked)
    }

    @Test("five wrong passwords lock the user even against the right one; a new password or the lock's expiry unlocks")
    func lockOut() async throws {
        let env = try TenancyEnvironment.get()
        let tenant = try await env.createTenant(slug: "locks", users: [UserSpec(username: "lou", password: Self.password, roles: ["sales"])])

        try await failFiveTimes()
        let sixth = try await login(Self.password)
        #expect(sixth.isLocked, "the right password is refused while locked: \(sixth)")
        let failures = try await env.ownerScalar(
            Int.self, "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'session.login_failed'", [tenant.id])
        #expect(failures == 5)

        // An operator sets a new password: the lock is lifted.
        try await env.asOperator("ops", tenant: "locks") { tx, context in
            try UserDirectory.setPassword(username: "lou", password: Self.newPassword, context: context, on: tx)
        }
        let afterReset = try await state()
        #expect(afterReset.attempts == 0)
        #expect(!afterReset.locked)
        #expect(try await login(Self.newPassword) == .ok)

        // Locked again; then the lock runs out (simulated by moving locked_until into the past).
        try await failFiveTimes()
        #expect(try await login(Self.newPassword).isLocked)
        try await env.withOwner { owner in
            _ = try await owner.query("UPDATE users SET locked_until = now() - interval '1 minute' WHERE username = 'lou'")
        }
        // A wrong password after the lock ran out counts from 1 again instead of locking at once.
        let wrong = try await login("wrong-password-again")
        #expect(wrong.isWrongPassword, "\(wrong)")
        let afterExpiry = try await state()
        #expect(afterExpiry.attempts == 1)
        #expect(!afterExpiry.locked)
        // And the right password works and resets the counter.
        #expect(try await login(Self.newPassword) == .ok)
        let afterLogin = try await state()
        #expect(afterLogin.attempts == 0)
        #expect(!afterLogin.locked)
        let lockedUntil = try await env.ownerScalar(Date?.self, "SELECT locked_until FROM users WHERE username = 'lou'")
        #expect(lockedUntil == nil)
    }
}
