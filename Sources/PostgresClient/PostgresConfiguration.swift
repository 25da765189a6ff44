import CLibPQ
import Foundation

/// Where and how to connect: a `postgresql://` URL or a libpq conninfo string.
///
/// The string goes to `PQconnectdbParams` as an expandable `dbname`, so every libpq setting
/// (`sslmode`, `target_session_attrs`, multiple hosts, `PGPASSWORD`, `~/.pgpass`) works as
/// the libpq documentation describes. Nothing is ever spliced into a conninfo by hand.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The URL or conninfo string as given.
    public var connectionString: String
    /// Reported in `pg_stat_activity`, so operators can tell the daemon from the CLI.
    public var applicationName: String
    /// Seconds libpq waits for a connection before giving up.
    public var connectTimeout: Int
    /// True when nothing was configured and the local development cluster is used.
    public internal(set) var isDevelopmentDefault = false

    public init(_ connectionString: String, applicationName: String = "shoprecon", connectTimeout: Int = 10) throws {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        _ = try Self.parse(connectionString)
    }

    /// The local development cluster started by `Deploy/dev-db.sh`.
    public static let developmentURL = "postgresql://shoprecon_owner:shoprecon_owner@127.0.0.1:54329/shoprecon"

    /// The application role on the local development cluster: tenant sessions connect as it.
    public static let developmentAppURL = "postgresql://shoprecon_app:shoprecon_app@127.0.0.1:54329/shoprecon"

    /// Which role of the local development cluster to fall back on.
    public enum DevelopmentRole: Sendable { case owner, application }

    /// `DATABASE_URL` from the environment, else the local development cluster (as the schema
    /// owner for migrations and operator commands, as the application role for tenant sessions).
    public static func fromEnvironment(applicationName: String = "shoprecon",
                                       developmentRole: DevelopmentRole = .owner,
                                       environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresConfiguration {
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return try PostgresConfiguration(url, applicationName: applicationName)
        }
        var url = developmentRole == .owner ? developmentURL : developmentAppURL
        if let port = environment["SHOPRECON_DEV_PORT"], let number = Int(port) {
            url = url.replacingOccurrences(of: ":54329/", with: ":\(number)/")
        }
        var configuration = try PostgresConfiguration(url, applicationName: applicationName)
        configuration.isDevelopmentDefault = true
        return configuration
    }

    /// The same server and credentials, another database.
    public func with(database: String) throws -> PostgresConfiguration {
        var copy = self
        var params = try Self.parse(connectionString)
        params["dbname"] = database
        copy.connectionString = params.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(Self.quoteConninfoValue($0.value))" }
            .joined(separator: " ")
        return copy
    }

    /// Host, port, database and user as libpq will use them: for error messages and logs,
    /// never the password.
    public var target: (host: String, port: String, database: String, user: String) {
        let params = (try? Self.parse(connectionString)) ?? [:]
        let env = ProcessInfo.processInfo.environment
        let user = params["user"] ?? env["PGUSER"] ?? env["USER"] ?? "?"
        return (params["host"] ?? params["hostaddr"] ?? env["PGHOST"] ?? "localhost",
                params["port"] ?? env["PGPORT"] ?? "5432",
                params["dbname"] ?? env["PGDATABASE"] ?? user,
                user)
    }

    /// `user@host:port/database`, safe to print.
    public var description: String {
        let t = target
        return "\(t.user)@\(t.host):\(t.port)/\(t.database)"
    }

    /// Parses with libpq itself, so we accept exactly what libpq accepts.
    static func parse(_ string: String) throws -> [String: String] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(string, &errorMessage) else {
            var message = "invalid database URL or conninfo"
            if let errorMessage {
                message += ": " + String(cString: errorMessage).trimmingCharacters(in: .whitespacesAndNewlines)
                PQfreemem(errorMessage)
            }
            throw PostgresError(code: .invalidConfiguration, message: message,
                                hint: "use postgresql://USER:PASSWORD@HOST:PORT/DATABASE or 'host=... dbname=...'")
        }
        defer { PQconninfoFree(options) }
        var result: [String: String] = [:]
        var cursor = options
        while let keyword = cursor.pointee.keyword {
            if let value = cursor.pointee.val {
                result[String(cString: keyword)] = String(cString: value)
            }
            cursor += 1
        }
        return result
    }

    static func quoteConninfoValue(_ value: String) -> String {
        var quoted = "'"
        for ch in value {
            if ch == "'" || ch == "\\" { quoted.append("\\") }
            quoted.append(ch)
        }
        return quoted + "'"
    }
}
