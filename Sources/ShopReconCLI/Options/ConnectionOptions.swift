import ArgumentParser
import PostgresClient

/// Where the database is. Flags win over the environment, which wins over the local cluster.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("PostgreSQL URL or conninfo (default: $DATABASE_URL, else the local dev cluster).",
                               valueName: "url"))
    var databaseURL: String?

    func configuration() throws -> PostgresConfiguration {
        if let databaseURL {
            return try PostgresConfiguration(databaseURL, applicationName: "shoprecon")
        }
        return try PostgresConfiguration.fromEnvironment(applicationName: "shoprecon")
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
