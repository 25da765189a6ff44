import Foundation

/// SWIFT MT940 customer statements: one ``BankStatementLine`` per `:61:` (with its `:86:`), one
/// ``StatementSummary`` per message (`:20:`, `:25:`, `:28C:`, `:60F:`/`:60M:`, `:62F:`/`:62M:`,
/// `:64:`, `:90C:`/`:90D:`).
///
/// - `:61:` is `6!n[4!n]2a[1!a]15d1!a3!c[16x][//16x]` plus an optional details line: value date,
///   optional entry date (in the next or previous year when it crosses New Year), mark `C`, `D`,
///   `RC` (reversal of a credit: money out) or `RD` (money in), optional funds code, amount with
///   decimal comma (`800,`), type (`NTRF`, `N192`), customer reference (`NONREF`), `//` bank
///   reference.
/// - `:86:` is kept as memo; structured `?nn` subfields (which may wrap lines) are read:
///   `?20`–`?29`/`?60`–`?63` purpose, `?32`/`?33` counterparty name, `?31` account, `?30` bank;
///   SEPA `EREF+`/`SVWZ+` markers and `/EREF/…/REMI/…/NAME/…` are recognised.
/// - Preamble lines (`{1:…}{2:…}{4:`), blank lines and `-` message separators are skipped.
public struct MT940Parser {
    let context: ParseContext
    let onRecord: RecordHandler
    let onReject: RejectHandler

    /// A tag with its lines.
    struct Field {
        var tag: String
        var lines: [String]
        var line: Int
        var text: String { lines.joined(separator: "\n") }
    }

    struct Message {
        var reference: String?
        var account: String?
        var statementNumber: String?
        var opening: (mark: String, date: LocalDate, money: Money)?
        var closing: (mark: String, date: LocalDate, money: Money)?
        var available: Money?
        var firstLine: Int
        var currency: String?
        var pendingLine: (field: Field, details: Field?)?
        var pending86: Field?
        var entries = 0
    }

    var outcome = TabularDriver.Outcome()
    private var message: Message?
    private var currentField: Field?

    init(context: ParseContext, onRecord: @escaping RecordHandler, onReject: @escaping RejectHandler) {
        self.context = context
        self.onRecord = onRecord
        self.onReject = onReject
    }

    /// Parses the whole input.
    mutating func run<Source: ByteSource>(_ reader: inout LineReader<Source>) throws {
        while let (raw, number) = try reader.nextLine() {
            var text = raw
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            // SWIFT envelope: `{1:F01…}{2:O940…}{4:` — content may follow `{4:`.
            if text.hasPrefix("{") {
                guard let range = text.range(of: "{4:") else { continue }
                text = String(text[range.upperBound...])
                if text.isEmpty { continue }
            }
            let trimmed = text.trimmingTrailingSpaces()
            if trimmed == "-" || trimmed == "-}" || trimmed.hasPrefix("-}") {
                try endMessage()
                continue
            }
            if trimmed.isEmpty { continue }
            if let (tag, value) = Self.splitTag(trimmed) {
                try finishField()
                currentField = Field(tag: tag, lines: [value], line: number)
            } else if currentField != nil {
                currentField?.lines.append(trimmed)
            }
            // Text before the first tag is preamble.
        }
        try endMessage()
        if outcome.rowCount == 0, outcome.rejectedCount == 0, outcome.recordCount == 0 {
            throw IngestError(.unknownFormat, "is not an MT940 statement: no :20:/:61: tags were found", file: context.fileName)
        }
    }

    /// `:61:0211011102DR800,NSTONONREF//55555` → (`61`, `0211011102DR800,NSTONONREF//55555`).
    static func splitTag(_ line: String) -> (String, String)? {
        guard line.first == ":" else { return nil }
        let body = line.dropFirst()
        guard let colon = body.firstIndex(of: ":") else { return nil }
        let tag = body[..<colon]
        guard (2...4).contains(tag.count), tag.prefix(2).allSatisfy(\.isNumber),
              tag.dropFirst(2).allSatisfy({ $0.isLetter && $0.isUppercase }) else { return nil }
        return (String(tag), String(body[body.index(after: colon)...]))
    }

