import Foundation
@testable import Ingest
import Testing

@Suite("WeChat Pay bills")
struct WeChatTests {
    static let tradeBill = [
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
        "`2022-03-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220688,`2021WERUN1647840687637,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.01,`0.00,`0,`0,`0.00,`0.00,`,`,`微信云托管支付测试,`,`0.00000,`0.90%,`0.01,`0.00,`",
        "`2022-03-21 14:00:00,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220699,`ORDER-2,`oZWaCKXip5njeEiloC4oeOV1TTsk,`NATIVE,`SUCCESS,`CFT,`CNY,`100.00,`0.00,`0,`0,`0.00,`0.00,`,`,\"`会员年卡, 自动续费\",`,`0.60000,`0.60%,`100.00,`0.00,`",
        "`2022-03-21 15:30:00,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220699,`ORDER-2,`oZWaCKXip5njeEiloC4oeOV1TTsk,`NATIVE,`REFUND,`CFT,`CNY,`0.00,`0.00,`50000000012022032100000000001,`REF-2,`10.00,`0.00,`ORIGINAL,`SUCCESS,`会员年卡,`,`-0.06000,`0.60%,`0.00,`10.00,`",
        "`2022-03-21 16:00:00,`wxfdc955f7104ad557,`180023671,`176531292,`,`420000612032130748613220700,`ORDER-3,`oZWa,`JSAPI,`SUCCESS,`OTHERS,`CNY,`abc,`0.00,`0,`0,`0.00,`0.00,`,`,`坏行,`,`0.00000,`0.60%,`0.01,`0.00,`",
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
        "`4,`100.01,`10.00,`0.00,`0.54000,`100.02,`10.00",
        "",
    ].joined(separator: "\r\n")

