import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads rows from an `.xlsx` workbook in bounded memory.
///
/// The ZIP members are inflated with ZIPFoundation to a temporary file and parsed with the
/// streaming `XMLParser`, so a sheet of any size costs one row of memory plus the shared string
/// table (which Excel stores once per distinct string). Cells become text: shared and inline
/// strings as stored, numbers in plain decimal notation rounded to Excel's 15 significant
/// digits (`1.2E+3` → `1200`), booleans `TRUE`/`FALSE`, and numbers formatted as dates (built-in
/// and custom date formats, 1900 and 1904 date systems) as `yyyy-MM-dd HH:mm:ss` (`yyyy-MM-dd`
/// for whole days). Missing cells in a row are empty strings. Row numbers are the sheet's.
public final class XLSXReader {
    /// Worksheet names in workbook order.
    public let sheetNames: [String]
    private let archive: Archive
    private let sheetPaths: [String]
    private let sharedStrings: [String]
    private let dateStyles: [Bool]
    private let timeOnlyStyles: [Bool]
    private let timeStyles: [Bool]
    private let date1904: Bool
    let fileName: String?

    /// Opens the workbook at `url`.
    public convenience init(url: URL) throws {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw IngestError(.structure, "is not a readable XLSX (ZIP) file: \(error)", file: url.lastPathComponent)
        }
        try self.init(archive: archive, fileName: url.lastPathComponent)
    }

    /// Opens a workbook held in memory (tests).
    public convenience init(data: Data, fileName: String? = nil) throws {
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw IngestError(.structure, "is not a readable XLSX (ZIP) file: \(error)", file: fileName)
        }
        try self.init(archive: archive, fileName: fileName)
    }

    private init(archive: Archive, fileName: String?) throws {
        self.archive = archive
        self.fileName = fileName
        let workbook = try Self.parseWorkbook(archive, fileName: fileName)
        let relations = try Self.parseRelationships(archive, fileName: fileName)
        var names: [String] = []
        var paths: [String] = []
        for sheet in workbook.sheets {
            guard let target = relations.targets[sheet.relationID] else { continue }
            names.append(sheet.name)
            paths.append(Self.resolve(target))
        }
        if names.isEmpty, archive["xl/worksheets/sheet1.xml"] != nil {
            names = ["Sheet1"]
            paths = ["xl/worksheets/sheet1.xml"]
        }
        guard !names.isEmpty else {
            throw IngestError(.structure, "has no worksheets", file: fileName, hint: "is this really an .xlsx workbook?")
        }
        sheetNames = names
        sheetPaths = paths
        date1904 = workbook.date1904
        let stringsPath = relations.sharedStrings.map(Self.resolve) ?? "xl/sharedStrings.xml"
        sharedStrings = try Self.parseSharedStrings(archive, path: stringsPath, fileName: fileName)
        let stylesPath = relations.styles.map(Self.resolve) ?? "xl/styles.xml"
        (dateStyles, timeOnlyStyles, timeStyles) = try Self.parseStyles(archive, path: stylesPath, fileName: fileName)
    }

    /// Calls `body` for each non-empty row of the named sheet (first sheet if `nil`) until it
    /// returns `false`.
    public func forEachRow(sheet: String? = nil, cleaning: FieldCleaning = .standard, _ body: (Row) throws -> Bool) throws {
        let index: Int
        if let sheet {
            guard let found = sheetNames.firstIndex(of: sheet) else {
                throw IngestError(.structure, "has no sheet named \"\(sheet)\"", file: fileName,
                                  hint: "sheets: \(sheetNames.joined(separator: ", "))")
            }
            index = found
        } else {
            index = 0
        }
        guard let entry = archive[sheetPaths[index]] else {
            throw IngestError(.structure, "lacks the member \(sheetPaths[index])", file: fileName)
        }
        try withoutActuallyEscaping(body) { body in
            let handler = SheetHandler(reader: self, cleaning: cleaning, body: body)
            try parse(entry: entry, handler: handler.sax)
            if let error = handler.failure { throw error }
        }
    }

    // MARK: - Cell values

    func cellText(type: String?, style: Int?, value: String, inline: String) -> String {
        switch type {
        case "s":
            guard let i = Int(value), i >= 0, i < sharedStrings.count else { return "" }
            return sharedStrings[i]
        case "inlineStr":
            return inline
        case "str", "e":
            return value
        case "b":
            return value == "1" ? "TRUE" : (value == "0" ? "FALSE" : value)
        case "d":
            return value.replacingOccurrences(of: "T", with: " ")
        default:
            if value.isEmpty { return inline }
            if let style, style >= 0, style < dateStyles.count, dateStyles[style],
               let text = Self.serialToDateText(value, date1904: date1904, timeOnly: timeOnlyStyles[style], showsTime: timeStyles[style]) {
                return text
            }
            return Self.normalizeNumber(value)
        }
    }

    /// Converts an Excel serial date (`45306.4375`) to `2024-01-15 10:30:00`.
    static func serialToDateText(_ serial: String, date1904: Bool, timeOnly: Bool, showsTime: Bool = false) -> String? {
        guard let amount = ExactAmount(serial), !amount.isNegative else { return nil }
        let days = amount.units / ExactAmount.powerOfTen(amount.scale)
        let fraction = amount.units % ExactAmount.powerOfTen(amount.scale)
        // Seconds in the day, rounded to the nearest second, without floating point.
        var scaledFraction = fraction
        var scale = amount.scale
        while scale > 12 {
            scaledFraction /= 10
            scale -= 1
        }
        let denominator = ExactAmount.powerOfTen(scale)
        var seconds = (scaledFraction * 86_400 * 2 + denominator) / (2 * denominator)
        var dayCount = Int(days)
        if seconds >= 86_400 {
            seconds -= 86_400
            dayCount += 1
        }
        let time = "\(pad2(Int(seconds / 3600))):\(pad2(Int(seconds / 60 % 60))):\(pad2(Int(seconds % 60)))"
        if timeOnly && dayCount == 0 { return time }
        let date: LocalDate
        if date1904 {
            date = LocalDate(year: 1904, month: 1, day: 1)!.adding(days: dayCount)
        } else if dayCount >= 61 {
            date = LocalDate(year: 1899, month: 12, day: 30)!.adding(days: dayCount)
        } else if dayCount == 60 {
            date = LocalDate(year: 1900, month: 2, day: 28)!  // Excel's fictitious 1900-02-29
        } else {
            date = LocalDate(year: 1899, month: 12, day: 31)!.adding(days: dayCount)
        }
        return seconds == 0 && !timeOnly && !showsTime ? date.description : "\(date) \(time)"
    }

    /// Plain decimal notation, rounded to 15 significant digits like Excel displays numbers:
    /// `1.2345678901234567E+17` → `123456789012346000`, `12.300000000000001` → `12.3`.
    static func normalizeNumber(_ text: String) -> String {
        var digits: [UInt8] = []
        var negative = false
        var exponent = 0  // value = 0.d1d2d3… × 10^exponent after the loop
        var seenPoint = false
        var seenDigit = false
        var expPart = ""
        var inExponent = false
        for b in text.utf8 {
            if inExponent {
                expPart.append(Character(UnicodeScalar(b)))
                continue
            }
            switch b {
            case 0x2D where !seenDigit && digits.isEmpty: negative = true
            case 0x2B: continue
            case 0x2E: seenPoint = true
            case 0x30...0x39:
                seenDigit = true
                if digits.isEmpty && b == 0x30 {
                    if seenPoint { exponent -= 1 }
                    continue
                }
                digits.append(b - 0x30)
                if !seenPoint { exponent += 1 }
            case 0x45, 0x65: inExponent = true
            default: return text
            }
        }
        if inExponent {
            guard let e = Int(expPart) else { return text }
            exponent += e
        }
        if digits.isEmpty { return "0" }
        if digits.count > 15 {
            let roundUp = digits[15] >= 5
            digits.removeSubrange(15...)
            if roundUp {
                var k = 14
                while k >= 0 {
                    if digits[k] == 9 {
                        digits[k] = 0
                        k -= 1
                    } else {
                        digits[k] += 1
                        break
                    }
                }
                if k < 0 {
                    digits.insert(1, at: 0)
                    digits.removeLast()
                    exponent += 1
                }
            }
        }
        while let last = digits.last, last == 0 { digits.removeLast() }
        if digits.isEmpty { return "0" }
        var out = negative ? "-" : ""
        if exponent <= 0 {
            out += "0." + String(repeating: "0", count: -exponent) + digits.map(String.init).joined()
        } else if exponent >= digits.count {
            out += digits.map(String.init).joined() + String(repeating: "0", count: exponent - digits.count)
        } else {
            out += digits[..<exponent].map(String.init).joined() + "." + digits[exponent...].map(String.init).joined()
        }
        return out
    }

    /// `A1` → 0, `AB7` → 27.
    static func columnIndex(_ reference: String) -> Int? {
        var value = 0
        var sawLetter = false
        for b in reference.utf8 {
            let upper = b & 0xDF
            if upper >= 0x41 && upper <= 0x5A {
                value = value * 26 + Int(upper - 0x40)
                sawLetter = true
            } else {
                break
            }
        }
        return sawLetter ? value - 1 : nil
    }

    static func resolve(_ target: String) -> String {
        var path = target
        if path.hasPrefix("/") {
            path.removeFirst()
        } else if !path.hasPrefix("xl/") {
            path = "xl/" + path
        }
        // Collapse "xl/worksheets/../sharedStrings.xml".
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == ".." { _ = parts.popLast() } else if part != "." { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }

    // MARK: - Parsing members

    private func parse(entry: Entry, handler: SAXHandler) throws {
        try Self.parse(archive: archive, entry: entry, handler: handler, fileName: fileName)
    }

    /// Inflates `entry` to a temporary file and streams it through `XMLParser`.
    static func parse(archive: Archive, entry: Entry, handler: SAXHandler, fileName: String?) throws {
        let temporary = FileManager.default.temporaryDirectory
            .appendingPathComponent("shoprecon-xlsx-\(UUID().uuidString).xml")
        defer { try? FileManager.default.removeItem(at: temporary) }
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw IngestError(.io, "could not create a temporary file in \(temporary.deletingLastPathComponent().path)", file: fileName)
        }
        let output = try FileHandle(forWritingTo: temporary)
        do {
            _ = try archive.extract(entry, bufferSize: defaultChunkSize, skipCRC32: false) { data in
                try output.write(contentsOf: data)
            }
            try output.close()
        } catch {
            try? output.close()
            throw IngestError(.structure, "has a damaged member \(entry.path): \(error)", file: fileName)
        }
        guard let stream = InputStream(url: temporary) else {
            throw IngestError(.io, "could not reopen the extracted member \(entry.path)", file: fileName)
        }
        let parser = XMLParser(stream: stream)
        parser.shouldProcessNamespaces = true
        parser.delegate = handler
        let ok = parser.parse()
        if handler.stopped { return }
        if let failure = handler.failure { throw failure }
        if !ok {
            let reason = parser.parserError.map { "\($0)" } ?? "unknown error"
            throw IngestError(.structure, "has malformed XML in \(entry.path) near line \(parser.lineNumber): \(reason)", file: fileName)
        }
    }

    private static func parseMember(_ archive: Archive, path: String, fileName: String?, handler: SAXHandler) throws -> Bool {
        guard let entry = archive[path] else { return false }
        try parse(archive: archive, entry: entry, handler: handler, fileName: fileName)
        return true
    }

    private static func parseWorkbook(_ archive: Archive, fileName: String?) throws
        -> (sheets: [(name: String, relationID: String)], date1904: Bool) {
        var sheets: [(name: String, relationID: String)] = []
        var date1904 = false
        let handler = SAXHandler()
        handler.onStart = { name, attributes in
            switch name {
            case "sheet":
                let id = attributes.first { $0.key == "r:id" || $0.key.hasSuffix(":id") || $0.key == "id" }?.value
                if let sheetName = attributes["name"], let id { sheets.append((sheetName, id)) }
            case "workbookPr":
                if let value = attributes["date1904"] { date1904 = value == "1" || value.lowercased() == "true" }
            default: break
            }
        }
        guard try parseMember(archive, path: "xl/workbook.xml", fileName: fileName, handler: handler) else {
            throw IngestError(.structure, "lacks xl/workbook.xml", file: fileName, hint: "is this really an .xlsx workbook?")
        }
        return (sheets, date1904)
    }

    private static func parseRelationships(_ archive: Archive, fileName: String?) throws
        -> (targets: [String: String], sharedStrings: String?, styles: String?) {
        var targets: [String: String] = [:]
        var sharedStrings: String?
        var styles: String?
        let handler = SAXHandler()
        handler.onStart = { name, attributes in
            guard name == "Relationship", let id = attributes["Id"], let target = attributes["Target"] else { return }
            targets[id] = target
            let type = attributes["Type"] ?? ""
            if type.hasSuffix("/sharedStrings") { sharedStrings = target }
            if type.hasSuffix("/styles") { styles = target }
        }
        _ = try parseMember(archive, path: "xl/_rels/workbook.xml.rels", fileName: fileName, handler: handler)
        return (targets, sharedStrings, styles)
    }

    private static func parseSharedStrings(_ archive: Archive, path: String, fileName: String?) throws -> [String] {
        var strings: [String] = []
        var current = ""
        var inItem = false
        var inText = false
        var phoneticDepth = 0
        let handler = SAXHandler()
        handler.onStart = { name, _ in
            switch name {
            case "si": inItem = true; current = ""
            case "rPh": phoneticDepth += 1
            case "t": inText = inItem && phoneticDepth == 0
            default: break
            }
        }
        handler.onEnd = { name in
            switch name {
            case "si":
                strings.append(decodeEscapes(current))
                inItem = false
            case "rPh": phoneticDepth -= 1
            case "t": inText = false
            default: break
            }
        }
        handler.onText = { text in if inText { current += text } }
        _ = try parseMember(archive, path: path, fileName: fileName, handler: handler)
        return strings
    }

    /// For each cell style (`cellXfs` index): is it a date format, a time-only one, one showing a time?
    private static func parseStyles(_ archive: Archive, path: String, fileName: String?) throws -> ([Bool], [Bool], [Bool]) {
        var customFormats: [Int: String] = [:]
        var styleFormats: [Int] = []
        var inCellXfs = false
        let handler = SAXHandler()
        handler.onStart = { name, attributes in
            switch name {
            case "numFmt":
                if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"] { customFormats[id] = code }
            case "cellXfs": inCellXfs = true
            case "xf" where inCellXfs: styleFormats.append(attributes["numFmtId"].flatMap(Int.init) ?? 0)
            default: break
            }
        }
        handler.onEnd = { name in if name == "cellXfs" { inCellXfs = false } }
        _ = try parseMember(archive, path: path, fileName: fileName, handler: handler)
        var dates: [Bool] = []
        var timeOnly: [Bool] = []
        var showsTime: [Bool] = []
        for id in styleFormats {
            let kind = classifyFormat(id: id, code: customFormats[id])
            dates.append(kind.isDate)
            timeOnly.append(kind.timeOnly)
            showsTime.append(kind.showsTime)
        }
        return (dates, timeOnly, showsTime)
    }

    /// Built-in date formats 14–22, 27–36, 45–47, 50–58 (the CJK ones in Chinese Excel), and
    /// custom codes with date/time letters outside quotes and brackets.
    static func classifyFormat(id: Int, code: String?) -> (isDate: Bool, timeOnly: Bool, showsTime: Bool) {
        switch id {
        case 22: return (true, false, true)
        case 14...17, 27...31, 34...36, 50...58: return (true, false, false)
        case 18...21, 32, 33, 45...47: return (true, true, true)
        default: break
        }
        guard let code else { return (false, false, false) }
        var stripped = ""
        var inQuote = false, inBracket = false, escaped = false
        for ch in code {
            if escaped { escaped = false; continue }
            if inQuote { if ch == "\"" { inQuote = false }; continue }
            if inBracket { if ch == "]" { inBracket = false }; continue }
            switch ch {
            case "\"": inQuote = true
            case "[": inBracket = true
            case "\\", "_", "*": escaped = true
            default: stripped.append(ch)
            }
        }
        let section = stripped.split(separator: ";", omittingEmptySubsequences: false).first.map(String.init) ?? stripped
        let lower = section.lowercased()
        let hasDate = lower.contains("y") || lower.contains("d") || lower.contains("e") && !lower.contains("0")
        let hasTime = lower.contains("h") || lower.contains("s")
        let hasMonth = lower.contains("m")
        if lower.contains("general") { return (false, false, false) }
        if hasDate || (hasMonth && !hasTime) { return (true, false, hasTime) }
        if hasTime { return (true, true, true) }
        return (false, false, false)
    }

    /// Decodes OOXML `_xHHHH_` escapes (`_x000D_` for a carriage return).
    static func decodeEscapes(_ text: String) -> String {
        guard text.contains("_x") else { return text }
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "_x") {
            result += rest[..<range.lowerBound]
            let after = rest[range.upperBound...]
            let hex = after.prefix(5)
            if hex.count == 5, hex.last == "_", let code = UInt32(hex.dropLast(), radix: 16), let scalar = Unicode.Scalar(code) {
                result.unicodeScalars.append(scalar)
                rest = after.dropFirst(5)
            } else {
                result += "_x"
                rest = after
            }
        }
        return result + rest
    }
}

