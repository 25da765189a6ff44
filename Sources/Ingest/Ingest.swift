import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// An input to parse: a file, or bytes in memory (tests, uploads).
public enum IngestInput: Sendable {
    case file(URL)
    case data(Data, name: String)

    /// File name for messages.
    public var name: String {
        switch self {
        case .file(let url): url.lastPathComponent
        case .data(_, let name): name
        }
    }
}

/// Entry points: parse a file into normalized records, streaming.
///
/// ```swift
/// let report = try Ingest.parse(.file(url), format: nil /* auto */, options: ParseOptions()) { record in
///     switch record { case .order(let order): ...; default: break }
/// }
/// ```
public enum Ingest {
    /// Parses `input` and passes each record to `onRecord` as soon as it is complete.
    ///
    /// - Parameters:
    ///   - format: the format, or `nil` to detect it (`--format auto`).
    ///   - options: time zone, currency, bad-row policy, mapping for ``FileFormat/mapped``, ….
    ///   - onRecord: receives records in file order (JD/Douyin orders when their rows are merged;
    ///     summaries and Shopify payouts at the end).
    ///   - onReject: receives rows rejected under ``ParseOptions/skipBadRows``.
    /// - Throws: ``IngestError`` naming file, line, column and value; or whatever the handlers throw.
    @discardableResult
    public static func parse(_ input: IngestInput, format: FileFormat? = nil, options: ParseOptions = ParseOptions(),
                             onRecord: RecordHandler, onReject: RejectHandler = { _ in }) throws -> ParseReport {
        let context = ParseContext(options: options, fileName: input.name)
        if let mapping = options.mapping { try mapping.validate() }
        if format == .mapped, options.mapping == nil {
            throw IngestError(.mapping, "the mapped format needs a column mapping", file: input.name,
                              hint: "pass a saved mapping for this file layout")
        }
        let sniff = try Sniff(input, options: options)
        switch sniff.container {
        case .xlsx:
            return try parseXLSX(input, format: format, context: context, onRecord: onRecord, onReject: onReject)
        case .xml:
            if let wechatError = sniff.wechatError {
                throw IngestError(.notABill, "is a WeChat Pay error reply, not a bill: \(wechatError)", file: input.name,
                                  hint: "download the bill again for a day that has transactions")
            }
            if let format, format != .camt053 {
                throw IngestError(.unknownFormat, "is an XML file, not a \(format.displayName)", file: input.name)
            }
            return try parseCamt(input, context: context, onRecord: onRecord, onReject: onReject)
        case .text:
            let resolved: FileFormat
            var detectedDelimiter: UInt8?
            if let format {
                resolved = format
            } else if FormatDetector.looksLikeMT940(sniff.text) {
                resolved = .mt940
            } else {
                let candidates: [UInt8] = options.delimiter.map { [$0] } ?? options.mapping?.delimiterByte.map { [$0] } ?? [0x2C, 0x09, 0x3B, 0x7C]
                let sniffed = FormatDetector.sniffDelimiter(sniff.utf8, candidates: candidates, cleaning: FieldCleaning.standard.union(.dashAsEmpty),
                                                           mapping: options.mapping, format: nil)
                guard let detection = sniffed.detection else {
                    throw IngestError(.unknownFormat, "is not in a known format: no known header row was found in the first lines", file: input.name,
                                      hint: "choose the format explicitly, or import it with a column mapping")
                }
                resolved = detection.format
                detectedDelimiter = sniffed.delimiter
            }
            if resolved == .mt940 {
                return try parseMT940(input, context: context, onRecord: onRecord, onReject: onReject)
            }
            if resolved == .camt053 {
                throw IngestError(.unknownFormat, "is not XML, so it is not a camt.053 statement", file: input.name)
            }
            return try parseText(input, format: resolved, delimiter: detectedDelimiter, sniff: sniff, context: context,
                                 onRecord: onRecord, onReject: onReject)
        }
    }

    /// Parses a file (see ``parse(_:format:options:onRecord:onReject:)``).
    @discardableResult
    public static func parse(file url: URL, format: FileFormat? = nil, options: ParseOptions = ParseOptions(),
                             onRecord: RecordHandler, onReject: RejectHandler = { _ in }) throws -> ParseReport {
        try parse(.file(url), format: format, options: options, onRecord: onRecord, onReject: onReject)
    }

    /// Parses `input` into arrays (convenient for small files and tests; use the streaming
    /// variant for large ones).
    public static func parseAll(_ input: IngestInput, format: FileFormat? = nil, options: ParseOptions = ParseOptions())
        throws -> (records: [ParsedRecord], rejected: [RejectedRow], report: ParseReport) {
        var records: [ParsedRecord] = []
        var rejected: [RejectedRow] = []
        let report = try parse(input, format: format, options: options, onRecord: { records.append($0) }, onReject: { rejected.append($0) })
        return (records, rejected, report)
    }

