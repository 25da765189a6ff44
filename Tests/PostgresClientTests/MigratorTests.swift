import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

/// Every test needs a database that has never seen a migration, so each one makes its own
/// empty database (cheap: `CREATE DATABASE` from `template1`) and drops it afterwards.
@Suite("Migrator", .timeLimit(.minutes(1)))
struct MigratorTests {
    /// A temporary folder of migration files, removed by ``remove()``.
    struct Folder {
        let url: URL

        init(_ files: [String: String]) throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("migrations"))
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            for (name, contents) in files { try write(name, contents) }
        }

        func write(_ name: String, _ contents: String) throws {
            try Data(contents.utf8).write(to: url.appendingPathComponent(name))
        }

        func delete(_ name: String) throws {
            try FileManager.default.removeItem(at: url.appendingPathComponent(name))
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    /// Runs `body` with a fresh empty database and a migration folder, cleaning up both.
    private func withEmptyDatabase<T: Sendable>(
        files: [String: String], _ body: (TestDatabase, Folder) async throws -> T
    ) async throws -> T {
        let database = try await TestDatabase.create(migrated: false)
        let folder: Folder
        do {
            folder = try Folder(files)
        } catch {
            try? await database.drop()
            throw error
        }
        do {
            let value = try await body(database, folder)
            folder.remove()
            try await database.drop()
            return value
        } catch {
            folder.remove()
            try? await database.drop()
            throw error
        }
    }

    private func appliedVersions(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode(Int.self, at: 0) }
    }

    private func tableExists(_ connection: PostgresConnection, _ name: String) async throws -> Bool {
        try await connection.scalar(Bool.self, "SELECT to_regclass($1) IS NOT NULL", [name])
    }

    static let basicFiles = [
        "0001_create_customers.sql": """
            CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL);
            CREATE TABLE migration_log (seq serial PRIMARY KEY, file text NOT NULL);
            INSERT INTO migration_log (file) VALUES ('0001');
            """,
        "0002_create_orders.sql": """
            -- depends on 0001
            CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers (id));
            INSERT INTO migration_log (file) VALUES ('0002');
            """,
        "0010_seed.sql": """
            INSERT INTO customers VALUES (1, '淘宝订单，退款！');
            INSERT INTO migration_log (file) VALUES ('0010');
            """,
        "README.md": "not a migration",
        "0003_draft.sql.bak": "SELECT broken syntax here",
    ]

    @Test("applies every file in order, records checksums, and applies nothing the second time")
    func appliesInOrder() async throws {
        try await withEmptyDatabase(files: Self.basicFiles) { database, folder in
            let migrator = try Migrator(directory: folder.url)
            #expect(migrator.migrations.map(\.version) == [1, 2, 10])
            #expect(migrator.migrations.map(\.name) == ["create_customers", "create_orders", "seed"])

            let connection = try await database.connect()
            let applied = try await migrator.migrate(on: connection)
            #expect(applied.map(\.fileName) == ["0001_create_customers.sql", "0002_create_orders.sql", "0010_seed.sql"])
            let log = try await connection.query("SELECT file FROM migration_log ORDER BY seq").map { try $0.decode(String.self, at: 0) }
            #expect(log == ["0001", "0002", "0010"])
            #expect(try await connection.scalar(String.self, "SELECT name FROM customers WHERE id = 1") == "淘宝订单，退款！")

            // The recorded checksum is the SHA-256 of the file, as the server computes it.
            let records = try await connection.query("""
                SELECT version, name, checksum, duration_ms >= 0, applied_at <= now() FROM schema_migrations ORDER BY version
                """)
            #expect(records.count == 3)
            for (record, migration) in zip(records, migrator.migrations) {
                let (version, name, checksum, durationOK, timeOK) = try record.decode((Int, String, String, Bool, Bool).self)
                let contents = try Data(contentsOf: folder.url.appendingPathComponent(migration.fileName))
                let expected = try await connection.scalar(String.self, "SELECT encode(sha256($1::bytea), 'hex')", [contents])
                #expect(version == migration.version)
                #expect(name == migration.name)
                #expect(checksum == expected)
                #expect(checksum == migration.checksum)
                #expect(durationOK && timeOK)
            }

            let again = try await migrator.migrate(on: connection)
            #expect(again.isEmpty)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM migration_log") == 3)
            #expect(try await appliedVersions(connection) == [1, 2, 10])
            // A fresh Migrator over the same folder agrees.
            #expect(try await Migrator(directory: folder.url).migrate(on: connection).isEmpty)
            await connection.close()
        }
    }

    @Test("status shows applied and pending migrations")
    func status() async throws {
        let files = Self.basicFiles.filter { $0.key != "0010_seed.sql" }
        try await withEmptyDatabase(files: files) { database, folder in
            let connection = try await database.connect()
            let before = try await Migrator(directory: folder.url).status(on: connection)
            #expect(before.map(\.state) == [.pending, .pending])
            #expect(before.allSatisfy { $0.appliedAt == nil })

            try await Migrator(directory: folder.url).migrate(on: connection)
            try folder.write("0010_seed.sql", Self.basicFiles["0010_seed.sql"]!)
            let migrator = try Migrator(directory: folder.url)
            let after = try await migrator.status(on: connection)
            #expect(after.map(\.version) == [1, 2, 10])
            #expect(after.map(\.state) == [.applied, .applied, .pending])
            #expect(after.map(\.name) == ["create_customers", "create_orders", "seed"])
            #expect(after[0].appliedAt != nil && after[1].appliedAt != nil && after[2].appliedAt == nil)

            let applied = try await migrator.migrate(on: connection)
            #expect(applied.map(\.version) == [10])
            #expect(try await migrator.status(on: connection).map(\.state) == [.applied, .applied, .applied])
            await connection.close()
        }
    }

    @Test("a file changed after it was applied stops the run with an error naming it")
    func changedFile() async throws {
        let files = Self.basicFiles.filter { $0.key != "0010_seed.sql" }
        try await withEmptyDatabase(files: files) { database, folder in
            let connection = try await database.connect()
            try await Migrator(directory: folder.url).migrate(on: connection)

            try folder.write("0002_create_orders.sql", Self.basicFiles["0002_create_orders.sql"]! + "\n-- an innocent comment\n")
            try folder.write("0010_seed.sql", Self.basicFiles["0010_seed.sql"]!)
            let migrator = try Migrator(directory: folder.url)
            let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("0002_create_orders.sql") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("changed") == true)
            // Nothing after it ran either.
            #expect(try await appliedVersions(connection) == [1, 2])
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM customers") == 0)
            #expect(try await migrator.status(on: connection).map(\.state) == [.applied, .changed, .pending])
            // The advisory lock was released: another session can take it at once.
            try await withConnection(to: database) { other throws in
                #expect(try await other.scalar(Bool.self, "SELECT pg_try_advisory_lock(\(0x5348_4F50_5245_434F))"))
            }
            await connection.close()
        }
    }

    @Test("a migration the database has but the folder lacks stops the run")
    func unknownMigration() async throws {
        try await withEmptyDatabase(files: Self.basicFiles) { database, folder in
            let connection = try await database.connect()
            try await Migrator(directory: folder.url).migrate(on: connection)
            try folder.delete("0010_seed.sql")
            let migrator = try Migrator(directory: folder.url)
            #expect(try await migrator.status(on: connection).map(\.state) == [.applied, .applied, .unknown])
            let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("0010_seed") == true, "\(error?.message ?? "")")
            await connection.close()
        }
    }

    @Test("badly named files are rejected", arguments: [
        "1_init.sql", "001_init.sql", "00001_init.sql", "0001init.sql", "0001-init.sql", "abcd_init.sql", "0001_.sql",
    ])
    func badNames(_ name: String) throws {
        let folder = try Folder(["0002_fine.sql": "SELECT 1;", name: "SELECT 1;"])
        defer { folder.remove() }
        let error = #expect(throws: PostgresError.self) { try Migrator(directory: folder.url) }
        #expect(error?.code == .migration)
        #expect(error?.message.contains(name) == true, "\(error?.message ?? "")")
    }

    @Test("two files with the same number are rejected")
    func duplicateNumbers() throws {
        let folder = try Folder(["0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 2;"])
        defer { folder.remove() }
        let error = #expect(throws: PostgresError.self) { try Migrator(directory: folder.url) }
        #expect(error?.code == .migration)
        #expect(error?.message.contains("0001_a.sql") == true)
        #expect(error?.message.contains("0001_b.sql") == true)

        let missing = #expect(throws: PostgresError.self) {
            try Migrator(directory: folder.url.appendingPathComponent("does-not-exist"))
        }
        #expect(missing?.code == .migration)
    }

    @Test("a failing migration rolls back entirely and is not recorded")
    func failingMigrationRollsBack() async throws {
        let files = [
            "0001_ok.sql": "CREATE TABLE kept (id int); INSERT INTO kept VALUES (1);",
            "0002_fails.sql": """
                CREATE TABLE partial (id int);
                INSERT INTO partial VALUES (1);
                ALTER TABLE kept ADD COLUMN extra text;
                INSERT INTO kept VALUES (2, 'two');
                SELECT 1 / 0;
                CREATE TABLE never (id int);
                """,
            "0003_later.sql": "CREATE TABLE later (id int);",
        ]
        try await withEmptyDatabase(files: files) { database, folder in
            let connection = try await database.connect()
            let migrator = try Migrator(directory: folder.url)
            let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(on: connection) }
            #expect(error?.code == .migration)
            #expect(error?.message.contains("0002_fails.sql") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("division by zero") == true)
            #expect(error?.sqlState == "22012")

            #expect(try await appliedVersions(connection) == [1])
            #expect(try await tableExists(connection, "kept"))
            #expect(try await !tableExists(connection, "partial"))
            #expect(try await !tableExists(connection, "never"))
            #expect(try await !tableExists(connection, "later"))
            #expect(try await connection.scalar(Int.self,
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'kept' AND column_name = 'extra'") == 0)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM kept") == 1)
            #expect(await !connection.isInTransaction)

            // Fixed, the same migration applies (it was never recorded, so it is not "changed").
            try folder.write("0002_fails.sql", "CREATE TABLE partial (id int);")
            let applied = try await Migrator(directory: folder.url).migrate(on: connection)
            #expect(applied.map(\.version) == [2, 3])
            #expect(try await tableExists(connection, "partial"))
            await connection.close()
        }
    }

    @Test("two concurrent runs apply each file exactly once")
    func concurrentRuns() async throws {
        // count_execution() advances a sequence, which a rollback does not undo: it counts
        // every execution of a file, including any that failed or were rolled back.
        let files = [
            "0001_slow.sql": """
                CREATE TABLE runs (file text NOT NULL);
                SELECT pg_sleep(0.5);
                INSERT INTO runs (file) VALUES ('0001');
                SELECT count_execution('0001');
                """,
            "0002_next.sql": """
                CREATE TABLE widgets (id int);
                INSERT INTO runs (file) VALUES ('0002');
                SELECT count_execution('0002');
                """,
            "0003_last.sql": "INSERT INTO runs (file) VALUES ('0003'); SELECT count_execution('0003');",
        ]
        try await withEmptyDatabase(files: files) { database, folder in
            try await withConnection(to: database) { setup in
                try await setup.executeScript("""
                    CREATE SEQUENCE executions_0001; CREATE SEQUENCE executions_0002; CREATE SEQUENCE executions_0003;
                    CREATE FUNCTION count_execution(tag text) RETURNS bigint LANGUAGE sql
                        AS $$ SELECT nextval('executions_' || tag) $$;
                    """)
            }

            let migrator = try Migrator(directory: folder.url)
            let first = try await database.connect()
            let second = try await database.connect()
            async let a = measure { try await migrator.migrate(on: first) }
            async let b = measure { try await migrator.migrate(on: second) }
            let runs = try await [a, b]
            let results = runs.map(\.value)
            let versions = results.flatMap { $0.map(\.version) }.sorted()
            #expect(versions == [1, 2, 3], "each file must be applied by exactly one run: \(results.map { $0.map(\.fileName) })")
            // One run holds the lock for its whole run; the other waited for it (so they did
            // overlap) and then found nothing left to do.
            let idle = try #require(runs.first { $0.value.isEmpty }, "one run should have applied nothing")
            #expect(idle.seconds >= 0.4, "the run that applied nothing took \(idle.seconds) s: it did not wait for the lock")

            #expect(try await appliedVersions(first) == [1, 2, 3])
            let logged = try await first.query("SELECT file, count(*) FROM runs GROUP BY file ORDER BY file")
                .map { try $0.decode((String, Int).self) }
            #expect(logged.map(\.0) == ["0001", "0002", "0003"])
            #expect(logged.allSatisfy { $0.1 == 1 })
            for tag in ["0001", "0002", "0003"] {
                // A sequence's last_value is 1 after exactly one nextval (is_called says it was used).
                let row = try await first.query("SELECT last_value, is_called FROM executions_\(tag)")[0]
                #expect(try row.decode((Int, Bool).self) == (1, true), "file \(tag) ran more than once")
            }
            await first.close()
            await second.close()
        }
    }

    @Test("the repository's own migrations apply cleanly to an empty database")
    func repositoryMigrations() async throws {
        let directory = try Migrator.locateDirectory()
        #expect(directory.path.hasSuffix("SQL/migrations"))
        let migrator = try Migrator(directory: directory)
        #expect(!migrator.migrations.isEmpty)
        #expect(migrator.migrations.first?.version == 1)
        try await withEmptyDatabase(files: [:]) { database, _ in
            let connection = try await database.connect()
            let applied = try await migrator.migrate(on: connection)
            #expect(applied.map(\.version) == migrator.migrations.map(\.version))
            #expect(try await migrator.status(on: connection).allSatisfy { $0.state == .applied })
            #expect(try await migrator.migrate(on: connection).isEmpty)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'") == 1)
            await connection.close()
        }
    }

    @Test("locateDirectory honours SHOPRECON_MIGRATIONS_DIR")
    func locateDirectoryFromEnvironment() throws {
        let url = try Migrator.locateDirectory(environment: ["SHOPRECON_MIGRATIONS_DIR": "/tmp/somewhere/migrations"])
        #expect(url.path == "/tmp/somewhere/migrations")
        let fallback = try Migrator.locateDirectory(environment: ["SHOPRECON_MIGRATIONS_DIR": ""])
        #expect(FileManager.default.fileExists(atPath: fallback.appendingPathComponent("0001_extensions.sql").path))
    }

    private func withConnection<T: Sendable>(to database: TestDatabase, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await database.connect()
        do {
            let value = try await body(connection)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }
}
