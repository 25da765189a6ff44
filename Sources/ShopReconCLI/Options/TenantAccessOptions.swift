import ArgumentParser
import Foundation
import PostgresClient
import Tenancy

/// How a command acts on a tenant: as the logged-in user (the default), or, with `--tenant`, as
/// the operator, which needs the schema owner's database credentials.
struct TenantAccessOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Act as the operator on this tenant (needs the operator's database credentials) instead of as the logged-in user.",
                               valueName: "slug"))
    var tenant: String?

    @OptionGroup var connection: ConnectionOptions

    /// Runs `body` in one transaction with the right row-level security context.
    func run<T: Sendable>(_ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
        if let tenant {
            return try await Self.asOperator(connection: connection, tenant: tenant, body)
        }
        let token = try SessionStore.currentToken()
        let db = try await PostgresConnection.connect(connection.configuration(developmentRole: .application), logger: CLILogging.logger)
        defer { Task { await db.close() } }
        return try await TenantScope(connection: db).asUser(token: token, body)
    }

    static func asOperator<T: Sendable>(connection: ConnectionOptions, tenant: String?,
                                        _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
        let db = try await connection.connect()
        defer { Task { await db.close() } }
        return try await TenantScope(connection: db).asOperator(name: operatorName, tenant: tenant, body)
    }

    /// The name operators appear under in the audit log: `SHOPRECON_OPERATOR`, else the OS user.
    static var operatorName: String {
        let env = ProcessInfo.processInfo.environment
        return env["SHOPRECON_OPERATOR"] ?? env["USER"] ?? env["LOGNAME"] ?? "operator"
    }
}