    @Test("交易账单: backticks, refunds, 5-decimal fees kept exactly, fee rate, summary")
    func tradeBill() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.tradeBill, name: "wechat_trade.csv", options: options)
        #expect(result.report.format == .wechatTrade)
        let transactions = result.records.transactions
        #expect(transactions.count == 3)
        let first = transactions[0]
        #expect(first.transactionID == "420000612032130748613220688")
        #expect(first.orderReference == "2021WERUN1647840687637")
        #expect(first.type == .sale)
        #expect(first.gross == cny(1))
        #expect(first.fee?.amount == ExactAmount(units: 0, scale: 5))
        #expect(first.feeRatePercent == ExactAmount(units: 90, scale: 2))
        #expect(first.account == "176531292")
        #expect(first.counterparty == "oZWaCKXip5njeEiloC4oeOV1TTsk")
        #expect(first.memo == "微信云托管支付测试")
        #expect(first.occurredAt?.date == Samples.shanghaiTime(2022, 3, 21, 13, 51, 31))
        let sale = transactions[1]
        #expect(sale.gross == cny(10_000))
        #expect(sale.fee?.minorUnits == 60)
        #expect(sale.net == cny(9940))
        #expect(sale.memo == "会员年卡, 自动续费")
        let refund = transactions[2]
        #expect(refund.type == .refund)
        #expect(refund.transactionID == "50000000012022032100000000001")
        #expect(refund.relatedTransactionID == "420000612032130748613220699")
        #expect(refund.reference == "REF-2")
        #expect(refund.gross == cny(-1000))
        #expect(refund.fee?.amount == ExactAmount(units: -6000, scale: 5))
        #expect(refund.net == cny(-994))
        #expect(refund.status == "REFUND/SUCCESS")

        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].position.line == 5)
        #expect(result.rejected[0].error.column == "应结订单金额")
        #expect(result.rejected[0].error.value == "abc")

        let summary = try #require(result.records.summaries.first)
        #expect(summary.declaredCount == 4)
        #expect(summary.declaredTotals["手续费总金额"] == ExactAmount(units: 54_000, scale: 5))
        #expect(summary.position.line == 6)
    }

    @Test("a fee with 5 decimals rounds half-up only when posted")
    func feePrecision() throws {
        let text = Self.tradeBill.replacingOccurrences(of: "`0.60000,", with: "`0.60500,")
        var options = ParseOptions()
        options.skipBadRows = true
        let sale = try Samples.parse(text, name: "t.csv", format: .wechatTrade, options: options).records.transactions[1]
        #expect(sale.fee?.amount.description == "0.60500")
        #expect(sale.fee?.minorUnits == 61)
        #expect(sale.net.amount == ExactAmount(units: 9_939_500, scale: 5))
        #expect(sale.net.minorUnits == 9940)
    }

    @Test("the old 24-column layout maps 总金额")
    func oldLayout() throws {
        let text = """
        交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,微信退款单号,商户退款单号,退款金额,代金券或立减优惠退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率
        `2016-05-04 02:18:03,`wx1,`10000000,`0,`013467007045764,`1006400722201605043127124440,`1462304080000,`oUpF8uN95-Ptaags6E_roPHg7AG0,`MICROPAY,`SUCCESS,`CCB_DEBIT,`CNY,`0.01,`0.00,`0,`0,`0,`0,`,`,`被扫支付测试,`订单额外描述,`0.00000,`0.60%
        总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额
        `1,`0.01,`0.00,`0.00,`0.00000

        """
        let result = try Samples.parse(text, name: "old.csv")
        #expect(result.report.format == .wechatTrade)
        #expect(result.records.transactions.first?.gross == cny(1))
        #expect(result.records.transactions.first?.account == "10000000")
        #expect(result.records.summaries.first?.declaredCount == 1)
    }

    static let fundBill = """
    记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号
    `2018-02-01 04:21:23,`50000305742018020103387128253,`1900009231201802015884652186,`退款,`退款,`支出,`0.02,`0.17,`system,`缺货\\r\\n补发,`REF4200000068201801293084726067
    `2018-02-01 10:00:00,`4200000068201802011234567890,`1900009231201802015884652187,`交易,`交易,`收入,`100.00,`100.17,`system,`,`4200000068201802011234567890
    `2018-02-01 10:00:00,`4200000068201802011234567890,`1900009231201802015884652188,`扣除交易手续费,`扣除交易手续费,`支出,`0.60,`99.57,`system,`,`4200000068201802011234567890
    `2018-02-02 09:00:00,`,`1900009231201802025884652189,`提现,`提现,`支出,`99.00,`0.57,`merchant,"`提现到银行卡, 尾号1234",`
    资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额
    `4,`1,`100.00,`3,`99.62

    """

    @Test("资金账单: sign from 收支类型, types, withdrawals, escaped line breaks, summary")
    func fundBill() throws {
        let result = try Samples.parse(Self.fundBill, name: "fund.csv", encoding: .utf8BOM)
        #expect(result.report.format == .wechatFund)
        let transactions = result.records.transactions
        #expect(transactions.map(\.type) == [.refund, .sale, .fee, .payout])
        #expect(transactions.map(\.net.minorUnits) == [-2, 10_000, -60, -9900])
        #expect(transactions[0].memo == "缺货\n补发")
        #expect(transactions[0].reference == "REF4200000068201801293084726067")
        #expect(transactions[0].relatedTransactionID == "50000305742018020103387128253")
        #expect(transactions[0].balance == cny(17))
        #expect(transactions[3].memo == "提现到银行卡, 尾号1234")
        #expect(result.records.payouts.map(\.amount) == [cny(9900)])
        let summary = try #require(result.records.summaries.first)
        #expect(summary.declaredCount == 4)
        #expect(summary.declaredTotals["支出金额"] == ExactAmount(units: 9962, scale: 2))
        #expect(result.report.warnings.isEmpty)
    }

    @Test("an API error reply is not a bill")
    func errorReply() throws {
        let error = try #require(Samples.parseError("<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg></xml>",
                                                    name: "bill.csv"))
        #expect(error.code == .notABill)
        #expect(error.description.contains("No Bill Exist"))
    }
}
