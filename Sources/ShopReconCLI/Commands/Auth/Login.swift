import ArgumentParser
import Foundation
import PostgresClient
import Tenancy

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in as a user of a tenant and save the session for later commands.",
        discussion: """
            The password is asked for without echo, or read from the first line of standard input \
            with --password-stdin. The session is saved in ~/.config/shoprecon/session.json \
            (SHOPRECON_CONFIG_DIR moves it); scripts can use --print-token and SHOPRECON_TOKEN \
            instead. Five wrong passwords lock the user for 15 minutes.
            """
    )

    @Option(help: ArgumentHelp("The tenant (merchant) slug.", valueName: "slug")) var tenant: String
    @Argument(help: "The user name.") var user: String
    @Flag(help: "Read the password from standard input.") var passwordStdin = false
    @Option(help: "Session lifetime in hours.") var hours = 12
    @Flag(help: "Print the token to stdout instead of saving it.") var printToken = false
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let password = try PasswordPrompt.read(prompt: "Password for \(user)@\(tenant): ", fromStdin: passwordStdin)
            let db = try await PostgresConnection.connect(connection.configuration(developmentRole: .application), logger: CLILogging.logger)
            let (tenant, user, hours) = (tenant, user, hours)
            // Not in a transaction: a failed attempt must be recorded even though login throws.
            let session = try await Authenticator.login(tenant: tenant, username: user, password: password,
                                                        ttl: .seconds(hours * 3600), on: db)
            await db.close()
            if printToken {
                print(session.token)
                return
            }
            try SessionStore.save(SavedSession(tenant: tenant, username: user, token: session.token, expiresAt: session.expiresAt))
            struct Result: Encodable { var tenant: String; var user: String; var expiresAt: Date }
            try emit(Result(tenant: tenant, user: user, expiresAt: session.expiresAt), json: output.json) {
                "Logged in as \(user) of \(tenant) until \(session.expiresAt.shortText)."
            }
        }
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "End the saved session (or the one in SHOPRECON_TOKEN).")
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        try await runCommand {
            let token = try SessionStore.currentToken()
            let db = try await PostgresConnection.connect(connection.configuration(developmentRole: .application), logger: CLILogging.logger)
            let ended = try await db.transaction { tx in try Authenticator.logout(token: token, on: tx) }
            await db.close()
            SessionStore.remove()
            print(ended ? "Logged out." : "The session had already ended.")
        }
    }
}

struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami",
                                                    abstract: "Show the logged-in user, tenant, permissions and stores.")
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let (context, stores) = try await access.run { tx, context in
                (context, try StoreDirectory.list(context: context, on: tx))
            }
            struct Result: Encodable {
                var kind: String; var actor: String; var tenant: String?; var user: String?
                var permissions: [String]; var allStores: Bool; var stores: [String]
            }
            let result = Result(kind: context.kind.rawValue, actor: context.actor, tenant: context.tenantSlug, user: context.username,
                                permissions: context.permissions.sorted(), allStores: context.allStores, stores: stores.map(\.code))
            try emit(result, json: output.json) {
                """
                \(context.username.map { "user:        \($0)" } ?? "actor:       \(context.actor)")
                tenant:      \(context.tenantSlug ?? "-")
                permissions: \(result.permissions.joined(separator: ", "))
                stores:      \(context.allStores ? "all" : "only") (\(result.stores.isEmpty ? "none" : result.stores.joined(separator: ", ")))
                """
            }
        }
    }
}