    /// Detects the format of `input` without parsing it all.
    public static func detect(_ input: IngestInput, options: ParseOptions = ParseOptions()) throws -> Detection {
        let sniff = try Sniff(input, options: options)
        switch sniff.container {
        case .xml:
            if let wechatError = sniff.wechatError {
                throw IngestError(.notABill, "is a WeChat Pay error reply, not a bill: \(wechatError)", file: input.name)
            }
            return Detection(format: .camt053, container: "xml")
        case .xlsx:
            let reader = try xlsxReader(input)
            var rows: [Row] = []
            try reader.forEachRow(sheet: options.sheet ?? options.mapping?.sheet, cleaning: FieldCleaning.standard.union(.dashAsEmpty)) { row in
                rows.append(row)
                return rows.count < 120
            }
            guard let found = FormatDetector.detect(rows: rows, mapping: options.mapping) else {
                throw IngestError(.unknownFormat, "is not in a known format: no known header row was found", file: input.name,
                                  hint: "choose the format explicitly, or import it with a column mapping")
            }
            return Detection(format: found.format, container: "xlsx", headerLine: found.headerLine)
        case .text:
            if FormatDetector.looksLikeMT940(sniff.text) {
                return Detection(format: .mt940, container: "text", encoding: sniff.encoding)
            }
            let candidates: [UInt8] = options.delimiter.map { [$0] } ?? [0x2C, 0x09, 0x3B, 0x7C]
            let sniffed = FormatDetector.sniffDelimiter(sniff.utf8, candidates: candidates, cleaning: FieldCleaning.standard.union(.dashAsEmpty),
                                                       mapping: options.mapping, format: nil)
            guard let found = sniffed.detection else {
                throw IngestError(.unknownFormat, "is not in a known format: no known header row was found in the first lines", file: input.name,
                                  hint: "choose the format explicitly, or import it with a column mapping")
            }
            return Detection(format: found.format, container: "csv", encoding: sniff.encoding, delimiter: sniffed.delimiter,
                             headerLine: found.headerLine)
        }
    }

    // MARK: - Drivers per container

    static func tabularDriver(_ format: FileFormat, options: ParseOptions) throws -> (TabularDriver, FieldCleaning) {
        switch format {
        case .taobao: return (TaobaoOrderParser.driver(), TaobaoOrderParser.cleaning)
        case .jd: return (JDOrderParser.driver(), JDOrderParser.cleaning)
        case .pinduoduo: return (PinduoduoOrderParser.driver(), PinduoduoOrderParser.cleaning)
        case .douyin: return (DouyinOrderParser.driver(), DouyinOrderParser.cleaning)
        case .douyinSettlement: return (DouyinSettlementParser.driver(), DouyinSettlementParser.cleaning)
        case .alipayTrade: return (AlipayTradeParser.driver(), AlipayTradeParser.cleaning)
        case .alipayAccount: return (AlipayAccountParser.driver(), AlipayAccountParser.cleaning)
        case .wechatTrade: return (WeChatTradeParser.driver(), WeChatTradeParser.cleaning)
        case .wechatFund: return (WeChatFundParser.driver(), WeChatFundParser.cleaning)
        case .shopifyPayouts: return (ShopifyPayoutParser.driver(), ShopifyPayoutParser.cleaning)
        case .amazonSettlement: return (AmazonSettlementParser.driver(), AmazonSettlementParser.cleaning)
        case .courier, .bankCSV, .mapped:
            let mapping: ColumnMapping
            if let given = options.mapping {
                mapping = given
            } else if format == .courier {
                mapping = .defaultCourier
            } else if format == .bankCSV {
                mapping = .defaultBankCSV
            } else {
                throw IngestError(.mapping, "the mapped format needs a column mapping")
            }
            try mapping.validate()
            var driver = TabularDriver(format: format, specs: MappedParser.columns(for: mapping)) { header, _, context in
                try MappedParser(mapping: mapping, format: format, header: header, context: context)
            }
            driver.minimumMatches = 2
            return (driver, FieldCleaning.standard)
        case .mt940, .camt053:
            throw IngestError(.unknownFormat, "\(format.displayName) is not a tabular format")
        }
    }

    private static func byteSource(_ input: IngestInput, options: ParseOptions) throws -> (any ByteSource, FileByteSource?) {
        switch input {
        case .file(let url):
            let file = try FileByteSource(url: url, chunkSize: options.chunkSize, computeDigest: options.computeDigest)
            return (file, file)
        case .data(let data, _):
            return (DataByteSource(data, chunkSize: options.chunkSize), nil)
        }
    }

