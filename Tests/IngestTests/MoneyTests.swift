import Foundation
@testable import Ingest
import Testing

@Suite("Money and amounts")
struct MoneyTests {
    @Test("amounts as printed in exports parse exactly", arguments: [
        ("1,234.56", Int64(123_456), 2),
        ("1234.5", 12_345, 1),
        ("-0.04", -4, 2),
        ("¥1,234.00", 123_400, 2),
        ("￥-5", -5, 0),
        ("`0.06", 6, 2),
        ("0.00000", 0, 5),
        ("0.00060", 60, 5),
        ("－１２．５０", -1250, 2),
        ("＋１，２３４．５", 12_345, 1),
        ("(12.00)", -1200, 2),
        ("12.00-", -1200, 2),
        ("USD 12.00", 1200, 2),
        ("12.00 EUR", 1200, 2),
        ("12元", 12, 0),
        ("\t 7 \t", 7, 0),
        ("=\"88.10\"", 8810, 2),
        ("−3.5", -35, 1),
        ("1,234,567.891", 1_234_567_891, 3),
        (".5", 5, 1),
    ])
    func parses(_ text: String, units: Int64, scale: Int) throws {
        let value = try #require(AmountParser.parse(text))
        #expect(value.units == units)
        #expect(value.scale == scale)
    }

    @Test("text that is not an amount is rejected", arguments: [
        "", "-", "12,3x", "abc", "1.2.3", "12,3", "1,23,456.00", "--1", "(12", "12)", "1 2 3 EURO", "12.00-5", "1,", ",5", "EURX12",
    ])
    func rejects(_ text: String) {
        #expect(AmountParser.parse(text) == nil)
    }

    @Test("decimal comma for EU files")
    func decimalComma() throws {
        #expect(AmountParser.parse("95,00", style: .comma) == ExactAmount(units: 9500, scale: 2))
        #expect(AmountParser.parse("1.234,56", style: .comma) == ExactAmount(units: 123_456, scale: 2))
        #expect(AmountParser.parse("800,", style: .comma, allowGrouping: false) == ExactAmount(800))
        #expect(AmountParser.parse("-1.234,5", style: .comma)?.units == -12_345)
        // auto: decide per value
        #expect(AmountParser.parse("95,00", style: .auto) == ExactAmount(units: 9500, scale: 2))
        #expect(AmountParser.parse("1.234,56", style: .auto) == ExactAmount(units: 123_456, scale: 2))
        #expect(AmountParser.parse("1,234.56", style: .auto) == ExactAmount(units: 123_456, scale: 2))
        #expect(AmountParser.parse("1,234", style: .auto) == ExactAmount(1234))
        #expect(AmountParser.parse("1.234.567", style: .auto) == ExactAmount(1_234_567))
        // the dot style refuses a decimal comma rather than misreading it
        #expect(AmountParser.parse("95,00", style: .dot) == nil)
    }

    @Test("percentages")
    func percent() {
        #expect(AmountParser.parsePercent("0.60%") == ExactAmount(units: 60, scale: 2))
        #expect(AmountParser.parsePercent("`0.90%") == ExactAmount(units: 90, scale: 2))
        #expect(AmountParser.parsePercent("x%") == nil)
    }

    @Test("rounding half away from zero to minor units")
    func rounding() {
        #expect(ExactAmount(units: 5, scale: 3).rounded(toScale: 2) == ExactAmount(units: 1, scale: 2))
        #expect(ExactAmount(units: -5, scale: 3).rounded(toScale: 2) == ExactAmount(units: -1, scale: 2))
        #expect(ExactAmount(units: 4, scale: 3).rounded(toScale: 2).isZero)
        #expect(ExactAmount(units: 60, scale: 5).rounded(toScale: 2).isZero)
        #expect(ExactAmount(units: 123_456_789, scale: 5).rounded(toScale: 2) == ExactAmount(units: 123_457, scale: 2))
        #expect(ExactAmount(units: 15, scale: 1).rounded(toScale: 0) == ExactAmount(2))
        #expect(ExactAmount(units: 12, scale: 0).rounded(toScale: 2).units == 1200)
    }

    @Test("Money keeps more precise values and posts rounded minor units")
    func money() {
        let fee = Money(ExactAmount(units: 60, scale: 5), currency: "CNY")  // 0.00060
        #expect(fee.minorUnits == 0)
        #expect(fee.precise == ExactAmount(units: 60, scale: 5))
        #expect(fee.amount.description == "0.00060")
        let camt = Money(ExactAmount(units: 1_234_567, scale: 5), currency: "EUR")  // 12.34567
        #expect(camt.minorUnits == 1235)
        #expect(camt.isRounded)
        let plain = Money(ExactAmount(units: 1250, scale: 3), currency: "CNY")  // 1.250 fits in fen
        #expect(plain.minorUnits == 125)
        #expect(plain.precise == nil)
        #expect(Money(ExactAmount(units: 1234, scale: 0), currency: "JPY").minorUnits == 1234)
        #expect(Money(ExactAmount(units: 1234, scale: 3), currency: "KWD").minorUnits == 1234)
        let sum = Money(ExactAmount(units: 10, scale: 2), currency: "CNY") - fee
        #expect(sum.amount == ExactAmount(units: 9940, scale: 5))
        #expect(sum.minorUnits == 10)
    }

    @Test("equality is by value, description keeps the printed scale")
    func equality() {
        #expect(ExactAmount(units: 150, scale: 2) == ExactAmount(units: 15, scale: 1))
        #expect(Set([ExactAmount(units: 150, scale: 2), ExactAmount(units: 15, scale: 1)]).count == 1)
        #expect(ExactAmount(units: -4, scale: 2).description == "-0.04")
        #expect(ExactAmount(units: 60, scale: 5).description == "0.00060")
        #expect(ExactAmount(units: 5, scale: 0).description == "5")
        #expect(ExactAmount(units: 1, scale: 3) < ExactAmount(units: 2, scale: 3))
        #expect(ExactAmount(units: -1, scale: 0) < ExactAmount(units: 1, scale: 5))
    }

    @Test("Codable as decimal strings")
    func codable() throws {
        let money = Money(ExactAmount(units: 60, scale: 5), currency: "CNY")
        let data = try JSONEncoder().encode(money)
        #expect(String(decoding: data, as: UTF8.self).contains("\"0.00060\""))
        let back = try JSONDecoder().decode(Money.self, from: data)
        #expect(back == money)
    }

    @Test("currency labels")
    func currencies() {
        #expect(Currency.normalize("RMB") == "CNY")
        #expect(Currency.normalize("人民币") == "CNY")
        #expect(Currency.normalize("usd") == "USD")
        #expect(Currency.normalize("dollars") == nil)
    }
}
