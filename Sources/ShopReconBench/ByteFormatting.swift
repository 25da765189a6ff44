/// Appending values as text straight into byte buffers, without intermediate `String`s: shared
/// by the benchmarks that produce CSV, COPY text or array literals.
enum ByteFormat {
    static let tab = UInt8(ascii: "\t")
    static let newline = UInt8(ascii: "\n")
    static let comma = UInt8(ascii: ",")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// Appends a decimal integer.
    @inline(__always)
    static func appendInteger<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendDigits(UInt64(value.magnitude), width: 0, to: &out)
    }

    /// Appends `value` in decimal, left-padded with zeros to at least `width` digits.
    @inline(__always)
    static func appendDigits(_ value: UInt64, width: Int, to out: inout [UInt8]) {
        var count = 1
        var rest = value
        while rest >= 10 { rest /= 10; count += 1 }
        count = max(count, width)
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        out.withUnsafeMutableBufferPointer { buffer in
            var v = value
            var i = start + count - 1
            while v > 0 {
                buffer[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                i -= 1
            }
        }
    }

    /// Appends a `timestamptz` literal in UTC with microseconds: `2026-11-01 12:34:56.123456+00`.
    static func appendTimestamp(unixMicroseconds micros: Int64, to out: inout [UInt8]) {
        let microsPerDay: Int64 = 86_400_000_000
        var days = micros / microsPerDay
        var rest = micros % microsPerDay
        if rest < 0 { rest += microsPerDay; days -= 1 }
        let (year, month, day) = civil(days: Int(days))
        let seconds = rest / 1_000_000
        appendDigits(UInt64(year), width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(month), width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(UInt64(day), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        appendDigits(UInt64(seconds / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(UInt64(seconds / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(UInt64(seconds % 60), width: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(UInt64(rest % 1_000_000), width: 6, to: &out)
        out.append(UInt8(ascii: "+"))
        out.append(UInt8(ascii: "0"))
        out.append(UInt8(ascii: "0"))
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
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

    /// Appends one CSV field (`FORMAT csv` defaults: comma, double quote). `nil` is NULL (an
    /// unquoted empty field); an empty string is quoted so it stays an empty string.
    static func appendCSVField(_ value: String?, to out: inout [UInt8]) {
        guard var value else { return }
        value.withUTF8 { utf8 in
            var needsQuotes = utf8.isEmpty
            for byte in utf8 where byte == comma || byte == quote || byte == newline
                || byte == UInt8(ascii: "\r") || byte == backslash {
                needsQuotes = true
                break
            }
            guard needsQuotes else {
                out.append(contentsOf: utf8)
                return
            }
            out.append(quote)
            for byte in utf8 {
                if byte == quote { out.append(quote) }
                out.append(byte)
            }
            out.append(quote)
        }
    }

    /// Appends one element of a PostgreSQL array literal, always quoted; `nil` is `NULL`.
    static func appendArrayElement(_ value: String?, to out: inout [UInt8]) {
        guard var value else {
            out.append(contentsOf: "NULL".utf8)
            return
        }
        out.append(quote)
        value.withUTF8 { utf8 in
            for byte in utf8 {
                if byte == quote || byte == backslash { out.append(backslash) }
                out.append(byte)
            }
        }
        out.append(quote)
    }
}
