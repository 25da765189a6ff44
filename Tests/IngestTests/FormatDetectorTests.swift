import Foundation
@testable import Ingest
import Testing

@Suite("Format detection")
struct FormatDetectorTests {
    @Test("each sample is recognized from its first rows", arguments: [
        (FileFormat.taobao, TaobaoTests.sample(badAmount: "1.00"), SampleEncoding.gbk),
        (.jd, JDTests.sample, .gbk),
        (.pinduoduo, PinduoduoTests.sample, .utf8),
        (.douyin, DouyinTests.orders, .utf8BOM),
        (.douyinSettlement, DouyinTests.settlement, .utf8),
        (.alipayTrade, AlipayTests.tradeBill, .gbk),
        (.alipayAccount, AlipayTests.accountStatement, .gbk),
        (.wechatTrade, WeChatTests.tradeBill, .utf8),
        (.wechatFund, WeChatTests.fundBill, .utf8BOM),
        (.shopifyPayouts, InternationalTests.shopify, .utf8),
        (.amazonSettlement, InternationalTests.amazonEU, .utf8),
        (.bankCSV, MappedTests.bankGBK, .gbk),
        (.mt940, BankStatementTests.mt940, .utf8),
        (.camt053, BankStatementTests.camt, .utf8),
    ])
    func detects(_ format: FileFormat, _ text: String, _ encoding: SampleEncoding) throws {
        let url = Samples.write(text, name: "sample.dat", encoding: encoding)
        #expect(try Ingest.detect(.file(url)).format == format)
        // In memory too.
        #expect(try Ingest.detect(.data(Samples.bytes(text, encoding), name: "sample.dat")).format == format)
    }

    @Test("the chosen format is checked against the file")
    func wrongFormat() throws {
        let error = try #require(Samples.parseError(WeChatTests.fundBill, name: "fund.csv", format: .alipayAccount))
        #expect(error.code == .missingColumns)
        #expect(error.description.contains("账务流水号"))
        let xml = try #require(Samples.parseError(BankStatementTests.camt, name: "c.xml", format: .taobao))
        #expect(xml.code == .unknownFormat)
    }

    @Test("unknown files are refused with a hint")
    func unknown() throws {
        let error = try #require(Samples.parseError("foo,bar\n1,2\n", name: "x.csv"))
        #expect(error.code == .unknownFormat)
        #expect(error.hint?.contains("mapping") == true)
    }

    @Test("a mapping makes its layout detectable")
    func mappingDetection() throws {
        var options = ParseOptions()
        options.mapping = ColumnMapping(name: "m", kind: .skuCost, fields: ["sku": ["货号"], "unit_cost": ["成本价"], "title": ["品名"]])
        let url = Samples.write("货号,品名,成本价\nA,杯子,3.20\n", name: "cost.csv")
        #expect(try Ingest.detect(.file(url), options: options).format == .mapped)
        let result = try Ingest.parseAll(.file(url), options: options)
        #expect(result.records.skuCosts.first?.unitCost == cny(320))
    }

    @Test("TSV exports are recognized and parsed like CSV")
    func tsv() throws {
        let header = TaobaoTests.header
        let text = header.joined(separator: "\t") + "\n" + Samples.csvLine(header, [
            "订单编号": "3012345678901234567", "买家会员名": "tb, buyer", "订单状态": "交易成功", "总金额": "1,234.50",
            "宝贝标题 ": "T恤, 白色",
        ], delimiter: "\t") + "\n"
        let url = Samples.write(text, name: "orders.tsv", encoding: .gbk)
        let detection = try Ingest.detect(.file(url))
        #expect(detection.format == .taobao)
        #expect(detection.delimiter == 0x09)
        let order = try #require(try Ingest.parseAll(.file(url)).records.orders.first)
        #expect(order.buyerID == "tb, buyer")
        #expect(order.orderAmount == cny(123_450))
        #expect(order.lines.first?.title == "T恤, 白色")
    }
}