/// Collects a sheet's cells into rows.
private final class SheetHandler {
    let sax = SAXHandler()
    var failure: IngestError?
    private let reader: XLSXReader
    private let cleaning: FieldCleaning
    private let body: (Row) throws -> Bool
    private var cells: [String] = []
    private var rowNumber = 0
    private var cellColumn = 0
    private var cellType: String?
    private var cellStyle: Int?
    private var value = ""
    private var inline = ""
    private var capture: Capture = .none

    private enum Capture { case none, value, inline }

    init(reader: XLSXReader, cleaning: FieldCleaning, body: @escaping (Row) throws -> Bool) {
        self.reader = reader
        self.cleaning = cleaning
        self.body = body
        sax.onStart = { [unowned self] name, attributes in self.start(name, attributes) }
        sax.onEnd = { [unowned self] name in self.end(name) }
        sax.onText = { [unowned self] text in
            switch self.capture {
            case .none: break
            case .value: self.value += text
            case .inline: self.inline += text
            }
        }
    }

    private func start(_ name: String, _ attributes: [String: String]) {
        switch name {
        case "row":
            cells.removeAll(keepingCapacity: true)
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
        case "c":
            cellColumn = attributes["r"].flatMap(XLSXReader.columnIndex) ?? cells.count
            cellType = attributes["t"]
            cellStyle = attributes["s"].flatMap(Int.init)
            value = ""
            inline = ""
        case "v": capture = .value
        case "t": if capture != .value { capture = .inline }
        case "rPh": capture = .none
        default: break
        }
    }

