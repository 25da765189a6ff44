import Foundation
import PostgresClient

/// Passwords and sessions. Checking happens in the database (`auth_login`, `auth_session`),
/// which holds the only copy of the bcrypt hashes and the hashed tokens.
public enum Authenticator {
    public struct Session: Sendable, Codable, Equatable {
        /// Shown once; only its SHA-256 is stored.
        public var token: String
        public var expiresAt: Date
    }

    /// Checks the password and opens a session. Five wrong passwords lock the user for 15 minutes.
    /// Run it on its own, not inside a transaction: the failed-attempt count must survive the
    /// failure it reports.
    public static func login(tenant: String, username: String, password: String,
                             ttl: Duration = .seconds(12 * 3600),
                             on connection: isolated PostgresConnection) throws -> Session {
        let seconds = ttl.components.seconds
        guard seconds > 0 else { throw TenancyError(.invalidInput, "the session lifetime must be positive") }
        let row = try connection.query("SELECT status, token, expires_at, locked_until FROM auth_login($1, $2, $3, make_interval(secs => $4))",
                                       [tenant, username, password, Double(seconds)]).first
        guard let row else { throw TenancyError(.authenticationFailed, "login failed") }
        let (status, token, expires, lockedUntil) = try row.decode((String, String?, Date?, Date?).self)
        switch status {
        case "ok":
            guard let token, let expires else { throw TenancyError(.authenticationFailed, "login failed") }
            return Session(token: token, expiresAt: expires)
        case "locked":
            let until = lockedUntil.map { " until " + ISO8601DateFormatter().string(from: $0) } ?? ""
            throw TenancyError(.authenticationFailed, "user \(username) is locked after too many failed logins\(until)",
                               hint: "wait, or ask a user manager to reset the password with `shoprecon user passwd`")
        case "disabled":
            throw TenancyError(.authenticationFailed, "user \(username) is disabled", hint: "ask a user manager to enable it")
        case "tenant_suspended":
            throw TenancyError(.authenticationFailed, "tenant \(tenant) is suspended", hint: "contact the operator of this ShopRecon")
        default:
            throw TenancyError(.authenticationFailed, "wrong tenant, user name or password",
                               hint: "user names are per tenant; five failures lock the user for 15 minutes")
        }
    }

    /// The context of a session token, computed from the user's roles and groups now.
    public static func resolve(token: String, on connection: isolated PostgresConnection) throws -> AccessContext {
        do {
            guard let row = try connection.query("""
                SELECT tenant_id, tenant_slug, user_id, username, permissions, all_stores, store_ids FROM auth_session($1)
                """, [token]).first else {
                throw TenancyError(.authenticationFailed, "the session is invalid or expired")
            }
            let (tenantID, slug, userID, username, permissions, allStores, stores) =
                try row.decode((Int64, String, Int64, String, [String], Bool, [Int64]).self)
            return AccessContext(kind: .user, tenantID: tenantID, tenantSlug: slug, userID: userID, username: username,
                                 permissions: Set(permissions), allStores: allStores, storeIDs: stores, actor: "user:" + username)
        } catch let error as PostgresError where error.sqlState == SQLState.invalidAuthorization {
            throw TenancyError(.authenticationFailed, error.serverInfo?[.message] ?? "the session is invalid or expired",
                               hint: "log in with `shoprecon login --tenant TENANT USER`")
        }
    }

    /// Changes the session user's own password after checking the current one. Run it on its
    /// own (not inside a transaction): a wrong current password counts towards the lock-out, and
    /// that count must survive the failure.
    public static func changeOwnPassword(token: String, current: String, new: String,
                                         on connection: isolated PostgresConnection) throws {
        try UserDirectory.checkPassword(new)
        let status = try connection.query("SELECT auth_change_password($1, $2, $3)", [token, current, new])
            .first.flatMap { try $0.decode(String?.self, at: 0) } ?? "invalid_session"
        switch status {
        case "ok":
            return
        case "locked":
            throw TenancyError(.authenticationFailed, "the user is locked after too many wrong passwords",
                               hint: "wait 15 minutes, or ask a user manager to set a new password")
        case "wrong_password":
            throw TenancyError(.authenticationFailed, "the current password is wrong",
                               hint: "five wrong passwords lock the user for 15 minutes")
        default:
            throw TenancyError(.authenticationFailed, "the session is invalid or expired",
                               hint: "log in again with `shoprecon login --tenant TENANT USER`")
        }
    }

    /// Ends a session; returns false when it was not active.
    @discardableResult
    public static func logout(token: String, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.query("SELECT auth_logout($1)", [token]).first.flatMap { try $0.decode(Bool?.self, at: 0) } ?? false
    }
}
