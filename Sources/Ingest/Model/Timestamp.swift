import Foundation

/// A point in time read from a file, with the time zone used to interpret it.
///
/// Local times (`2019-09-16 10:55:16` in a Chinese export) are interpreted in the parser's
/// ``ParseOptions/timeZone`` (Asia/Shanghai by default); times printed with an offset or `UTC`
/// keep that offset as ``timeZone``.
public struct Timestamp: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// The instant.
    public var date: Date
    /// The zone the printed wall-clock time belongs to.
    public var timeZone: TimeZone

    public init(date: Date, timeZone: TimeZone) {
        self.date = date
        self.timeZone = timeZone
    }

    /// The calendar date of this instant in ``timeZone``.
    public var localDate: LocalDate {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(timeZone.secondsFromGMT(for: date))
        return LocalDate(daysSinceEpoch: Int(floorDiv(seconds, 86_400)))
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.date < rhs.date }

    /// `2019-09-16T10:55:16+08:00`.
    public var description: String {
        let offset = timeZone.secondsFromGMT(for: date)
        let local = Int64(date.timeIntervalSince1970.rounded(.down)) + Int64(offset)
        let day = LocalDate(daysSinceEpoch: Int(floorDiv(local, 86_400)))
        let secondOfDay = Int(local - floorDiv(local, 86_400) * 86_400)
        let sign = offset < 0 ? "-" : "+"
        let h = secondOfDay / 3600, m = secondOfDay / 60 % 60, s = secondOfDay % 60
        return "\(day)T\(pad2(h)):\(pad2(m)):\(pad2(s))\(sign)\(pad2(abs(offset) / 3600)):\(pad2(abs(offset) / 60 % 60))"
    }
}

/// A calendar date without a time (booking dates, value dates, ship dates).
public struct LocalDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    /// A valid Gregorian date, or `nil` (`2023-02-29`).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= LocalDate.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The date `days` after 1970-01-01.
    public init(daysSinceEpoch days: Int) {
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `n` days later (or earlier for negative `n`).
    public func adding(days n: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + n) }

    /// Midnight at the start of this date in `timeZone`.
    public func startOfDay(in timeZone: TimeZone) -> Date {
        DateTimeComponents(date: self, hour: 0, minute: 0, second: 0).instant(in: timeZone)
    }

    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// `2024-01-05`.
    public var description: String {
        let y = String(year)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + pad2(month) + "-" + pad2(day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = DateTimeParser.parse(text, order: .ymd)?.date else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a date")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// A date and wall-clock time as printed, with the UTC offset when the text carried one.
public struct DateTimeComponents: Sendable, Hashable {
    public var date: LocalDate
    public var hour: Int
    public var minute: Int
    public var second: Int
    public var nanosecond: Int = 0
    /// Offset from UTC in seconds when the text named one (`+08:00`, `-0500`, `Z`, `UTC`).
    public var utcOffset: Int?
    /// `false` when the text had no time of day.
    public var hasTime: Bool = true

    public init(date: LocalDate, hour: Int, minute: Int, second: Int, nanosecond: Int = 0, utcOffset: Int? = nil, hasTime: Bool = true) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
        self.utcOffset = utcOffset
        self.hasTime = hasTime
    }

    var secondsAsIfUTC: Int64 {
        Int64(date.daysSinceEpoch) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The instant, using the printed offset or else `timeZone` for the wall-clock time. In a
    /// daylight-saving gap or overlap the earlier offset wins.
    public func instant(in timeZone: TimeZone) -> Date {
        let local = secondsAsIfUTC
        let offset: Int
        if let utcOffset {
            offset = utcOffset
        } else {
            offset = ZoneOffsetCache.offset(of: timeZone, forLocalSeconds: local)
        }
        return Date(timeIntervalSince1970: TimeInterval(local - Int64(offset)) + TimeInterval(nanosecond) / 1e9)
    }

    /// A ``Timestamp`` with a known constant offset for `timeZone` (no per-value zone look-up).
    func timestamp(in timeZone: TimeZone, fixedOffset: Int?) -> Timestamp {
        guard utcOffset == nil, let fixedOffset else { return timestamp(in: timeZone) }
        let seconds = secondsAsIfUTC - Int64(fixedOffset)
        return Timestamp(date: Date(timeIntervalSince1970: TimeInterval(seconds) + TimeInterval(nanosecond) / 1e9), timeZone: timeZone)
    }

    /// A ``Timestamp`` whose zone is the printed offset, or `timeZone`.
    public func timestamp(in timeZone: TimeZone) -> Timestamp {
        let zone = utcOffset.flatMap { $0 == 0 ? TimeZone(identifier: "UTC") : TimeZone(secondsFromGMT: $0) } ?? timeZone
        return Timestamp(date: instant(in: timeZone), timeZone: zone)
    }
}

/// Time zone offsets without repeated Foundation look-ups for zones that no longer observe DST
/// (Asia/Shanghai, UTC): those get one constant offset.
enum ZoneOffsetCache {
    private static let fixed = Locked<[String: Int?]>([:])

    static func offset(of zone: TimeZone, forLocalSeconds local: Int64) -> Int {
        if let constant = constantOffset(zone) { return constant }
        // Two-step: guess with the offset at the local reading, then correct.
        let first = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local)))
        let second = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - Int64(first))))
        return max(first, second)
    }

    static func constantOffset(_ zone: TimeZone) -> Int? {
        let key = zone.identifier
        if let cached = fixed.withLock({ $0[key] }) { return cached }
        // Fixed if no DST transition after 2000-01-01 within the next decades.
        let start = Date(timeIntervalSince1970: 946_684_800)
        let value: Int?
        if zone.nextDaylightSavingTimeTransition(after: start) == nil {
            value = zone.secondsFromGMT(for: Date(timeIntervalSince1970: 1_700_000_000))
        } else {
            value = nil
        }
        fixed.withLock { $0[key] = .some(value) }
        return value
    }
}

@inline(__always) func pad2(_ value: Int) -> String {
    value < 10 ? "0" + String(value) : String(value)
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// A value behind a lock, for the few process-wide caches.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
