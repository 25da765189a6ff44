import Foundation

/// How to read a date whose year comes last (`01/02/2024`).
public enum DateOrder: String, Sendable, Codable, CaseIterable {
    /// Year first (Chinese exports). Year-last dates are then read month-first, unless the first
    /// number cannot be a month.
    case ymd
    /// `MM/DD/YY` (Amazon US).
    case mdy
    /// `DD/MM/YYYY`, `DD.MM.YYYY` (Europe).
    case dmy
}

/// Fast, allocation-light parsing of the date/time layouts seen in exports:
/// `2019-09-16 10:55:16`, `2019/9/16 10:55`, `2019年09月16日 00:00:00`, `20190916`,
/// `20190916105516`, `2024-01-15T10:23:45Z`, `2024-01-15 10:23:45 -0500`,
/// `2024-01-15 10:23:45 UTC`, `01/15/24`, `15.01.2024 10:23:45 UTC`, `Jan 15, 2024 3:04:05 PM PST`,
/// `15 Jan 2024`, `2024-01-15 下午3:04:05`. Dates separated by `.` are day-first.
public enum DateTimeParser {
    /// Parses `text`; `nil` if it is not a date (or a date and time) in a known layout.
    public static func parse(_ text: String, order: DateOrder = .ymd) -> DateTimeComponents? {
        guard let bytes = normalize(text), !bytes.isEmpty else { return nil }
        var cursor = Cursor(bytes: bytes)
        guard let date = cursor.parseDate(order: order) else { return nil }
        var result = DateTimeComponents(date: date, hour: 0, minute: 0, second: 0, hasTime: false)
        cursor.skip { $0 == 0x20 || $0 == 0x54 || $0 == 0x2C }  // space, T, comma
        if cursor.atEnd, cursor.pendingTime == nil { return result }
        if let (h, m, s, ns) = cursor.parseTime() {
            result.hour = h
            result.minute = m
            result.second = s
            result.nanosecond = ns
            result.hasTime = true
            cursor.skip { $0 == 0x20 }
            if let pm = cursor.parseMeridiem() {
                guard (1...12).contains(result.hour) else { return nil }
                result.hour = result.hour % 12 + (pm ? 12 : 0)
                cursor.skip { $0 == 0x20 }
            }
        }
        if !cursor.atEnd {
            guard let offset = cursor.parseZone() else { return nil }
            result.utcOffset = offset
            cursor.skip { $0 == 0x20 }
        }
        return cursor.atEnd ? result : nil
    }

    /// Folds full-width characters, maps 年月日/时分秒/上午/下午 to ASCII separators and strips
    /// guards (backtick, `="…"`, TAB). `nil` if other non-ASCII text remains.
    static func normalize(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var pendingMeridiem: [UInt8]?
        for scalar in text.unicodeScalars {
            var v = scalar.value
            if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
            switch v {
            case 0x09, 0x0A, 0x0D, 0xA0, 0x3000: out.append(0x20)
            case 0x60, 0x22, 0x27: continue
            case 0x3D where out.isEmpty: continue
            case 0x5E74, 0x6708: out.append(0x2D)  // 年 月
            case 0x65E5, 0x53F7: out.append(0x20)  // 日 号
            case 0x65F6, 0x6642, 0x70B9, 0x5206: out.append(0x3A)  // 时 時 点 分
            case 0x79D2: continue  // 秒
            case 0x4E0A: pendingMeridiem = [0x41, 0x4D]  // 上(午)
            case 0x4E0B: pendingMeridiem = [0x50, 0x4D]  // 下(午)
            case 0x5348: continue  // 午
            case 0x00...0x7F: out.append(UInt8(v))
            default: return nil
            }
        }
        // Trim spaces and a trailing ':' left by 分/时 without seconds.
        while let last = out.last, last == 0x20 || last == 0x3A { out.removeLast() }
        while let first = out.first, first == 0x20 { out.removeFirst() }
        if let meridiem = pendingMeridiem {
            // Move 上午/下午 (printed before the time) to after it.
            out.append(0x20)
            out.append(contentsOf: meridiem)
        }
        return out
    }

    struct Cursor {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skip(_ predicate: (UInt8) -> Bool) {
            while index < bytes.count, predicate(bytes[index]) { index += 1 }
        }

        /// Reads a run of digits: (value, digit count).
        mutating func number(maxDigits: Int = 14) -> (Int, Int)? {
            var value = 0, count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                guard count < maxDigits else { return nil }
                value = value * 10 + Int(bytes[index] - 0x30)
                count += 1
                index += 1
            }
            return count == 0 ? nil : (value, count)
        }

        mutating func word() -> String? {
            let start = index
            while index < bytes.count, (bytes[index] | 0x20) >= 0x61, (bytes[index] | 0x20) <= 0x7A { index += 1 }
            return index == start ? nil : String(decoding: bytes[start..<index], as: UTF8.self).uppercased()
        }

        static func month(_ word: String) -> Int? {
            let names = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            let prefix = String(word.prefix(3))
            guard word.count >= 3, let i = names.firstIndex(of: prefix) else { return nil }
            let full = ["JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST",
                        "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER"]
            guard word.count == 3 || full[i] == word || (word == "SEPT") else { return nil }
            return i + 1
        }

        static func year(_ value: Int, digits: Int) -> Int? {
            switch digits {
            case 4: return value
            case 2: return value < 70 ? 2000 + value : 1900 + value
            default: return nil
            }
        }

