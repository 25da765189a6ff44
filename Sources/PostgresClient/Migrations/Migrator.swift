import Foundation
import Logging

/// Applies `SQL/migrations/NNNN_*.sql` in order, each in its own transaction.
///
/// A session advisory lock serializes concurrent runs (two daemons starting at once), so each
/// file is applied exactly once; applied files are recorded with their checksum, and a file that
/// changed after it was applied stops the run with an error naming it.
public struct Migrator: Sendable {
    public let directory: URL
    public let migrations: [Migration]
    /// `hashtext('shoprecon.migrations')` would do too; a constant keeps it readable in `pg_locks`.
    static let lockKey: Int64 = 0x5348_4F50_5245_434F  // "SHOPRECO"

    public init(directory: URL) throws {
        self.directory = directory
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw PostgresError(code: .migration, message: "cannot read the migrations folder \(directory.path): \(error.localizedDescription)",
                                hint: "run from the ShopRecon checkout or set SHOPRECON_MIGRATIONS_DIR")
        }
        var found: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            let stem = name.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
                throw PostgresError(code: .migration, message: "migration file \(name) is not named NNNN_description.sql")
            }
            if let clash = found.first(where: { $0.version == version }) {
                throw PostgresError(code: .migration, message: "migrations \(clash.fileName) and \(name) have the same number \(parts[0])")
            }
            let contents = try Data(contentsOf: directory.appendingPathComponent(name))
            found.append(try Migration(version: version, name: String(parts[1]), fileName: name, contents: contents))
        }
        migrations = found
    }

    /// Finds the migrations folder: `SHOPRECON_MIGRATIONS_DIR`, then `SQL/migrations` above the
    /// working directory or the executable, then the packaged location.
    public static func locateDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> URL {
        if let explicit = environment["SHOPRECON_MIGRATIONS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath)]
        starts.append(URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent())
        for start in starts {
            var folder = start.standardizedFileURL
            for _ in 0..<8 {
                let candidate = folder.appendingPathComponent("SQL/migrations")
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
                folder.deleteLastPathComponent()
            }
        }
        let packaged = URL(fileURLWithPath: "/usr/share/shoprecon/SQL/migrations")
        if FileManager.default.fileExists(atPath: packaged.path) { return packaged }
        throw PostgresError(code: .migration, message: "cannot find the SQL/migrations folder",
                            hint: "run from the ShopRecon checkout or set SHOPRECON_MIGRATIONS_DIR")
    }

    /// What is applied, pending, changed or unknown.
    public func status(on connection: PostgresConnection) async throws -> [MigrationStatus] {
        try await connection.query(Self.createTable)
        return try await status(applied: Self.applied(on: connection))
    }

    /// Applies every pending migration; returns those it applied (none when up to date).
    @discardableResult
    public func migrate(on connection: PostgresConnection, logger: Logger = Logger(label: "shoprecon.migrations")) async throws -> [Migration] {
        try await connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        do {
            let applied = try await run(on: connection, logger: logger)
            try await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            throw error
        }
    }

    private func run(on connection: PostgresConnection, logger: Logger) async throws -> [Migration] {
        try await connection.query(Self.createTable)
        let states = try await status(applied: Self.applied(on: connection))
        if let changed = states.first(where: { $0.state == .changed }) {
            let file = migrations.first { $0.version == changed.version }!.fileName
            throw PostgresError(code: .migration,
                                message: "migration \(file) was changed after it was applied",
                                hint: "applied migrations are never edited; restore the file and add a new migration for the change")
        }
        if let unknown = states.first(where: { $0.state == .unknown }) {
            throw PostgresError(code: .migration,
                                message: "the database has migration \(String(format: "%04d", unknown.version))_\(unknown.name) that this build does not have",
                                hint: "the database is newer than this ShopRecon; upgrade ShopRecon")
        }
        var done: [Migration] = []
        for migration in migrations where states.contains(where: { $0.version == migration.version && $0.state == .pending }) {
            let started = ContinuousClock.now
            do {
                try await connection.transaction { tx in
                    try tx.executeScript(migration.sql)
                    let elapsed = ContinuousClock.now - started
                    try tx.query("""
                        INSERT INTO schema_migrations (version, name, checksum, duration_ms)
                        VALUES ($1, $2, $3, $4)
                        """, [migration.version, migration.name, migration.checksum,
                              Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)])
                }
            } catch var error as PostgresError {
                error.message = "migration \(migration.fileName) failed: \(error.serverInfo?[.message] ?? error.message)"
                error.code = .migration
                throw error
            }
            logger.info("applied migration", metadata: ["file": "\(migration.fileName)"])
            done.append(migration)
        }
        return done
    }

    private struct Applied { var name: String; var checksum: String; var appliedAt: Date }

    private static func applied(on connection: PostgresConnection) async throws -> [Int: Applied] {
        var applied: [Int: Applied] = [:]
        for row in try await connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") {
            let (version, name, checksum, at) = try row.decode((Int, String, String, Date).self)
            applied[version] = Applied(name: name, checksum: checksum, appliedAt: at)
        }
        return applied
    }

    private func status(applied: [Int: Applied]) -> [MigrationStatus] {
        var result = migrations.map { migration -> MigrationStatus in
            guard let record = applied[migration.version] else {
                return MigrationStatus(version: migration.version, name: migration.name, state: .pending, appliedAt: nil)
            }
            return MigrationStatus(version: migration.version, name: migration.name,
                                   state: record.checksum == migration.checksum ? .applied : .changed,
                                   appliedAt: record.appliedAt)
        }
        let known = Set(migrations.map(\.version))
        for (version, record) in applied where !known.contains(version) {
            result.append(MigrationStatus(version: version, name: record.name, state: .unknown, appliedAt: record.appliedAt))
        }
        return result.sorted { $0.version < $1.version }
    }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        )
        """
}
