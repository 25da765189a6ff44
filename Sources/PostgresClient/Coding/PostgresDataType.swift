/// A PostgreSQL type OID. Parameters sent with ``unknown`` let the server infer the type from
/// context, which is what a plain string literal in SQL would do.
public struct PostgresDataType: Hashable, Sendable, CustomStringConvertible {
    public let oid: UInt32
    public init(_ oid: UInt32) { self.oid = oid }
    public var description: String { "oid \(oid)" }

    public static let unknown = PostgresDataType(0)
    public static let bool = PostgresDataType(16)
    public static let bytea = PostgresDataType(17)
    public static let int8 = PostgresDataType(20)
    public static let int2 = PostgresDataType(21)
    public static let int4 = PostgresDataType(23)
    public static let text = PostgresDataType(25)
    public static let json = PostgresDataType(114)
    public static let float4 = PostgresDataType(700)
    public static let float8 = PostgresDataType(701)
    public static let varchar = PostgresDataType(1043)
    public static let date = PostgresDataType(1082)
    public static let timestamp = PostgresDataType(1114)
    public static let timestamptz = PostgresDataType(1184)
    public static let numeric = PostgresDataType(1700)
    public static let uuid = PostgresDataType(2950)
    public static let jsonb = PostgresDataType(3802)
    public static let int8Array = PostgresDataType(1016)
    public static let int4Array = PostgresDataType(1007)
    public static let textArray = PostgresDataType(1009)
    public static let boolArray = PostgresDataType(1000)
    public static let uuidArray = PostgresDataType(2951)
    public static let timestamptzArray = PostgresDataType(1185)
    public static let jsonbArray = PostgresDataType(3807)
}
