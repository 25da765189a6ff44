import PostgresClient

/// Roles: the built-in ones every tenant gets, and custom ones made from the catalogue.
public enum RoleDirectory {
    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Role] {
        let tenant = try context.requireTenant()
        return try tx.query("""
            SELECT r.role_id, r.name, r.description, r.builtin,
                   coalesce((SELECT array_agg(p.permission ORDER BY p.permission) FROM role_permissions p
                             WHERE p.tenant_id = r.tenant_id AND p.role_id = r.role_id), '{}')
            FROM roles r WHERE r.tenant_id = $1 ORDER BY r.builtin DESC, r.name
            """, [tenant]).map { row in
            let (id, name, description, builtin, permissions) = try row.decode((Int64, String, String, Bool, [String]).self)
            return Role(id: id, name: name, description: description, builtin: builtin, permissions: permissions)
        }
    }

    public static func create(name: String, permissions: [String], description: String = "",
                              context: AccessContext, on tx: isolated PostgresConnection) throws -> Role {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: "create roles")
        guard name.range(of: "^[a-z0-9_][a-z0-9_.-]{0,62}$", options: .regularExpression) != nil else {
            throw TenancyError(.invalidInput, "role name \"\(name)\" is not valid", hint: "lower-case letters, digits, '_', '.', '-'")
        }
        guard !permissions.isEmpty else {
            throw TenancyError(.invalidInput, "a role needs at least one permission",
                               hint: "permissions: " + Permission.all.joined(separator: ", "))
        }
        let unknown = permissions.filter { !Permission.all.contains($0) }
        guard unknown.isEmpty else {
            throw TenancyError(.invalidInput, "unknown permission \(unknown.joined(separator: ", "))",
                               hint: "permissions: " + Permission.all.joined(separator: ", "))
        }
        let roleID: Int64
        do {
            roleID = try tx.query("INSERT INTO roles (tenant_id, name, description) VALUES ($1, $2, $3) RETURNING role_id",
                                  [tenant, name, description])[0].decode(Int64.self, at: 0)
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "the tenant has a role \"\(name)\" already")
        }
        try tx.query("INSERT INTO role_permissions (tenant_id, role_id, permission) SELECT $1, $2, unnest($3::text[])",
                     [tenant, roleID, Array(Set(permissions)).sorted()])
        guard let role = try list(context: context, on: tx).first(where: { $0.id == roleID }) else {
            throw TenancyError(.notFound, "role \"\(name)\" vanished")
        }
        return role
    }

    static func id(of name: String, tenant: Int64, on tx: isolated PostgresConnection) throws -> Int64 {
        guard let row = try tx.query("SELECT role_id FROM roles WHERE tenant_id = $1 AND name = $2", [tenant, name]).first else {
            throw TenancyError(.notFound, "no role \"\(name)\"", hint: "`shoprecon role list` shows the roles")
        }
        return try row.decode(Int64.self, at: 0)
    }
}
