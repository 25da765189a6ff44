/// An exact decimal number: `units / 10^scale`, with no binary floating point anywhere.
///
/// Source files print amounts with more decimals than a currency's minor unit (WeChat's 手续费
/// `0.00060`, camt.053 amounts with 5 decimals). ``ExactAmount`` keeps such values as printed;
/// ``rounded(toScale:)`` rounds half away from zero ("half-up" in bookkeeping) when a value is
/// posted in minor units.
///
/// Two amounts are equal when their values are equal (`1.50 == 1.5`); ``scale`` is the number of
/// decimals the source printed and is kept for display.
public struct ExactAmount: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The value multiplied by `10^scale`.
    public var units: Int64
    /// Number of decimal digits, `0...18`.
    public var scale: Int

    /// The largest scale an amount can carry.
    public static let maxScale = 18

    public static let zero = ExactAmount(units: 0, scale: 0)

    /// Creates `units / 10^scale`. `scale` must be in `0...18`.
    public init(units: Int64, scale: Int) {
        precondition((0...Self.maxScale).contains(scale), "ExactAmount scale out of range: \(scale)")
        self.units = units
        self.scale = scale
    }

    /// Creates a whole number.
    public init(_ integer: Int64) {
        self.init(units: integer, scale: 0)
    }

    /// Parses plain decimal text (`"-12.345"`, `"0.00060"`, `"7"`); see ``AmountParser`` for
    /// formatted input (thousands separators, currency symbols, decimal commas).
    public init?(_ text: String) {
        guard let value = AmountParser.parse(text, style: .dot, allowGrouping: false) else { return nil }
        self = value
    }

    public var isZero: Bool { units == 0 }
    public var isNegative: Bool { units < 0 }

    /// `-self`. Traps only for `Int64.min` units, which no parsed amount can reach.
    public var negated: ExactAmount { ExactAmount(units: -units, scale: scale) }

    /// The absolute value.
    public var magnitude: ExactAmount { units < 0 ? negated : self }

    /// The same value with `newScale >= scale` decimals, or `nil` if it does not fit in Int64.
    public func rescaled(to newScale: Int) -> ExactAmount? {
        if newScale == scale { return self }
        guard newScale > scale, newScale <= Self.maxScale else { return nil }
        let factor = Self.powerOfTen(newScale - scale)
        let (value, overflow) = units.multipliedReportingOverflow(by: factor)
        return overflow ? nil : ExactAmount(units: value, scale: newScale)
    }

    /// Rounds to `newScale` decimals, half away from zero (`0.005 → 0.01`, `-0.005 → -0.01`).
    /// Scaling up is exact; on Int64 overflow the value is clamped (never reached by real amounts).
    public func rounded(toScale newScale: Int) -> ExactAmount {
        if newScale >= scale {
            return rescaled(to: newScale) ?? ExactAmount(units: units < 0 ? .min + 1 : .max, scale: newScale)
        }
        let divisor = Self.powerOfTen(scale - newScale)
        let quotient = units / divisor
        let remainder = units % divisor
        var result = quotient
        if remainder.magnitude * 2 >= divisor.magnitude {
            result += units < 0 ? -1 : 1
        }
        return ExactAmount(units: result, scale: newScale)
    }

    /// The value with trailing fractional zeros removed (`1.500 → 1.5`, `0.00000 → 0`).
    public var normalized: ExactAmount {
        var value = self
        while value.scale > 0, value.units % 10 == 0 {
            value.units /= 10
            value.scale -= 1
        }
        return value
    }

    /// Brings two amounts to a common scale; `nil` if that overflows.
    static func aligned(_ a: ExactAmount, _ b: ExactAmount) -> (Int64, Int64, Int)? {
        let scale = max(a.scale, b.scale)
        guard let x = a.rescaled(to: scale), let y = b.rescaled(to: scale) else { return nil }
        return (x.units, y.units, scale)
    }

    /// `a + b`, or `nil` on overflow.
    public func adding(_ other: ExactAmount) -> ExactAmount? {
        guard let (x, y, scale) = Self.aligned(self, other) else { return nil }
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow ? nil : ExactAmount(units: sum, scale: scale)
    }

    /// `a - b`, or `nil` on overflow.
    public func subtracting(_ other: ExactAmount) -> ExactAmount? {
        adding(other.negated)
    }

    /// `self × factor`, or `nil` on overflow (unit price × quantity).
    public func multiplied(by factor: Int) -> ExactAmount? {
        let (value, overflow) = units.multipliedReportingOverflow(by: Int64(factor))
        return overflow ? nil : ExactAmount(units: value, scale: scale)
    }

    /// `a + b`; traps on Int64 overflow (amounts beyond 9·10^12 at 6 decimals).
    public static func + (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        guard let sum = lhs.adding(rhs) else { preconditionFailure("ExactAmount overflow: \(lhs) + \(rhs)") }
        return sum
    }

    public static func - (lhs: ExactAmount, rhs: ExactAmount) -> ExactAmount {
        lhs + rhs.negated
    }

    public static prefix func - (value: ExactAmount) -> ExactAmount { value.negated }

    public static func == (lhs: ExactAmount, rhs: ExactAmount) -> Bool {
        let a = lhs.normalized, b = rhs.normalized
        return a.units == b.units && a.scale == b.scale
    }

    public func hash(into hasher: inout Hasher) {
        let value = normalized
        hasher.combine(value.units)
        hasher.combine(value.scale)
    }

    public static func < (lhs: ExactAmount, rhs: ExactAmount) -> Bool {
        if let (x, y, _) = aligned(lhs, rhs) { return x < y }
        // One side is huge at a high scale: compare at the lower scale, rounding the other.
        let scale = min(lhs.scale, rhs.scale)
        return lhs.rounded(toScale: scale).units < rhs.rounded(toScale: scale).units
    }

    /// Plain decimal text with exactly ``scale`` decimals: `-0.04`, `0.00060`, `12`.
    public var description: String {
        let negative = units < 0
        var digits = String(units.magnitude)
        if scale > 0 {
            if digits.count <= scale {
                digits = String(repeating: "0", count: scale - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return negative ? "-" + digits : digits
    }

    // Codable as a string ("12.34") so values survive JSON without floating point.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = ExactAmount(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a decimal number")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func powerOfTen(_ exponent: Int) -> Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value &*= 10 }
        return value
    }
}
