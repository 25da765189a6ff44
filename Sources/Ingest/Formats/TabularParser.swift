/// Receives parsed records.
public typealias RecordHandler = (ParsedRecord) throws -> Void
/// Receives rejected rows (with ``ParseOptions/skipBadRows``).
public typealias RejectHandler = (RejectedRow) throws -> Void

/// A parser that turns the data rows after a header into records, as a state machine fed one
/// row at a time: it works the same for CSV (pulled) and XLSX (pushed by the XML parser) and
/// holds no more than the parser chooses to (JD's open orders).
public protocol RowParser {
    /// Parses one data row. Throwing rejects the row (or fails the file): parsers check a row
    /// completely before changing their state.
    mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws
    /// Whether `row` starts the trailer (summary lines). From then on rows go to
    /// ``trailer(_:emit:)``. Default: a first field starting with `#`.
    mutating func isTrailer(_ row: Row) -> Bool
    /// A trailer row. Default: ignored.
    mutating func trailer(_ row: Row, emit: RecordHandler) throws
    /// End of input: flush buffered records. Default: nothing.
    mutating func finish(emit: RecordHandler) throws
    /// Amount and date conventions for ``FieldReader``.
    var decimalSeparator: DecimalSeparator { get }
    var dateOrder: DateOrder { get }
}

extension RowParser {
    public mutating func isTrailer(_ row: Row) -> Bool {
        row.fields.first?.hasPrefix("#") ?? false
    }

    public mutating func trailer(_ row: Row, emit: RecordHandler) throws {}
    public mutating func finish(emit: RecordHandler) throws {}
    public var decimalSeparator: DecimalSeparator { .dot }
    public var dateOrder: DateOrder { .ymd }
}

/// A parser for a fixed tabular format (CSV/TSV/XLSX with a known header).
public protocol TabularParser: RowParser {
    static var format: FileFormat { get }
    /// The columns read; the required ones identify the header row.
    static var columns: [ColumnSpec] { get }
    /// Field clean-up for this format's files.
    static var cleaning: FieldCleaning { get }
    /// Whether `header` is this format's header (used by `--format auto`).
    static func matches(header: [String]) -> Bool
    /// Creates the parser once the header is found; `preamble` holds the rows before it.
    init(header: HeaderMap, preamble: [Row], context: ParseContext) throws
}

extension TabularParser {
    public static var cleaning: FieldCleaning { .standard }

    public static func matches(header: [String]) -> Bool {
        HeaderMap(header: header, specs: columns).isComplete
    }

    /// A driver for this parser.
    static func driver() -> TabularDriver {
        TabularDriver(format: format, specs: columns) { header, preamble, context in
            try Self(header: header, preamble: preamble, context: context)
        }
    }
}

/// Runs a ``RowParser`` over a ``RowSource``: finds the header after any preamble, skips blank
/// rows, checks row widths, routes trailer rows, and applies the bad-row policy.
struct TabularDriver {
    let format: FileFormat
    let specs: [ColumnSpec]
    let make: (HeaderMap, [Row], ParseContext) throws -> any RowParser
    /// Rows searched for the header.
    var headerSearchLimit = 200
    /// Columns a header row must match (besides all required ones).
    var minimumMatches = 1

    struct Outcome {
        var headerLine: Int?
        var rowCount = 0
        var recordCount = 0
        var rejectedCount = 0
    }

    func run(_ source: inout some RowSource, context: ParseContext, onRecord: RecordHandler, onReject: RejectHandler) throws -> Outcome {
        var outcome = Outcome()
        var preamble: [Row] = []
        var header: HeaderMap?
        var parser: (any RowParser)?
        var best: HeaderMap?
        var inTrailer = false
        let requiredWidth = { (map: HeaderMap) in map.maxRequiredIndex(specs) + 1 }
        func emit(_ record: ParsedRecord) throws {
            outcome.recordCount += 1
            try onRecord(record)
        }

        try source.forEachRow { row in
            guard var current = parser, let map = header else {
                // Looking for the header.
                let candidate = HeaderMap(header: row.fields, line: row.line, specs: specs)
                if candidate.isComplete, candidate.matchedCount >= minimumMatches {
                    header = candidate
                    outcome.headerLine = row.line
                    parser = try make(candidate, preamble, context)
                    preamble.removeAll()
                    return true
                }
                if candidate.matchedCount > (best?.matchedCount ?? 0) { best = candidate }
                if preamble.count < headerSearchLimit {
                    preamble.append(row)
                    return true
                }
                return false
            }
            // Take the parser out so its buffers are uniquely referenced while it mutates.
            parser = nil
            defer { parser = current }
            if !inTrailer, current.isTrailer(row) { inTrailer = true }
            if inTrailer {
                try current.trailer(row, emit: emit)
                return true
            }
            if row.isBlank { return true }
            outcome.rowCount += 1
            do {
                try checkWidth(row, map: map, requiredWidth: requiredWidth(map), context: context)
                let reader = FieldReader(row: row, header: map, context: context,
                                         decimalSeparator: current.decimalSeparator, dateOrder: current.dateOrder)
                try current.parse(reader, emit: emit)
            } catch let error as IngestError {
                let located = error.line == nil ? IngestError(error.code, error.message, file: context.fileName, line: row.line,
                                                               column: error.column, value: error.value, hint: error.hint)
                                                : error.inFile(context.fileName)
                guard context.options.skipBadRows else { throw located }
                outcome.rejectedCount += 1
                try onReject(RejectedRow(position: SourcePosition(line: row.line), error: located, fields: row.fields))
            }
            return true
        }
        guard var parser else {
            throw missingHeaderError(best: best, context: context)
        }
        try parser.finish(emit: emit)
        return outcome
    }

    private func checkWidth(_ row: Row, map: HeaderMap, requiredWidth: Int, context: ParseContext) throws {
        let width = map.names.count
        if row.fields.count < requiredWidth {
            throw IngestError(.malformedRow, "has \(row.fields.count) fields but the header (line \(map.line)) has \(width)",
                              file: context.fileName, line: row.line,
                              hint: "the row is cut short; a line break inside an unquoted field can cause this")
        }
        if row.fields.count > width, row.fields[width...].contains(where: { !$0.isEmpty }) {
            throw IngestError(.malformedRow, "has \(row.fields.count) fields but the header (line \(map.line)) has \(width)",
                              file: context.fileName, line: row.line,
                              hint: "a value probably contains an unquoted delimiter; quote it or remove the extra fields")
        }
    }

    private func missingHeaderError(best: HeaderMap?, context: ParseContext) -> IngestError {
        let required = specs.filter(\.required).map { $0.names[0] }
        if let best, best.matchedCount > 0 {
            let missing = best.missing.map { $0.names[0] }.joined(separator: ", ")
            return IngestError(.missingColumns, "is not a \(format.displayName): the header is missing the columns \(missing)",
                               file: context.fileName, line: best.line,
                               hint: "required columns: \(required.joined(separator: ", ")); check the export settings or choose another format")
        }
        return IngestError(.missingColumns, "is not a \(format.displayName): no header row with the columns \(required.joined(separator: ", ")) was found",
                           file: context.fileName, hint: "check the file and the chosen format")
    }
}
