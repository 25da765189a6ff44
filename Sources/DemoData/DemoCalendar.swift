import Foundation

/// Local wall-clock arithmetic for the demo merchant (Asia/Shanghai, UTC+8 all year): times are
/// seconds since 1970-01-01 00:00 local, so that no `Calendar` is needed per row and every
/// machine prints the same text.
public enum DemoCalendar {
    public static let zone = TimeZone(identifier: "Asia/Shanghai")!
    /// The zone's fixed offset as printed in XML timestamps.
    static let offset = "+08:00"

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date of a day number.
    static func civil(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `2026-10-05`.
    static func date(_ days: Int) -> String {
        let c = civil(days)
        return pad4(c.year) + "-" + pad2(c.month) + "-" + pad2(c.day)
    }

    /// `20261005`.
    static func compactDate(_ days: Int) -> String {
        let c = civil(days)
        return pad4(c.year) + pad2(c.month) + pad2(c.day)
    }

    /// `2026年10月05日 00:00:00` (Alipay preambles).
    static func chineseDateTime(_ time: Int64) -> String {
        let c = civil(day(of: time))
        let s = Int(time - Int64(day(of: time)) * 86_400)
        return pad4(c.year) + "年" + pad2(c.month) + "月" + pad2(c.day) + "日 " + clock(s)
    }

    /// `2026-10-05 13:04:59`.
    static func dateTime(_ time: Int64) -> String {
        let d = day(of: time)
        return date(d) + " " + clock(Int(time - Int64(d) * 86_400))
    }

    /// `2026-10-05T13:04:59+08:00`.
    static func isoDateTime(_ time: Int64) -> String {
        let d = day(of: time)
        return date(d) + "T" + clock(Int(time - Int64(d) * 86_400)) + offset
    }

    static func day(of time: Int64) -> Int { Int(time >= 0 ? time / 86_400 : (time - 86_399) / 86_400) }

    static func start(ofDay day: Int) -> Int64 { Int64(day) * 86_400 }

    private static func clock(_ seconds: Int) -> String {
        pad2(seconds / 3600) + ":" + pad2(seconds / 60 % 60) + ":" + pad2(seconds % 60)
    }

    static func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
    static func pad4(_ n: Int) -> String { n < 1000 ? String(repeating: "0", count: 4 - String(n).count) + String(n) : String(n) }
}
