import PostgresClient

/// Connections to a suite's database that close whatever `body` does, so a failing test never
/// leaves a session behind to block the `DROP DATABASE` at the end of its suite.
extension TestDatabase {
    /// A connection as the schema owner (the operator), closed after `body`.
    public func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await with(configuration, body)
    }

    /// A connection as the application role `shoprecon_app` (what the CLI and daemons use), closed after `body`.
    public func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await with(appConfiguration, body)
    }

    /// A pool of application-role connections, as a daemon has, shut down after `body`.
    public func withAppPool<T: Sendable>(_ body: (ConnectionPool) async throws -> T) async throws -> T {
        let pool = ConnectionPool(configuration: try appConfiguration, options: .init(maxConnections: 2))
        do {
            let value = try await body(pool)
            await pool.shutdown()
            return value
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    private func with<T: Sendable>(_ configuration: PostgresConfiguration,
                                   _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(configuration)
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}
