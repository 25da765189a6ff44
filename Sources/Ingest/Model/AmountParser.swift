/// Which character separates the decimals in a file's numbers.
public enum DecimalSeparator: String, Sendable, Codable, CaseIterable {
    /// `1,234.56` (Chinese and English exports).
    case dot
    /// `1.234,56` / `95,00` (European marketplaces, MT940).
    case comma
    /// Decide per value: the last of `.`/`,` when both occur; a single `,` followed by other than
    /// three digits is a decimal comma (`95,00`); `1,234` is read as one thousand two hundred …
    case auto
}

/// Exact parsing of amounts as printed in exports.
///
/// Accepts `1,234.56`, `1234.5`, `-0.04`, `+3`, `¥1,234.00`, `￥-5`, `USD 12.00`, `12.00 EUR`,
/// `12元`, `` `0.06 `` (WeChat), `'12` (Excel text guard), full-width digits and signs
/// (`－１２．５０`), the minus sign U+2212, `(12.00)` and `12.00-` for negatives, spaces and
/// apostrophes as thousands separators, and `95,00` / `1.234,56` with ``DecimalSeparator/comma``
/// or ``DecimalSeparator/auto``. Never uses floating point.
public enum AmountParser {
    /// Parses `text`; `nil` if it is not an amount (including empty text).
    ///
    /// - Parameters:
    ///   - style: the decimal separator convention.
    ///   - allowGrouping: accept thousands separators; groups after the first must have 3 digits,
    ///     so `12,3` is rejected under ``DecimalSeparator/dot`` rather than misread.
    public static func parse(_ text: String, style: DecimalSeparator = .dot, allowGrouping: Bool = true) -> ExactAmount? {
        var chars: [UInt8] = []
        chars.reserveCapacity(text.utf8.count)
        var letters: [UInt8] = []
        var negative = false
        var sawSign = false
        var parenthesized = false
        var closedParenthesis = false
        for scalar in text.unicodeScalars {
            var value = scalar.value
            if (0xFF01...0xFF5E).contains(value) { value -= 0xFEE0 }  // full-width ASCII
            switch value {
            case 0x30...0x39, 0x2E, 0x2C:  // digits . ,
                if !letters.isEmpty {
                    // Letters before the number: a currency code prefix (`USD12.00`).
                    guard isCurrencyCode(letters), chars.isEmpty else { return nil }
                    letters.removeAll()
                }
                chars.append(UInt8(value))
            case 0x27, 0x2019:  // ' as thousands separator (Swiss) or text guard
                if !chars.isEmpty { chars.append(0x27) }
            case 0x20, 0x09, 0x0A, 0x0D, 0xA0, 0x202F, 0x2009, 0x3000, 0x60, 0x3D, 0x22:
                // whitespace, backtick (WeChat), `=` and `"` (Excel guards)
                continue
            case 0x2B:  // +
                guard !sawSign, chars.isEmpty else { return nil }
                sawSign = true
            case 0x2D, 0x2212:  // - and minus sign
                if chars.isEmpty {
                    guard !sawSign else { return nil }
                    sawSign = true
                    negative = true
                } else {
                    // trailing minus (`12.00-`), only as the last significant character
                    guard !sawSign else { return nil }
                    sawSign = true
                    negative = true
                    chars.append(0x2D)
                }
            case 0x28:  // (
                guard chars.isEmpty, !parenthesized else { return nil }
                parenthesized = true
            case 0x29:  // )
                guard parenthesized, !closedParenthesis, !chars.isEmpty, !negative else { return nil }
                closedParenthesis = true
                negative = true
                chars.append(0x29)
            case 0xA5, 0xFFE5, 0x24, 0x20AC, 0xA3, 0x5143:  // ¥ ￥ $ € £ 元
                continue
            case 0x41...0x5A, 0x61...0x7A:  // letters: an ISO currency code before or after
                letters.append(UInt8(value) & 0xDF)
                if letters.count > 3 { return nil }
            default:
                return nil
            }
        }
        if !letters.isEmpty, !isCurrencyCode(letters) { return nil }
        // A trailing `-` or `)` must be last.
        if let markerIndex = chars.firstIndex(where: { $0 == 0x2D || $0 == 0x29 }) {
            guard markerIndex == chars.count - 1 else { return nil }
            chars.removeLast()
        }
        if parenthesized != closedParenthesis { return nil }
        return parseDigits(chars, negative: negative, style: style, allowGrouping: allowGrouping)
    }

    /// Parses a percentage (`0.60%`, `0.6`), returning the number of percent (`0.60`).
    public static func parsePercent(_ text: String) -> ExactAmount? {
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "%" || last == "％" || last.isWhitespace { trimmed = trimmed.dropLast() }
        return parse(String(trimmed), style: .dot, allowGrouping: false)
    }

    private static func isCurrencyCode(_ letters: [UInt8]) -> Bool {
        letters.count == 3 || (letters.count == 2 && letters == [0x55, 0x53])  // "US" of US$
    }

    private static func parseDigits(_ chars: [UInt8], negative: Bool, style: DecimalSeparator, allowGrouping: Bool) -> ExactAmount? {
        guard !chars.isEmpty else { return nil }
        let dots = chars.lazy.filter { $0 == 0x2E }.count
        let commas = chars.lazy.filter { $0 == 0x2C }.count
        var decimal: UInt8
        switch style {
        case .dot: decimal = 0x2E
        case .comma: decimal = 0x2C
        case .auto:
            if dots > 0 && commas > 0 {
                decimal = chars.lastIndex(of: 0x2E)! > chars.lastIndex(of: 0x2C)! ? 0x2E : 0x2C
            } else if commas == 1 {
                let after = chars.count - 1 - chars.firstIndex(of: 0x2C)!
                decimal = after == 3 ? 0x2E : 0x2C
            } else if dots > 1 {
                decimal = 0x2C
            } else {
                decimal = 0x2E
            }
        }
        let grouping: Set<UInt8> = decimal == 0x2E ? [0x2C, 0x27] : [0x2E, 0x27]

        var units: Int64 = 0
        var scale = 0
        var inFraction = false
        var digitCount = 0
        var groupLength = 0  // digits since the last grouping separator
        var sawGrouping = false
        var previousWasSeparator = false
        for c in chars {
            if c >= 0x30 && c <= 0x39 {
                let (m, o1) = units.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(Int64(c - 0x30))
                guard !o1, !o2 else { return nil }
                units = s
                digitCount += 1
                groupLength += 1
                if inFraction {
                    scale += 1
                    guard scale <= ExactAmount.maxScale else { return nil }
                }
                previousWasSeparator = false
            } else if c == decimal {
                guard !inFraction, !previousWasSeparator || digitCount == 0 else { return nil }
                if sawGrouping, groupLength != 3 { return nil }
                inFraction = true
                previousWasSeparator = true
            } else if grouping.contains(c) {
                guard allowGrouping, !inFraction, digitCount > 0, !previousWasSeparator else { return nil }
                if sawGrouping {
                    guard groupLength == 3 else { return nil }
                } else {
                    guard groupLength <= 3 else { return nil }
                }
                sawGrouping = true
                groupLength = 0
                previousWasSeparator = true
            } else {
                return nil
            }
        }
        guard digitCount > 0 else { return nil }
        if sawGrouping, !inFraction, groupLength != 3 { return nil }
        if previousWasSeparator, !inFraction { return nil }  // trailing grouping separator
        return ExactAmount(units: negative ? -units : units, scale: scale)
    }
}
