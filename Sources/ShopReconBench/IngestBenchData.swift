import Foundation
import Ingest

/// The orders of `shoprecon-bench ingest`, generated deterministically from (seed, n), written
/// twice: as a Taobao/Tmall order export (GBK, `="…"` guards, CRLF, the real 41-column header)
/// for our import, and as the normalized rows our import produces from it in its five tables,
/// as CSV for `psql \copy`.
struct IngestBenchData: Sendable {
    let rows: Int
    let seed: UInt64

    /// Order numbers are `numberBase + n`, n from 1.
    static let numberBase: Int64 = 3_000_000_000_000_000_000
    static let header = [
        "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分", "买家实际支付金额",
        "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ",
        "宝贝标题 ", "宝贝种类", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费",
        "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名",
        "修改后的sku", "修改后的收货地址", "异常信息",
    ]
    /// Printed status and its normalized value.
    static let statuses = [("交易成功", "completed"), ("买家已付款，等待卖家发货", "paid"), ("卖家已发货，等待买家确认", "shipped"),
                           ("交易关闭", "cancelled")]
    static let names = ["张三", "李四", "王小五", "赵六", "欧阳晓明"]
    static let address = "浙江省 杭州市 西湖区 文三路 100号 华星科技大厦 3单元 1201室"
    static let message = "请尽快发货，谢谢！周末不在家请放快递柜或者门卫处"
    static let titles = ["2024新款纯棉短袖T恤男士夏季宽松圆领半袖打底衫 白色 XL", "陶瓷马克杯大容量办公室喝水杯子带盖勺 简约北欧风",
                         "帆布包女大容量单肩包学生上课百搭手提袋 米白色"]
    static let courier = "顺丰速运"
    static let memo = "老客户，赠送小样一份"

    /// One order's values.
    struct Order {
        var n: Int
        var goods: Int64
        var shipping: Int64
        var total: Int64 { goods + shipping }
        var paid: Int64
        var fee: Int64
        var status: Int
        var day: Int
        var second: Int
        var quantity: Int
        var number: Int64 { IngestBenchData.numberBase + Int64(n) }
        var paidSecond: Int { min(second + 61, 86_399) }
    }

    func order(_ n: Int) -> Order {
        var x = (UInt64(truncatingIfNeeded: n) &+ seed) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 31
        x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x >> 29
        let goods = 990 + Int64(x % 49_000)
        let shipping: Int64 = (x >> 20) % 3 == 0 ? 800 : 0
        let status = Int((x >> 8) % 4)
        let total = goods + shipping
        return Order(n: n, goods: goods, shipping: shipping, paid: status == 3 ? 0 : total, fee: goods / 100, status: status,
                     day: 1 + n % 28, second: Int((x >> 33) % 86_400), quantity: 1 + n % 3)
    }

    // MARK: - The Taobao export (GBK)

    /// Writes the export; returns its size in bytes.
    func writeTaobaoExport(to url: URL) throws -> Int64 {
        let pieces = try GBKPieces()
        return try writeChunked(to: url, header: pieces.header) { n, out in pieces.append(order(n), to: &out) }
    }

    private struct GBKPieces {
        let header: [UInt8]
        let statuses: [[UInt8]]
        let names: [[UInt8]]
        let titles: [[UInt8]]
        let address, message, express, courier, memo, shop, mobile: [UInt8]

        init() throws {
            func gbk(_ text: String) throws -> [UInt8] {
                let converter = try IconvConverter(from: "UTF-8", to: "GBK")
                let bytes = converter.convert(Array(text.utf8), final: true)
                guard converter.replacements == 0 else { throw BenchFailure("\(text) is not representable in GBK") }
                return bytes
            }
            header = try gbk(IngestBenchData.header.joined(separator: ",") + "\r\n")
            statuses = try IngestBenchData.statuses.map { try gbk($0.0) }
            names = try IngestBenchData.names.map(gbk)
            titles = try IngestBenchData.titles.map(gbk)
            address = try gbk(IngestBenchData.address)
            message = try gbk(IngestBenchData.message)
            express = try gbk("快递")
            courier = try gbk(IngestBenchData.courier)
            memo = try gbk(IngestBenchData.memo)
            shop = try gbk("旗舰店")
            mobile = try gbk("手机订单")
        }

