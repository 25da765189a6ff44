/// An error from the database or from talking to it.
///
/// Callers branch on ``code`` for the client-side category and on ``sqlState`` for what the
/// server said (`23505` unique violation, `40001` serialization failure, `42501` insufficient
/// privilege, ...). ``description`` is safe for logs and end users: it never contains the query
/// or its parameters. ``debugDescription`` adds the server's detail and the query text.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The client-side category of the failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The connection could not be established (refused, bad password, unknown database, ...).
        public static let connectionFailed = Code("connectionFailed")
        /// An established connection broke (server restart, `pg_terminate_backend`, network).
        public static let connectionClosed = Code("connectionClosed")
        /// The server rejected a statement; ``PostgresError/serverInfo`` has the fields.
        public static let server = Code("server")
        /// A value in a result could not be turned into the requested Swift type.
        public static let decoding = Code("decoding")
        /// No pooled connection became free within the acquire timeout.
        public static let poolTimeout = Code("poolTimeout")
        /// The pool was shut down.
        public static let poolClosed = Code("poolClosed")
        /// A COPY was aborted, by the caller's code or by libpq.
        public static let copyFailed = Code("copyFailed")
        /// The configuration (URL or conninfo) is not valid.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A schema migration could not be applied, or an applied one was changed.
        public static let migration = Code("migration")
        /// libpq answered in a way this client does not expect.
        public static let protocolViolation = Code("protocolViolation")
    }

    /// The fields of an error or notice reported by the server (`PQresultErrorField`).
    public struct ServerInfo: Sendable {
        public enum Field: Hashable, Sendable, CaseIterable {
            case severity, sqlState, message, detail, hint, position, internalPosition,
                 internalQuery, context, schemaName, tableName, columnName, dataTypeName,
                 constraintName, sourceFile, sourceLine, sourceFunction
        }
        public var fields: [Field: String]
        public init(fields: [Field: String]) { self.fields = fields }
        public subscript(field: Field) -> String? { fields[field] }
    }

    public var code: Code
    /// What went wrong, in words for the person running the command.
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?
    public var serverInfo: ServerInfo?
    /// The statement that failed, kept out of ``description``.
    public var query: String?

    public init(code: Code, message: String, hint: String? = nil, serverInfo: ServerInfo? = nil,
                query: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.serverInfo = serverInfo
        self.query = query
    }

    /// The five-character SQLSTATE the server reported, if this is a server error.
    public var sqlState: String? { serverInfo?[.sqlState] }

    /// True for errors after which the same transaction may succeed if simply run again.
    public var isTransient: Bool {
        sqlState == SQLState.serializationFailure || sqlState == SQLState.deadlockDetected
    }

    /// True when the connection that produced this error can no longer be used.
    public var isConnectionLost: Bool {
        code == .connectionClosed || code == .connectionFailed
            || (sqlState?.hasPrefix("08") ?? false) || sqlState == SQLState.adminShutdown
    }

    public var description: String {
        var text: String
        if let info = serverInfo {
            text = "\(info[.severity] ?? "ERROR") \(info[.sqlState] ?? "?????"): \(info[.message] ?? message)"
            if let hint = info[.hint] { text += " (hint: \(hint))" }
        } else {
            text = message
        }
        if let hint { text += "\nhint: \(hint)" }
        return text
    }

    public var debugDescription: String {
        var text = "PostgresError(code: \(code), \(description)"
        if let detail = serverInfo?[.detail] { text += ", detail: \(detail)" }
        if let context = serverInfo?[.context] { text += ", context: \(context)" }
        if let constraint = serverInfo?[.constraintName] { text += ", constraint: \(constraint)" }
        if let query { text += ", query: \(query)" }
        return text + ")"
    }
}

/// SQLSTATE codes that callers commonly branch on.
public enum SQLState {
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let notNullViolation = "23502"
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let insufficientPrivilege = "42501"
    public static let undefinedTable = "42P01"
    public static let queryCanceled = "57014"
    public static let adminShutdown = "57P01"
    public static let invalidPassword = "28P01"
    public static let invalidAuthorization = "28000"
    public static let raiseException = "P0001"
}
