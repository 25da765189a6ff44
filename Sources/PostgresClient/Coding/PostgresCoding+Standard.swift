import Foundation

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .unknown }
    public var postgresBind: PostgresBind { .text(self) }
    public static func decode(from cell: PostgresCell) throws -> String {
        String(decoding: try cell.requireBytes(), as: UTF8.self)
    }
}

extension Substring: PostgresEncodable {
    public static var postgresType: PostgresDataType { .unknown }
    public var postgresBind: PostgresBind { PostgresBind(.text(Array(utf8)), type: .unknown) }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .bool }
    public var postgresBind: PostgresBind { .text(self ? "t" : "f", type: .bool) }
    public static func decode(from cell: PostgresCell) throws -> Bool {
        let bytes = try cell.requireBytes()
        guard bytes.count == 1 else { throw cell.failure("boolean") }
        switch bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.failure("boolean")
        }
    }
}

/// Parses a decimal integer without going through `String`.
@inline(__always)
func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    var index = 0
    var negative = false
    if bytes.isEmpty { return nil }
    if bytes[0] == UInt8(ascii: "-") { negative = true; index = 1 } else if bytes[0] == UInt8(ascii: "+") { index = 1 }
    if index == bytes.count { return nil }
    var value: Int64 = 0
    while index < bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        let (m, o1) = value.multipliedReportingOverflow(by: 10)
        let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(digit)) : m.addingReportingOverflow(Int64(digit))
        if o1 || o2 { return nil }
        value = s
        index += 1
    }
    return value
}

/// Integers travel as `bigint` so no value is truncated on the way in; the server casts to
/// narrower columns on assignment and compares across integer widths natively.
public protocol PostgresInteger: FixedWidthInteger, PostgresEncodable, PostgresDecodable {}

extension PostgresInteger {
    public static var postgresType: PostgresDataType { .int8 }
    public var postgresBind: PostgresBind { .text(String(self), type: .int8) }
    public static func decode(from cell: PostgresCell) throws -> Self {
        guard let value = parseInteger(try cell.requireBytes()), let exact = Self(exactly: value) else {
            throw cell.failure("\(Self.self)")
        }
        return exact
    }
}

extension Int: PostgresInteger {}
extension Int64: PostgresInteger {}
extension Int32: PostgresInteger {}
extension Int16: PostgresInteger {}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .float8 }
    public var postgresBind: PostgresBind {
        if isNaN { return .text("NaN", type: .float8) }
        if isInfinite { return .text(self < 0 ? "-Infinity" : "Infinity", type: .float8) }
        return .text("\(self)", type: .float8)
    }
    public static func decode(from cell: PostgresCell) throws -> Double {
        let text = String(decoding: try cell.requireBytes(), as: UTF8.self)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw cell.failure("double") }
            return value
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .uuid }
    public var postgresBind: PostgresBind { .text(uuidString.lowercased(), type: .uuid) }
    public static func decode(from cell: PostgresCell) throws -> UUID {
        guard let uuid = UUID(uuidString: String(decoding: try cell.requireBytes(), as: UTF8.self)) else {
            throw cell.failure("uuid")
        }
        return uuid
    }
}

/// `bytea`, sent in binary and read from the server's hex text form.
extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .bytea }
    public var postgresBind: PostgresBind { PostgresBind(.binary(Array(self)), type: .bytea) }
    public static func decode(from cell: PostgresCell) throws -> Data {
        let bytes = try cell.requireBytes()
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"), bytes.count % 2 == 0 else {
            throw cell.failure("bytea in hex format")
        }
        var data = Data(capacity: (bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else {
                throw cell.failure("bytea in hex format")
            }
            data.append(high << 4 | low)
            index += 2
        }
        return data
    }
}

@inline(__always)
private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// A `json`/`jsonb` value carried as a Codable Swift value.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public static var postgresType: PostgresDataType { .jsonb }
    public var postgresBind: PostgresBind {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a Codable value to JSON only fails for non-finite floats; send NULL then.
        guard let data = try? encoder.encode(value) else { return PostgresBind(.null, type: .jsonb) }
        return PostgresBind(.text(Array(data)), type: .jsonb)
    }
    public static func decode(from cell: PostgresCell) throws -> PostgresJSON<Value> {
        let bytes = try cell.requireBytes()
        do {
            return PostgresJSON(try JSONDecoder().decode(Value.self, from: Data(bytes)))
        } catch {
            throw PostgresError(code: .decoding,
                                message: "column \"\(cell.columnName)\" (row \(cell.row + 1)) does not hold the expected JSON: \(error)")
        }
    }
}
