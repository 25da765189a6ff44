import PostgresClient

/// Who is acting, for which tenant, with which permissions and stores: the context that
/// row-level security reads in every transaction.
public struct AccessContext: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// A tenant's user with a session: filtered by the application role's policies.
        case user
        /// The operator hosting ShopRecon, connected as the schema owner: sees every tenant.
        case `operator`
        /// A background job acting for a tenant under the application role.
        case system
    }

    public var kind: Kind
    public var tenantID: Int64?
    public var tenantSlug: String?
    public var userID: Int64?
    public var username: String?
    public var permissions: Set<String>
    public var allStores: Bool
    public var storeIDs: [Int64]
    /// The name written to the audit log (`user:alice`, `operator:ops`).
    public var actor: String

    public init(kind: Kind, tenantID: Int64?, tenantSlug: String?, userID: Int64?, username: String?,
                permissions: Set<String>, allStores: Bool, storeIDs: [Int64], actor: String) {
        self.kind = kind
        self.tenantID = tenantID
        self.tenantSlug = tenantSlug
        self.userID = userID
        self.username = username
        self.permissions = permissions
        self.allStores = allStores
        self.storeIDs = storeIDs
        self.actor = actor
    }

    /// The operator acting on one tenant (or on none, for tenant listings).
    public static func `operator`(name: String, tenantID: Int64? = nil, tenantSlug: String? = nil) -> AccessContext {
        AccessContext(kind: .operator, tenantID: tenantID, tenantSlug: tenantSlug, userID: nil, username: nil,
                      permissions: Set(Permission.all), allStores: true, storeIDs: [], actor: "operator:" + name)
    }

    /// A background job of a tenant: every permission, every store, under the application role.
    public static func system(tenantID: Int64, tenantSlug: String? = nil, name: String) -> AccessContext {
        AccessContext(kind: .system, tenantID: tenantID, tenantSlug: tenantSlug, userID: nil, username: nil,
                      permissions: Set(Permission.all), allStores: true, storeIDs: [], actor: "system:" + name)
    }

    public func has(_ permission: String) -> Bool { permissions.contains(permission) }

    /// Throws a permission error naming what is missing; the database would refuse anyway, but
    /// this explains why instead of reporting "0 rows".
    public func require(_ permission: String, to action: String) throws {
        guard has(permission) else {
            throw TenancyError(.permissionDenied, "you may not \(action): it needs the permission \(permission)",
                               hint: "ask a user with user.manage to grant you a role that has it")
        }
    }

    /// The tenant, or an error for commands that need one.
    public func requireTenant() throws -> Int64 {
        guard let tenantID else {
            throw TenancyError(.invalidInput, "this command works on one tenant", hint: "pass --tenant SLUG")
        }
        return tenantID
    }

    /// Sets the context for the current transaction with `SET LOCAL` (never `set_config`, so it
    /// reaches Citus workers). Users and jobs drop to the application role first, so the schema
    /// owner's `operator_all` policies never apply to them, whatever role the process logged in as.
    func apply(on connection: isolated PostgresConnection) throws {
        guard permissions.allSatisfy(Permission.isWellFormed) else {
            throw TenancyError(.invalidInput, "malformed permission code in the session context")
        }
        var statements: [String] = []
        if kind != .operator { statements.append("SET LOCAL ROLE shoprecon_app") }
        func set(_ name: String, _ value: String) throws {
            statements.append("SET LOCAL app.\(name) = " + (try connection.quoteLiteral(value)))
        }
        try set("tenant_id", tenantID.map(String.init) ?? "")
        try set("user_id", userID.map(String.init) ?? "")
        try set("perms", permissions.sorted().joined(separator: ","))
        try set("all_stores", allStores ? "on" : "off")
        try set("stores", storeIDs.map(String.init).joined(separator: ","))
        try set("actor", actor)
        try connection.executeScript(statements.joined(separator: ";\n"))
    }
}
