import Foundation
@testable import Ingest
import Testing

@Suite("Dates and times")
struct DateTimeParserTests {
    func components(_ text: String, order: DateOrder = .ymd) throws -> DateTimeComponents {
        try #require(DateTimeParser.parse(text, order: order), "could not parse \(text)")
    }

    @Test("Chinese layouts")
    func chinese() throws {
        var c = try components("2019-09-16 10:55:16")
        #expect(c.date == Samples.date(2019, 9, 16) && c.hour == 10 && c.minute == 55 && c.second == 16 && c.utcOffset == nil)
        c = try components("2019/9/6 8:05")
        #expect(c.date == Samples.date(2019, 9, 6) && c.hour == 8 && c.minute == 5)
        c = try components("2019年09月16日 00:00:00")
        #expect(c.date == Samples.date(2019, 9, 16) && c.hasTime)
        c = try components("2019年9月16日")
        #expect(c.date == Samples.date(2019, 9, 16) && !c.hasTime)
        c = try components("20190916")
        #expect(c.date == Samples.date(2019, 9, 16) && !c.hasTime)
        c = try components("20190916105516")
        #expect(c.hour == 10 && c.minute == 55 && c.second == 16)
        c = try components("`2022-03-21 13:51:31")
        #expect(c.date == Samples.date(2022, 3, 21) && c.hour == 13)
        c = try components("２０２４－０１－０５　０８：００：００")
        #expect(c.date == Samples.date(2024, 1, 5) && c.hour == 8)
        c = try components("2024-01-15 下午3:04:05")
        #expect(c.hour == 15 && c.minute == 4)
        c = try components("2024-01-15 上午12:30")
        #expect(c.hour == 0 && c.minute == 30)
    }

    @Test("Western layouts and offsets")
    func western() throws {
        var c = try components("2024-01-15T10:23:45Z")
        #expect(c.utcOffset == 0 && c.hour == 10)
        c = try components("2024-01-15 10:23:45 -0500")
        #expect(c.utcOffset == -18_000)
        c = try components("2024-01-15T10:23:45.123+08:00")
        #expect(c.utcOffset == 28_800 && c.nanosecond == 123_000_000)
        c = try components("2019-05-08 19:14:41 UTC")
        #expect(c.utcOffset == 0)
        c = try components("01/15/24", order: .mdy)
        #expect(c.date == Samples.date(2024, 1, 15))
        c = try components("15/01/2024", order: .dmy)
        #expect(c.date == Samples.date(2024, 1, 15))
        c = try components("15.01.2024 10:23:45 UTC", order: .mdy)  // dots are day-first
        #expect(c.date == Samples.date(2024, 1, 15) && c.utcOffset == 0)
        c = try components("Jan 15, 2024 3:04:05 PM PST")
        #expect(c.date == Samples.date(2024, 1, 15) && c.hour == 15 && c.utcOffset == -8 * 3600)
        c = try components("15 Jan 2024")
        #expect(c.date == Samples.date(2024, 1, 15))
        c = try components("13/01/2024")  // ymd default: 13 cannot be a month
        #expect(c.date == Samples.date(2024, 1, 13))
    }

    @Test("invalid dates are rejected", arguments: ["2023-02-29", "2024-13-01", "2024-01-15 25:00", "yesterday", "2024-01", "12345", "2024-01-15 10:00 XYZ"])
    func invalid(_ text: String) {
        #expect(DateTimeParser.parse(text) == nil)
    }

    @Test("local times use the given zone, offsets win")
    func instants() throws {
        let local = try components("2019-09-16 10:55:16").timestamp(in: Samples.shanghai)
        #expect(local.date == Date(timeIntervalSince1970: 1_568_602_516))
        #expect(local.timeZone.identifier == "Asia/Shanghai")
        #expect(local.description == "2019-09-16T10:55:16+08:00")
        let offset = try components("2024-01-15 10:23:45 -0500").timestamp(in: Samples.shanghai)
        #expect(offset.date == Date(timeIntervalSince1970: 1_705_332_225))
        #expect(offset.timeZone.secondsFromGMT() == -18_000)
        // A zone with daylight saving time.
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let summer = try components("2024-07-01 12:00:00").timestamp(in: berlin)
        #expect(summer.date == Date(timeIntervalSince1970: 1_719_828_000))
        let winter = try components("2024-01-01 12:00:00").timestamp(in: berlin)
        #expect(winter.date == Date(timeIntervalSince1970: 1_704_106_800))
    }

    @Test("LocalDate arithmetic")
    func localDates() {
        let date = Samples.date(2024, 2, 28)
        #expect(date.adding(days: 1) == Samples.date(2024, 2, 29))
        #expect(date.adding(days: 2) == Samples.date(2024, 3, 1))
        #expect(LocalDate(daysSinceEpoch: 0) == Samples.date(1970, 1, 1))
        #expect(Samples.date(1899, 12, 30).daysSinceEpoch == -25_569)
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(Samples.date(2024, 1, 5).description == "2024-01-05")
    }
}
