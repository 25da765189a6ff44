import Foundation
@testable import Ingest
import Testing
import ZIPFoundation

/// How a sample file's text is encoded on disk.
enum SampleEncoding {
    case utf8
    case utf8BOM
    case gbk
}

enum Samples {
    /// Encodes `text` as the files are really delivered. GBK goes through iconv.
    static func bytes(_ text: String, _ encoding: SampleEncoding) -> Data {
        switch encoding {
        case .utf8: return Data(text.utf8)
        case .utf8BOM: return Data([0xEF, 0xBB, 0xBF] + Array(text.utf8))
        case .gbk:
            let converted = try! IconvConverter.convert(Array(text.utf8), from: "UTF-8", to: "GBK")
            return Data(converted)
        }
    }

    /// A fresh temporary directory for one test.
    static func directory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a sample file and returns its URL.
    static func write(_ text: String, name: String, encoding: SampleEncoding = .utf8) -> URL {
        let url = directory().appendingPathComponent(name)
        try! bytes(text, encoding).write(to: url)
        return url
    }

    /// Writes the sample to disk and parses it from there (the real path: FileHandle, chunks).
    static func parse(_ text: String, name: String, encoding: SampleEncoding = .utf8, format: FileFormat? = nil,
                      options: ParseOptions = ParseOptions()) throws -> (records: [ParsedRecord], rejected: [RejectedRow], report: ParseReport) {
        let url = write(text, name: name, encoding: encoding)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        return try Ingest.parseAll(.file(url), format: format, options: options)
    }

    /// Parses and expects an ``IngestError``.
    static func parseError(_ text: String, name: String, encoding: SampleEncoding = .utf8, format: FileFormat? = nil,
                           options: ParseOptions = ParseOptions()) -> IngestError? {
        do {
            _ = try parse(text, name: name, encoding: encoding, format: format, options: options)
            return nil
        } catch let error as IngestError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    /// The instant of a Shanghai wall-clock time.
    static func shanghaiTime(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
        DateTimeComponents(date: LocalDate(year: y, month: mo, day: d)!, hour: h, minute: mi, second: s).instant(in: shanghai)
    }

    static func date(_ y: Int, _ m: Int, _ d: Int) -> LocalDate { LocalDate(year: y, month: m, day: d)! }
}

extension Array where Element == ParsedRecord {
    var orders: [OrderRecord] { compactMap { if case .order(let r) = $0 { r } else { nil } } }
    var transactions: [PlatformTransaction] { compactMap { if case .transaction(let r) = $0 { r } else { nil } } }
    var payouts: [PayoutRecord] { compactMap { if case .payout(let r) = $0 { r } else { nil } } }
    var bankLines: [BankStatementLine] { compactMap { if case .bankLine(let r) = $0 { r } else { nil } } }
    var courierLines: [CourierBillLine] { compactMap { if case .courierLine(let r) = $0 { r } else { nil } } }
    var returns: [ReturnRecord] { compactMap { if case .returnRecord(let r) = $0 { r } else { nil } } }
    var skuCosts: [SKUCost] { compactMap { if case .skuCost(let r) = $0 { r } else { nil } } }
    var summaries: [StatementSummary] { compactMap { if case .summary(let r) = $0 { r } else { nil } } }
}

/// `Money` in CNY minor units, for short expectations.
func cny(_ fen: Int64) -> Money { Money(minorUnits: fen, currency: "CNY") }

/// Writes minimal but valid .xlsx workbooks with ZIPFoundation (shared strings, inline strings,
/// numbers, date-styled numbers).
enum XLSXSampleWriter {
    enum Cell {
        case text(String)
        case inline(String)
        case number(String)
        /// An Excel serial styled as a date (style 1: numFmt 14) or date-time (style 2: custom).
        case date(String)
        case dateTime(String)
        case empty
    }

    static func write(rows: [[Cell]], sheetName: String = "Sheet1", to url: URL, date1904: Bool = false,
                      skipRowNumbers: Set<Int> = []) throws {
        var shared: [String] = []
        var sharedIndex: [String: Int] = [:]
        var sheetRows = ""
        var rowNumber = 0
        for cells in rows {
            rowNumber += 1
            while skipRowNumbers.contains(rowNumber) { rowNumber += 1 }
            var xml = "<row r=\"\(rowNumber)\">"
            for (column, cell) in cells.enumerated() {
                let ref = columnName(column) + String(rowNumber)
                switch cell {
                case .text(let value):
                    let index = sharedIndex[value] ?? {
                        shared.append(value)
                        sharedIndex[value] = shared.count - 1
                        return shared.count - 1
                    }()
                    xml += "<c r=\"\(ref)\" t=\"s\"><v>\(index)</v></c>"
                case .inline(let value):
                    xml += "<c r=\"\(ref)\" t=\"inlineStr\"><is><t xml:space=\"preserve\">\(escape(value))</t></is></c>"
                case .number(let value):
                    xml += "<c r=\"\(ref)\"><v>\(value)</v></c>"
                case .date(let value):
                    xml += "<c r=\"\(ref)\" s=\"1\"><v>\(value)</v></c>"
                case .dateTime(let value):
                    xml += "<c r=\"\(ref)\" s=\"2\"><v>\(value)</v></c>"
                case .empty:
                    continue
                }
            }
            sheetRows += xml + "</row>"
        }
        let sheet = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>\(sheetRows)</sheetData></worksheet>
        """
        let strings = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="\(shared.count)" uniqueCount="\(shared.count)">\(shared.map { "<si><t xml:space=\"preserve\">\(escape($0))</t></si>" }.joined())</sst>
        """
        let styles = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
        <numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd hh:mm:ss"/></numFmts>
        <cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>
        <cellXfs count="3"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/><xf numFmtId="164" xfId="0" applyNumberFormat="1"/></cellXfs>
        </styleSheet>
        """
        let workbook = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\(date1904 ? "<workbookPr date1904=\"1\"/>" : "")<sheets><sheet name="\(escape(sheetName))" sheetId="1" r:id="rId1"/></sheets></workbook>
        """
        let workbookRels = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
        """
        let rootRels = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
        """
        let contentTypes = """
        <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
        <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
        """
        try? FileManager.default.removeItem(at: url)
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in [("[Content_Types].xml", contentTypes), ("_rels/.rels", rootRels), ("xl/workbook.xml", workbook),
                             ("xl/_rels/workbook.xml.rels", workbookRels), ("xl/sharedStrings.xml", strings),
                             ("xl/styles.xml", styles), ("xl/worksheets/sheet1.xml", sheet)] {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    static func columnName(_ index: Int) -> String {
        var n = index + 1
        var name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

extension Samples {
    /// One CSV line in header order: values with a delimiter, quote or line break are quoted
    /// (quotes doubled); `="…"` guards and TAB-prefixed ids are written as exports write them.
    static func csvLine(_ header: [String], _ values: [String: String], delimiter: String = ",") -> String {
        header.map { column -> String in
            let value = values[column] ?? ""
            if value.hasPrefix("=\"") { return value }
            if value.contains(delimiter) || value.contains("\"") || value.contains("\n") || value.contains("\r") || value.hasPrefix("\t") {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: delimiter)
    }
}
