import PostgresClient

/// Runs work for a user session, a job or the operator inside one transaction with the right
/// row-level security context.
public struct TenantScope: Sendable {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Resolves a session token (once per transaction), sets the user's context and runs `body`.
    public func asUser<T: Sendable>(
        token: String,
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        try await connection.transaction { tx in
            let context = try Authenticator.resolve(token: token, on: tx)
            try context.apply(on: tx)
            return try await body(tx, context)
        }
    }

    /// Runs `body` with a context built elsewhere (the operator's, or a job's system context).
    public func with<T: Sendable>(
        _ context: AccessContext,
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        try await connection.transaction { tx in
            try context.apply(on: tx)
            return try await body(tx, context)
        }
    }

    /// The operator acting on the tenant `slug` (or on no tenant when `nil`).
    public func asOperator<T: Sendable>(
        name: String,
        tenant slug: String?,
        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T
    ) async throws -> T {
        try await connection.transaction { tx in
            var context = AccessContext.operator(name: name)
            try context.apply(on: tx)
            if let slug {
                let tenant = try TenantDirectory.find(slug: slug, on: tx)
                context = .operator(name: name, tenantID: tenant.id, tenantSlug: tenant.slug)
                try context.apply(on: tx)
            }
            return try await body(tx, context)
        }
    }
}