    private mutating func finishField() throws {
        guard let field = currentField else { return }
        currentField = nil
        if message == nil {
            guard field.tag == "20" || field.tag == "25" || field.tag == "60F" || field.tag == "61" else { return }
            message = Message(firstLine: field.line)
        }
        switch field.tag {
        case "20":
            if message?.reference != nil || (message?.entries ?? 0) > 0 {
                // A new message without a `-` separator.
                try endMessage()
                message = Message(firstLine: field.line)
            }
            message?.reference = field.text.trimmingCharacters(in: .whitespaces)
        case "25":
            message?.account = field.text.trimmingCharacters(in: .whitespaces)
        case "28C", "28":
            message?.statementNumber = field.text.trimmingCharacters(in: .whitespaces)
        case "60F", "60M":
            let balance = try parseBalance(field)
            message?.opening = balance
            message?.currency = balance.money.currency
        case "62F", "62M":
            let balance = try parseBalance(field)
            message?.closing = balance
        case "64":
            let balance = try parseBalance(field)
            message?.available = balance.money
        case "61":
            try flushEntry()
            var statementLine = field
            var details: Field?
            if field.lines.count > 1 {
                statementLine.lines = [field.lines[0]]
                details = Field(tag: "61", lines: Array(field.lines.dropFirst()), line: field.line + 1)
            }
            message?.pendingLine = (statementLine, details)
        case "86":
            if message?.pendingLine != nil {
                message?.pending86 = field
                try flushEntry()
            }
        default:
            break
        }
    }

    private mutating func endMessage() throws {
        try finishField()
        try flushEntry()
        guard let message else { return }
        self.message = nil
        var summary = StatementSummary(position: SourcePosition(line: message.firstLine), format: .mt940)
        summary.account = message.account
        summary.statementID = [message.reference, message.statementNumber].compactMap { $0 }.joined(separator: "/")
        summary.openingBalance = message.opening?.money
        summary.closingBalance = message.closing?.money
        if let opening = message.opening {
            summary.periodStart = Timestamp(date: opening.date.startOfDay(in: context.timeZone), timeZone: context.timeZone)
        }
        if let closing = message.closing {
            summary.periodEnd = Timestamp(date: closing.date.startOfDay(in: context.timeZone), timeZone: context.timeZone)
        }
        if let available = message.available { summary.declaredTotals["available"] = available.amount }
        summary.declaredCount = message.entries
        outcome.recordCount += 1
        try onRecord(.summary(summary))
    }

    /// Turns the pending `:61:` (and `:86:`) into a record.
    private mutating func flushEntry() throws {
        guard let (field, details) = message?.pendingLine else { return }
        let info = message?.pending86
        message?.pendingLine = nil
        message?.pending86 = nil
        outcome.rowCount += 1
        do {
            let line = try statementLine(field, details: details, info: info)
            message?.entries += 1
            outcome.recordCount += 1
            try onRecord(.bankLine(line))
        } catch let error as IngestError {
            guard context.options.skipBadRows else { throw error }
            outcome.rejectedCount += 1
            try onReject(RejectedRow(position: SourcePosition(line: field.line), error: error,
                                     fields: [":61:" + field.text] + (info.map { [":86:" + $0.text] } ?? [])))
        }
    }

    private func error(_ field: Field, _ message: String, value: String? = nil) -> IngestError {
        IngestError(.badValue, message, file: context.fileName, line: field.line, column: ":\(field.tag):", value: value ?? field.text,
                    hint: "see the MT940 layout of this tag")
    }

    /// `C110522EUR3236,28`.
    private func parseBalance(_ field: Field) throws -> (mark: String, date: LocalDate, money: Money) {
        let text = Array(field.text.trimmingCharacters(in: .whitespaces))
        guard text.count >= 11, text[0] == "C" || text[0] == "D",
              let date = Self.date(String(text[1..<7])) else {
            throw error(field, "is not a balance (expected C|D, YYMMDD, currency, amount)")
        }
        let currency = String(text[7..<10])
        guard let amount = AmountParser.parse(String(text[10...]), style: .comma, allowGrouping: false), !amount.isNegative else {
            throw error(field, "has an amount that is not a decimal-comma number")
        }
        let money = Money(amount, currency: currency)
        return (String(text[0]), date, text[0] == "D" ? money.negated : money)
    }

    /// YYMMDD, years 00–79 → 20xx, 80–99 → 19xx.
    static func date(_ text: String) -> LocalDate? {
        guard text.count == 6, let value = Int(text) else { return nil }
        let yy = value / 10_000, mm = value / 100 % 100, dd = value % 100
        return LocalDate(year: yy < 80 ? 2000 + yy : 1900 + yy, month: mm, day: dd)
    }

