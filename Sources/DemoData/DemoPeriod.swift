import Foundation

/// The month the demo data covers, written `YYYY-MM`. DemoData keeps its own small type so that
/// it does not depend on the Reconcile module.
public struct DemoPeriod: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) throws {
        guard (2000...2999).contains(year), (1...12).contains(month) else {
            throw DemoError("there is no period \(year)-\(month)", hint: "write the period as YYYY-MM, e.g. 2026-10")
        }
        self.year = year
        self.month = month
    }

    /// Reads `2026-10` (also `2026/10` and `202610`).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(whereSeparator: { $0 == "-" || $0 == "/" })
        if parts.count == 2, parts[0].count == 4, let year = Int(parts[0]), let month = Int(parts[1]) {
            try self.init(year: year, month: month)
        } else if parts.count == 1, trimmed.count == 6, let value = Int(trimmed) {
            try self.init(year: value / 100, month: value % 100)
        } else {
            throw DemoError("'\(text)' is not a period", hint: "write the period as YYYY-MM, e.g. 2026-10")
        }
    }

    /// The calendar month before the one `date` falls in (in `timeZone`): the default demo period.
    public static func previous(before date: Date = Date(), timeZone: TimeZone = DemoCalendar.zone) -> DemoPeriod {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month], from: date)
        let year = parts.year ?? 2026, month = parts.month ?? 1
        return month == 1 ? DemoPeriod(checkedYear: year - 1, month: 12) : DemoPeriod(checkedYear: year, month: month - 1)
    }

    /// For year and month already known to be valid.
    private init(checkedYear year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    public var description: String { String(format: "%04d-%02d", year, month) }

    /// Days since 1970-01-01 of the first day.
    var firstDay: Int { DemoCalendar.days(year: year, month: month, day: 1) }

    /// Days since 1970-01-01 of the first day of the next month (the period's exclusive end).
    var endDay: Int { month == 12 ? DemoCalendar.days(year: year + 1, month: 1, day: 1) : DemoCalendar.days(year: year, month: month + 1, day: 1) }

    public static func < (lhs: DemoPeriod, rhs: DemoPeriod) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An error of the generator with a hint on what to do.
public struct DemoError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
