import Foundation
import Testing
@testable import Jobs

@Suite("Cron expressions")
struct CronExpressionTests {
    let utcZone = TimeZone(identifier: "UTC")!
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let newYork = TimeZone(identifier: "America/New_York")!

    /// The slots of `cron` in `(after, through]`, as UTC ISO 8601 text.
    func slots(_ cron: String, after: String, through: String, in zone: TimeZone, limit: Int = 1000) throws -> [String] {
        try CronExpression(cron).slots(after: utc(after), through: utc(through), in: zone, limit: limit).map(isoString)
    }

    func next(_ cron: String, after: String, in zone: TimeZone) throws -> String? {
        try CronExpression(cron).next(after: utc(after), in: zone).map(isoString)
    }

    @Test("daily at 02:00 in Asia/Shanghai is 18:00 UTC the day before")
    func dailyInShanghai() throws {
        #expect(try next("0 2 * * *", after: "2024-05-01T00:00:00Z", in: shanghai) == "2024-05-01T18:00:00Z")
        #expect(try next("0 2 * * *", after: "2024-05-01T18:00:00Z", in: shanghai) == "2024-05-02T18:00:00Z")
        // The same expression in UTC is 02:00 UTC.
        #expect(try next("0 2 * * *", after: "2024-05-01T00:00:00Z", in: utcZone) == "2024-05-01T02:00:00Z")
    }

