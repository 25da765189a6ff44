import Foundation
import PostgresClient

/// Users of a tenant, their roles and groups. Managing them needs `user.manage`.
public enum UserDirectory {
    /// Passwords shorter than this are refused.
    public static let minimumPasswordLength = 8

    public static func add(username: String, displayName: String = "", email: String? = nil, password: String?,
                           roles: [String] = [], groups: [String] = [],
                           context: AccessContext, on tx: isolated PostgresConnection) throws -> User {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: "add users")
        guard !username.isEmpty, username.count <= 100, !username.contains(where: \.isWhitespace) else {
            throw TenancyError(.invalidInput, "user name \"\(username)\" is not valid", hint: "1 to 100 characters, no spaces")
        }
        if let password { try checkPassword(password) }
        let userID: Int64
        do {
            userID = try tx.query("""
                INSERT INTO users (tenant_id, username, display_name, email, password_hash)
                VALUES ($1, $2, $3, $4, CASE WHEN $5::text IS NULL THEN NULL ELSE crypt($5::text, gen_salt('bf', 12)) END)
                RETURNING user_id
                """, [tenant, username, displayName, email, password])[0].decode(Int64.self, at: 0)
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "the tenant has a user \"\(username)\" already")
        }
        for role in roles {
            let roleID = try RoleDirectory.id(of: role, tenant: tenant, on: tx)
            try tx.query("INSERT INTO user_roles (tenant_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                         [tenant, userID, roleID])
        }
        for group in groups {
            try GroupDirectory.addUser(group: group, username: username, context: context, on: tx)
        }
        return try find(username: username, context: context, on: tx)
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [User] {
        let tenant = try context.requireTenant()
        return try tx.query(listQuery + " WHERE u.tenant_id = $1 ORDER BY lower(u.username)", [tenant]).map(decode)
    }

    public static func find(username: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> User {
        let tenant = try context.requireTenant()
        guard let row = try tx.query(listQuery + " WHERE u.tenant_id = $1 AND lower(u.username) = lower($2)",
                                     [tenant, username]).first else {
            throw TenancyError(.notFound, "no user \"\(username)\" in this tenant", hint: "`shoprecon user list` shows the users")
        }
        return try decode(row)
    }

    /// Disables or enables a user. A disabled user's sessions stop working at once.
    public static func setEnabled(_ enabled: Bool, username: String, context: AccessContext,
                                  on tx: isolated PostgresConnection) throws -> User {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: enabled ? "enable users" : "disable users")
        let updated = try tx.query("UPDATE users SET status = $3 WHERE tenant_id = $1 AND lower(username) = lower($2)",
                                   [tenant, username, enabled ? "active" : "disabled"]).affectedRows
        guard updated == 1 else {
            throw TenancyError(.notFound, "no user \"\(username)\" in this tenant", hint: "`shoprecon user list` shows the users")
        }
        return try find(username: username, context: context, on: tx)
    }

    /// Sets a new password and lifts a lock-out (needs `user.manage`; users change their own
    /// with ``Authenticator/changeOwnPassword(token:current:new:on:)``).
    public static func setPassword(username: String, password: String, context: AccessContext,
                                   on tx: isolated PostgresConnection) throws {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: "set other users' passwords")
        try checkPassword(password)
        let updated = try tx.query("""
            UPDATE users SET password_hash = crypt($3, gen_salt('bf', 12)), failed_attempts = 0, locked_until = NULL
            WHERE tenant_id = $1 AND lower(username) = lower($2)
            """, [tenant, username, password]).affectedRows
        guard updated == 1 else {
            throw TenancyError(.notFound, "no user \"\(username)\" in this tenant", hint: "`shoprecon user list` shows the users")
        }
    }

    static func checkPassword(_ password: String) throws {
        guard password.count >= minimumPasswordLength else {
            throw TenancyError(.invalidInput, "the password is too short", hint: "use at least \(minimumPasswordLength) characters")
        }
    }

    static func id(of username: String, tenant: Int64, on tx: isolated PostgresConnection) throws -> Int64 {
        guard let row = try tx.query("SELECT user_id FROM users WHERE tenant_id = $1 AND lower(username) = lower($2)",
                                     [tenant, username]).first else {
            throw TenancyError(.notFound, "no user \"\(username)\" in this tenant", hint: "`shoprecon user list` shows the users")
        }
        return try row.decode(Int64.self, at: 0)
    }

    static let listQuery = """
        SELECT u.user_id, u.username, u.display_name, u.email, u.status, u.locked_until, u.last_login_at,
               coalesce((SELECT array_agg(r.name ORDER BY r.name) FROM user_roles ur
                         JOIN roles r ON r.tenant_id = ur.tenant_id AND r.role_id = ur.role_id
                         WHERE ur.tenant_id = u.tenant_id AND ur.user_id = u.user_id), '{}') AS roles,
               coalesce((SELECT array_agg(g.name ORDER BY g.name) FROM memberships m
                         JOIN groups g ON g.tenant_id = m.tenant_id AND g.group_id = m.group_id
                         WHERE m.tenant_id = u.tenant_id AND m.user_id = u.user_id), '{}') AS groups
        FROM users u
        """

    static func decode(_ row: PostgresRow) throws -> User {
        let (id, username, display, email, status, locked, lastLogin, roles, groups) =
            try row.decode((Int64, String, String, String?, String, Date?, Date?, [String], [String]).self)
        return User(id: id, username: username, displayName: display, email: email, status: status,
                    lockedUntil: locked.flatMap { $0 > Date() ? $0 : nil }, roles: roles, groups: groups, lastLoginAt: lastLogin)
    }
}
