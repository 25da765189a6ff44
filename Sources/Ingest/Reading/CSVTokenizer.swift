/// Settings of a delimited text file.
public struct CSVDialect: Sendable, Hashable {
    /// Field separator: `,` (CSV), TAB (TSV, Amazon), `;`, `|`.
    public var delimiter: UInt8
    public var quote: UInt8
    public var cleaning: FieldCleaning
    /// A field longer than this is an error: in practice an unclosed quote swallowing the file.
    public var maxFieldBytes: Int

    public init(delimiter: UInt8 = UInt8(ascii: ","), quote: UInt8 = UInt8(ascii: "\""), cleaning: FieldCleaning = .standard,
                maxFieldBytes: Int = 4 * 1024 * 1024) {
        self.delimiter = delimiter
        self.quote = quote
        self.cleaning = cleaning
        self.maxFieldBytes = maxFieldBytes
    }

    public static let csv = CSVDialect()
    public static let tsv = CSVDialect(delimiter: 0x09)
}

/// A streaming RFC 4180 tokenizer over UTF-8 chunks.
///
/// - Quoted fields may hold delimiters, doubled quotes and line breaks; text after a closing
///   quote is kept (`"abc"\t,` → `abc` after trimming).
/// - A quote inside an unquoted field is literal (`5" screen`); a quote after leading spaces
///   opens a quoted field (`, "a,b"`).
/// - `\r\n`, `\n` and a lone `\r` end a row; blank lines are skipped; line numbers count every
///   physical line, including those inside quoted fields.
/// - Memory is one chunk plus one row, whatever the file size.
public struct CSVTokenizer<Source: ByteSource>: RowSource {
    /// The byte source (to read its encoding or counters after the rows).
    public private(set) var source: Source
    public let dialect: CSVDialect
    private var chunk: [UInt8] = []
    private var position = 0
    private var exhausted = false

    private enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var line = 1
    private var rowLine = 1
    private var fieldLine = 1
    private var pendingCR = false
    private var rowHasContent = false
    let fileName: String?

    public init(source: Source, dialect: CSVDialect = .csv, fileName: String? = nil) {
        self.source = source
        self.dialect = dialect
        self.fileName = fileName
        field.reserveCapacity(256)
    }

    /// The physical line the tokenizer has reached.
    public var currentLine: Int { line }

    public mutating func forEachRow(_ body: (Row) throws -> Bool) throws {
        while let row = try nextRow() {
            if try !body(row) { return }
        }
    }

    /// The next non-blank row, or `nil` at the end of the input.
    public mutating func nextRow() throws -> Row? {
        while true {
            if position >= chunk.count {
                if exhausted { return try finishInput() }
                guard let next = try source.nextChunk() else {
                    exhausted = true
                    continue
                }
                chunk = next
                position = 0
            }
            if let row = try scanChunk() { return row }
        }
    }

    private mutating func finishInput() throws -> Row? {
        switch state {
        case .quoted:
            throw IngestError(.unterminatedQuote, "a quoted field starting here is never closed", file: fileName, line: fieldLine,
                              hint: "a field has an opening \" without a closing one; fix the quoting or export the file again")
        case .fieldStart where !rowHasContent && fields.isEmpty:
            return nil
        default:
            return endRow()
        }
    }

    /// Scans the current chunk from `position`; returns a row as soon as one completes.
    private mutating func scanChunk() throws -> Row? {
        let delimiter = dialect.delimiter
        let quote = dialect.quote
        let bytes = chunk
        let count = bytes.count
        var i = position
        defer { position = i }
        return try bytes.withUnsafeBufferPointer { buffer -> Row? in
            while i < count {
                let b = buffer[i]
                if pendingCR {
                    pendingCR = false
                    if b == 0x0A {  // \r\n: the \r already ended the line
                        i += 1
                        continue
                    }
                }
                switch state {
                case .fieldStart, .unquoted:
                    if b == delimiter {
                        finishField()
                        rowHasContent = true
                        state = .fieldStart
                        i += 1
                    } else if b == 0x0A || b == 0x0D {
                        i += 1
                        line += 1
                        if b == 0x0D { pendingCR = true }
                        if !rowHasContent && field.isEmpty && fields.isEmpty {
                            rowLine = line  // blank line
                            continue
                        }
                        return endRow()
                    } else if state == .fieldStart && (b == 0x20 || b == 0x09) {
                        // Leading blanks: a quote may still open the field.
                        field.append(b)
                        rowHasContent = true
                        i += 1
                    } else if state == .fieldStart && b == quote {
                        field.removeAll(keepingCapacity: true)
                        state = .quoted
                        fieldLine = line
                        quotedLastCR = false
                        rowHasContent = true
                        i += 1
                    } else {
                        // A run of ordinary bytes (quotes inside unquoted fields are literal).
                        var j = i + 1
                        while j < count {
                            let c = buffer[j]
                            if c == delimiter || c == 0x0A || c == 0x0D { break }
                            j += 1
                        }
                        field.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<j]))
                        state = .unquoted
                        rowHasContent = true
                        i = j
                        try checkFieldLength()
                    }
                case .quoted:
                    // Copy up to the next quote, counting line breaks (\r\n, \n, \r) inside.
                    var j = i
                    while j < count {
                        let c = buffer[j]
                        if c == quote { break }
                        if c == 0x0A {
                            if !quotedLastCR { line += 1 }
                            quotedLastCR = false
                        } else if c == 0x0D {
                            line += 1
                            quotedLastCR = true
                        } else {
                            quotedLastCR = false
                        }
                        j += 1
                    }
                    field.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i..<j]))
                    try checkFieldLength()
                    i = j
                    if j < count {  // at a quote
                        state = .quoteInQuoted
                        quotedLastCR = false
                        i += 1
                    }
                case .quoteInQuoted:
                    if b == quote {
                        field.append(quote)  // "" inside quotes
                        state = .quoted
                        i += 1
                    } else if b == delimiter {
                        finishField()
                        state = .fieldStart
                        i += 1
                    } else if b == 0x0A || b == 0x0D {
                        i += 1
                        line += 1
                        if b == 0x0D { pendingCR = true }
                        return endRow()
                    } else {
                        // Text after the closing quote is kept (trailing TABs, stray characters).
                        state = .unquoted
                        field.append(b)
                        i += 1
                    }
                }
            }
            return nil
        }
    }

    private var quotedLastCR = false

    private mutating func checkFieldLength() throws {
        if field.count > dialect.maxFieldBytes {
            throw IngestError(.unterminatedQuote, "has a field longer than \(dialect.maxFieldBytes / 1024 / 1024) MiB", file: fileName,
                              line: state == .quoted ? fieldLine : rowLine,
                              hint: "a quoted field is probably never closed; fix the quoting or export the file again")
        }
    }

    private mutating func finishField() {
        let text = field.withUnsafeBufferPointer { FieldCleaner.clean($0, dialect.cleaning) }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRow() -> Row {
        finishField()
        let row = Row(fields: fields, line: rowLine)
        fields.removeAll(keepingCapacity: true)
        fields.reserveCapacity(row.fields.count)
        state = .fieldStart
        rowHasContent = false
        rowLine = line
        return row
    }
}