    @Test("weekly, monthly and yearly expressions")
    func weeklyMonthlyYearly() throws {
        // 2024-05-01 is a Wednesday: Monday 09:30 in Shanghai is 01:30 UTC on Monday 6 May.
        #expect(try next("30 9 * * mon", after: "2024-05-01T00:00:00Z", in: shanghai) == "2024-05-06T01:30:00Z")
        #expect(try next("0 0 1 * *", after: "2024-01-15T00:00:00Z", in: utcZone) == "2024-02-01T00:00:00Z")
        // The 31st skips the months that have none.
        #expect(try slots("0 12 31 * *", after: "2024-01-31T13:00:00Z", through: "2024-08-01T00:00:00Z", in: utcZone)
                == ["2024-03-31T12:00:00Z", "2024-05-31T12:00:00Z", "2024-07-31T12:00:00Z"])
        // 29 February: the next leap year.
        #expect(try next("0 0 29 2 *", after: "2024-03-01T00:00:00Z", in: utcZone) == "2028-02-29T00:00:00Z")
        #expect(try next("0 6 1 1 *", after: "2024-01-01T06:00:00Z", in: utcZone) == "2025-01-01T06:00:00Z")
    }

    @Test("macros are the expressions they stand for", arguments: [
        ("@hourly", "0 * * * *"), ("@daily", "0 0 * * *"), ("@midnight", "0 0 * * *"), ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"), ("@yearly", "0 0 1 1 *"), ("@annually", "0 0 1 1 *"), (" @DAILY ", "0 0 * * *"),
    ])
    func macros(macro: String, expanded: String) throws {
        let a = try CronExpression(macro)
        let b = try CronExpression(expanded)
        var cursor = try utc("2023-12-30T07:13:00Z")
        for _ in 0..<5 {
            let fromMacro = try #require(a.next(after: cursor, in: shanghai))
            #expect(fromMacro == b.next(after: cursor, in: shanghai), "\(macro) at \(cursor)")
            cursor = fromMacro
        }
        #expect(a.description == macro)
    }

    @Test("@weekly runs on Sunday at midnight, @hourly on the hour")
    func macroSlots() throws {
        #expect(try next("@weekly", after: "2024-05-01T00:00:00Z", in: utcZone) == "2024-05-05T00:00:00Z")
        #expect(try slots("@hourly", after: "2024-05-01T00:30:00Z", through: "2024-05-01T03:00:00Z", in: utcZone)
                == ["2024-05-01T01:00:00Z", "2024-05-01T02:00:00Z", "2024-05-01T03:00:00Z"])
    }

    @Test("ranges, steps, lists and names")
    func fieldSyntax() throws {
        let hour = (after: "2024-05-01T09:59:00Z", through: "2024-05-01T10:59:00Z")
        #expect(try slots("*/15 10 * * *", after: hour.after, through: hour.through, in: utcZone)
                == ["2024-05-01T10:00:00Z", "2024-05-01T10:15:00Z", "2024-05-01T10:30:00Z", "2024-05-01T10:45:00Z"])
        #expect(try slots("10-50/20 10 * * *", after: hour.after, through: hour.through, in: utcZone)
                == ["2024-05-01T10:10:00Z", "2024-05-01T10:30:00Z", "2024-05-01T10:50:00Z"])
        #expect(try slots("5/15 10 * * *", after: hour.after, through: hour.through, in: utcZone)
                == ["2024-05-01T10:05:00Z", "2024-05-01T10:20:00Z", "2024-05-01T10:35:00Z", "2024-05-01T10:50:00Z"])
        #expect(try slots("0,30 9-10 * * *", after: "2024-05-01T00:00:00Z", through: "2024-05-02T09:00:00Z", in: utcZone)
                == ["2024-05-01T09:00:00Z", "2024-05-01T09:30:00Z", "2024-05-01T10:00:00Z", "2024-05-01T10:30:00Z",
                    "2024-05-02T09:00:00Z"])
        // Friday 3 May 10:00 → Monday 6 May 09:00 on weekdays only; names are case-insensitive.
        #expect(try next("0 9 * * mon-fri", after: "2024-05-03T10:00:00Z", in: utcZone) == "2024-05-06T09:00:00Z")
        #expect(try next("0 9 * * MON-FRI", after: "2024-05-03T10:00:00Z", in: utcZone) == "2024-05-06T09:00:00Z")
        #expect(try slots("0 0 1 jan,jul *", after: "2024-01-01T00:00:00Z", through: "2025-01-01T00:00:00Z", in: utcZone)
                == ["2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z"])
        #expect(try next("0 0 1 feb-mar *", after: "2024-02-01T00:00:00Z", in: utcZone) == "2024-03-01T00:00:00Z")
        // Sunday is 0, 7 and "sun".
        for sunday in ["0 0 * * 0", "0 0 * * 7", "0 0 * * sun", "0 0 * * 6-7"] {
            #expect(try next(sunday, after: "2024-05-01T00:00:00Z", in: utcZone)
                    == (sunday.hasSuffix("6-7") ? "2024-05-04T00:00:00Z" : "2024-05-05T00:00:00Z"), "\(sunday)")
        }
    }

    @Test("day of month and day of week: either when both are restricted, both when one starts with *")
    func dayFields() throws {
        // Fridays or the 13th: Fri 3, Fri 10, Mon 13, Fri 17 May 2024.
        #expect(try slots("0 0 13 * fri", after: "2024-05-01T00:00:00Z", through: "2024-05-18T00:00:00Z", in: utcZone)
                == ["2024-05-03T00:00:00Z", "2024-05-10T00:00:00Z", "2024-05-13T00:00:00Z", "2024-05-17T00:00:00Z"])
        // A step in one day field restricts it, even though the field starts with '*'.
        #expect(try slots("0 0 */10 * *", after: "2023-12-31T12:00:00Z", through: "2024-02-01T00:00:00Z", in: utcZone)
                == ["2024-01-01T00:00:00Z", "2024-01-11T00:00:00Z", "2024-01-21T00:00:00Z", "2024-01-31T00:00:00Z",
                    "2024-02-01T00:00:00Z"])
        // Sunday, Wednesday and Saturday (1 May 2024 was a Wednesday).
        #expect(try slots("0 0 * * */3", after: "2024-05-01T00:00:00Z", through: "2024-05-09T00:00:00Z", in: utcZone)
                == ["2024-05-04T00:00:00Z", "2024-05-05T00:00:00Z", "2024-05-08T00:00:00Z"])
        // As in Vixie cron, a '*'-field makes the day fields combine with AND: Mondays that are the
        // 1st, 11th, 21st or 31st (1 January 2024 was one, the next is 11 March).
        #expect(try next("0 0 */10 * mon", after: "2024-01-01T00:00:00Z", in: utcZone) == "2024-03-11T00:00:00Z")
    }

    @Test("a fixed time in a daylight-saving zone runs once a day across both changes", .timeLimit(.minutes(1)))
    func daylightSavingFixedTimes() throws {
        // 02:00 in New York is 07:00 UTC in winter, 06:00 UTC in summer.
        #expect(try next("0 2 * * *", after: "2024-01-10T00:00:00Z", in: newYork) == "2024-01-10T07:00:00Z")
        #expect(try next("0 2 * * *", after: "2024-07-10T00:00:00Z", in: newYork) == "2024-07-10T06:00:00Z")
        // Fall back (3 Nov 2024, 02:00 EDT → 01:00 EST): from 00:30 EDT the next 02:00 is 02:00 EST.
        #expect(try next("0 2 * * *", after: "2024-11-03T04:30:00Z", in: newYork) == "2024-11-03T07:00:00Z")
        #expect(try next("0 2 * * *", after: "2024-11-03T05:30:00Z", in: newYork) == "2024-11-03T07:00:00Z")
        // 01:30 happens twice that night; a daily job runs at the first one only.
        #expect(try slots("30 1 * * *", after: "2024-11-02T12:00:00Z", through: "2024-11-05T12:00:00Z", in: newYork)
                == ["2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z", "2024-11-05T06:30:00Z"])
        // Spring forward (10 Mar 2024, 02:00 EST → 03:00 EDT): 02:30 does not exist; the job runs
        // at the first minute after the gap rather than not at all.
        #expect(try slots("30 2 * * *", after: "2024-03-09T12:00:00Z", through: "2024-03-12T12:00:00Z", in: newYork)
                == ["2024-03-10T07:00:00Z", "2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"])
        // Also when the gap is crossed minute by minute from a matching hour.
        #expect(try slots("0 1,2 * * *", after: "2024-03-10T00:00:00Z", through: "2024-03-10T12:00:00Z", in: newYork)
                == ["2024-03-10T06:00:00Z", "2024-03-10T07:00:00Z"])
    }

    @Test("an hourly job follows real hours across daylight-saving changes", .timeLimit(.minutes(1)))
    func daylightSavingHourly() throws {
        // The local day of 3 Nov 2024 in New York has 25 hours, that of 10 Mar 2024 has 23.
        let fallBack = try slots("0 * * * *", after: "2024-11-03T03:59:00Z", through: "2024-11-04T04:59:00Z", in: newYork)
        #expect(fallBack.count == 25)
        let spring = try slots("0 * * * *", after: "2024-03-10T04:59:00Z", through: "2024-03-11T03:59:00Z", in: newYork)
        #expect(spring.count == 23)
        for run in [fallBack, spring] {
            let dates = try run.map(utc)
            #expect(zip(dates, dates.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == 3600 }, "\(run)")
        }
    }

    @Test("slots keep the latest ones up to the limit")
    func slotLimit() throws {
        #expect(try slots("0 * * * *", after: "2024-05-01T00:00:00Z", through: "2024-05-01T05:00:00Z", in: utcZone, limit: 2)
                == ["2024-05-01T04:00:00Z", "2024-05-01T05:00:00Z"])
        #expect(try slots("0 * * * *", after: "2024-05-01T00:00:00Z", through: "2024-05-01T00:59:00Z", in: utcZone).isEmpty)
    }

    @Test("invalid expressions give errors that say what is wrong", arguments: [
        ("61 * * * *", ["minute", "61", "0-59"]),
        ("0 24 * * *", ["hour", "24", "0-23"]),
        ("0 0 32 * *", ["day of month", "32", "1-31"]),
        ("0 0 0 * *", ["day of month", "\"0\""]),
        ("0 0 * 13 *", ["month", "13", "1-12"]),
        ("0 0 * * funday", ["day of week", "funday"]),
        ("0 0 * smarch *", ["month", "smarch"]),
        ("* * *", ["needs 5 fields", "* * *"]),
        ("* * * * * *", ["needs 5 fields"]),
        ("", ["needs 5 fields"]),
        ("@fortnightly", ["needs 5 fields"]),
        ("*/0 * * * *", ["minute", "step", "positive"]),
        ("*/x * * * *", ["minute", "step"]),
        ("30-10 * * * *", ["minute", "30-10", "backwards"]),
        ("1,,2 * * * *", ["minute"]),
        ("-5 * * * *", ["minute"]),
    ])
    func invalidExpressions(expression: String, mentions: [String]) {
        do {
            _ = try CronExpression(expression)
            Issue.record("\"\(expression)\" was accepted")
        } catch JobError.invalid(let message) {
            for word in mentions {
                #expect(message.contains(word), "\"\(message)\" should mention \(word)")
            }
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("an expression that never matches has no next run")
    func neverMatches() throws {
        #expect(try next("0 0 30 2 *", after: "2024-01-01T00:00:00Z", in: utcZone) == nil)
        #expect(try next("0 0 31 4,6,9,11 *", after: "2024-01-01T00:00:00Z", in: utcZone) == nil)
    }
}
