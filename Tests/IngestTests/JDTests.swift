import Foundation
@testable import Ingest
import Testing

@Suite("JD order export")
struct JDTests {
    static let header = ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "结算金额", "余额支付",
                         "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注", "发票类型", "发票抬头",
                         "发票内容", "商家备注", "商家备注等级（等级1-5为由高到低）", "运费金额", "付款确认时间", "增值税发票", "货号",
                         "订单完成时间", "订单来源", "订单渠道"]

    static func row(_ order: String, _ sku: String, _ title: String, _ quantity: String, _ price: String, status: String = "完成",
                    amount: String = "218.00", settle: String = "200.00", payable: String = "208.00", freight: String = "0.00",
                    code: String = "") -> String {
        Samples.csvLine(header, [
            "订单号": order, "商品ID": sku, "商品名称": title, "订购数量": quantity, "支付方式": "在线支付", "下单时间": "2024-03-01 12:00:00",
            "京东价": price, "订单金额": amount, "结算金额": settle, "余额支付": "0.00", "应付金额": payable, "订单状态": status,
            "订单类型": "SOP", "下单帐号": "jd_user_\(order.suffix(1))", "客户姓名": "王五", "客户地址": "上海市 浦东新区, 世纪大道 1号",
            "联系电话": "139****0000", "运费金额": freight, "付款确认时间": "2024-03-01 12:00:30", "货号": code,
            "订单完成时间": status == "完成" ? "2024-03-05 18:00:00" : "", "订单来源": "移动端",
        ])
    }

    static var sample: String {
        [
            header.joined(separator: ","),
            row("250000000001", "100001", "蓝牙耳机, 黑色", "2", "99.00", code: "EAR-BLK"),
            row("250000000001", "100002", "充电线", "1", "20.00", code: "CBL-1M"),
            row("250000000002", "100003", "手机壳", "1", "39.00", status: "等待出库", amount: "45.00", settle: "42.00", payable: "45.00",
                freight: "6.00"),
            row("250000000001", "100004", "贴膜(赠品)", "1", "0.00"),
            row("250000000003", "100005", "数据线", "两个", "9.90", amount: "9.90"),
        ].joined(separator: "\r\n") + "\r\n\r\n"
    }

    @Test("SKU rows merge into one order; order-level amounts are counted once")
    func merge() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.sample, name: "jd.csv", encoding: .gbk, options: options)
        #expect(result.report.format == .jd)
        let orders = result.records.orders
        #expect(orders.count == 2)
        let a = orders[0]
        #expect(a.orderNumber == "250000000001")
        #expect(a.position.line == 2)
        #expect(a.lines.count == 3)
        #expect(a.lines.map(\.productID) == ["100001", "100002", "100004"])
        #expect(a.lines[0] == OrderLine(sku: "EAR-BLK", productID: "100001", title: "蓝牙耳机, 黑色", quantity: 2, unitPrice: cny(9900),
                                        lineAmount: cny(19_800)))
        #expect(a.orderAmount == cny(21_800))
        #expect(a.paidAmount == cny(20_800))
        #expect(a.merchantReceivable == cny(20_000))
        #expect(a.status == .completed)
        #expect(a.buyerID == "jd_user_1")
        #expect(a.contact.address == "上海市 浦东新区, 世纪大道 1号")
        #expect(a.completedAt?.date == Samples.shanghaiTime(2024, 3, 5, 18))
        #expect(!a.isContinuation)
        let b = orders[1]
        #expect(b.orderNumber == "250000000002")
        #expect(b.status == .paid)
        #expect(b.shipping == cny(600))
        // Order totals over the file: each order once.
        let total = orders.compactMap(\.orderAmount).reduce(Money.zero("CNY"), +)
        #expect(total == cny(26_300))

        #expect(result.rejected.count == 1)
        #expect(result.rejected[0].position.line == 6)
        #expect(result.rejected[0].error.column == "订购数量")
        #expect(result.rejected[0].error.value == "两个")
    }

    @Test("rows farther apart than the merge window yield a continuation record")
    func continuation() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        options.orderMergeWindow = 1
        let orders = try Samples.parse(Self.sample, name: "jd.csv", encoding: .gbk, format: .jd, options: options).records.orders
        #expect(orders.map(\.orderNumber) == ["250000000001", "250000000002", "250000000001"])
        #expect(orders.map(\.isContinuation) == [false, false, true])
        #expect(orders[0].lines.count == 2)
        #expect(orders[2].lines.map(\.productID) == ["100004"])
        #expect(orders[2].position.line == 5)
    }
}

@Suite("Pinduoduo order export")
struct PinduoduoTests {
    static let sample = """
    商品, 订单号, 订单状态, 商品总价(元), 店铺优惠折扣(元), 平台优惠折扣(元), 多多支付立减金额(元), 邮费(元), 用户实付金额(元), 商家实收金额(元), 商品数量(件), 订单成交时间, 发货时间, 确认收货时间, 商品id, 商品规格, 样式ID, 商家编码-SKU维度, 商家编码-商品维度, 商家备注, 售后状态, 快递单号, 快递公司
    "儿童保温杯 316不锈钢, 蓝色",240301-123456789012345,已签收,59.90,5.00,3.00,1.00,0.00,50.90,54.90,1,2024-03-01 08:00:00,2024-03-01 16:00:00,2024-03-04 10:00:00,123456789,蓝色 500ml,987654,CUP-BLUE-500,CUP,,无售后或售后取消,YT1234567890123,圆通快递
    抽纸 3提,240302-223456789012345,已发货，待签收,29.90,0.00,0.00,0.00,0.00,29.90,29.90,3,2024-03-02 09:30:00,2024-03-02 18:00:00,,223456789,3提装,987655,,TISSUE,加急,退款成功,ZT9876543210,中通快递


    """

    @Test("orders with platform and merchant discounts, after-sales status")
    func orders() throws {
        let result = try Samples.parse(Self.sample, name: "pdd.csv")
        #expect(result.report.format == .pinduoduo)
        let orders = result.records.orders
        #expect(orders.count == 2)
        let a = orders[0]
        #expect(a.orderNumber == "240301-123456789012345")
        #expect(a.channel == .pinduoduo)
        #expect(a.goodsAmount == cny(5990))
        #expect(a.discount == cny(500))
        #expect(a.platformDiscount == cny(400))
        #expect(a.paidAmount == cny(5090))
        #expect(a.merchantReceivable == cny(5490))
        #expect(a.status == .completed)
        #expect(a.completedAt?.date == Samples.shanghaiTime(2024, 3, 4, 10))
        #expect(a.lines == [OrderLine(sku: "CUP-BLUE-500", productID: "123456789", title: "儿童保温杯 316不锈钢, 蓝色", variant: "蓝色 500ml",
                                      quantity: 1, lineAmount: cny(5990))])
        #expect(a.waybillNumber == "YT1234567890123")
        let b = orders[1]
        #expect(b.statusRaw == "已发货，待签收")
        #expect(b.status == .refunded)
        #expect(b.refundStatus == "退款成功")
        #expect(b.lines.first?.sku == "TISSUE")
        #expect(b.lines.first?.quantity == 3)
        #expect(b.sellerMemo == "加急")
    }
}
