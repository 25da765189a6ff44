import Foundation
@testable import Ingest
import Testing

@Suite("Taobao/Tmall order export")
struct TaobaoTests {
    static let header = [
        "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分", "买家实际支付金额",
        "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ",
        "宝贝标题 ", "宝贝种类", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费",
        "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名",
        "修改后的sku", "修改后的收货地址", "异常信息",
    ]

    static func sample(badAmount: String = "12,3x") -> String {
        let h = header
        var lines = [h.joined(separator: ",")]
        lines.append(Samples.csvLine(h, [
            "订单编号": "=\"3012345678901234567\"", "买家会员名": "tb_buyer1", "买家支付宝账号": "buyer1@example.com",
            "买家应付货款": "128.00", "买家应付邮费": "10.00", "买家支付积分": "0", "总金额": "138.00", "返点积分": "0",
            "买家实际支付金额": "138.00", "买家实际支付积分": "0", "订单状态": "交易成功", "买家留言": "请尽快发货,谢谢",
            "收货人姓名": "张三", "收货地址 ": "浙江省 杭州市 西湖区 文三路 100号, 3单元", "运送方式": "快递", "联系手机": "'13800000000",
            "订单创建时间": "2024-01-05 10:00:00", "订单付款时间 ": "2024-01-05 10:01:02", "宝贝标题 ": "纯棉T恤,白色 XL",
            "宝贝种类": "1", "物流单号 ": "No:SF1234567890", "物流公司": "顺丰速运", "订单备注": "第一行备注\n第二行备注",
            "宝贝总数量": "2", "店铺Id": "12345", "店铺名称": "旗舰店", "卖家服务费": "0.00", "买家服务费": "0.00", "是否手机订单": "手机订单",
        ]))
        lines.append(Samples.csvLine(h, [
            "订单编号": "\t3012345678901234568", "买家会员名": "tb_buyer2", "买家应付货款": "59.90", "买家应付邮费": "0.00",
            "总金额": "59.90", "买家实际支付金额": "59.90", "订单状态": "买家已付款，等待卖家发货", "收货人姓名": "李四",
            "收货地址 ": "北京市 朝阳区", "联系电话 ": "010-12345678", "订单创建时间": "2024/1/6 9:05", "订单付款时间 ": "2024/1/6 9:06",
            "宝贝标题 ": "陶瓷杯", "宝贝总数量": "1",
        ]))
        lines.append(Samples.csvLine(h, [
            "订单编号": "=\"3012345678901234569\"", "买家会员名": "tb_buyer3", "买家应付货款": "58.00", "买家应付邮费": "0.00",
            "总金额": "58.00", "买家实际支付金额": "0.00", "订单状态": "交易关闭", "订单创建时间": "2024-01-07 20:00:00",
            "宝贝标题 ": "帆布包", "宝贝总数量": "1", "订单关闭原因": "买家不想买了",
        ]))
        lines.append(Samples.csvLine(h, [
            "订单编号": "=\"3012345678901234570\"", "买家会员名": "tb_buyer4", "总金额": badAmount, "订单状态": "交易成功",
            "订单创建时间": "2024-01-08 08:00:00",
        ]))
        return lines.joined(separator: "\n") + "\n\n\n"
    }

    @Test("GBK export: orders with quoting, guards, multi-line memo; a malformed amount is rejected with its position")
    func gbkExport() throws {
        var options = ParseOptions()
        options.skipBadRows = true
        let result = try Samples.parse(Self.sample(), name: "ExportOrderList.csv", encoding: .gbk, format: .taobao, options: options)
        #expect(result.report.encoding == .gb18030)
        #expect(result.report.headerLine == 1)
        #expect(result.report.rowCount == 4)
        #expect(result.report.rejectedCount == 1)
        let orders = result.records.orders
        #expect(orders.count == 3)

        let first = orders[0]
        #expect(first.position.line == 2)
        #expect(first.channel == .taobao)
        #expect(first.orderNumber == "3012345678901234567")
        #expect(first.buyerID == "tb_buyer1")
        #expect(first.buyerPaymentAccount == "buyer1@example.com")
        #expect(first.status == .completed)
        #expect(first.statusRaw == "交易成功")
        #expect(first.goodsAmount == cny(12_800))
        #expect(first.shipping == cny(1000))
        #expect(first.orderAmount == cny(13_800))
        #expect(first.paidAmount == cny(13_800))
        #expect(first.buyerMessage == "请尽快发货,谢谢")
        #expect(first.contact.name == "张三")
        #expect(first.contact.address == "浙江省 杭州市 西湖区 文三路 100号, 3单元")
        #expect(first.contact.phone == "'13800000000")
        #expect(first.createdAt?.date == Samples.shanghaiTime(2024, 1, 5, 10, 0, 0))
        #expect(first.paidAt?.date == Samples.shanghaiTime(2024, 1, 5, 10, 1, 2))
        #expect(first.waybillNumber == "SF1234567890")
        #expect(first.courier == "顺丰速运")
        #expect(first.sellerMemo == "第一行备注\n第二行备注")
        #expect(first.storeID == "12345")
        #expect(first.storeName == "旗舰店")
        #expect(first.lines == [OrderLine(title: "纯棉T恤,白色 XL", quantity: 2, lineAmount: cny(12_800))])

        let second = orders[1]
        #expect(second.position.line == 4)
        #expect(second.orderNumber == "3012345678901234568")
        #expect(second.status == .paid)
        #expect(second.statusRaw == "买家已付款，等待卖家发货")
        #expect(second.contact.phone == "010-12345678")
        #expect(second.paidAt?.date == Samples.shanghaiTime(2024, 1, 6, 9, 6, 0))

        let third = orders[2]
        #expect(third.status == .cancelled)
        #expect(third.paidAmount == cny(0))

        let rejected = try #require(result.rejected.first)
        #expect(rejected.position.line == 6)
        #expect(rejected.error.column == "总金额")
        #expect(rejected.error.value == "12,3x")
        #expect(rejected.reason == "ExportOrderList.csv line 6, column 总金额: \"12,3x\" is not an amount (expected a number such as 1,234.56)")
        #expect(rejected.fields.first == "3012345678901234570")
    }

    @Test("by default a bad row fails the import with file, line, column and value")
    func strict() throws {
        let error = try #require(Samples.parseError(Self.sample(), name: "orders.csv", encoding: .gbk, format: .taobao))
        #expect(error.code == .badValue)
        #expect(error.file == "orders.csv")
        #expect(error.line == 6)
        #expect(error.column == "总金额")
        #expect(error.value == "12,3x")
        #expect(error.description.hasPrefix("orders.csv line 6, column 总金额: \"12,3x\" is not an amount"))
    }

    @Test("auto-detection recognizes the export")
    func detection() throws {
        let url = Samples.write(Self.sample(badAmount: "1.00"), name: "x.csv", encoding: .gbk)
        let detection = try Ingest.detect(.file(url))
        #expect(detection.format == .taobao)
        #expect(detection.encoding == .gb18030)
        #expect(detection.delimiter == UInt8(ascii: ","))
        let result = try Ingest.parseAll(.file(url))
        #expect(result.report.format == .taobao)
        #expect(result.records.orders.count == 4)
    }
}
