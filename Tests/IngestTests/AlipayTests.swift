import Foundation
@testable import Ingest
import Testing

@Suite("Alipay bills")
struct AlipayTests {
    static let tradeBill = [
        "#支付宝业务明细查询",
        "#账号：[20880211096256330156]",
        "#起始日期：[2019年09月16日 00:00:00]   终止日期：[2019年09月17日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注",
        "2019091622001458860515315453\t,service_1568601259302\t,交易\t,下单测试,2019-09-16 10:55:16,2019-09-16 10:55:23,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,0.01,0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.00,0.00,下单测试",
        "2019091622001458860515315460\t,service_1568601300000\t,交易\t,\"商品A, 商品B\",2019-09-16 11:00:00,2019-09-16 11:00:05,\t,\t,\t,\t,*明(138****0000)\t,100.00,100.00,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,\t,0.60,0.00,\"两件\n合并\"",
        "2019091622001458860515315453\t,service_1568601259302\t,退款\t,下单测试,2019-09-16 10:55:16,2019-09-16 12:00:00,alipay_store\t,alipay_store\t,alipay\t,\t,*津水(602***@qq.com)\t,-0.01,-0.01,0.00,0.00,0.00,0.00,0.00,,0.00\t,0.00,2019091622001458860515315453_R1\t,0.00,0.00,",
        "#-----------------------------------------业务明细列表结束------------------------------------",
        "#交易合计：2笔，商家实收共100.01元，商家优惠共0.00元",
        "#退款合计：1笔，商家实收退款共-0.01元，商家优惠退款共0.00元",
        "#导出时间：[2019年09月17日 05:46:49]",
        "",
        "",
    ].joined(separator: "\r\n")

    @Test("业务明细: GBK, preamble, trailing TABs, refunds, service fee, trailer totals")
    func tradeBill() throws {
        let result = try Samples.parse(Self.tradeBill, name: "20880211096256330156_20190916_业务明细.csv", encoding: .gbk)
        #expect(result.report.format == .alipayTrade)
        #expect(result.report.headerLine == 5)
        #expect(result.report.rowCount == 3)
        #expect(result.report.warnings.isEmpty)
        let transactions = result.records.transactions
        #expect(transactions.count == 3)
        let sale = transactions[0]
        #expect(sale.position.line == 6)
        #expect(sale.transactionID == "2019091622001458860515315453")
        #expect(sale.orderReference == "service_1568601259302")
        #expect(sale.type == .sale)
        #expect(sale.typeRaw == "交易")
        #expect(sale.gross == cny(1))
        #expect(sale.fee == cny(0))
        #expect(sale.net == cny(1))
        #expect(sale.counterparty == "*津水(602***@qq.com)")
        #expect(sale.occurredAt?.date == Samples.shanghaiTime(2019, 9, 16, 10, 55, 23))
        #expect(sale.account == "20880211096256330156")
        #expect(sale.memo == "下单测试")
        let withFee = transactions[1]
        #expect(withFee.gross == cny(10_000))
        #expect(withFee.fee == cny(60))
        #expect(withFee.net == cny(9940))
        #expect(withFee.memo == "两件\n合并")
        let refund = transactions[2]
        #expect(refund.position.line == 9)
        #expect(refund.type == .refund)
        #expect(refund.gross == cny(-1))
        #expect(refund.net == cny(-1))
        #expect(refund.relatedTransactionID == "2019091622001458860515315453_R1")
        #expect(refund.memo == "下单测试")

        let summary = try #require(result.records.summaries.first)
        #expect(summary.format == .alipayTrade)
        #expect(summary.account == "20880211096256330156")
        #expect(summary.periodStart?.date == Samples.shanghaiTime(2019, 9, 16))
        #expect(summary.periodEnd?.date == Samples.shanghaiTime(2019, 9, 17))
        #expect(summary.declaredCount == 3)
        #expect(summary.declaredTotals["交易合计.商家实收"] == ExactAmount(units: 10_001, scale: 2))
        #expect(summary.declaredTotals["退款合计.商家实收退款"] == ExactAmount(units: -1, scale: 2))
        #expect(summary.attributes["导出时间"] == "2019年09月17日 05:46:49")
    }

