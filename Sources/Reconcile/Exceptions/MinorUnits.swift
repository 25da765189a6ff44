import Ingest

/// Amounts in minor units shown as decimals of their currency (`12345` CNY → `123.45`).
enum MinorUnits {
    static func text(_ minor: Int64?, currency: String?) -> String {
        guard let minor else { return "" }
        let digits = Currency.minorUnitDigits(currency ?? "CNY")
        guard digits > 0 else { return String(minor) }
        var divisor: Int64 = 1
        for _ in 0..<digits { divisor *= 10 }
        let whole = minor.magnitude / UInt64(divisor)
        let fraction = String(minor.magnitude % UInt64(divisor))
        return (minor < 0 ? "-" : "") + "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    /// The amount as a floating-point number for a spreadsheet cell (which stores doubles
    /// anyway); the text form above is what messages and tables use.
    static func spreadsheetValue(_ minor: Int64, currency: String?) -> Double {
        let digits = Currency.minorUnitDigits(currency ?? "CNY")
        var divisor = 1.0
        for _ in 0..<digits { divisor *= 10 }
        return Double(minor) / divisor
    }
}
