/// One row of a CSV/TSV file or spreadsheet, with the line it starts on.
public struct Row: Sendable, Hashable {
    /// Field values, cleaned per ``FieldCleaning``.
    public var fields: [String]
    /// 1-based physical line where the row starts (sheet row number for XLSX).
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }

    /// The field at `index`, or `""` past the end of a short row.
    public subscript(index: Int) -> String {
        index < fields.count ? fields[index] : ""
    }

    /// `true` if every field is empty (blank lines, `,,,,` rows).
    public var isBlank: Bool { fields.allSatisfy(\.isEmpty) }

    /// The first non-empty field.
    public var firstValue: String? { fields.first { !$0.isEmpty } }
}

/// How raw field text is cleaned up as it is tokenized. Every option undoes a quirk of Chinese
/// exports that guards values against Excel.
public struct FieldCleaning: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Trim spaces, TABs and CR at both ends (Alipay's `value\t,`, Douyin's `"\t6917…"`).
    public static let trim = FieldCleaning(rawValue: 1 << 0)
    /// Unwrap `="123"` (Taobao order numbers kept as text).
    public static let excelGuards = FieldCleaning(rawValue: 1 << 1)
    /// Drop one leading backtick (WeChat Pay bills: `` `2022-03-21 ``, bare `` ` `` is empty).
    public static let backtick = FieldCleaning(rawValue: 1 << 2)
    /// A field that is just `-` is empty (Douyin).
    public static let dashAsEmpty = FieldCleaning(rawValue: 1 << 3)

    /// Trim, Excel guards and backticks: safe for every format.
    public static let standard: FieldCleaning = [.trim, .excelGuards, .backtick]
}

/// Applies ``FieldCleaning`` to a field's UTF-8 bytes.
enum FieldCleaner {
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    static func clean(_ bytes: UnsafeBufferPointer<UInt8>, _ options: FieldCleaning) -> String {
        var start = 0
        var end = bytes.count
        if options.contains(.trim) {
            while start < end, isSpace(bytes[start]) { start += 1 }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        }
        if options.contains(.excelGuards), end - start >= 3, bytes[start] == 0x3D, bytes[start + 1] == 0x22, bytes[end - 1] == 0x22 {
            start += 2
            end -= 1
            if options.contains(.trim) {
                while start < end, isSpace(bytes[start]) { start += 1 }
                while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            }
        }
        if options.contains(.backtick), start < end, bytes[start] == 0x60 {
            start += 1
            if options.contains(.trim) {
                while start < end, isSpace(bytes[start]) { start += 1 }
            }
        }
        if options.contains(.dashAsEmpty), end - start == 1, bytes[start] == 0x2D {
            return ""
        }
        if start >= end { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    static func clean(_ text: String, _ options: FieldCleaning) -> String {
        var copy = text
        return copy.withUTF8 { clean($0, options) }
    }
}

/// Something that produces rows, pushed to a closure (CSV files, XLSX sheets).
public protocol RowSource {
    /// Calls `body` for each row in order until the rows end or `body` returns `false`.
    mutating func forEachRow(_ body: (Row) throws -> Bool) throws
}
