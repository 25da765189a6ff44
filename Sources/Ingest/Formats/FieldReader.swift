/// Typed access to one row's fields by column key, throwing ``IngestError``s that name the
/// file, line, column (as printed in the header) and value.
public struct FieldReader {
    public let row: Row
    public let header: HeaderMap
    public let context: ParseContext
    /// Decimal separator for amounts in this row.
    public var decimalSeparator: DecimalSeparator
    /// Order for year-last dates.
    public var dateOrder: DateOrder

    public init(row: Row, header: HeaderMap, context: ParseContext, decimalSeparator: DecimalSeparator = .dot, dateOrder: DateOrder = .ymd) {
        self.row = row
        self.header = header
        self.context = context
        self.decimalSeparator = context.decimalSeparatorOverride ?? decimalSeparator
        self.dateOrder = context.dateOrderOverride ?? dateOrder
    }

    public var line: Int { row.line }
    public var position: SourcePosition { SourcePosition(line: row.line) }

    /// The raw (cleaned) value, `""` when absent.
    public func raw(_ key: String) -> String {
        guard let i = header.index(key) else { return "" }
        return row[i]
    }

    /// The value, or `nil` when the column is absent or the value empty.
    public func text(_ key: String) -> String? {
        let value = raw(key)
        return value.isEmpty ? nil : value
    }

    /// The first non-empty of several columns.
    public func text(_ keys: String...) -> String? {
        for key in keys { if let value = text(key) { return value } }
        return nil
    }

    /// A value that must be present.
    public func required(_ key: String) throws -> String {
        guard let value = text(key) else {
            throw error(key, value: nil, code: .missingValue, "is empty but required",
                        hint: "every row needs a value in this column")
        }
        return value
    }

    /// An exact decimal amount, `nil` when empty.
    public func exact(_ key: String) throws -> ExactAmount? {
        guard let value = text(key) else { return nil }
        guard let amount = AmountParser.parse(value, style: decimalSeparator) else {
            throw error(key, value: value, "is not an amount", hint: amountHint(value))
        }
        return amount
    }

    /// An amount in `currency`, `nil` when empty.
    public func money(_ key: String, currency: String) throws -> Money? {
        try exact(key).map { Money($0, currency: currency) }
    }

    /// An amount that must be present.
    public func requiredMoney(_ key: String, currency: String) throws -> Money {
        guard let value = try money(key, currency: currency) else {
            throw error(key, value: nil, code: .missingValue, "is empty but an amount is required")
        }
        return value
    }

    /// A percentage (`0.60%` → 0.60), `nil` when empty.
    public func percent(_ key: String) throws -> ExactAmount? {
        guard let value = text(key) else { return nil }
        guard let amount = AmountParser.parsePercent(value) else {
            throw error(key, value: value, "is not a percentage")
        }
        return amount
    }

    /// A whole number (`3`, `3.0`, `1,200`), `nil` when empty.
    public func integer(_ key: String) throws -> Int? {
        guard let value = text(key) else { return nil }
        guard let amount = AmountParser.parse(value, style: decimalSeparator), amount.normalized.scale == 0,
              let int = Int(exactly: amount.normalized.units) else {
            throw error(key, value: value, "is not a whole number")
        }
        return int
    }

    /// A date and time interpreted in the parse's time zone unless it names an offset.
    public func timestamp(_ key: String) throws -> Timestamp? {
        guard let value = text(key) else { return nil }
        guard let components = DateTimeParser.parse(value, order: dateOrder) else {
            throw error(key, value: value, "is not a date/time", hint: "expected e.g. 2024-01-15 10:23:45")
        }
        return components.timestamp(in: context.timeZone, fixedOffset: context.fixedOffset)
    }

    /// A calendar date as printed (a time part and offset are ignored).
    public func date(_ key: String) throws -> LocalDate? {
        guard let value = text(key) else { return nil }
        guard let components = DateTimeParser.parse(value, order: dateOrder) else {
            throw error(key, value: value, "is not a date", hint: "expected e.g. 2024-01-15")
        }
        return components.date  // as printed, also when the text names an offset
    }

    /// An error about `key`'s value in this row.
    public func error(_ key: String, value: String?, code: IngestError.Code = .badValue, _ message: String, hint: String? = nil) -> IngestError {
        IngestError(code, message, file: context.fileName, line: row.line, column: header.printedName(key), value: value, hint: hint)
    }

    private func amountHint(_ value: String) -> String? {
        if decimalSeparator == .dot, AmountParser.parse(value, style: .comma) != nil {
            return "if the file uses a decimal comma, parse it with the comma decimal separator"
        }
        return "expected a number such as 1,234.56"
    }
}
