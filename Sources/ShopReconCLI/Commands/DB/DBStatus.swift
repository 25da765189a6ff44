import ArgumentParser
import Foundation
import PostgresClient

struct DBStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show which migrations are applied, pending or changed.",
        discussion: "Exits with 5 when an applied migration file was changed or the database is newer than this build."
    )

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var migrations: MigrationOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let migrator = try Migrator(directory: migrations.migrationsDir.map { URL(fileURLWithPath: $0) } ?? Migrator.locateDirectory())
            let db = try await connection.connect()
            let states = try await migrator.status(on: db)
            let server = try await db.query("SELECT current_setting('server_version')").first?.decode(String.self, at: 0) ?? "?"
            await db.close()
            if output.json {
                struct Entry: Encodable { var version: Int; var name: String; var state: String; var appliedAt: Date? }
                struct Result: Encodable { var database: String; var serverVersion: String; var migrations: [Entry] }
                try printJSON(Result(database: db.configuration.description, serverVersion: server,
                                     migrations: states.map { Entry(version: $0.version, name: $0.name, state: $0.state.rawValue, appliedAt: $0.appliedAt) }))
            } else {
                print("Database \(db.configuration) (PostgreSQL \(server))")
                var table = TextTable("VERSION", "NAME", "STATE", "APPLIED AT")
                let formatter = ISO8601DateFormatter()
                for state in states {
                    table.append([String(format: "%04d", state.version), state.name, state.state.rawValue,
                                  state.appliedAt.map(formatter.string(from:)) ?? "-"])
                }
                print(table.render())
                let pending = states.filter { $0.state == .pending }.count
                print(pending == 0 ? "Up to date." : "\(pending) pending: run `shoprecon db migrate`.")
            }
            if states.contains(where: { $0.state == .changed || $0.state == .unknown }) {
                throw CLIFailure.conflict("the applied migrations do not match this build's files (see STATE above)",
                                          hint: "a 'changed' file must be restored; an 'unknown' one means ShopRecon needs upgrading")
            }
        }
    }
}
