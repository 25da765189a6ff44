/// One field of a result row, as text (ShopRecon reads results in text format).
public struct PostgresCell {
    /// The field's bytes, `nil` for SQL NULL. Valid only while the result is alive.
    public let bytes: UnsafeBufferPointer<UInt8>?
    public let type: PostgresDataType
    public let columnName: String
    public let row: Int

    /// The bytes, or a decoding error that names the column when the field is NULL.
    public func requireBytes() throws -> UnsafeBufferPointer<UInt8> {
        guard let bytes else {
            throw PostgresError(code: .decoding,
                                message: "column \"\(columnName)\" (row \(row + 1)) is NULL; decode it as an Optional")
        }
        return bytes
    }

    public var string: String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    public func failure(_ expected: String) -> PostgresError {
        PostgresError(code: .decoding,
                      message: "column \"\(columnName)\" (row \(row + 1), \(type)) is not a valid \(expected)")
    }
}

/// A Swift type that can be read from a result field.
public protocol PostgresDecodable: Sendable {
    static func decode(from cell: PostgresCell) throws -> Self
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Wrapped? {
        if cell.bytes == nil { return nil }
        return try Wrapped.decode(from: cell)
    }
}