        func append(_ o: Order, to out: inout [UInt8]) {
            let comma = UInt8(ascii: ",")
            out += Array("=\"".utf8); appendInt(o.number, &out)
            out += Array("\",tb_".utf8); appendInt(Int64(o.n), &out)
            out += Array(",b".utf8); appendInt(Int64(o.n), &out)
            out += Array("@example.com,".utf8)
            appendMoney(o.goods, &out); out.append(comma)
            appendMoney(o.shipping, &out); out += Array(",0,".utf8)
            appendMoney(o.total, &out); out += Array(",0,".utf8)
            appendMoney(o.paid, &out); out += Array(",0,".utf8)
            out += statuses[o.status]; out.append(comma)
            out += message; out.append(comma)
            out += names[o.n % names.count]; out.append(comma)
            out += address; out.append(comma)
            out += express; out += Array(",,138".utf8)
            appendPadded(Int64(o.n % 100_000_000), width: 8, &out); out.append(comma)
            appendTime(day: o.day, second: o.second, &out); out.append(comma)
            if o.status != 3 { appendTime(day: o.day, second: o.paidSecond, &out) }
            out.append(comma)
            out += titles[o.n % titles.count]; out += Array(",1,".utf8)
            if o.status == 0 || o.status == 2 { out += Array("SF".utf8); appendInt(1_000_000_000 + Int64(o.n), &out) }
            out.append(comma)
            if o.status == 0 || o.status == 2 { out += courier }
            out.append(comma)
            out += memo; out.append(comma)
            appendInt(Int64(o.quantity), &out); out += Array(",12345,".utf8)
            out += shop; out += Array(",,".utf8)
            appendMoney(o.fee, &out); out += Array(",0.00,,".utf8)
            out += mobile
            out += Array(",,,,,,,,,\r\n".utf8)
        }
    }

    // MARK: - The normalized rows (UTF-8 CSV for psql \copy)

    static let orderColumns = "tenant_id, order_id, store_id, channel, order_no, status, status_raw, created_at, paid_at, shipped_at, "
        + "completed_at, refund_status, waybill_no, courier, currency, import_id"
    static let financialColumns = "tenant_id, order_id, store_id, currency, goods_amount, order_amount, paid_amount, discount_amount, "
        + "platform_discount, shipping_amount, merchant_receivable, fee_amount, refund_amount"

    /// Writes `orders` and `order_financials` rows of tenant `tenant`, store `store`, with
    /// order ids `firstOrderID + n - 1`, as our import stores them (empty field = NULL).
    func writeNormalized(orders: URL, financials: URL, tenant: Int64, store: Int64, importID: Int64, firstOrderID: Int64) throws {
        let prefix = Array("\(tenant),".utf8)
        let storeField = Array(",\(store),".utf8)
        let statusText = Self.statuses.map { (Array($0.1.utf8), Array($0.0.utf8)) }
        let courier = Array(Self.courier.utf8)
        let importSuffix = Array(",CNY,\(importID)\n".utf8)
        _ = try writeChunked(to: orders, header: []) { n, out in
            let o = order(n)
            out += prefix; appendInt(firstOrderID + Int64(n) - 1, &out); out += storeField
            out += Array("taobao,".utf8); appendInt(o.number, &out); out.append(UInt8(ascii: ","))
            out += statusText[o.status].0; out.append(UInt8(ascii: ","))
            out += statusText[o.status].1; out.append(UInt8(ascii: ","))
            appendTime(day: o.day, second: o.second, &out); out += Array("+08,".utf8)
            if o.status != 3 { appendTime(day: o.day, second: o.paidSecond, &out); out += Array("+08".utf8) }
            out += Array(",,,,".utf8)  // shipped_at, completed_at, refund_status
            if o.status == 0 || o.status == 2 {
                out += Array("SF".utf8); appendInt(1_000_000_000 + Int64(o.n), &out); out.append(UInt8(ascii: ","))
                out += courier
            } else {
                out.append(UInt8(ascii: ","))
            }
            out += importSuffix
        }
        _ = try writeChunked(to: financials, header: []) { n, out in
            let o = order(n)
            out += prefix; appendInt(firstOrderID + Int64(n) - 1, &out); out += storeField
            out += Array("CNY,".utf8)
            appendInt(o.goods, &out); out.append(UInt8(ascii: ","))
            appendInt(o.total, &out); out.append(UInt8(ascii: ","))
            appendInt(o.paid, &out); out += Array(",,,".utf8)  // discount, platform discount
            appendInt(o.shipping, &out); out += Array(",,".utf8)  // merchant receivable
            appendInt(o.fee, &out); out += Array(",\n".utf8)  // refund
        }
    }

