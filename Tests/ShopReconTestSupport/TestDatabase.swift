import Foundation
import PostgresClient

/// A database of its own for one test suite, cloned from a migrated template.
///
/// The template is built once per test process (under an advisory lock, so parallel test
/// processes agree) and named after the migrations' checksums, so a new or edited migration
/// gets a new template automatically. Cloning a template takes a few milliseconds, which is what
/// makes "every suite gets a fresh database" affordable.
public struct TestDatabase: Sendable {
    public let name: String
    /// Connects as the schema owner to this suite's database.
    public let configuration: PostgresConfiguration

    /// Superuser URL of the test server: `SHOPRECON_TEST_ADMIN_URL`, else the local dev cluster.
    public static var adminURL: String {
        let env = ProcessInfo.processInfo.environment
        if let url = env["SHOPRECON_TEST_ADMIN_URL"], !url.isEmpty { return url }
        return "postgresql://postgres:postgres@127.0.0.1:\(env["SHOPRECON_DEV_PORT"] ?? "54329")/postgres"
    }

    /// URL of the schema owner role on the test server (the role migrations run as).
    public static var ownerURL: String {
        let env = ProcessInfo.processInfo.environment
        if let url = env["SHOPRECON_TEST_OWNER_URL"], !url.isEmpty { return url }
        return "postgresql://shoprecon_owner:shoprecon_owner@127.0.0.1:\(env["SHOPRECON_DEV_PORT"] ?? "54329")/postgres"
    }

    /// URL of the application role (`shoprecon_app`, LOGIN on the dev cluster) on the test server.
    public static var appURL: String {
        let env = ProcessInfo.processInfo.environment
        if let url = env["SHOPRECON_TEST_APP_URL"], !url.isEmpty { return url }
        return "postgresql://shoprecon_app:shoprecon_app@127.0.0.1:\(env["SHOPRECON_DEV_PORT"] ?? "54329")/postgres"
    }

    /// Connects as the application role to this suite's database: what the CLI and daemons use.
    public var appConfiguration: PostgresConfiguration {
        get throws { try PostgresConfiguration(Self.appURL, applicationName: "shoprecon-tests").with(database: name) }
    }

    public static func adminConfiguration() throws -> PostgresConfiguration {
        try PostgresConfiguration(adminURL, applicationName: "shoprecon-tests")
    }

    /// Creates a fresh database; `migrated: false` gives an empty one (for migration tests).
    public static func create(migrated: Bool = true) async throws -> TestDatabase {
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let admin = try await PostgresConnection.connect(adminConfiguration())
        defer { Task { await admin.close() } }
        let owner = try await admin.quoteIdentifier(ownerRole)
        if migrated {
            let template = try await TemplateBuilder.shared.template()
            try await admin.query("CREATE DATABASE " + admin.quoteIdentifier(String(name)) + " TEMPLATE "
                                  + admin.quoteIdentifier(template) + " OWNER " + owner)
        } else {
            try await admin.query("CREATE DATABASE " + admin.quoteIdentifier(String(name)) + " OWNER " + owner)
        }
        let configuration = try PostgresConfiguration(ownerURL, applicationName: "shoprecon-tests").with(database: String(name))
        return TestDatabase(name: String(name), configuration: configuration)
    }

    /// Creates a fresh database, runs `body` with it and drops it afterwards, also when `body`
    /// throws: what every suite's "one database per suite" trait does around its tests.
    public static func withFresh<T: Sendable>(migrated: Bool = true, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let database = try await create(migrated: migrated)
        let value: T
        do {
            value = try await body(database)
        } catch {
            try? await database.drop()
            throw error
        }
        try await database.drop()
        return value
    }

    /// Drops the database, disconnecting anyone still in it.
    public func drop() async throws {
        let admin = try await PostgresConnection.connect(Self.adminConfiguration())
        try await admin.query("DROP DATABASE IF EXISTS " + admin.quoteIdentifier(name) + " WITH (FORCE)")
        await admin.close()
    }

    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration)
    }

    static var ownerRole: String {
        (try? PostgresConfiguration(ownerURL).target.user) ?? "shoprecon_owner"
    }
}

/// Builds the migrated template database once per process.
actor TemplateBuilder {
    static let shared = TemplateBuilder()
    private var built: String?

    func template() async throws -> String {
        if let built { return built }
        let migrator = try Migrator(directory: Migrator.locateDirectory())
        let digest = migrator.migrations.map(\.checksum).joined().utf8.reduce(into: UInt64(1_469_598_103_934_665_603)) {
            $0 = ($0 ^ UInt64($1)) &* 1_099_511_628_211
        }
        let name = "shoprecon_template_" + String(digest, radix: 16)
        let admin = try await PostgresConnection.connect(TestDatabase.adminConfiguration())
        try await admin.query("SELECT pg_advisory_lock(7201)")
        do {
            let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).count == 1
            if !exists {
                let building = name + "_building"
                try await admin.query("DROP DATABASE IF EXISTS " + admin.quoteIdentifier(building) + " WITH (FORCE)")
                try await admin.query("CREATE DATABASE " + admin.quoteIdentifier(building) + " OWNER "
                                      + admin.quoteIdentifier(TestDatabase.ownerRole))
                let connection = try await PostgresConnection.connect(
                    PostgresConfiguration(TestDatabase.ownerURL).with(database: building))
                try await migrator.migrate(on: connection)
                await connection.close()
                try await admin.query("ALTER DATABASE " + admin.quoteIdentifier(building) + " RENAME TO " + admin.quoteIdentifier(name))
            }
            try await admin.query("SELECT pg_advisory_unlock(7201)")
        } catch {
            _ = try? await admin.query("SELECT pg_advisory_unlock(7201)")
            await admin.close()
            throw error
        }
        await admin.close()
        built = name
        return name
    }
}
