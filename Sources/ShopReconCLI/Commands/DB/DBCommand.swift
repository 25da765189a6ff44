import ArgumentParser

/// `shoprecon db ...`: the schema.
struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Apply and inspect the database schema migrations.",
        subcommands: [DBMigrate.self, DBStatus.self]
    )
}

/// Where the migration files are.
struct MigrationOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Folder with NNNN_*.sql files (default: $SHOPRECON_MIGRATIONS_DIR, else SQL/migrations of the checkout).",
                               valueName: "dir"))
    var migrationsDir: String?
}
