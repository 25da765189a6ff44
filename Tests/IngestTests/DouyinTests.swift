import Foundation
@testable import Ingest
import Testing

@Suite("Douyin order and settlement exports")
struct DouyinTests {
    static let orderHeader = ["主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码", "商品金额", "订单应付金额", "运费",
                              "收件人", "收件人手机号", "详细地址", "订单提交时间", "支付完成时间", "商家备注", "订单完成时间", "订单状态", "售后状态",
                              "取消原因", "发货时间", "平台实际承担优惠金额", "商家实际承担优惠金额", "达人实际承担优惠金额", "快递信息", "达人ID",
                              "支付方式", "商家收入金额"]

    static func orderRow(_ main: String, _ sub: String, _ title: String, _ quantity: String, _ item: String, _ payable: String,
                         status: String = "已完成", refund: String = "-", memo: String = "-", express: String = "中通快递 75312345678901") -> String {
        Samples.csvLine(orderHeader, [
            "主订单编号": "\t" + main, "子订单编号": "\t" + sub, "选购商品": title, "商品规格": "默认", "商品数量": quantity,
            "商品ID": "\t3600000000000001", "商家编码": "SKU-" + sub.suffix(2), "商品金额": item, "订单应付金额": payable, "运费": "0.00",
            "收件人": "张##密文", "收件人手机号": "138****0000##密文", "详细地址": "广东省深圳市南山区##密文", "订单提交时间": "2024/04/01 20:15:00",
            "支付完成时间": "2024/04/01 20:15:30", "商家备注": memo, "订单完成时间": status == "已完成" ? "2024/04/08 10:00:00" : "-",
            "订单状态": status, "售后状态": refund, "取消原因": "-", "发货时间": "2024/04/02 09:00:00", "平台实际承担优惠金额": "1.00",
            "商家实际承担优惠金额": "2.00", "达人实际承担优惠金额": "0.00", "快递信息": express, "达人ID": "-", "支付方式": "微信",
            "商家收入金额": payable,
        ])
    }

    static var orders: String {
        [
            orderHeader.joined(separator: ","),
            orderRow("6917926768823643751", "6917926768823643752", "保湿面霜, 50g", "1", "89.00", "86.00", memo: "送小样\n两份"),
            orderRow("6917926768823643751", "6917926768823643753", "洁面乳", "2", "40.00", "37.00"),
            orderRow("6917926768823643760", "6917926768823643761", "防晒霜", "1", "120.00", "117.00", status: "已关闭", refund: "退款成功",
                     express: "-"),
        ].joined(separator: "\n") + "\n"
    }

    @Test("UTF-8 with BOM, TAB-guarded ids, dashes as empty, sub-orders merged")
    func orderExport() throws {
        let result = try Samples.parse(Self.orders, name: "douyin.csv", encoding: .utf8BOM)
        #expect(result.report.format == .douyin)
        #expect(result.report.encoding == .utf8)
        let orders = result.records.orders
        #expect(orders.count == 2)
        let a = orders[0]
        #expect(a.orderNumber == "6917926768823643751")
        #expect(a.lines.map(\.subOrderNumber) == ["6917926768823643752", "6917926768823643753"])
        #expect(a.lines.map(\.quantity) == [1, 2])
        #expect(a.lines[0].productID == "3600000000000001")
        #expect(a.orderAmount == cny(12_300))
        #expect(a.paidAmount == cny(12_300))
        #expect(a.goodsAmount == cny(12_900))
        #expect(a.discount == cny(400))
        #expect(a.platformDiscount == cny(200))
        #expect(a.merchantReceivable == cny(12_300))
        #expect(a.shipping == cny(0))
        #expect(a.contact.name == "张##密文")
        #expect(a.sellerMemo == "送小样\n两份")
        #expect(a.courier == "中通快递")
        #expect(a.waybillNumber == "75312345678901")
        #expect(a.status == .completed)
        #expect(a.createdAt?.date == Samples.shanghaiTime(2024, 4, 1, 20, 15))
        let b = orders[1]
        #expect(b.position.line == 5)
        #expect(b.status == .refunded)
        #expect(b.refundStatus == "退款成功")
        #expect(b.completedAt == nil)
        #expect(b.waybillNumber == nil)
    }

    static let settlement = """
    动账时间,动帐流水号,动账方向,动账金额,动账账户,动账场景,计费类型,子订单号,订单号,订单实付应结,运费实付,实际平台补贴,订单退款,平台服务费,佣金,招商服务费,站外推广费,备注
    2024-04-09 02:00:00,\t7301000000000000001,入账,113.31,聚合账户,订单结算,货款,\t6917926768823643752,\t6917926768823643751,123.00,0.00,1.00,0.00,-1.23,-9.46,0.00,0.00,-
    2024-04-10 11:00:00,\t7301000000000000002,出账,117.00,聚合账户,售后退款,退款,\t6917926768823643761,\t6917926768823643760,0.00,0.00,0.00,117.00,0.00,0.00,0.00,0.00,用户退款
    2024-04-11 09:30:00,\t7301000000000000003,出账,"1,000.00",聚合账户,提现,提现,-,-,-,-,-,-,-,-,-,-,提现至银行卡
    2024-04-12 09:30:00,\t7301000000000000004,出账,5.00,聚合账户,保证金,扣款,-,-,-,-,-,-,-,-,-,-,-
    2024-04-12 10:00:00,\t7301000000000000005,冲正,5.00,聚合账户,保证金,扣款,-,-,-,-,-,-,-,-,-,-,-

    """

    @Test("settlement: signed by direction, fees summed, payouts found")
    func settlementExport() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.settlement, name: "settle.csv", options: options)
        #expect(result.report.format == .douyinSettlement)
        let transactions = result.records.transactions
        #expect(transactions.count == 4)
        let sale = transactions[0]
        #expect(sale.transactionID == "7301000000000000001")
        #expect(sale.type == .sale)
        #expect(sale.net == cny(11_331))
        #expect(sale.fee == cny(1069))
        #expect(sale.gross == cny(12_400))
        #expect(sale.orderReference == "6917926768823643751")
        #expect(sale.relatedTransactionID == "6917926768823643752")
        #expect(sale.memo == nil)
        #expect(transactions[1].type == .refund)
        #expect(transactions[1].net == cny(-11_700))
        #expect(transactions[2].type == .payout)
        #expect(transactions[2].net == cny(-100_000))
        #expect(transactions[3].type == .adjustment)
        let payouts = result.records.payouts
        #expect(payouts.count == 1)
        #expect(payouts[0].amount == cny(100_000))
        #expect(payouts[0].payoutDate == Samples.date(2024, 4, 11))
        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].error.column == "动账方向")
        #expect(result.rejected[0].error.value == "冲正")
    }
}
