import Foundation

/// How to parse a file. Defaults suit Chinese exports.
public struct ParseOptions: Sendable {
    /// Zone for local times without an offset (Chinese exports: Asia/Shanghai).
    public var timeZone: TimeZone
    /// Currency where the file does not name one.
    public var currency: String
    /// Report unparseable rows through the reject handler and go on, instead of failing.
    public var skipBadRows: Bool
    /// Decimal separator; `nil` uses the format's own convention.
    public var decimalSeparator: DecimalSeparator?
    /// Order of year-last dates; `nil` uses the format's own convention.
    public var dateOrder: DateOrder?
    /// Text encoding: detected by default.
    public var encoding: EncodingChoice
    /// Field delimiter for delimited text; `nil` detects it (`,` TAB `;` `|`).
    public var delimiter: UInt8?
    /// Sheet of an XLSX workbook; `nil` reads the first.
    public var sheet: String?
    /// Read size for files.
    public var chunkSize: Int
    /// Mapping for ``FileFormat/mapped`` (required there) and to override the shipped default
    /// mappings of ``FileFormat/courier`` and ``FileFormat/bankCSV``.
    public var mapping: ColumnMapping?
    /// How many distinct open orders the JD/Douyin parsers hold while merging the rows of
    /// multi-SKU orders. Rows of one order farther apart than this yield a continuation record.
    public var orderMergeWindow: Int
    /// Compute the file's SHA-256 while reading it (for the loader's re-import check).
    public var computeDigest: Bool
    /// Bank account to put on bank lines when the file does not name one (bank CSVs).
    public var account: String?
    /// Maximum number of warnings kept in the report.
    public var maxWarnings: Int

    public init(timeZone: TimeZone = TimeZone(identifier: "Asia/Shanghai")!, currency: String = "CNY", skipBadRows: Bool = false,
                decimalSeparator: DecimalSeparator? = nil, dateOrder: DateOrder? = nil, encoding: EncodingChoice = .auto,
                delimiter: UInt8? = nil, sheet: String? = nil, chunkSize: Int = defaultChunkSize, mapping: ColumnMapping? = nil,
                orderMergeWindow: Int = 4096, computeDigest: Bool = true, account: String? = nil, maxWarnings: Int = 100) {
        self.timeZone = timeZone
        self.currency = currency
        self.skipBadRows = skipBadRows
        self.decimalSeparator = decimalSeparator
        self.dateOrder = dateOrder
        self.encoding = encoding
        self.delimiter = delimiter
        self.sheet = sheet
        self.chunkSize = chunkSize
        self.mapping = mapping
        self.orderMergeWindow = orderMergeWindow
        self.computeDigest = computeDigest
        self.account = account
        self.maxWarnings = maxWarnings
    }
}

/// State shared by a parse: options, the file's name, warnings.
public final class ParseContext {
    public let options: ParseOptions
    public let fileName: String?
    /// Things worth telling the user that did not stop the parse (declared totals that differ,
    /// replaced characters).
    public private(set) var warnings: [String] = []
    private var droppedWarnings = 0

    /// Zone for local times (``ParseOptions/timeZone``), and its constant UTC offset when it has
    /// no daylight saving time (looked up once, not per value).
    public let timeZone: TimeZone
    let fixedOffset: Int?
    let decimalSeparatorOverride: DecimalSeparator?
    let dateOrderOverride: DateOrder?

    public init(options: ParseOptions = ParseOptions(), fileName: String? = nil) {
        self.options = options
        self.fileName = fileName
        self.timeZone = options.timeZone
        self.fixedOffset = ZoneOffsetCache.constantOffset(options.timeZone)
        self.decimalSeparatorOverride = options.decimalSeparator
        self.dateOrderOverride = options.dateOrder
    }

    public func warn(_ message: String) {
        if warnings.count < options.maxWarnings {
            warnings.append(message)
        } else {
            droppedWarnings += 1
        }
    }

    var allWarnings: [String] {
        droppedWarnings == 0 ? warnings : warnings + ["… and \(droppedWarnings) more warnings"]
    }
}

/// What a parse did.
public struct ParseReport: Sendable {
    public var format: FileFormat
    /// `nil` for XLSX and XML inputs that carry their own encoding.
    public var encoding: TextEncoding?
    /// `"csv"`, `"xlsx"`, `"xml"`, `"text"` (MT940).
    public var container: String
    /// Line of the header row for tabular formats.
    public var headerLine: Int?
    /// Detail rows/entries read (excluding preamble, header, trailer and blank lines).
    public var rowCount: Int
    /// Records emitted (all kinds, summaries included).
    public var recordCount: Int
    /// Rows rejected with ``ParseOptions/skipBadRows``.
    public var rejectedCount: Int
    /// Bytes read from the file.
    public var byteCount: Int64
    /// SHA-256 of the file as lower-case hex, when computed.
    public var sha256: String?
    public var warnings: [String]

    public init(format: FileFormat, encoding: TextEncoding? = nil, container: String, headerLine: Int? = nil, rowCount: Int = 0,
                recordCount: Int = 0, rejectedCount: Int = 0, byteCount: Int64 = 0, sha256: String? = nil, warnings: [String] = []) {
        self.format = format
        self.encoding = encoding
        self.container = container
        self.headerLine = headerLine
        self.rowCount = rowCount
        self.recordCount = recordCount
        self.rejectedCount = rejectedCount
        self.byteCount = byteCount
        self.sha256 = sha256
        self.warnings = warnings
    }
}
