/// One statement parameter, already in wire form.
public struct PostgresBind: Sendable {
    public enum Value: Sendable {
        case null
        /// Text format; libpq needs it NUL-terminated, which the connection adds.
        case text([UInt8])
        /// Binary format, sent with an explicit length.
        case binary([UInt8])
    }
    public var value: Value
    public var type: PostgresDataType

    public init(_ value: Value, type: PostgresDataType) {
        self.value = value
        self.type = type
    }

    public static func text(_ string: String, type: PostgresDataType = .unknown) -> PostgresBind {
        PostgresBind(.text(Array(string.utf8)), type: type)
    }
}

/// A Swift value that can be sent as a statement parameter.
///
/// Parameters are the only way user data reaches SQL in ShopRecon; there is deliberately no
/// API that splices values into statement text.
public protocol PostgresEncodable: Sendable {
    /// The type sent with `NULL`, so `nil` of an `Int?` still arrives as a `bigint`.
    static var postgresType: PostgresDataType { get }
    var postgresBind: PostgresBind { get }
}

/// An explicit SQL NULL of unknown type, for `[any PostgresEncodable]` literals.
public struct PostgresNull: PostgresEncodable {
    public init() {}
    public static var postgresType: PostgresDataType { .unknown }
    public var postgresBind: PostgresBind { PostgresBind(.null, type: .unknown) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: PostgresDataType { Wrapped.postgresType }
    public var postgresBind: PostgresBind {
        switch self {
        case .none: PostgresBind(.null, type: Wrapped.postgresType)
        case .some(let value): value.postgresBind
        }
    }
}
