import CLibPQ
import Foundation
import Logging

/// One connection to PostgreSQL, running every libpq call on a thread of its own.
///
/// The actor's executor is a dedicated ``ConnectionThread``, so blocking libpq calls never
/// occupy Swift's cooperative pool. Methods that take an `isolated PostgresConnection` closure
/// (``transaction(_:_:)``, ``copyIn(_:_:body:)``) run that closure on the same thread, where
/// further statements are plain synchronous calls.
public actor PostgresConnection {
    private let thread: ConnectionThread
    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    public nonisolated let configuration: PostgresConfiguration
    let logger: Logger
    let wakeup = WakeupPipe()
    var handle: ConnectionHandle?
    var preparedStatements: [String: String] = [:]
    /// Set when libpq reports the connection as bad; a pool discards such a connection.
    public internal(set) var isBroken = false
    var lastUsed = ContinuousClock.now
    var savepointCounter = 0

    private init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.thread = ConnectionThread(name: "pg-\(configuration.target.database)")
    }

    deinit { thread.shutdown() }

    /// Opens a connection. Failures name the host, port, database and user that were tried.
    public static func connect(_ configuration: PostgresConfiguration,
                               logger: Logger = Logger(label: "shoprecon.postgres")) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        try await connection.open()
        return connection
    }

    private func open() throws {
        // Our defaults come first so that anything in the URL overrides them.
        let keywords = ["application_name", "connect_timeout", "dbname"]
        let values = [configuration.applicationName, String(configuration.connectTimeout), configuration.connectionString]
        let pointer = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let pointer else {
            throw PostgresError(code: .connectionFailed, message: "libpq could not allocate a connection")
        }
        let candidate = ConnectionHandle(pointer)
        guard PQstatus(pointer) == CONNECTION_OK else {
            let detail = String(cString: PQerrorMessage(pointer))
            candidate.close()
            throw connectionFailure(detail)
        }
        // libpq prints notices to stderr by default; the CLI's output must stay clean.
        PQsetNoticeProcessor(pointer, { _, _ in }, nil)
        handle = candidate
    }

    private func connectionFailure(_ libpqMessage: String) -> PostgresError {
        let t = configuration.target
        let lines = libpqMessage.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var reason = lines.joined(separator: "; ")
        // libpq starts with 'connection to server at "h", port p failed:', which we say already.
        if reason.hasPrefix("connection to server"), let colon = reason.range(of: "failed: ") {
            reason = String(reason[colon.upperBound...]).replacingOccurrences(of: "FATAL:  ", with: "")
        }
        var hint: String
        if reason.contains("password authentication failed") || reason.contains("no password supplied") {
            hint = "check the user name and password in DATABASE_URL"
        } else if reason.contains("does not exist") {
            hint = "create the database or role, or fix the name in DATABASE_URL (then run `shoprecon db migrate`)"
        } else if reason.contains("Connection refused") || reason.contains("No such file") {
            hint = "is PostgreSQL running there? For the local database run `Deploy/dev-db.sh start`"
        } else {
            hint = "check DATABASE_URL and that the server accepts connections from this host"
        }
        if configuration.isDevelopmentDefault {
            hint += " (DATABASE_URL is not set, so the local development cluster was used)"
        }
        return PostgresError(
            code: .connectionFailed,
            message: "could not connect to PostgreSQL at \(t.host):\(t.port), database \"\(t.database)\", user \"\(t.user)\": \(reason)",
            hint: hint)
    }

    /// Closes the connection now rather than when the last reference goes away.
    public func close() {
        handle?.close()
        handle = nil
        isBroken = true
    }

    /// The server process serving this connection (for `pg_terminate_backend`, `pg_stat_activity`).
    public var backendPID: Int32 { handle?.pointer.map { PQbackendPID($0) } ?? 0 }

    /// The live `PGconn`, or the error that explains why there is none.
    func connectionPointer() throws -> OpaquePointer {
        guard let pointer = handle?.pointer, !isBroken else {
            throw PostgresError(code: .connectionClosed, message: "the database connection is closed",
                                hint: "open a new connection; a pool replaces broken connections by itself")
        }
        return pointer
    }

    // MARK: - Statements

    /// Runs one statement with parameters `$1, $2, ...` and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ binds: [any PostgresEncodable] = []) throws -> PostgresResult {
        let conn = try connectionPointer()
        lastUsed = .now
        let raw = withBindBuffers(binds) { count, types, values, lengths, formats in
            PQexecParams(conn, sql, count, types, values, lengths, formats, 0)
        }
        return try checkResult(raw, sql: sql)
    }

    /// Runs a statement through a server-side prepared statement, preparing it on first use on
    /// this connection. Use for statements run many times; plans are then parsed once.
    @discardableResult
    public func preparedQuery(_ sql: String, _ binds: [any PostgresEncodable] = []) throws -> PostgresResult {
        let conn = try connectionPointer()
        lastUsed = .now
        let name: String
        if let existing = preparedStatements[sql] {
            name = existing
        } else {
            name = "shoprecon_\(preparedStatements.count + 1)"
            let types = binds.map { $0.postgresBind.type.oid }
            let prepared = types.withUnsafeBufferPointer { t in
                PQprepare(conn, name, sql, Int32(types.count), t.baseAddress)
            }
            _ = try checkResult(prepared, sql: sql)
            preparedStatements[sql] = name
        }
        let raw = withBindBuffers(binds) { count, _, values, lengths, formats in
            PQexecPrepared(conn, name, count, values, lengths, formats, 0)
        }
        return try checkResult(raw, sql: sql)
    }

    /// Runs several statements in one round trip with the simple query protocol. It accepts no
    /// parameters, so it is only for trusted SQL shipped with ShopRecon (migration files).
    public func executeScript(_ sql: String) throws {
        let conn = try connectionPointer()
        lastUsed = .now
        var lastError: PostgresError?
        guard PQsendQuery(conn, sql) == 1 else { throw connectionError(sql: sql) }
        while let result = PQgetResult(conn) {
            do { _ = try checkResult(result, sql: sql) } catch let error as PostgresError where lastError == nil {
                lastError = error
            }
        }
        if let lastError { throw lastError }
        if PQstatus(conn) != CONNECTION_OK { throw connectionError(sql: sql) }
    }

    /// Quotes an identifier (table, channel) with the server's own rules.
    public func quoteIdentifier(_ identifier: String) throws -> String {
        let conn = try connectionPointer()
        guard let escaped = PQescapeIdentifier(conn, identifier, identifier.utf8.count) else {
            throw PostgresError(code: .protocolViolation, message: "could not quote identifier: \(String(cString: PQerrorMessage(conn)))")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Quotes a literal for the few statements that take no parameters (`SET`, `LISTEN`).
    public func quoteLiteral(_ literal: String) throws -> String {
        let conn = try connectionPointer()
        guard let escaped = PQescapeLiteral(conn, literal, literal.utf8.count) else {
            throw PostgresError(code: .protocolViolation, message: "could not quote literal: \(String(cString: PQerrorMessage(conn)))")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    // MARK: - Results and errors

    func checkResult(_ result: OpaquePointer?, sql: String) throws -> PostgresResult {
        guard let result else { throw connectionError(sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return PostgresResult(result)
        default:
            var error = serverError(result, sql: sql)
            PQclear(result)
            if let conn = handle?.pointer, PQstatus(conn) == CONNECTION_BAD {
                isBroken = true
                error.code = .connectionClosed
                error.hint = "the server closed the connection; retry on a new connection"
            }
            throw error
        }
    }

    func serverError(_ result: OpaquePointer, sql: String?) -> PostgresError {
        let codes: [(PostgresError.ServerInfo.Field, Character)] = [
            (.severity, "V"), (.sqlState, "C"), (.message, "M"), (.detail, "D"), (.hint, "H"),
            (.position, "P"), (.internalPosition, "p"), (.internalQuery, "q"), (.context, "W"),
            (.schemaName, "s"), (.tableName, "t"), (.columnName, "c"), (.dataTypeName, "d"),
            (.constraintName, "n"), (.sourceFile, "F"), (.sourceLine, "L"), (.sourceFunction, "R"),
        ]
        var fields: [PostgresError.ServerInfo.Field: String] = [:]
        for (field, code) in codes {
            if let value = PQresultErrorField(result, Int32(code.asciiValue!)) {
                fields[field] = String(cString: value)
            }
        }
        let message = fields[.message] ?? String(cString: PQresultErrorMessage(result))
        return PostgresError(code: .server, message: message, serverInfo: .init(fields: fields), query: sql)
    }

    func connectionError(sql: String?) -> PostgresError {
        let message = handle?.pointer.map { String(cString: PQerrorMessage($0)) } ?? "connection closed"
        let bad = handle?.pointer.map { PQstatus($0) == CONNECTION_BAD } ?? true
        if bad { isBroken = true }
        return PostgresError(code: bad ? .connectionClosed : .protocolViolation,
                             message: "lost the database connection: " + message.trimmingCharacters(in: .whitespacesAndNewlines),
                             hint: bad ? "the server closed the connection; retry on a new connection" : nil,
                             query: sql)
    }
}

/// Keeps an array of C strings alive for the duration of `body`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Lays all parameter values out in one buffer and hands libpq pointers into it that stay
/// valid for exactly as long as `body` runs.
func withBindBuffers<R>(
    _ binds: [any PostgresEncodable],
    _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) -> R {
    if binds.isEmpty { return body(0, nil, nil, nil, nil) }
    var types: [Oid] = []
    var lengths: [Int32] = []
    var formats: [Int32] = []
    var offsets: [Int?] = []
    var storage: [UInt8] = [0]
    types.reserveCapacity(binds.count)
    for bind in binds.map(\.postgresBind) {
        types.append(bind.type.oid)
        switch bind.value {
        case .null:
            offsets.append(nil)
            lengths.append(0)
            formats.append(0)
        case .text(let bytes):
            offsets.append(storage.count)
            storage.append(contentsOf: bytes)
            storage.append(0)
            lengths.append(Int32(bytes.count))
            formats.append(0)
        case .binary(let bytes):
            offsets.append(storage.count)
            storage.append(contentsOf: bytes)
            lengths.append(Int32(bytes.count))
            formats.append(1)
        }
    }
    return storage.withUnsafeBytes { raw in
        let base = raw.baseAddress!
        let values: [UnsafePointer<CChar>?] = offsets.map { offset in
            offset.map { base.advanced(by: $0).assumingMemoryBound(to: CChar.self) }
        }
        return values.withUnsafeBufferPointer { v in
            types.withUnsafeBufferPointer { t in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        body(Int32(binds.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress)
                    }
                }
            }
        }
    }
}
