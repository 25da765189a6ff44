import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("Connection basics", .freshDatabase(), .timeLimit(.minutes(1)))
struct ConnectionTests {
    @Test("connects to the suite database as the schema owner and reports its backend")
    func connectsAndIdentifiesItself() async throws {
        let database = try SuiteDatabase.get()
        try await withConnection { connection in
            let row = try await connection.query(
                "SELECT current_database(), current_user, pg_backend_pid(), current_setting('application_name')")[0]
            let (name, user, pid, application) = try row.decode((String, String, Int32, String).self)
            #expect(name == database.name)
            #expect(user == "shoprecon_owner")
            #expect(pid == (await connection.backendPID))
            #expect(pid != 0)
            #expect(application == database.configuration.applicationName)
            #expect(await !connection.isBroken)
        }
    }

    @Test("a result reports its columns, command tag and affected rows")
    func resultMetadata() async throws {
        try await withConnection { connection in
            let table = uniqueName("meta")
            try await connection.query("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text)")
            let insert = try await connection.query(
                "INSERT INTO \(table) SELECT g, 'n' || g FROM generate_series(1, 7) g")
            #expect(insert.affectedRows == 7)
            #expect(insert.commandTag == "INSERT 0 7")
            #expect(insert.isEmpty)

            let update = try await connection.query("UPDATE \(table) SET name = upper(name) WHERE id > $1", [4])
            #expect(update.affectedRows == 3)
            #expect(update.commandTag == "UPDATE 3")

            let select = try await connection.query("SELECT id, name AS label FROM \(table) ORDER BY id")
            #expect(select.columnNames == ["id", "label"])
            #expect(select.count == 7)
            #expect(select.affectedRows == 7)
            #expect(try select.map { try $0.decode(String.self, "label") }
                    == ["n1", "n2", "n3", "n4", "N5", "N6", "N7"])
            #expect(try select.column(named: "label") == 1)
            #expect(try select[6].decode(Int64.self, "id") == 7)
        }
    }

    @Test("executeScript runs several statements and stops at the first error")
    func executeScript() async throws {
        try await withConnection { connection in
            let table = uniqueName("script")
            try await connection.executeScript("""
                CREATE TABLE \(table) (id int);
                INSERT INTO \(table) VALUES (1);
                INSERT INTO \(table) VALUES (2);
                """)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 2)

            // A simple-query script runs in one implicit transaction: nothing of it stays.
            let error = await #expect(throws: PostgresError.self) {
                try await connection.executeScript("""
                    INSERT INTO \(table) VALUES (3);
                    SELECT 1 / 0;
                    INSERT INTO \(table) VALUES (4);
                    """)
            }
            #expect(error?.sqlState == "22012")
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 2)
            #expect(await !connection.isInTransaction)
        }
    }

    @Test("quoteIdentifier and quoteLiteral produce what the server reads back verbatim")
    func quoting() async throws {
        try await withConnection { connection in
            let weird = "Odd \"name\"; DROP TABLE x; -- 订单"
            let identifier = try await connection.quoteIdentifier(weird)
            try await connection.query("CREATE TABLE \(identifier) (v int)")
            let found = try await connection.scalar(String.self,
                "SELECT relname::text FROM pg_class WHERE oid = $1::regclass", [identifier])
            #expect(found == weird)

            for text in trickyStrings {
                let literal = try await connection.quoteLiteral(text)
                #expect(utf8Bytes(try await connection.scalar(String.self, "SELECT \(literal)::text")) == utf8Bytes(text))
            }
        }
    }

    @Test("a server error leaves the connection usable and keeps the query out of description")
    func serverErrorLeavesConnectionUsable() async throws {
        try await withConnection { connection throws in
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query("SELEC secret_column FROM nowhere")
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == "42601")
            #expect(error?.isConnectionLost == false)
            #expect(error?.description.contains("secret_column") == false)
            #expect(error?.debugDescription.contains("SELEC secret_column FROM nowhere") == true)

            let missing = await #expect(throws: PostgresError.self) {
                try await connection.query("SELECT * FROM no_such_table_here")
            }
            #expect(missing?.sqlState == SQLState.undefinedTable)
            #expect(missing?.serverInfo?[.severity] == "ERROR")

            #expect(try await connection.scalar(Int.self, "SELECT 40 + 2") == 42)
            #expect(await !connection.isBroken)
        }
    }

    @Test("a closed connection refuses work with connectionClosed")
    func closedConnection() async throws {
        let connection = try await SuiteDatabase.get().connect()
        #expect(try await connection.scalar(Int.self, "SELECT 1") == 1)
        await connection.close()
        #expect(await connection.isBroken)
        #expect(await connection.backendPID == 0)
        let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error?.code == .connectionClosed)
        #expect(error?.isConnectionLost == true)
        #expect(await connection.ping() == false)
    }

    @Test("a backend terminated under a live connection surfaces as a lost connection")
    func terminatedBackend() async throws {
        let connection = try await SuiteDatabase.get().connect()
        let pid = await connection.backendPID
        try await terminateBackend(pid)
        let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error?.isConnectionLost == true)
        #expect(await connection.isBroken)
        // And it stays broken: the next call fails fast instead of touching a dead socket.
        let again = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(again?.code == .connectionClosed)
        await connection.close()
    }

    @Test("terminating one's own backend is reported as a lost connection")
    func selfTermination() async throws {
        let connection = try await SuiteDatabase.get().connect()
        let error = await #expect(throws: PostgresError.self) {
            try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())")
        }
        #expect(error?.isConnectionLost == true)
        #expect(await connection.isBroken)
        await connection.close()
    }
}
