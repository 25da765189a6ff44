import Foundation

/// What `--format auto` found out about a file.
public struct Detection: Sendable, Hashable {
    public var format: FileFormat
    /// `"csv"`, `"xlsx"`, `"xml"`, `"text"`.
    public var container: String
    public var encoding: TextEncoding?
    /// Field delimiter of delimited text.
    public var delimiter: UInt8?
    /// Line of the header row found.
    public var headerLine: Int?

    public init(format: FileFormat, container: String, encoding: TextEncoding? = nil, delimiter: UInt8? = nil, headerLine: Int? = nil) {
        self.format = format
        self.container = container
        self.encoding = encoding
        self.delimiter = delimiter
        self.headerLine = headerLine
    }
}

/// Recognizes formats from a file's first bytes and rows.
public enum FormatDetector {
    /// Formats recognized by their header row, most specific first.
    static let tabularFormats: [FileFormat] = [
        .alipayTrade, .alipayAccount, .wechatTrade, .wechatFund, .douyinSettlement, .douyin, .jd, .pinduoduo, .taobao,
        .shopifyPayouts, .amazonSettlement, .courier, .bankCSV,
    ]

    /// Column specs of a tabular format (the default mapping's for courier and bank CSV).
    static func columns(for format: FileFormat, mapping: ColumnMapping? = nil) -> [ColumnSpec] {
        switch format {
        case .taobao: TaobaoOrderParser.columns
        case .jd: JDOrderParser.columns
        case .pinduoduo: PinduoduoOrderParser.columns
        case .douyin: DouyinOrderParser.columns
        case .douyinSettlement: DouyinSettlementParser.columns
        case .alipayTrade: AlipayTradeParser.columns
        case .alipayAccount: AlipayAccountParser.columns
        case .wechatTrade: WeChatTradeParser.columns
        case .wechatFund: WeChatFundParser.columns
        case .shopifyPayouts: ShopifyPayoutParser.columns
        case .amazonSettlement: AmazonSettlementParser.columns
        case .courier: MappedParser.columns(for: mapping ?? .defaultCourier)
        case .bankCSV: MappedParser.columns(for: mapping ?? .defaultBankCSV)
        case .mapped: mapping.map { MappedParser.columns(for: $0) } ?? []
        case .mt940, .camt053: []
        }
    }

    /// The best tabular format for these rows (the one whose header matches the most columns), with
    /// its header row's line. Mapped formats need at least 3 matched columns.
    public static func detect(rows: [Row], mapping: ColumnMapping? = nil) -> (format: FileFormat, headerLine: Int, score: Int)? {
        var best: (format: FileFormat, headerLine: Int, score: Int)?
        var candidates = tabularFormats
        if mapping != nil { candidates.insert(.mapped, at: 0) }
        for format in candidates {
            let specs = columns(for: format, mapping: mapping)
            guard !specs.isEmpty else { continue }
            let minimum = [.courier, .bankCSV, .mapped].contains(format) ? 3 : 1
            for row in rows {
                let map = HeaderMap(header: row.fields, line: row.line, specs: specs)
                guard map.isComplete, map.matchedCount >= minimum else { continue }
                if map.matchedCount > (best?.score ?? 0) { best = (format, row.line, map.matchedCount) }
                break
            }
        }
        return best
    }

    /// Whether text looks like MT940: `:20:` and `:61:` or `:60F:` tags at line starts.
    public static func looksLikeMT940(_ text: String) -> Bool {
        var tags = Set<String>()
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }).prefix(400) {
            if let (tag, _) = MT940Parser.splitTag(String(line)) { tags.insert(tag) }
        }
        return tags.contains("20") && (tags.contains("61") || tags.contains("60F") || tags.contains("25"))
    }

    /// Tokenizes decoded text with each candidate delimiter and returns the delimiter and rows
    /// whose header matches best (or `,` and its rows when none matches).
    static func sniffDelimiter(_ utf8: [UInt8], candidates: [UInt8], cleaning: FieldCleaning, mapping: ColumnMapping?,
                               format: FileFormat?) -> (delimiter: UInt8, rows: [Row], detection: (format: FileFormat, headerLine: Int, score: Int)?) {
        var best: (delimiter: UInt8, rows: [Row], detection: (format: FileFormat, headerLine: Int, score: Int)?)?
        for delimiter in candidates {
            let rows = sampleRows(utf8, delimiter: delimiter, cleaning: cleaning)
            let found: (format: FileFormat, headerLine: Int, score: Int)?
            if let format {
                let specs = columns(for: format, mapping: mapping)
                found = rows.lazy.compactMap { row -> (FileFormat, Int, Int)? in
                    let map = HeaderMap(header: row.fields, line: row.line, specs: specs)
                    return map.isComplete ? (format, row.line, map.matchedCount) : nil
                }.first
            } else {
                found = detect(rows: rows, mapping: mapping)
            }
            if let found, found.score > (best?.detection?.score ?? 0) {
                best = (delimiter, rows, found)
            } else if best == nil {
                best = (delimiter, rows, nil)
            }
        }
        return best ?? (0x2C, [], nil)
    }

    /// The first rows of a text prefix (a truncated last row is dropped).
    static func sampleRows(_ utf8: [UInt8], delimiter: UInt8, cleaning: FieldCleaning, limit: Int = 120) -> [Row] {
        var tokenizer = CSVTokenizer(source: DataByteSource(utf8), dialect: CSVDialect(delimiter: delimiter, cleaning: cleaning))
        var rows: [Row] = []
        while rows.count < limit {
            guard let row = try? tokenizer.nextRow() else { break }
            rows.append(row)
        }
        return rows
    }
}