    private func end(_ name: String) {
        switch name {
        case "v", "t": capture = .none
        case "c":
            let text = reader.cellText(type: cellType, style: cellStyle, value: value,
                                       inline: XLSXReader.decodeEscapes(inline))
            guard cellColumn < 16_384 else { return }
            if cellColumn >= cells.count {
                cells.append(contentsOf: repeatElement("", count: cellColumn - cells.count + 1))
            }
            cells[cellColumn] = FieldCleaner.clean(text, cleaning)
        case "row":
            guard cells.contains(where: { !$0.isEmpty }) else { return }
            do {
                if try !body(Row(fields: cells, line: rowNumber)) { sax.stop() }
            } catch let error as IngestError {
                failure = error
                sax.stop()
            } catch {
                failure = IngestError(.io, "\(error)", line: rowNumber)
                sax.stop()
            }
        default: break
        }
    }
}

/// A delegate for `XMLParser` that forwards events to closures.
final class SAXHandler: NSObject, XMLParserDelegate {
    var onStart: (String, [String: String]) -> Void = { _, _ in }
    var onEnd: (String) -> Void = { _ in }
    var onText: (String) -> Void = { _ in }
    var failure: IngestError?
    private(set) var stopped = false
    private weak var parser: XMLParser?

    func stop() {
        stopped = true
        parser?.abortParsing()
    }

    func parserDidStartDocument(_ parser: XMLParser) {
        self.parser = parser
    }

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
                attributes attributeDict: [String: String] = [:]) {
        self.parser = parser
        guard !stopped else { return }
        onStart(Self.localName(elementName), attributeDict)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard !stopped else { return }
        onEnd(Self.localName(elementName))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stopped else { return }
        onText(string)
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !stopped else { return }
        onText(String(decoding: CDATABlock, as: UTF8.self))
    }

    static func localName(_ name: String) -> String {
        guard let colon = name.lastIndex(of: ":") else { return name }
        return String(name[name.index(after: colon)...])
    }
}
