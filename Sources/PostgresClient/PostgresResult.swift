import CLibPQ

/// The rows a statement returned.
///
/// A result is immutable once libpq hands it over, so it can be read from any thread; the
/// underlying `PGresult` is freed exactly once, when the last reference goes away.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    let handle: OpaquePointer?
    /// Rows affected by INSERT/UPDATE/DELETE/COPY/MERGE (`PQcmdTuples`), 0 otherwise.
    public let affectedRows: Int
    /// The command tag, e.g. `INSERT 0 5`.
    public let commandTag: String
    public let columnNames: [String]
    private let columnTypes: [PostgresDataType]
    private let columnIndex: [String: Int]

    init(_ handle: OpaquePointer?) {
        self.handle = handle
        if let handle {
            let count = Int(PQnfields(handle))
            var names: [String] = []
            var types: [PostgresDataType] = []
            names.reserveCapacity(count)
            for column in 0..<count {
                // COPY results describe their columns without names: PQfname is NULL there.
                names.append(PQfname(handle, Int32(column)).map { String(cString: $0) } ?? "")
                types.append(PostgresDataType(PQftype(handle, Int32(column))))
            }
            columnNames = names
            columnTypes = types
            var index: [String: Int] = [:]
            for (n, name) in names.enumerated() where index[name] == nil { index[name] = n }
            columnIndex = index
            affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
            commandTag = String(cString: PQcmdStatus(handle))
        } else {
            columnNames = []
            columnTypes = []
            columnIndex = [:]
            affectedRows = 0
            commandTag = ""
        }
    }

    deinit { if let handle { PQclear(handle) } }

    public var startIndex: Int { 0 }
    public var endIndex: Int { handle.map { Int(PQntuples($0)) } ?? 0 }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }

    /// The index of a column by name, or a decoding error that lists the columns there are.
    public func column(named name: String) throws -> Int {
        guard let index = columnIndex[name] else {
            throw PostgresError(code: .decoding,
                                message: "no column \"\(name)\" in the result; columns: \(columnNames.joined(separator: ", "))")
        }
        return index
    }

    func cell(row: Int, column: Int) -> PostgresCell {
        guard let handle, column >= 0, column < columnNames.count else {
            return PostgresCell(bytes: nil, type: .unknown, columnName: "#\(column)", row: row)
        }
        let r = Int32(row), c = Int32(column)
        let bytes: UnsafeBufferPointer<UInt8>?
        if PQgetisnull(handle, r, c) != 0 {
            bytes = nil
        } else {
            let length = Int(PQgetlength(handle, r, c))
            bytes = PQgetvalue(handle, r, c).withMemoryRebound(to: UInt8.self, capacity: length) {
                UnsafeBufferPointer(start: $0, count: length)
            }
        }
        return PostgresCell(bytes: bytes, type: columnTypes[column], columnName: columnNames[column], row: row)
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow: Sendable {
    public let result: PostgresResult
    public let index: Int

    /// Decodes the field at a column position. `NULL` decodes only into an Optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, at column: Int) throws -> T {
        guard column >= 0, column < result.columnNames.count else {
            throw PostgresError(code: .decoding,
                                message: "column index \(column) is out of range; the result has \(result.columnNames.count) columns")
        }
        return try withExtendedLifetime(result) { try T.decode(from: result.cell(row: index, column: column)) }
    }

    /// Decodes the field of a named column.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try decode(type, at: try result.column(named: column))
    }

    /// Decodes the first fields of the row, in order, as a tuple:
    /// `let (id, name) = try row.decode((Int64, String).self)`.
    public func decode<each T: PostgresDecodable>(_ types: (repeat each T).Type) throws -> (repeat each T) {
        var column = 0
        func next<U: PostgresDecodable>(_ type: U.Type) throws -> U {
            defer { column += 1 }
            return try decode(type, at: column)
        }
        return (repeat try next((each T).self))
    }

    /// True when the field is SQL NULL.
    public func isNull(at column: Int) -> Bool {
        result.cell(row: index, column: column).bytes == nil
    }
}