        mutating func parseDate(order: DateOrder) -> LocalDate? {
            if let c = current, (c | 0x20) >= 0x61, (c | 0x20) <= 0x7A {
                // Jan 15, 2024
                guard let name = word(), let month = Self.month(name) else { return nil }
                skip { $0 == 0x20 || $0 == 0x2D || $0 == 0x2E }
                guard let (day, dd) = number(), dd <= 2 else { return nil }
                skip { $0 == 0x20 || $0 == 0x2C }
                guard let (y, yd) = number(), let year = Self.year(y, digits: yd) else { return nil }
                return LocalDate(year: year, month: month, day: day)
            }
            let start = index
            guard let (n1, d1) = number() else { return nil }
            if d1 == 8 || d1 == 12 || d1 == 14 {
                // yyyyMMdd[HHmm[ss]]
                let digits = Array(bytes[start..<index])
                func field(_ from: Int, _ length: Int) -> Int {
                    digits[from..<from + length].reduce(0) { $0 * 10 + Int($1 - 0x30) }
                }
                guard let date = LocalDate(year: field(0, 4), month: field(4, 2), day: field(6, 2)) else { return nil }
                if d1 > 8 {
                    // Put the time back as text the time parser reads.
                    let time = d1 == 14 ? [field(8, 2), field(10, 2), field(12, 2)] : [field(8, 2), field(10, 2), 0]
                    pendingTime = (time[0], time[1], time[2])
                }
                return date
            }
            guard let sep = current, sep == 0x2D || sep == 0x2F || sep == 0x2E || sep == 0x20 else { return nil }
            index += 1
            if d1 <= 2, let c = current, (c | 0x20) >= 0x61, (c | 0x20) <= 0x7A {
                // 15 Jan 2024, 15-Jan-2024
                guard let name = word(), let month = Self.month(name) else { return nil }
                skip { $0 == 0x20 || $0 == 0x2D || $0 == 0x2E || $0 == 0x2C }
                guard let (y, yd) = number(), let year = Self.year(y, digits: yd) else { return nil }
                return LocalDate(year: year, month: month, day: n1)
            }
            guard sep != 0x20 else { return nil }
            guard let (n2, d2) = number(), d2 <= 2 else { return nil }
            guard current == sep else { return nil }
            index += 1
            guard let (n3, d3) = number() else { return nil }
            if d1 == 4 {
                guard d3 <= 2 else { return nil }
                return LocalDate(year: n1, month: n2, day: n3)
            }
            guard d1 <= 2, let year = Self.year(n3, digits: d3) else { return nil }
            let dayFirst: Bool
            if sep == 0x2E {
                dayFirst = true
            } else {
                switch order {
                case .dmy: dayFirst = true
                case .mdy: dayFirst = false
                case .ymd: dayFirst = n1 > 12
                }
            }
            return dayFirst ? LocalDate(year: year, month: n2, day: n1) : LocalDate(year: year, month: n1, day: n2)
        }

        var pendingTime: (Int, Int, Int)?

        mutating func parseTime() -> (Int, Int, Int, Int)? {
            if let (h, m, s) = pendingTime {
                pendingTime = nil
                guard h < 24, m < 60, s < 61 else { return nil }
                return (h, m, s, 0)
            }
            let save = index
            guard let (h, hd) = number(), hd <= 2, current == 0x3A else { index = save; return nil }
            index += 1
            guard let (m, md) = number(), md == 2 || md == 1 else { index = save; return nil }
            var s = 0, ns = 0
            if current == 0x3A {
                index += 1
                guard let (sv, sd) = number(), sd <= 2 else { return nil }
                s = sv
                if current == 0x2E || current == 0x2C {
                    index += 1
                    guard let (f, fd) = number(maxDigits: 9) else { return nil }
                    var value = f
                    for _ in fd..<9 { value *= 10 }
                    ns = value
                }
            }
            guard h < 24, m < 60, s < 61 else {
                index = save
                return nil
            }
            return (h, m, min(s, 59), ns)
        }

        mutating func parseMeridiem() -> Bool? {
            let save = index
            guard let w = word() else { return nil }
            switch w {
            case "AM", "A": return false
            case "PM", "P": return true
            default: index = save; return nil
            }
        }

        /// `Z`, `UTC`, `GMT`, `UTC+8`, `+08:00`, `+0800`, `-05`, `PST` and a few other abbreviations.
        mutating func parseZone() -> Int? {
            if let c = current, c == 0x2B || c == 0x2D {
                return parseOffset()
            }
            guard let w = word() else { return nil }
            let named: [String: Int] = [
                "Z": 0, "UTC": 0, "GMT": 0, "UT": 0,
                "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "EST": -5, "EDT": -4,
                "CET": 1, "CEST": 2, "BST": 1, "WET": 0, "WEST": 1, "EET": 2, "EEST": 3,
                "JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AEST": 10, "AEDT": 11,
            ]
            guard let hours = named[w] else { return nil }
            skip { $0 == 0x20 }
            if (w == "UTC" || w == "GMT"), let c = current, c == 0x2B || c == 0x2D {
                return parseOffset()
            }
            return hours * 3600
        }

        mutating func parseOffset() -> Int? {
            guard let c = current else { return nil }
            let sign = c == 0x2D ? -1 : 1
            index += 1
            guard let (v, d) = number(maxDigits: 4) else { return nil }
            var hours = 0, minutes = 0
            switch d {
            case 1, 2:
                hours = v
                if current == 0x3A {
                    index += 1
                    guard let (m, md) = number(maxDigits: 2), md == 2 else { return nil }
                    minutes = m
                }
            case 4:
                hours = v / 100
                minutes = v % 100
            default:
                return nil
            }
            guard hours <= 14, minutes < 60 else { return nil }
            return sign * (hours * 3600 + minutes * 60)
        }
    }
}
