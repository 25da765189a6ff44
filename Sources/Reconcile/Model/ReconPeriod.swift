import Foundation

/// A reconciliation period: one calendar month in the tenant's time zone, written `YYYY-MM`.
/// Stored as its first day (`2026-10-01`) in the `period` columns.
public struct ReconPeriod: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int

    public init(year: Int, month: Int) throws {
        guard (2000...2999).contains(year), (1...12).contains(month) else {
            throw ReconcileError(.invalidInput, "there is no period \(year)-\(month)", hint: "write the period as YYYY-MM, e.g. 2026-10")
        }
        self.year = year
        self.month = month
    }

    /// Reads `2026-10` (also `2026/10`, `202610` and a first day `2026-10-01`).
    public init(parsing text: String) throws {
        let digits = text.trimmingCharacters(in: .whitespaces)
        let parts = digits.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        let invalid = ReconcileError(.invalidInput, "'\(text)' is not a period", hint: "write the period as YYYY-MM, e.g. 2026-10")
        if parts.count >= 2, parts.count <= 3, let year = Int(parts[0]), let month = Int(parts[1]), parts[0].count == 4 {
            if parts.count == 3, parts[2] != "01" && parts[2] != "1" { throw invalid }
            try self.init(year: year, month: month)
        } else if parts.count == 1, digits.count == 6, let value = Int(digits) {
            try self.init(year: value / 100, month: value % 100)
        } else {
            throw invalid
        }
    }

    /// `2026-10`.
    public var description: String { String(format: "%04d-%02d", year, month) }
    /// `2026-10-01`, the value of `period` columns.
    public var firstDay: String { String(format: "%04d-%02d-01", year, month) }
    /// The first day of the next month (the period's exclusive end).
    public var endDay: String { next.firstDay }

    public var next: ReconPeriod {
        month == 12 ? try! ReconPeriod(year: year + 1, month: 1) : try! ReconPeriod(year: year, month: month + 1)
    }

    public var previous: ReconPeriod {
        month == 1 ? try! ReconPeriod(year: year - 1, month: 12) : try! ReconPeriod(year: year, month: month - 1)
    }

    public static func < (lhs: ReconPeriod, rhs: ReconPeriod) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }

    public init(from decoder: any Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
