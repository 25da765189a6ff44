import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("Connection errors and configuration", .freshDatabase(), .timeLimit(.minutes(1)))
struct ConnectionErrorTests {
    /// Host and port of the test server, from the admin URL.
    private var server: (host: String, port: String) {
        get throws {
            let target = try TestDatabase.adminConfiguration().target
            return (target.host, target.port)
        }
    }

    @Test("a refused connection names host, port, database and user, never the password")
    func connectionRefused() async throws {
        let configuration = try PostgresConfiguration(
            "postgresql://refused_user:Sup3rSecretPw@127.0.0.1:1/refused_db", connectTimeout: 5)
        let (error, seconds) = await measure {
            await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        }
        let failure = try #require(error)
        #expect(failure.code == .connectionFailed)
        #expect(failure.isConnectionLost)
        #expect(failure.serverInfo == nil)
        for part in ["127.0.0.1:1,", "\"refused_db\"", "\"refused_user\"", "Connection refused"] {
            #expect(failure.description.contains(part), "\(part) missing from: \(failure.description)")
        }
        #expect(failure.hint?.contains("Deploy/dev-db.sh start") == true)
        #expect(!failure.description.contains("Sup3rSecretPw"))
        #expect(!failure.debugDescription.contains("Sup3rSecretPw"))
        #expect(seconds < 5, "a refused connection should fail at once, not after the connect timeout")
    }

    @Test("a wrong password reports the authentication failure and the user")
    func wrongPassword() async throws {
        let database = try SuiteDatabase.get()
        let (host, port) = try server
        let configuration = try PostgresConfiguration(
            "postgresql://shoprecon_owner:not-the-password@\(host):\(port)/\(database.name)")
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        let failure = try #require(error)
        #expect(failure.code == .connectionFailed)
        #expect(failure.description.contains("password authentication failed"), "\(failure.description)")
        #expect(failure.description.contains("\"shoprecon_owner\""))
        #expect(failure.description.contains("\"\(database.name)\""))
        #expect(failure.description.contains("\(host):\(port)"))
        #expect(failure.hint?.contains("password") == true)
        #expect(!failure.description.contains("not-the-password"))
    }

    @Test("an unknown database is named in the error")
    func unknownDatabase() async throws {
        let configuration = try PostgresConfiguration(TestDatabase.ownerURL).with(database: "no_such_database_xyz")
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("no_such_database_xyz") == true)
        #expect(error?.description.contains("does not exist") == true)
        #expect(error?.hint?.contains("shoprecon db migrate") == true)
    }

    @Test("invalid URLs and conninfo strings are rejected as invalidConfiguration",
          arguments: [
              "postgresql://us%zzer@localhost/db",
              "postgresql://localhost:5432/db?no_such_option=1",
              "host=localhost no_such_option=1",
              "host='unterminated",
          ])
    func invalidConfiguration(_ string: String) throws {
        let error = #expect(throws: PostgresError.self) { try PostgresConfiguration(string) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description.hasPrefix("invalid database URL or conninfo") == true)
        #expect(error?.hint != nil)
    }

    @Test("target reads host, port, database and user from URLs and conninfo strings")
    func target() throws {
        let url = try PostgresConfiguration("postgresql://alice:pw@db.example.com:6543/shop?sslmode=disable")
        #expect(url.target.host == "db.example.com")
        #expect(url.target.port == "6543")
        #expect(url.target.database == "shop")
        #expect(url.target.user == "alice")
        #expect(url.description == "alice@db.example.com:6543/shop")

        let conninfo = try PostgresConfiguration("host=10.1.2.3 port=5433 dbname=orders user=bob password=secret")
        #expect(conninfo.target.host == "10.1.2.3")
        #expect(conninfo.target.port == "5433")
        #expect(conninfo.target.database == "orders")
        #expect(conninfo.target.user == "bob")
        #expect(!conninfo.description.contains("secret"))

        let moved = try url.with(database: "other db")
        #expect(moved.target.host == "db.example.com")
        #expect(moved.target.port == "6543")
        #expect(moved.target.user == "alice")
        #expect(moved.target.database == "other db")
        #expect(moved.applicationName == url.applicationName)
    }

    @Test("with(database:) keeps credentials that need quoting, so the copy still connects")
    func withDatabaseKeepsAwkwardPassword() async throws {
        let database = try SuiteDatabase.get()
        let (host, port) = try server
        let role = uniqueName("odd_role")
        let password = #"it's a \ "pass" wörd=1"#
        try await withAdminConnection { admin in
            try await admin.query("CREATE ROLE \(try await admin.quoteIdentifier(role)) LOGIN PASSWORD \(try await admin.quoteLiteral(password))")
        }
        do {
            let encoded = password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let configuration = try PostgresConfiguration("postgresql://\(role):\(encoded)@\(host):\(port)/postgres")
            let first = try await PostgresConnection.connect(configuration)
            #expect(try await first.scalar(String.self, "SELECT current_user::text") == role)
            await first.close()

            let moved = try configuration.with(database: database.name)
            #expect(moved.target.database == database.name)
            let second = try await PostgresConnection.connect(moved)
            let row = try await second.query("SELECT current_user::text, current_database()::text")[0]
            let (user, name) = try row.decode((String, String).self)
            #expect(user == role)
            #expect(name == database.name)
            await second.close()
        } catch {
            try await dropRole(role)
            throw error
        }
        try await dropRole(role)
    }

    private func dropRole(_ role: String) async throws {
        try await withAdminConnection { admin in
            try await admin.query("DROP ROLE IF EXISTS \(try await admin.quoteIdentifier(role))")
        }
    }

    @Test("the application name reaches the server and URL settings override the defaults")
    func applicationName() async throws {
        let database = try SuiteDatabase.get()
        var configuration = database.configuration
        configuration.applicationName = "shoprecon-app-test.1"
        let connection = try await PostgresConnection.connect(configuration)
        #expect(try await connection.scalar(String.self, "SELECT current_setting('application_name')") == "shoprecon-app-test.1")
        await connection.close()

        // Settings in the URL win over the defaults.
        let (host, port) = try server
        let fromURL = try PostgresConfiguration(
            "postgresql://shoprecon_owner:shoprecon_owner@\(host):\(port)/\(database.name)?application_name=from_url")
        let second = try await PostgresConnection.connect(fromURL)
        #expect(try await second.scalar(String.self, "SELECT current_setting('application_name')") == "from_url")
        await second.close()
    }
}
