import ArgumentParser
import Foundation
import PostgresClient

struct DBMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations, each in its own transaction.",
        discussion: """
            Safe to run from several machines at once: an advisory lock lets one run apply the \
            files while the others wait and then find nothing to do. Run it as the schema owner.
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let migrator = try Migrator(directory: migrations.migrationsDir.map { URL(fileURLWithPath: $0) } ?? Migrator.locateDirectory())
            let db = try await connection.connect()
            let applied = try await migrator.migrate(on: db, logger: CLILogging.logger)
            await db.close()
            if output.json {
                struct Result: Encodable { var database: String; var applied: [String]; var total: Int }
                try printJSON(Result(database: db.configuration.description, applied: applied.map(\.fileName),
                                     total: migrator.migrations.count))
            } else if applied.isEmpty {
                print("Database \(db.configuration) is up to date (\(migrator.migrations.count) migrations).")
            } else {
                for migration in applied { print("applied \(migration.fileName)") }
                print("Database \(db.configuration): \(applied.count) migration(s) applied, \(migrator.migrations.count) in all.")
            }
        }
    }
}
