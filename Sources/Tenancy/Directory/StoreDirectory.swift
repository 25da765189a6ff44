import PostgresClient

/// Shops of a tenant. Users see only the stores their groups cover.
public enum StoreDirectory {
    public static func add(code: String, name: String, channel: String, currency: String = "CNY",
                           context: AccessContext, on tx: isolated PostgresConnection) throws -> Store {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "add stores")
        guard Store.channels.contains(channel) else {
            throw TenancyError(.invalidInput, "unknown channel \"\(channel)\"", hint: "one of: " + Store.channels.joined(separator: ", "))
        }
        try Validation.currency(currency)
        do {
            let row = try tx.query("""
                INSERT INTO stores (tenant_id, code, name, channel, currency) VALUES ($1, $2, $3, $4, $5)
                RETURNING store_id, code, name, channel, currency
                """, [tenant, code, name, channel, currency])
            return try decode(row[0])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "the tenant has a store \"\(code)\" already")
        }
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Store] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT store_id, code, name, channel, currency FROM stores WHERE tenant_id = $1 ORDER BY code",
                            [tenant]).map(decode)
    }

    public static func find(code: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Store {
        let tenant = try context.requireTenant()
        guard let row = try tx.query("SELECT store_id, code, name, channel, currency FROM stores WHERE tenant_id = $1 AND code = $2",
                                     [tenant, code]).first else {
            throw TenancyError(.notFound, "no store \"\(code)\" (or it is outside your store scope)",
                               hint: "`shoprecon store list` shows the stores you can see")
        }
        return try decode(row)
    }

    static func decode(_ row: PostgresRow) throws -> Store {
        let (id, code, name, channel, currency) = try row.decode((Int64, String, String, String, String).self)
        return Store(id: id, code: code, name: name, channel: channel, currency: currency)
    }
}
