import ArgumentParser
import PostgresClient

/// Where the database is. Flags win over the environment, which wins over the local cluster.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("PostgreSQL URL or conninfo (default: $DATABASE_URL, else the local dev cluster).",
                               valueName: "url"))
    var databaseURL: String?

    /// The configured database; without one, the local cluster as the owner (migrations,
    /// operator commands) or as the application role (tenant sessions).
    func configuration(developmentRole: PostgresConfiguration.DevelopmentRole = .owner) throws -> PostgresConfiguration {
        if let databaseURL {
            return try PostgresConfiguration(databaseURL, applicationName: "shoprecon")
        }
        return try PostgresConfiguration.fromEnvironment(applicationName: "shoprecon", developmentRole: developmentRole)
    }

    func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration(), logger: CLILogging.logger)
    }
}

/// `--json` for scripts; human tables otherwise.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print machine-readable JSON instead of a table.")
    var json = false
}