    private static func digest(_ input: IngestInput, file: FileByteSource?, options: ParseOptions) throws -> (String?, Int64) {
        switch input {
        case .file(let url):
            if let file { return (file.sha256Hex, file.byteCount) }
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
            return (options.computeDigest ? try FileDigest.sha256(of: url) : nil, size)
        case .data(let data, _):
            return (options.computeDigest ? FileDigest.sha256(of: data) : nil, Int64(data.count))
        }
    }

    private static func parseText(_ input: IngestInput, format: FileFormat, delimiter detected: UInt8?, sniff: Sniff,
                                  context: ParseContext, onRecord: RecordHandler, onReject: RejectHandler) throws -> ParseReport {
        let (driver, cleaning) = try tabularDriver(format, options: context.options)
        var delimiter = context.options.delimiter ?? context.options.mapping?.delimiterByte ?? detected
        if delimiter == nil {
            let candidates: [UInt8] = format == .amazonSettlement ? [0x09, 0x2C] : [0x2C, 0x09, 0x3B, 0x7C]
            delimiter = FormatDetector.sniffDelimiter(sniff.utf8, candidates: candidates, cleaning: cleaning,
                                                      mapping: context.options.mapping, format: format).delimiter
        }
        let (raw, file) = try byteSource(input, options: context.options)
        var decoder = DecodingByteSource(AnyByteSource(raw), encoding: context.options.encoding, fileName: input.name)
        let encoding = try decoder.detect()
        var tokenizer = CSVTokenizer(source: decoder, dialect: CSVDialect(delimiter: delimiter ?? 0x2C, cleaning: cleaning),
                                     fileName: input.name)
        let outcome = try driver.run(&tokenizer, context: context, onRecord: onRecord, onReject: onReject)
        if tokenizer.source.replacements > 0 {
            context.warn("\(input.name): \(tokenizer.source.replacements) byte sequences invalid in \(tokenizer.source.encoding ?? encoding) were replaced by U+FFFD")
        }
        let (sha, bytes) = try digest(input, file: file, options: context.options)
        return ParseReport(format: format, encoding: tokenizer.source.encoding ?? encoding, container: "csv", headerLine: outcome.headerLine,
                           rowCount: outcome.rowCount, recordCount: outcome.recordCount, rejectedCount: outcome.rejectedCount,
                           byteCount: bytes, sha256: sha, warnings: context.allWarnings)
    }

    static func xlsxReader(_ input: IngestInput) throws -> XLSXReader {
        switch input {
        case .file(let url): try XLSXReader(url: url)
        case .data(let data, let name): try XLSXReader(data: data, fileName: name)
        }
    }

    private static func parseXLSX(_ input: IngestInput, format: FileFormat?, context: ParseContext, onRecord: RecordHandler,
                                  onReject: RejectHandler) throws -> ParseReport {
        let reader = try xlsxReader(input)
        let sheet = context.options.sheet ?? context.options.mapping?.sheet
        let resolved: FileFormat
        if let format {
            resolved = format
        } else {
            var rows: [Row] = []
            try reader.forEachRow(sheet: sheet, cleaning: FieldCleaning.standard.union(.dashAsEmpty)) { row in
                rows.append(row)
                return rows.count < 120
            }
            guard let found = FormatDetector.detect(rows: rows, mapping: context.options.mapping) else {
                throw IngestError(.unknownFormat, "is not in a known format: no known header row was found", file: input.name,
                                  hint: "choose the format explicitly, or import it with a column mapping")
            }
            resolved = found.format
        }
        guard resolved != .mt940, resolved != .camt053 else {
            throw IngestError(.unknownFormat, "is a spreadsheet, not a \(resolved.displayName)", file: input.name)
        }
        let (driver, cleaning) = try tabularDriver(resolved, options: context.options)
        var source = XLSXRowSource(reader: reader, sheet: sheet, cleaning: cleaning)
        let outcome = try driver.run(&source, context: context, onRecord: onRecord, onReject: onReject)
        let (sha, bytes) = try digest(input, file: nil, options: context.options)
        return ParseReport(format: resolved, container: "xlsx", headerLine: outcome.headerLine, rowCount: outcome.rowCount,
                           recordCount: outcome.recordCount, rejectedCount: outcome.rejectedCount, byteCount: bytes, sha256: sha,
                           warnings: context.allWarnings)
    }

