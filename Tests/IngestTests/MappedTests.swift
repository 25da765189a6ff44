import Foundation
@testable import Ingest
import Testing

@Suite("Courier bills, bank CSVs and the mapped importer")
struct MappedTests {
    @Test("SF Express monthly bill as XLSX through the default courier mapping")
    func sfExpressXLSX() throws {
        typealias C = XLSXSampleWriter.Cell
        let rows: [[C]] = [
            [.text("顺丰速运月结对账单")],
            [.text("月结账号：0201234567"), .empty, .text("账单周期：2024-03")],
            [.text("序号"), .text("运单号"), .text("寄件日期"), .text("始发地"), .text("目的地"), .text("计费重量(kg)"), .text("运费"),
             .text("优惠金额"), .text("应付金额"), .text("备注"), .text("产品类型")],
            [.number("1"), .text("SF1234567890123"), .date("45352"), .text("深圳"), .text("北京"), .number("1.5"), .number("23"),
             .number("2.3"), .number("20.7"), .text("订单 T1001, 易碎"), .text("顺丰标快")],
            [.number("2"), .inline("SF1234567890124"), .dateTime("45353.75"), .text("深圳"), .text("上海"), .number("0.3"),
             .number("12"), .empty, .number("12"), .empty, .text("顺丰特惠")],
            [.number("3"), .text("SF1234567890125"), .date("45354"), .text("深圳"), .text("成都"), .text("重"), .number("18"),
             .number("0"), .number("18"), .empty, .text("顺丰特惠")],
            [.text("合计"), .empty, .empty, .empty, .empty, .number("1.8"), .number("53"), .number("2.3"), .number("50.7")],
        ]
        let url = Samples.directory().appendingPathComponent("sf-2024-03.xlsx")
        try XLSXSampleWriter.write(rows: rows, sheetName: "月结账单", to: url)
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Ingest.parseAll(.file(url), format: nil, options: options)
        #expect(result.report.format == .courier)
        #expect(result.report.container == "xlsx")
        #expect(result.report.headerLine == 3)
        let lines = result.records.courierLines
        #expect(lines.count == 2)
        #expect(lines[0].waybill == "SF1234567890123")
        #expect(lines[0].shipDate == Samples.date(2024, 3, 1))
        #expect(lines[0].origin == "深圳")
        #expect(lines[0].destination == "北京")
        #expect(lines[0].billedWeightGrams == 1500)
        #expect(lines[0].fee == cny(2300))
        #expect(lines[0].discount == cny(230))
        #expect(lines[0].amountDue == cny(2070))
        #expect(lines[0].memo == "订单 T1001, 易碎")
        #expect(lines[0].position.line == 4)
        #expect(lines[1].shipDate == Samples.date(2024, 3, 2))
        #expect(lines[1].billedWeightGrams == 300)
        #expect(lines[1].discount == nil)
        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].position.line == 6)
        #expect(result.rejected[0].error.column == "计费重量(kg)")
        #expect(result.rejected[0].error.value == "重")
    }

    @Test("ZTO-style CSV in GBK with other column names, weights with units, amount due from fee and discount")
    func ztoCSV() throws {
        let text = """
        中通快递 客户对账单
        快递单号,揽收时间,目的城市,重量,费用,折扣,承运商
        75312345678901,2024/03/01 18:30,杭州,1.2kg,8.00,1.00,中通
        75312345678902,2024/03/02 19:00,宁波,800g,6.00,,中通
        总计,,,,14.00,1.00,

        """
        let result = try Samples.parse(text, name: "zto.csv", encoding: .gbk, format: .courier)
        let lines = result.records.courierLines
        #expect(lines.count == 2)
        #expect(lines[0].billedWeightGrams == 1200)
        #expect(lines[0].amountDue == cny(700))
        #expect(lines[0].courier == "中通")
        #expect(lines[0].shipDate == Samples.date(2024, 3, 1))
        #expect(lines[1].billedWeightGrams == 800)
        #expect(lines[1].amountDue == cny(600))
    }

    static let bankGBK = """
    中国工商银行账户历史明细
    账号：6222020200001234567,户名：杭州某某电子商务有限公司
    交易日期,交易时间,摘要,收入金额,支出金额,余额,对方户名,对方账号,附言,流水号,币种
    2024-03-18,10:01:02,转账,"1,100.47",,"11,100.47",支付宝（中国）网络技术有限公司,1234567890123456,"提现, 2024-03-17",F20240318001,人民币
    2024-03-18,15:20:00,代发工资,,"3,000.00","8,100.47",张三,6222000011112222,工资,F20240318002,人民币
    2024-03-19,09:00:00,手续费,,0.50,"8,099.97",,,,F20240319001,人民币
    2024-03-19,09:30:00,转账,abc,,"8,099.97",某某,1,坏行,F20240319002,人民币
    合计,,,"1,100.47","3,000.50",,,,,,


    """

    @Test("Chinese bank CSV (GBK) through the default mapping: credit/debit columns, memo joined, trailer")
    func bankCSV() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        options.account = "6222020200001234567"
        let result = try Samples.parse(Self.bankGBK, name: "icbc.csv", encoding: .gbk, options: options)
        #expect(result.report.format == .bankCSV)
        let lines = result.records.bankLines
        #expect(lines.count == 3)
        #expect(lines[0].amount == cny(110_047))
        #expect(lines[0].direction == .credit)
        #expect(lines[0].bookingDate == Samples.date(2024, 3, 18))
        #expect(lines[0].counterpartyName == "支付宝（中国）网络技术有限公司")
        #expect(lines[0].counterpartyAccount == "1234567890123456")
        #expect(lines[0].memo == "转账 | 提现, 2024-03-17")
        #expect(lines[0].reference == "F20240318001")
        #expect(lines[0].balance == cny(1_110_047))
        #expect(lines[0].account == "6222020200001234567")
        #expect(lines[0].position.line == 4)
        #expect(lines[1].amount == cny(-300_000))
        #expect(lines[1].direction == .debit)
        #expect(lines[2].amount == cny(-50))
        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].error.column == "收入金额")
    }

    @Test("signed amount with a debit/credit marker column")
    func signedWithMarker() throws {
        let text = """
        记账日期,交易金额,借贷标志,对方户名,用途,交易流水号
        20240318,1100.47,贷,财付通支付科技有限公司,微信提现,A1
        20240318,-25.00,借,顺丰速运有限公司,运费,A2
        20240319,30.00,借,某某,退款,A3

        """
        let lines = try Samples.parse(text, name: "bank.csv", format: .bankCSV).records.bankLines
        #expect(lines.map(\.amount.minorUnits) == [110_047, -2500, -3000])
        #expect(lines.map(\.bookingDate) == [Samples.date(2024, 3, 18), Samples.date(2024, 3, 18), Samples.date(2024, 3, 19)])
        #expect(lines[0].memo == "微信提现")
    }

    @Test("a saved mapping (JSON) drives the generic importer: returns, SKU costs, orders")
    func savedMappings() throws {
        let json = """
        {"name": "退货登记", "kind": "return", "channel": "taobao",
         "fields": {"order_number": ["原订单号"], "return_number": ["退货单号"], "waybill": ["退货运单号"], "sku": ["商家编码"],
                    "quantity": ["数量"], "refund_amount": ["退款金额"], "received_status": ["收货状态"], "created_at": ["申请时间"]}}
        """
        let mapping = try JSONDecoder().decode(ColumnMapping.self, from: Data(json.utf8))
        #expect(mapping.kind == .returnRecord)
        #expect(mapping.sign == .signed)
        var options = ParseOptions()
        options.mapping = mapping
        let returns = try Samples.parse("""
        退货单号;原订单号;退货运单号;商家编码;数量;退款金额;收货状态;申请时间;其他
        R1;3012345678901234567;SF999;CUP;1;59,90;已签收;2024-03-20 10:00;x
        R2;3012345678901234568;;MUG;2;20;未收到;2024-03-21 10:00;y

        """, name: "returns.csv", format: .mapped, options: {
            var o = options
            o.decimalSeparator = .comma
            return o
        }()).records.returns
        #expect(returns.count == 2)
        #expect(returns[0].returnNumber == "R1")
        #expect(returns[0].orderNumber == "3012345678901234567")
        #expect(returns[0].channel == .taobao)
        #expect(returns[0].refundAmount == cny(5990))
        #expect(returns[0].received == true)
        #expect(returns[1].received == false)
        #expect(returns[1].waybill == nil)

        options.mapping = ColumnMapping(name: "成本", kind: .skuCost, fields: ["sku": ["SKU"], "unit_cost": ["Cost"], "effective_from": ["From"]],
                                        currency: "USD")
        let costs = try Samples.parse("SKU,Cost,From\nCUP,3.25,2024-01-01\nMUG,1.1,\n", name: "costs.csv", format: .mapped,
                                      options: options).records.skuCosts
        #expect(costs.map(\.unitCost) == [Money(minorUnits: 325, currency: "USD"), Money(minorUnits: 110, currency: "USD")])
        #expect(costs[0].effectiveFrom == Samples.date(2024, 1, 1))

        options.mapping = ColumnMapping(name: "shop", kind: .order, fields: [
            "order_number": ["Order"], "sku": ["SKU"], "quantity": ["Qty"], "unit_price": ["Price"], "order_amount": ["Total"], "status": ["Status"],
        ], channel: "shop")
        let orders = try Samples.parse("Order,SKU,Qty,Price,Total,Status\nA1,CUP,2,3.00,7.00,paid\nA1,MUG,1,1.00,7.00,paid\nA2,CUP,1,3.00,3.00,cancelled\n",
                                       name: "orders.csv", format: .mapped, options: options).records.orders
        #expect(orders.count == 2)
        #expect(orders[0].lines.map(\.lineAmount) == [cny(600), cny(100)])
        #expect(orders[0].orderAmount == cny(700))
        #expect(orders[0].status == .paid)
        #expect(orders[1].status == .cancelled)
    }

    @Test("invalid mappings are refused with a helpful message")
    func invalidMapping() throws {
        var options = ParseOptions()
        options.mapping = ColumnMapping(name: "bad", kind: .bankLine, fields: ["booking_date": ["日期"], "amout": ["金额"]])
        let error = try #require(Samples.parseError("日期,金额\n2024-01-01,1\n", name: "x.csv", format: .mapped, options: options))
        #expect(error.code == .mapping)
        #expect(error.message.contains("amout"))
        let missing = try #require(Samples.parseError("日期,金额\n2024-01-01,1\n", name: "x.csv", format: .mapped))
        #expect(missing.code == .mapping)
    }

    @Test("a mapped file without the amount columns names what it looked for")
    func missingAmountColumn() throws {
        let error = try #require(Samples.parseError("交易日期,对方户名,摘要\n2024-01-01,a,b\n", name: "bank.csv", format: .bankCSV))
        #expect(error.code == .missingColumns)
        #expect(error.description.contains("交易金额"))
    }
}
