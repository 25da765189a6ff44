import Foundation

/// Types that can be elements of a one-dimensional PostgreSQL array parameter or result.
public protocol PostgresArrayElement: PostgresEncodable, PostgresDecodable {
    static var postgresArrayType: PostgresDataType { get }
}

extension String: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .textArray } }
extension Int: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Int64: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Int32: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Bool: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .boolArray } }
extension Int16: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .int8Array } }
extension Date: PostgresArrayElement { public static var postgresArrayType: PostgresDataType { .timestamptzArray } }

/// `[String?]` and friends: `nil` elements travel as SQL NULL.
extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { Wrapped.postgresArrayType }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    /// Sent as an array literal with every element quoted, so commas, braces, quotes and
    /// backslashes in elements survive.
    public var postgresBind: PostgresBind {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (n, element) in enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            switch element.postgresBind.value {
            case .null:
                out.append(contentsOf: "NULL".utf8)
            case .text(let bytes), .binary(let bytes):
                out.append(UInt8(ascii: "\""))
                for byte in bytes {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                    out.append(byte)
                }
                out.append(UInt8(ascii: "\""))
            }
        }
        out.append(UInt8(ascii: "}"))
        return PostgresBind(.text(out), type: Element.postgresArrayType)
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        let b = try cell.requireBytes()
        guard b.count >= 2, b.first == UInt8(ascii: "{"), b.last == UInt8(ascii: "}") else {
            throw cell.failure("one-dimensional array")
        }
        var result: [Element] = []
        var i = 1
        let end = b.count - 1
        var element: [UInt8] = []
        while i < end {
            element.removeAll(keepingCapacity: true)
            var quoted = false
            if b[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                while i < end, b[i] != UInt8(ascii: "\"") {
                    if b[i] == UInt8(ascii: "\\") { i += 1 }
                    if i < end { element.append(b[i]) }
                    i += 1
                }
                i += 1
            } else {
                while i < end, b[i] != UInt8(ascii: ",") {
                    if b[i] == UInt8(ascii: "{") { throw cell.failure("one-dimensional array") }
                    element.append(b[i])
                    i += 1
                }
            }
            let value: Element
            if !quoted && element == [UInt8]("NULL".utf8) {
                // Optional elements become nil; others report the NULL with the column's name.
                value = try Element.decode(from: PostgresCell(bytes: nil, type: .unknown, columnName: cell.columnName, row: cell.row))
            } else {
                value = try element.withUnsafeBufferPointer { buffer in
                    try Element.decode(from: PostgresCell(bytes: buffer, type: .unknown, columnName: cell.columnName, row: cell.row))
                }
            }
            result.append(value)
            if i < end {
                guard b[i] == UInt8(ascii: ",") else { throw cell.failure("one-dimensional array") }
                i += 1
            }
        }
        return result
    }
}
