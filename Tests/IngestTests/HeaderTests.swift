import Foundation
@testable import Ingest
import Testing

@Suite("Header matching")
struct HeaderTests {
    @Test("normalization folds width, case, spaces, units and 帐/账")
    func normalize() {
        #expect(HeaderName.normalize("收入金额（+元）") == HeaderName.normalize("收入金额(+元)"))
        #expect(HeaderName.normalize("收入金额（+元）") == "收入金额")
        #expect(HeaderName.normalize("订单付款时间 ") == "订单付款时间")
        #expect(HeaderName.normalize("\u{FEFF}主订单编号") == "主订单编号")
        #expect(HeaderName.normalize("动帐流水号") == HeaderName.normalize("动账流水号"))
        #expect(HeaderName.normalize("Transaction Date") == "transactiondate")
        #expect(HeaderName.normalize("settlement-id") == HeaderName.normalize("Settlement ID"))
        #expect(HeaderName.normalize("ＯＲＤＥＲ　ＩＤ") == "orderid")
    }

    @Test("columns are found by name in any order, with extras and variants")
    func mapping() {
        let specs: [ColumnSpec] = [.required("a", "订单编号"), .required("b", "收入金额（+元）"), .optional("c", "备注", "说明")]
        let header = ["无关列", "收入金额(+元) ", "说明", "  订单编号\t"]
        let map = HeaderMap(header: header, line: 3, specs: specs)
        #expect(map.isComplete)
        #expect(map.index("a") == 3)
        #expect(map.index("b") == 1)
        #expect(map.index("c") == 2)
        #expect(map.printedName("b") == "收入金额(+元) ")
        let partial = HeaderMap(header: ["订单编号"], specs: specs)
        #expect(partial.missing.map(\.key) == ["b"])
    }

    @Test("a missing required column is an error naming it and the file")
    func missingColumn() throws {
        let error = try #require(Samples.parseError("""
        订单编号,买家会员名,总金额
        1,a,1.00
        """, name: "taobao.csv", format: .taobao))
        #expect(error.code == .missingColumns)
        #expect(error.file == "taobao.csv")
        #expect(error.description.contains("订单状态"))
    }

    @Test("full-width header variants, reordered columns and unknown extras parse the same")
    func variants() throws {
        let standard = """
        账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注
        2012123100000001,B1,M1,商品,2012-12-31 10:00:00,a@b.c,100.00,,100.00,支付宝,在线支付,x
        """
        let variant = """
        额外列,业务类型 ,支出金额(-元),收入金额(+元),账务流水号,发生时间,账户余额(元),另一个新列
        忽略,在线支付,,100.00,2012123100000001,2012-12-31 10:00:00,100.00,忽略
        """
        let a = try Samples.parse(standard, name: "a.csv", format: .alipayAccount).records.transactions
        let b = try Samples.parse(variant, name: "b.csv", format: .alipayAccount).records.transactions
        #expect(a.count == 1 && b.count == 1)
        #expect(a[0].net == b[0].net)
        #expect(a[0].transactionID == b[0].transactionID)
        #expect(a[0].occurredAt == b[0].occurredAt)
        #expect(b[0].type == .sale)
    }
}
