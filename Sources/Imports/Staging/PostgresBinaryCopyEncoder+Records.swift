import Ingest
import PostgresClient

/// Field encoders for the normalized record types; every one writes NULL for `nil`.
extension PostgresBinaryCopyEncoder {
    mutating func field(_ value: String?) {
        if let value { append(value) } else { appendNull() }
    }

    mutating func field(_ value: Int64?) {
        if let value { append(value) } else { appendNull() }
    }

    /// `integer`.
    mutating func field(_ value: Int?) {
        if let value, let narrow = Int32(exactly: value) { append(narrow) } else { appendNull() }
    }

    mutating func field(_ value: Bool?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Minor units of the amount (rounded half-up when the source had more decimals).
    mutating func field(_ value: Money?) {
        if let value { append(value.minorUnits) } else { appendNull() }
    }

    /// The exact decimal text when the source had more decimals than the currency's minor unit.
    mutating func exact(_ value: Money?) {
        if let precise = value?.precise { append(precise.description) } else { appendNull() }
    }

    mutating func field(_ value: Timestamp?) {
        if let value { append(value.date) } else { appendNull() }
    }

    mutating func field(_ value: LocalDate?) {
        if let value { appendDate(daysSinceUnixEpoch: Int32(value.daysSinceEpoch)) } else { appendNull() }
    }
}
