import Foundation

/// A five-field cron expression (`minute hour day-of-month month day-of-week`) evaluated in a
/// time zone, as reconciliation cycles are defined in the merchant's local time.
///
/// Fields take `*`, numbers, ranges `a-b`, lists `a,b`, steps `*/n` and `a-b/n`, month and day
/// names (`jan`, `mon`); `@hourly`, `@daily`, `@weekly`, `@monthly` and `@yearly` are accepted.
/// As in Vixie cron, when both day fields are restricted (neither starts with `*`) a day matching
/// either one matches; otherwise a day must match both (so `*/2` in one of them still counts).
/// Across daylight-saving changes, also as in Vixie cron, a job at a fixed hour runs once: at
/// the first minute after the gap when its time is skipped, and only the first time when the
/// clock repeats it; jobs on every hour follow real time.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let source: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public var description: String { source }

    public init(_ text: String) throws {
        source = text
        let macros = ["@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                      "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *"]
        let expanded = macros[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let fields = expanded.split(whereSeparator: \.isWhitespace).map { String($0).lowercased() }
        guard fields.count == 5 else {
            throw JobError.invalid("cron expression \"\(text)\" needs 5 fields (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\"")
        }
        let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        minutes = try Self.field(fields[0], name: "minute", range: 0...59, names: [:])
        hours = try Self.field(fields[1], name: "hour", range: 0...23, names: [:])
        daysOfMonth = try Self.field(fields[2], name: "day of month", range: 1...31, names: [:])
        months = try Self.field(fields[3], name: "month", range: 1...12,
                                names: Dictionary(uniqueKeysWithValues: monthNames.enumerated().map { ($1, $0 + 1) }))
        // 7 is Sunday too.
        daysOfWeek = Set(try Self.field(fields[4], name: "day of week", range: 0...7,
                                        names: Dictionary(uniqueKeysWithValues: dayNames.enumerated().map { ($1, $0) })).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    private static func field(_ text: String, name: String, range: ClosedRange<Int>, names: [String: Int]) throws -> Set<Int> {
        func value(_ token: Substring) throws -> Int {
            if let number = Int(token), range.contains(number) { return number }
            if let named = names[String(token)] { return named }
            throw JobError.invalid("cron \(name) \"\(token)\" is out of range \(range.lowerBound)-\(range.upperBound)")
        }
        var result = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else { throw JobError.invalid("cron \(name) step \"\(pieces[1])\" is not a positive number") }
                step = s
            }
            let base = pieces[0]
            let lower: Int, upper: Int
            if base == "*" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                lower = try value(base[..<dash])
                upper = try value(base[base.index(after: dash)...])
                guard lower <= upper else { throw JobError.invalid("cron \(name) range \"\(base)\" runs backwards") }
            } else {
                lower = try value(base)
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }

    /// The first matching minute strictly after `date`, in `timeZone`.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Start at the next whole minute.
        var candidate = Date(timeIntervalSince1970: (floor(date.timeIntervalSince1970 / 60) + 1) * 60)
        let limit = date.addingTimeInterval(5 * 366 * 86_400)
        while candidate < limit {
            let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: candidate)
            guard let year = c.year, let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute,
                  let weekday = c.weekday else { return nil }
            if !months.contains(month) {
                candidate = calendar.date(from: DateComponents(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1)) ?? limit
                continue
            }
            if !dayMatches(day: day, weekday: weekday - 1) {
                candidate = calendar.startOfDay(for: calendar.date(byAdding: .day, value: 1, to: candidate) ?? limit)
                continue
            }
            // Whether the clock springs over an hour of this expression between now and `next`.
            func springsOver(to next: Date) -> Bool {
                let after = calendar.dateComponents([.day, .hour], from: next)
                guard after.day == day, let newHour = after.hour, newHour > hour + 1 else { return false }
                return (hour + 1 ..< newHour).contains(where: hours.contains)
            }
            if !hours.contains(hour) {
                // The next local hour, moving forward in real time (going back to the start of a
                // repeated hour would loop forever in the hour the clock turns back).
                let nextHour = candidate.addingTimeInterval(Double(60 - minute) * 60)
                if springsOver(to: nextHour) { return nextHour }
                candidate = nextHour
                continue
            }
            if !minutes.contains(minute) {
                let nextMinute = candidate.addingTimeInterval(60)
                if minute == 59, springsOver(to: nextMinute) { return nextMinute }
                candidate = nextMinute
                continue
            }
            if hours.count < 24,
               let first = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)),
               first < candidate {
                candidate = candidate.addingTimeInterval(60)  // the clock turned back: this time has run already
                continue
            }
            return candidate
        }
        return nil
    }

    /// The matching minutes in `(after, through]`, at most `limit` of them, the latest kept.
    public func slots(after: Date, through: Date, in timeZone: TimeZone, limit: Int) -> [Date] {
        var result: [Date] = []
        var cursor = after
        while let next = next(after: cursor, in: timeZone), next <= through {
            result.append(next)
            if result.count > limit { result.removeFirst() }
            cursor = next
        }
        return result
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        dayOfMonthRestricted && dayOfWeekRestricted
            ? daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
            : daysOfMonth.contains(day) && daysOfWeek.contains(weekday)
    }
}