    static let contactColumns = "tenant_id, order_id, store_id, buyer_id, buyer_account, buyer_name, buyer_phone, buyer_address"
    static let lineColumns = "tenant_id, order_id, line_no, store_id, sku, product_id, sub_order_no, title, variant, quantity"
    static let lineAmountColumns = "tenant_id, order_id, line_no, store_id, currency, unit_price, line_amount"

    /// Writes the other three tables our import fills from the export: `order_contacts`,
    /// `order_lines` and `order_line_amounts` (one line per order: 宝贝标题, 宝贝总数量, and
    /// 买家应付货款 as its amount).
    func writeNormalizedRest(contacts: URL, lines: URL, amounts: URL, tenant: Int64, store: Int64, firstOrderID: Int64) throws {
        let prefix = Array("\(tenant),".utf8)
        let storeField = Array(",\(store),".utf8)
        let names = Self.names.map { Array($0.utf8) }
        let titles = Self.titles.map { Array($0.utf8) }
        let address = Array(Self.address.utf8)
        _ = try writeChunked(to: contacts, header: []) { n, out in
            out += prefix; appendInt(firstOrderID + Int64(n) - 1, &out); out += storeField
            out += Array("tb_".utf8); appendInt(Int64(n), &out)
            out += Array(",b".utf8); appendInt(Int64(n), &out); out += Array("@example.com,".utf8)
            out += names[n % names.count]; out += Array(",138".utf8)
            appendPadded(Int64(n % 100_000_000), width: 8, &out); out.append(UInt8(ascii: ","))
            out += address; out.append(UInt8(ascii: "\n"))
        }
        _ = try writeChunked(to: lines, header: []) { n, out in
            let o = order(n)
            out += prefix; appendInt(firstOrderID + Int64(n) - 1, &out); out += Array(",1".utf8); out += storeField
            out += Array(",,,".utf8)  // sku, product_id, sub_order_no
            out += titles[n % titles.count]; out += Array(",,".utf8)  // variant
            appendInt(Int64(o.quantity), &out); out.append(UInt8(ascii: "\n"))
        }
        _ = try writeChunked(to: amounts, header: []) { n, out in
            let o = order(n)
            out += prefix; appendInt(firstOrderID + Int64(n) - 1, &out); out += Array(",1".utf8); out += storeField
            out += Array("CNY,,".utf8)  // unit price
            appendInt(o.goods, &out); out.append(UInt8(ascii: "\n"))
        }
    }

    // MARK: - Writing

    private func writeChunked(to url: URL, header: [UInt8], row: (Int, inout [UInt8]) -> Void) throws -> Int64 {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var buffer = header
        buffer.reserveCapacity(4 << 20 + 4096)
        var written: Int64 = 0
        if rows > 0 {
            for n in 1...rows {
                row(n, &buffer)
                if buffer.count >= 4 << 20 {
                    try handle.write(contentsOf: buffer)
                    written += Int64(buffer.count)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        try handle.write(contentsOf: buffer)
        return written + Int64(buffer.count)
    }
}

private func appendInt(_ value: Int64, _ out: inout [UInt8]) {
    if value < 0 {
        out.append(UInt8(ascii: "-"))
        appendInt(-value, &out)
        return
    }
    if value >= 10 { appendInt(value / 10, &out) }
    out.append(UInt8(ascii: "0") + UInt8(value % 10))
}

private func appendPadded(_ value: Int64, width: Int, _ out: inout [UInt8]) {
    var divisor: Int64 = 1
    for _ in 1..<width { divisor *= 10 }
    var v = value
    while divisor > 0 {
        out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
        v %= divisor
        divisor /= 10
    }
}

/// `12.34` from fen.
private func appendMoney(_ fen: Int64, _ out: inout [UInt8]) {
    appendInt(fen / 100, &out)
    out.append(UInt8(ascii: "."))
    appendPadded(fen % 100, width: 2, &out)
}

/// `2024-11-DD HH:MM:SS`.
private func appendTime(day: Int, second: Int, _ out: inout [UInt8]) {
    out += Array("2024-11-".utf8)
    appendPadded(Int64(day), width: 2, &out)
    out.append(UInt8(ascii: " "))
    appendPadded(Int64(second / 3600), width: 2, &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(Int64(second / 60 % 60), width: 2, &out)
    out.append(UInt8(ascii: ":"))
    appendPadded(Int64(second % 60), width: 2, &out)
}