    @Test("a truncated trade bill warns that the trailer's count differs")
    func countMismatch() throws {
        let text = Self.tradeBill.replacingOccurrences(of: "#交易合计：2笔", with: "#交易合计：5笔")
        let result = try Samples.parse(text, name: "trade.csv", encoding: .gbk, format: .alipayTrade)
        #expect(result.report.warnings.contains { $0.contains("declares 6 rows but 3 were parsed") })
    }

    static let accountStatement = [
        "#支付宝账务明细查询",
        "#账号：[20880211096256330156]",
        "#起始日期：[2012年12月01日 00:00:00]   终止日期：[2013年01月01日 00:00:00]",
        "#-----------------------------------------账务明细列表----------------------------------------",
        "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额(+元),支出金额(-元),账户余额(元),交易渠道,业务类型,备注",
        "20121201000000000001\t,2012120111000000000001\t,T200001\t,\"连衣裙, 红色\"\t,2012-12-01 10:00:00\t,buyer@example.com\t,100.00\t,\t,1100.00\t,支付宝\t,在线支付\t,\t",
        "20121201000000000002\t,2012120111000000000001\t,T200001\t,\t,2012-12-01 10:00:01\t,\t,\t,0.60\t,1099.40\t,支付宝\t,服务费\t,交易服务费\t",
        "20121205000000000003\t,2012120511000000000003\t,T200001\t,\t,2012-12-05 09:00:00\t,buyer@example.com\t,\t,20.00\t,1079.40\t,支付宝\t,交易退款\t,部分退款\t",
        "20121206000000000004\t,2012120611000000000004\t,\t,\t,2012-12-06 09:00:00\t,\t,\t,1000.00\t,79.40\t,支付宝\t,提现\t,提现到招商银行(尾号1234)\t",
        "20121207000000000005\t,2012120711000000000005\t,\t,\t,2012-12-07 09:00:00\t,\t,\t,5.00\t,74.40\t,支付宝\t,保证金冻结\t,\t",
        "20121208000000000006\t,2012120811000000000006\t,\t,\t,2012-12-08 09:00:00\t,\t,\t,\t,74.40\t,支付宝\t,转账\t,\t",
        "#-----------------------------------------账务明细列表结束------------------------------------",
        "#支出合计：4笔，共1025.60元",
        "#收入合计：1笔，共100.00元",
        "#导出时间：[2012年12月31日 13:19:01]",
        "",
    ].joined(separator: "\n")

    @Test("账务明细: unsigned income/expense become signed, types mapped, withdrawals are payouts")
    func accountStatement() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.accountStatement, name: "account.csv", encoding: .gbk, options: options)
        #expect(result.report.format == .alipayAccount)
        let transactions = result.records.transactions
        #expect(transactions.map(\.type) == [.sale, .fee, .refund, .payout, .adjustment])
        #expect(transactions.map(\.net.minorUnits) == [10_000, -60, -2000, -100_000, -500])
        #expect(transactions[0].memo == "连衣裙, 红色")
        #expect(transactions[0].orderReference == "T200001")
        #expect(transactions[0].relatedTransactionID == "2012120111000000000001")
        #expect(transactions[0].balance == cny(110_000))
        #expect(transactions[0].counterparty == "buyer@example.com")
        #expect(transactions[1].memo == "交易服务费")
        #expect(transactions[4].typeRaw == "保证金冻结")
        let payout = try #require(result.records.payouts.first)
        #expect(payout.payoutID == "20121206000000000004")
        #expect(payout.amount == cny(100_000))
        #expect(payout.payoutDate == Samples.date(2012, 12, 6))
        #expect(payout.provider == .alipay)
        // The row with neither income nor expense is rejected.
        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].position.line == 11)
        #expect(result.rejected[0].error.code == .missingValue)
        #expect(result.rejected[0].error.column == "收入金额(+元)")
        let summary = try #require(result.records.summaries.first)
        #expect(summary.declaredCount == 5)
        #expect(summary.declaredTotals["支出合计"] == ExactAmount(units: 102_560, scale: 2))
        #expect(summary.declaredTotals["收入合计"] == ExactAmount(units: 10_000, scale: 2))
    }
}