    private static func parseMT940(_ input: IngestInput, context: ParseContext, onRecord: RecordHandler,
                                   onReject: RejectHandler) throws -> ParseReport {
        let (raw, file) = try byteSource(input, options: context.options)
        var decoder = DecodingByteSource(AnyByteSource(raw), encoding: context.options.encoding, fileName: input.name)
        let encoding = try decoder.detect()
        var reader = LineReader(source: decoder)
        let outcome = try withoutActuallyEscaping(onRecord) { onRecord in
            try withoutActuallyEscaping(onReject) { onReject in
                var parser = MT940Parser(context: context, onRecord: onRecord, onReject: onReject)
                try parser.run(&reader)
                return parser.outcome
            }
        }
        let (sha, bytes) = try digest(input, file: file, options: context.options)
        return ParseReport(format: .mt940, encoding: encoding, container: "text", rowCount: outcome.rowCount, recordCount: outcome.recordCount,
                           rejectedCount: outcome.rejectedCount, byteCount: bytes, sha256: sha, warnings: context.allWarnings)
    }

    private static func parseCamt(_ input: IngestInput, context: ParseContext, onRecord: RecordHandler,
                                  onReject: RejectHandler) throws -> ParseReport {
        let parser: XMLParser
        switch input {
        case .file(let url):
            guard let stream = InputStream(url: url) else {
                throw IngestError(.io, "cannot be opened", file: input.name)
            }
            parser = XMLParser(stream: stream)
        case .data(let data, _):
            parser = XMLParser(data: data)
        }
        let outcome = try Camt053Parser(context: context).run(parser, onRecord: onRecord, onReject: onReject)
        let (sha, bytes) = try digest(input, file: nil, options: context.options)
        return ParseReport(format: .camt053, container: "xml", rowCount: outcome.rowCount, recordCount: outcome.recordCount,
                           rejectedCount: outcome.rejectedCount, byteCount: bytes, sha256: sha, warnings: context.allWarnings)
    }
}

/// Type-erased byte source (file or memory) so the readers above are compiled once.
struct AnyByteSource: ByteSource {
    var base: any ByteSource
    init(_ base: any ByteSource) { self.base = base }
    mutating func nextChunk() throws -> [UInt8]? { try base.nextChunk() }
}

/// Adapts ``XLSXReader`` to ``RowSource``.
struct XLSXRowSource: RowSource {
    let reader: XLSXReader
    let sheet: String?
    let cleaning: FieldCleaning

    mutating func forEachRow(_ body: (Row) throws -> Bool) throws {
        try reader.forEachRow(sheet: sheet, cleaning: cleaning, body)
    }
}

/// The first bytes of an input: container kind, encoding and decoded text prefix.
struct Sniff {
    enum Container { case text, xlsx, xml }

    var container: Container
    var encoding: TextEncoding?
    /// The decoded prefix as UTF-8 bytes and as text.
    var utf8: [UInt8] = []
    var text: String = ""
    /// `return_msg` of a WeChat `<xml>` error reply.
    var wechatError: String?

    init(_ input: IngestInput, options: ParseOptions) throws {
        let prefix: [UInt8]
        switch input {
        case .file(let url):
            let source = try FileByteSource(url: url, chunkSize: 64 * 1024)
            prefix = try source.nextChunk() ?? []
        case .data(let data, _):
            prefix = [UInt8](data.prefix(64 * 1024))
        }
        if prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            container = .xlsx
            return
        }
        // The prefix may end inside a character: detect with that in mind, then decode as detected.
        var choice = options.encoding
        if choice == .auto {
            choice = .forced(EncodingDetector.detect(prefix, isComplete: prefix.count < 64 * 1024).encoding)
        }
        var decoder = DecodingByteSource(DataByteSource(prefix), encoding: choice, fileName: input.name)
        encoding = try decoder.detect()
        var bytes: [UInt8] = []
        while let chunk = try? decoder.nextChunk() { bytes.append(contentsOf: chunk) }
        utf8 = bytes
        text = String(decoding: bytes, as: UTF8.self)
        let trimmed = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("<") {
            container = .xml
            if trimmed.hasPrefix("<xml>") || trimmed.contains("<return_code>") {
                let message = Sniff.element("return_msg", in: String(trimmed)) ?? Sniff.element("return_code", in: String(trimmed)) ?? "unknown error"
                wechatError = message
            }
        } else {
            container = .text
        }
    }

    /// The text of `<name>…</name>`, unwrapping CDATA.
    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else {
            return nil
        }
        var value = String(text[open.upperBound..<close.lowerBound])
        if value.hasPrefix("<![CDATA["), value.hasSuffix("]]>") {
            value = String(value.dropFirst(9).dropLast(3))
        }
        return value
    }
}
