import Foundation

/// An amount of money: Int64 minor units (fen, cents) of an ISO 4217 currency.
///
/// When the source printed more decimals than the currency's minor unit (WeChat 手续费
/// `0.00060`), ``minorUnits`` holds the value rounded half away from zero — the amount that is
/// posted — and ``precise`` keeps the exact printed value. ``amount`` is the exact value either way.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The amount in minor units, rounded half away from zero when ``precise`` is set.
    public var minorUnits: Int64
    /// ISO 4217 code, upper case (`CNY`, `USD`, `EUR`).
    public var currency: String
    /// The exact value when it has more decimals than the currency's minor unit; `nil` otherwise.
    public var precise: ExactAmount?

    /// Money from minor units.
    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
        self.precise = nil
    }

    /// Money from an exact decimal value. Values with more decimals than the currency's minor
    /// unit keep the exact value in ``precise``.
    public init(_ amount: ExactAmount, currency: String) {
        let digits = Currency.minorUnitDigits(currency)
        let rounded = amount.rounded(toScale: digits)
        self.minorUnits = rounded.units
        self.currency = currency
        let normalized = amount.normalized
        self.precise = normalized.scale > digits ? amount : nil
    }

    /// The exact value (``precise`` if set, else ``minorUnits`` scaled).
    public var amount: ExactAmount {
        precise ?? ExactAmount(units: minorUnits, scale: Currency.minorUnitDigits(currency))
    }

    /// `true` when the value needed rounding to fit minor units.
    public var isRounded: Bool { precise != nil }

    public var isZero: Bool { amount.isZero }
    public var isNegative: Bool { amount.isNegative }

    public var negated: Money { Money(amount.negated, currency: currency) }
    public var magnitude: Money { isNegative ? negated : self }

    /// A zero amount in `currency`.
    public static func zero(_ currency: String) -> Money { Money(minorUnits: 0, currency: currency) }

    /// Sum of two amounts of the same currency (exact). Traps on a currency mismatch, which is a
    /// programming error: parsers only add amounts read from one row or one order.
    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "adding \(lhs.currency) to \(rhs.currency)")
        return Money(lhs.amount + rhs.amount, currency: lhs.currency)
    }

    public static func - (lhs: Money, rhs: Money) -> Money {
        lhs + rhs.negated
    }

    public static prefix func - (value: Money) -> Money { value.negated }

    /// `12.34 CNY`; the exact value when it has more decimals.
    public var description: String {
        "\(amount) \(currency)"
    }
}

/// ISO 4217 facts the parsers need.
public enum Currency {
    /// Digits after the decimal point for `code` (2 unless the currency is known to differ).
    public static func minorUnitDigits(_ code: String) -> Int {
        switch code {
        case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "XPF", "PYG", "RWF", "KMF",
             "GNF", "DJF", "BIF", "VUV":
            return 0
        case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
            return 3
        default:
            return 2
        }
    }

    /// Normalizes a currency label from a file to an ISO code: `RMB`, `人民币`, `¥` → `CNY`.
    /// Returns `nil` for text that is not recognisably a currency.
    public static func normalize(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        switch trimmed {
        case "": return nil
        case "RMB", "人民币", "¥", "￥", "元", "CNH": return trimmed == "CNH" ? "CNH" : "CNY"
        case "$", "US$": return "USD"
        case "€": return "EUR"
        case "£": return "GBP"
        case "港币", "港元", "HK$": return "HKD"
        case "美元": return "USD"
        default:
            guard trimmed.utf8.count == 3, trimmed.utf8.allSatisfy({ (65...90).contains($0) }) else { return nil }
            return trimmed
        }
    }
}
