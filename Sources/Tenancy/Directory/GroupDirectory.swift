import PostgresClient

/// Groups hold users, grant roles, and may be limited to some stores.
public enum GroupDirectory {
    public static func create(name: String, description: String = "", context: AccessContext,
                              on tx: isolated PostgresConnection) throws -> Group {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: "create groups")
        guard !name.isEmpty, name.count <= 100 else {
            throw TenancyError(.invalidInput, "group name must have 1 to 100 characters")
        }
        do {
            try tx.query("INSERT INTO groups (tenant_id, name, description) VALUES ($1, $2, $3)", [tenant, name, description])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "the tenant has a group \"\(name)\" already")
        }
        return try find(name: name, context: context, on: tx)
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Group] {
        let tenant = try context.requireTenant()
        return try tx.query(listQuery + " WHERE g.tenant_id = $1 ORDER BY g.name", [tenant]).map(decode)
    }

    public static func find(name: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        let tenant = try context.requireTenant()
        guard let row = try tx.query(listQuery + " WHERE g.tenant_id = $1 AND g.name = $2", [tenant, name]).first else {
            throw TenancyError(.notFound, "no group \"\(name)\"", hint: "`shoprecon group list` shows the groups")
        }
        return try decode(row)
    }

    @discardableResult
    public static func addUser(group: String, username: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        try change(group: group, context: context, on: tx) { tenant, groupID in
            let userID = try UserDirectory.id(of: username, tenant: tenant, on: tx)
            try tx.query("INSERT INTO memberships (tenant_id, group_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                         [tenant, groupID, userID])
        }
    }

    @discardableResult
    public static func removeUser(group: String, username: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        try change(group: group, context: context, on: tx) { tenant, groupID in
            let userID = try UserDirectory.id(of: username, tenant: tenant, on: tx)
            try tx.query("DELETE FROM memberships WHERE tenant_id = $1 AND group_id = $2 AND user_id = $3", [tenant, groupID, userID])
        }
    }

    @discardableResult
    public static func grant(group: String, role: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        try change(group: group, context: context, on: tx) { tenant, groupID in
            let roleID = try RoleDirectory.id(of: role, tenant: tenant, on: tx)
            try tx.query("INSERT INTO group_roles (tenant_id, group_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                         [tenant, groupID, roleID])
        }
    }

    @discardableResult
    public static func revoke(group: String, role: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        try change(group: group, context: context, on: tx) { tenant, groupID in
            let roleID = try RoleDirectory.id(of: role, tenant: tenant, on: tx)
            try tx.query("DELETE FROM group_roles WHERE tenant_id = $1 AND group_id = $2 AND role_id = $3", [tenant, groupID, roleID])
        }
    }

    /// Limits the group to the given store codes; an empty list lifts the limit (all stores).
    @discardableResult
    public static func scope(group: String, storeCodes: [String], context: AccessContext, on tx: isolated PostgresConnection) throws -> Group {
        try change(group: group, context: context, on: tx) { tenant, groupID in
            var storeIDs: [Int64] = []
            for code in storeCodes {
                storeIDs.append(try StoreDirectory.find(code: code, context: context, on: tx).id)
            }
            try tx.query("DELETE FROM group_stores WHERE tenant_id = $1 AND group_id = $2 AND NOT (store_id = ANY ($3::bigint[]))",
                         [tenant, groupID, storeIDs])
            try tx.query("""
                INSERT INTO group_stores (tenant_id, group_id, store_id) SELECT $1, $2, unnest($3::bigint[])
                ON CONFLICT DO NOTHING
                """, [tenant, groupID, storeIDs])
        }
    }

    private static func change(group: String, context: AccessContext, on tx: isolated PostgresConnection,
                               _ body: (Int64, Int64) throws -> Void) throws -> Group {
        let tenant = try context.requireTenant()
        try context.require(Permission.userManage, to: "change groups")
        let groupID = try find(name: group, context: context, on: tx).id
        try body(tenant, groupID)
        return try find(name: group, context: context, on: tx)
    }

    static let listQuery = """
        SELECT g.group_id, g.name,
               coalesce((SELECT array_agg(r.name ORDER BY r.name) FROM group_roles gr
                         JOIN roles r ON r.tenant_id = gr.tenant_id AND r.role_id = gr.role_id
                         WHERE gr.tenant_id = g.tenant_id AND gr.group_id = g.group_id), '{}'),
               coalesce((SELECT array_agg(s.code ORDER BY s.code) FROM group_stores gs
                         JOIN stores s ON s.tenant_id = gs.tenant_id AND s.store_id = gs.store_id
                         WHERE gs.tenant_id = g.tenant_id AND gs.group_id = g.group_id), '{}'),
               coalesce((SELECT array_agg(u.username ORDER BY u.username) FROM memberships m
                         JOIN users u ON u.tenant_id = m.tenant_id AND u.user_id = m.user_id
                         WHERE m.tenant_id = g.tenant_id AND m.group_id = g.group_id), '{}')
        FROM groups g
        """

    static func decode(_ row: PostgresRow) throws -> Group {
        let (id, name, roles, stores, members) = try row.decode((Int64, String, [String], [String], [String]).self)
        return Group(id: id, name: name, roles: roles, stores: stores, members: members)
    }
}
