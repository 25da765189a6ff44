import ArgumentParser
import Foundation
import Logging
import PostgresClient

/// Where the benchmarks that need the full ShopRecon schema (`rls`, `jobs`) get it from: a
/// database of their own, `shoprecon_bench_<pid>`, created empty, owned by the schema owner,
/// migrated with ``Migrator`` and dropped at the end, so a benchmark never touches user data.
struct ScratchDatabaseOptions: ParsableArguments {
    @Option(name: .customLong("admin-url"),
            help: ArgumentHelp("A superuser URL for CREATE/DROP DATABASE.",
                               discussion: """
                                   Default: the development cluster's postgres role when --database-url and \
                                   DATABASE_URL are unset; otherwise the schema owner creates the database \
                                   itself (it needs CREATEDB).
                                   """,
                               valueName: "url"))
    var adminURL: String?

    @Option(name: .customLong("app-url"),
            help: ArgumentHelp("How to log in as the application role (shoprecon_app).",
                               discussion: """
                                   Only user, password, host and port are used; the database is the scratch \
                                   database. Default: the development cluster's shoprecon_app when \
                                   --database-url and DATABASE_URL are unset; otherwise the schema owner logs \
                                   in and drops to the role with SET LOCAL ROLE, as AccessContext does anyway.
                                   """,
                               valueName: "url"))
    var appURL: String?

    @Flag(help: "Keep the scratch database (for inspection) instead of dropping it.")
    var keep = false
}

/// A migrated scratch database and how to reach it.
struct ScratchDatabase: Sendable {
    let name: String
    /// The schema owner (the role of --database-url) on the scratch database.
    let owner: PostgresConfiguration
    /// The application role's own login on the scratch database, when there is one.
    let application: PostgresConfiguration?
    /// Where CREATE and DROP DATABASE run: the admin URL, else the owner's usual database.
    private let maintenance: PostgresConfiguration
    private let keep: Bool

    static let logger: Logger = {
        var logger = Logger(label: "shoprecon.bench")
        logger.logLevel = .warning
        return logger
    }()

    /// Creates `shoprecon_bench_<pid>` and applies every migration to it.
    static func create(options: BenchOptions, scratch: ScratchDatabaseOptions, purpose: String) async throws -> ScratchDatabase {
        BenchLog.bootstrap()
        let base = try options.configuration()
        let name = "shoprecon_bench_\(ProcessInfo.processInfo.processIdentifier)"
        let port = base.target.port

        // Who owns the schema: whoever --database-url logs in as.
        let probe = try await PostgresConnection.connect(base, logger: logger)
        let ownerRole = try await probe.query("SELECT current_user::text")[0].decode(String.self, at: 0)

        var maintenance = base
        var adminConnection: PostgresConnection?
        let adminURL = scratch.adminURL ?? (base.isDevelopmentDefault ? "postgresql://postgres:postgres@127.0.0.1:\(port)/postgres" : nil)
        if let adminURL {
            do {
                let admin = try PostgresConfiguration(adminURL, applicationName: "shoprecon-bench")
                adminConnection = try await PostgresConnection.connect(admin, logger: logger)
                maintenance = admin
            } catch {
                BenchLog.progress("cannot use the admin URL (\(error)); the schema owner creates the scratch database")
            }
        }
        let creator = adminConnection ?? probe
        let quotedName = try await creator.quoteIdentifier(name)
        let quotedOwner = try await creator.quoteIdentifier(ownerRole)
        try await creator.query("DROP DATABASE IF EXISTS \(quotedName) WITH (FORCE)")
        try await creator.query("CREATE DATABASE \(quotedName) OWNER \(quotedOwner)")
        await adminConnection?.close()
        await probe.close()

        let owner = try base.with(database: name)
        var application: PostgresConfiguration?
        if let appURL = scratch.appURL {
            application = try PostgresConfiguration(appURL, applicationName: "shoprecon-bench").with(database: name)
        } else if base.isDevelopmentDefault {
            let app = PostgresConfiguration.developmentAppURL.replacingOccurrences(of: ":54329/", with: ":\(port)/")
            application = try PostgresConfiguration(app, applicationName: "shoprecon-bench").with(database: name)
        }
        let database = ScratchDatabase(name: name, owner: owner, application: application, maintenance: maintenance,
                                       keep: scratch.keep)
        BenchLog.progress("created scratch database \(name) owned by \(ownerRole) for \(purpose); migrating")
        do {
            let connection = try await PostgresConnection.connect(owner, logger: logger)
            let migrator = try Migrator(directory: Migrator.locateDirectory())
            let applied = try await migrator.migrate(on: connection, logger: logger)
            await connection.close()
            BenchLog.progress("applied \(applied.count) migrations from \(migrator.directory.path)")
        } catch {
            await database.drop()
            throw error
        }
        return database
    }

    /// Drops the database (unless --keep), ending any session still connected to it.
    func drop() async {
        if keep {
            BenchLog.progress("keeping scratch database \(name)")
            return
        }
        do {
            let connection = try await PostgresConnection.connect(maintenance, logger: Self.logger)
            let quoted = try await connection.quoteIdentifier(name)
            try await connection.query("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
            await connection.close()
            BenchLog.progress("dropped scratch database \(name)")
        } catch {
            BenchLog.progress("warning: could not drop scratch database \(name): \(error)")
        }
    }

    /// The application role's connection, or the owner's when it has no login of its own.
    var applicationOrOwner: (configuration: PostgresConfiguration, login: String) {
        if let application { return (application, application.target.user) }
        return (owner, owner.target.user + " (SET LOCAL ROLE shoprecon_app)")
    }
}
