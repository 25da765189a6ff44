import Foundation

/// `timestamptz` in and out. Values are sent in UTC with microseconds and read back whatever
/// the session's `TimeZone`, because the server's ISO output carries the offset.
extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresDataType { .timestamptz }

    public var postgresBind: PostgresBind {
        .text(PostgresTimestamp.format(self), type: .timestamptz)
    }

    public static func decode(from cell: PostgresCell) throws -> Date {
        guard let date = PostgresTimestamp.parse(try cell.requireBytes()) else {
            throw cell.failure("timestamp (ISO DateStyle expected)")
        }
        return date
    }
}

/// Calendar arithmetic for the ISO timestamp text form, without `DateFormatter` (slow, and
/// locale-dependent).
enum PostgresTimestamp {
    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func format(_ date: Date) -> String {
        let totalMicros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var days = Int(totalMicros / 86_400_000_000)
        var micros = totalMicros % 86_400_000_000
        if micros < 0 { micros += 86_400_000_000; days -= 1 }
        let (y, m, d) = civil(days: days)
        let seconds = micros / 1_000_000
        let fraction = micros % 1_000_000
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int64(y), 4))-\(pad(Int64(m), 2))-\(pad(Int64(d), 2)) "
            + "\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 6))+00"
    }

    /// Parses `YYYY-MM-DD[ HH:MM:SS[.ffffff]][+HH[:MM[:SS]]]`; a value without an offset is UTC.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Date? {
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var v = 0
            for k in 0..<width {
                let d = b[i + k] &- 48
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            i += width
            return v
        }
        func expect(_ c: Character) -> Bool {
            guard i < b.count, b[i] == c.asciiValue! else { return false }
            i += 1
            return true
        }
        // Years may have more than four digits.
        var yearDigits = 0
        while i + yearDigits < b.count, b[i + yearDigits] &- 48 < 10 { yearDigits += 1 }
        guard yearDigits >= 4, let year = number(yearDigits), expect("-"), let month = number(2),
              expect("-"), let day = number(2) else { return nil }
        var micros: Int64 = Int64(days(year: year, month: month, day: day)) * 86_400_000_000
        if i == b.count { return Date(timeIntervalSince1970: Double(micros) / 1_000_000) }
        guard expect(" ") || expect("T"), let hour = number(2), expect(":"), let minute = number(2),
              expect(":"), let second = number(2) else { return nil }
        micros += Int64(hour * 3600 + minute * 60 + second) * 1_000_000
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100_000
            while i < b.count, b[i] &- 48 < 10 {
                micros += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if i < b.count {
            let sign: Int64
            switch b[i] {
            case UInt8(ascii: "+"): sign = 1
            case UInt8(ascii: "-"): sign = -1
            default: return nil
            }
            i += 1
            guard let oh = number(2) else { return nil }
            var offset = oh * 3600
            if expect(":") { guard let om = number(2) else { return nil }; offset += om * 60 }
            if expect(":") { guard let os = number(2) else { return nil }; offset += os }
            micros -= sign * Int64(offset) * 1_000_000
        }
        guard i == b.count else { return nil }
        return Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }
}
