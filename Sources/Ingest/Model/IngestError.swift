/// An error reading or parsing an import file, naming the file, line, column and value so the
/// user can fix the file: `orders.csv line 37, column 订单金额（元）: "12,3x" is not an amount`.
public struct IngestError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of problem this is; extensible.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A value that cannot be read as what the column holds (amount, date, integer).
        public static let badValue = Code(rawValue: "bad_value")
        /// A required value is empty.
        public static let missingValue = Code(rawValue: "missing_value")
        /// The header lacks required columns, or no header was found.
        public static let missingColumns = Code(rawValue: "missing_columns")
        /// A row does not fit the header (too many fields, inconsistent data).
        public static let malformedRow = Code(rawValue: "malformed_row")
        /// A quoted field is never closed.
        public static let unterminatedQuote = Code(rawValue: "unterminated_quote")
        /// The bytes are not valid in the file's encoding.
        public static let encoding = Code(rawValue: "encoding")
        /// The format could not be recognised, or the file is not what was asked for.
        public static let unknownFormat = Code(rawValue: "unknown_format")
        /// The file is a provider's error message instead of a bill (WeChat `<xml>` replies).
        public static let notABill = Code(rawValue: "not_a_bill")
        /// Reading the file failed.
        public static let io = Code(rawValue: "io")
        /// The XLSX/ZIP/XML structure is broken.
        public static let structure = Code(rawValue: "structure")
        /// A column mapping is invalid.
        public static let mapping = Code(rawValue: "mapping")

        public var description: String { rawValue }
    }

    public var code: Code
    /// File name (last path component) the error is in.
    public var file: String?
    /// 1-based physical line (sheet row for XLSX).
    public var line: Int?
    /// The column's header name as printed in the file.
    public var column: String?
    /// The offending value as printed.
    public var value: String?
    /// What is wrong, phrased to follow the value: `is not an amount`.
    public var message: String
    /// What the user can do about it.
    public var hint: String?

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, column: String? = nil,
                value: String? = nil, hint: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.value = value
        self.hint = hint
    }

    /// `orders.csv line 37, column 订单金额（元）: "12,3x" is not an amount (hint)`.
    public var description: String {
        var location: [String] = []
        if let file { location.append(file) }
        if let line { location.append("line \(line)") }
        var text = location.joined(separator: " ")
        if let column { text += text.isEmpty ? "column \(column)" : ", column \(column)" }
        if !text.isEmpty { text += ": " }
        if let value {
            let shown = value.count > 80 ? String(value.prefix(77)) + "..." : value
            text += "\"\(shown)\" "
        }
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }

    public var debugDescription: String { "IngestError(\(code): \(description))" }

    /// The same error with the file name filled in when missing.
    func inFile(_ name: String?) -> IngestError {
        var copy = self
        if copy.file == nil { copy.file = name }
        return copy
    }
}

/// A row that was skipped because it could not be parsed (with
/// ``ParseOptions/skipBadRows``): the loader keeps these in the import's reject list.
public struct RejectedRow: Sendable, Hashable {
    public var position: SourcePosition
    public var error: IngestError
    /// The row's fields as tokenized (for the reject list).
    public var fields: [String]

    public init(position: SourcePosition, error: IngestError, fields: [String]) {
        self.position = position
        self.error = error
        self.fields = fields
    }

    /// The reason, suitable for a reject list: the error's description.
    public var reason: String { error.description }
}