    private func statementLine(_ field: Field, details: Field?, info: Field?) throws -> BankStatementLine {
        let chars = Array(field.lines[0].trimmingCharacters(in: .whitespaces))
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= chars.count, chars[i..<i + n].allSatisfy(\.isASCIIDigit) else { return nil }
            defer { i += n }
            return Int(String(chars[i..<i + n]))
        }
        guard let valueRaw = digits(6), let valueDate = Self.date(String(format6(valueRaw))) else {
            throw error(field, "does not start with a value date YYMMDD")
        }
        var bookingDate = valueDate
        if let entry = digits(4) {
            let month = entry / 100, day = entry % 100
            var year = valueDate.year
            if month - valueDate.month > 6 { year -= 1 }  // January value date, December entry
            if valueDate.month - month > 6 { year += 1 }  // December value date, January entry
            guard let date = LocalDate(year: year, month: month, day: day) else {
                throw error(field, "has an invalid entry date MMDD")
            }
            bookingDate = date
        }
        // Mark: C, D, RC, RD.
        var mark = ""
        if i < chars.count, chars[i] == "R" { mark.append("R"); i += 1 }
        guard i < chars.count, chars[i] == "C" || chars[i] == "D" else {
            throw error(field, "has no debit/credit mark (C, D, RC or RD) after the dates")
        }
        mark.append(chars[i])
        i += 1
        // Optional funds code (a letter before the amount).
        if i < chars.count, chars[i].isLetter { i += 1 }
        let amountStart = i
        while i < chars.count, chars[i].isASCIIDigit || chars[i] == "," { i += 1 }
        let amountText = String(chars[amountStart..<i])
        guard let amount = AmountParser.parse(amountText, style: .comma, allowGrouping: false) else {
            throw error(field, "has an amount that is not a decimal-comma number", value: amountText.isEmpty ? field.text : amountText)
        }
        // Transaction type: N/F/S + 3 characters.
        var typeCode: String?
        if i + 4 <= chars.count {
            typeCode = String(chars[i..<i + 4])
            i += 4
        }
        let rest = String(chars[min(i, chars.count)...])
        var customerReference: String?
        var bankReference: String?
        if let range = rest.range(of: "//") {
            customerReference = String(rest[..<range.lowerBound])
            bankReference = String(rest[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        } else {
            customerReference = rest
        }
        if customerReference?.isEmpty ?? true || customerReference == "NONREF" { customerReference = nil }
        if bankReference?.isEmpty ?? true { bankReference = nil }

        let currency = message?.currency ?? context.options.currency
        let isReversal = mark.hasPrefix("R")
        // C and RD put money in; D and RC take it out.
        let credit = mark == "C" || mark == "RD"
        let money = Money(amount, currency: currency)
        var line = BankStatementLine(position: SourcePosition(line: field.line), account: message?.account ?? context.options.account ?? "",
                                     amount: credit ? money : money.negated, direction: credit ? .credit : .debit, isReversal: isReversal)
        line.statementID = [message?.reference, message?.statementNumber].compactMap { $0 }.joined(separator: "/")
        line.valueDate = valueDate
        line.bookingDate = bookingDate
        line.customerReference = customerReference
        line.reference = bankReference
        line.transactionCode = typeCode
        var memoParts: [String] = []
        if let details { memoParts.append(details.lines.joined(separator: " ")) }
        if let info {
            let parsed = Self.parseInformation(info.lines)
            if let code = parsed.code { line.transactionCode = typeCode.map { "\($0)/\(code)" } ?? code }
            line.counterpartyName = parsed.name
            line.counterpartyAccount = parsed.account
            line.endToEndID = parsed.endToEndID
            if let memo = parsed.memo { memoParts.append(memo) }
        }
        line.memo = memoParts.isEmpty ? nil : memoParts.joined(separator: " | ")
        return line
    }

    private func format6(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 6 - text.count)) + text
    }

    /// What `:86:` says.
    struct Information: Equatable {
        var code: String?
        var name: String?
        var account: String?
        var endToEndID: String?
        var memo: String?
    }

    /// Reads structured (`?nn` subfields, SEPA markers, `/KEY/value`) and unstructured `:86:`.
    static func parseInformation(_ lines: [String]) -> Information {
        var info = Information()
        let joined = lines.joined()
        if joined.contains("?"), let subfields = structuredSubfields(joined) {
            info.code = subfields.code
            let purpose = (20...29).compactMap { subfields.values[$0] }.joined() + (60...63).compactMap { subfields.values[$0] }.joined()
            let name = [32, 33].compactMap { subfields.values[$0] }.joined()
            info.name = name.isEmpty ? nil : name
            info.account = subfields.values[31]
            let markers = sepaMarkers(purpose)
            info.endToEndID = markers["EREF"].flatMap { $0 == "NOTPROVIDED" ? nil : $0 }
            let text = markers["SVWZ"] ?? purpose
            var memoParts: [String] = []
            if let posting = subfields.values[0] { memoParts.append(posting) }
            if !text.isEmpty { memoParts.append(text) }
            info.memo = memoParts.isEmpty ? nil : memoParts.joined(separator: " ")
            return info
        }
        if joined.hasPrefix("/") {
            let fields = slashFields(joined)
            if !fields.isEmpty {
                info.name = fields["NAME"]
                info.account = fields["IBAN"]
                info.endToEndID = fields["EREF"].flatMap { $0 == "NOTPROVIDED" ? nil : $0 }
                info.memo = fields["REMI"] ?? fields["PREF"] ?? joined
                return info
            }
        }
        info.memo = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        return info
    }

    /// `008?00DAUERAUFTRAG?100599?20Miete November?3010020030?31234567?32MUELLER?34339`.
    static func structuredSubfields(_ text: String) -> (code: String?, values: [Int: String])? {
        let chars = Array(text)
        var values: [Int: String] = [:]
        var code: String?
        var i = 0
        // Leading GVC code (3 digits) before the first `?`.
        let firstQuestion = chars.firstIndex(of: "?") ?? chars.count
        let lead = String(chars[0..<firstQuestion]).trimmingCharacters(in: .whitespaces)
        if !lead.isEmpty {
            guard lead.count == 3, lead.allSatisfy(\.isASCIIDigit) else { return nil }
            code = lead
        }
        i = firstQuestion
        var sawSubfield = false
        while i < chars.count {
            guard chars[i] == "?", i + 2 < chars.count, chars[i + 1].isASCIIDigit, chars[i + 2].isASCIIDigit,
                  let key = Int(String(chars[i + 1...i + 2])) else {
                return sawSubfield ? (code, values) : nil
            }
            sawSubfield = true
            var j = i + 3
            while j < chars.count {
                if chars[j] == "?", j + 2 < chars.count, chars[j + 1].isASCIIDigit, chars[j + 2].isASCIIDigit { break }
                j += 1
            }
            values[key, default: ""] += String(chars[i + 3..<j])
            i = j
        }
        return sawSubfield ? (code, values) : nil
    }

    /// SEPA purpose markers: `EREF+123 SVWZ+Invoice 42` → [EREF: 123, SVWZ: Invoice 42].
    static func sepaMarkers(_ text: String) -> [String: String] {
        let keys = ["EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "COAM", "OAMT", "IBAN", "BIC"]
        var positions: [(String, String.Index, String.Index)] = []
        for key in keys {
            var searchStart = text.startIndex
            while let range = text.range(of: key + "+", range: searchStart..<text.endIndex) {
                positions.append((key, range.lowerBound, range.upperBound))
                searchStart = range.upperBound
            }
        }
        positions.sort { $0.1 < $1.1 }
        var result: [String: String] = [:]
        for (n, (key, _, valueStart)) in positions.enumerated() {
            let end = n + 1 < positions.count ? positions[n + 1].1 : text.endIndex
            guard valueStart <= end else { continue }
            result[key] = String(text[valueStart..<end]).trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// `/EREF/123//REMI/Invoice 42/NAME/ACME` style (known keys only).
    static func slashFields(_ text: String) -> [String: String] {
        let keys: Set<String> = ["EREF", "REMI", "NAME", "IBAN", "BIC", "ORDP", "BENM", "MARF", "CSID", "RTRN", "TRCD", "PREF",
                                 "ULTC", "ULTD", "PURP", "CDTRREF", "CDTRREFTP", "ISSR", "CD", "ID", "ADDR"]
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var result: [String: String] = [:]
        var currentKey: String?
        var currentValue: [String] = []
        func flush() {
            if let key = currentKey, result[key] == nil {
                result[key] = currentValue.joined(separator: "/").trimmingCharacters(in: .whitespaces)
            }
        }
        for part in parts.dropFirst() {
            if keys.contains(part), currentKey == nil || !currentValue.isEmpty {
                flush()
                currentKey = part
                currentValue = []
            } else if currentKey != nil {
                currentValue.append(part)
            }
        }
        flush()
        // Drop trailing empty pieces left by `//` separators.
        return result.mapValues { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var end = endIndex
        while end > startIndex, let c = self[index(before: end)].unicodeScalars.first, c == " " || c == "\t" {
            end = index(before: end)
        }
        return String(self[..<end])
    }
}
