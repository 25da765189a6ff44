import Foundation
import Ingest
import ShopReconTestSupport

/// How a sample file's text is encoded on disk.
enum SampleEncoding {
    case utf8
    case utf8BOM
    case gbk
}

/// Sample files in the real layouts of /work/shared/FORMATS.md, written by the tests.
enum SampleFiles {
    /// `text` encoded as the files are really delivered (GBK through iconv).
    static func bytes(_ text: String, _ encoding: SampleEncoding) throws -> Data {
        switch encoding {
        case .utf8: return Data(text.utf8)
        case .utf8BOM: return Data([0xEF, 0xBB, 0xBF] + Array(text.utf8))
        case .gbk: return Data(try gbk(text))
        }
    }

    static func gbk(_ text: String) throws -> [UInt8] {
        let converter = try IconvConverter(from: "UTF-8", to: "GBK")
        let out = converter.convert(Array(text.utf8), final: true)
        guard converter.replacements == 0 else { throw TestFailure("text not representable in GBK: \(text.prefix(80))") }
        return out
    }

    /// A fresh temporary directory.
    static func directory(_ label: String = "imports-tests") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes a sample file into `directory` (a fresh one by default) and returns its URL.
    @discardableResult
    static func write(_ text: String, name: String, encoding: SampleEncoding = .utf8, in directory: URL? = nil) throws -> URL {
        let url = try (directory ?? self.directory()).appendingPathComponent(name)
        try bytes(text, encoding).write(to: url)
        return url
    }

    /// One CSV line in header order: values with a delimiter, quote or line break are quoted;
    /// `="…"` guards are written as exports write them.
    static func csvLine(_ header: [String], _ values: [String: String], delimiter: String = ",") -> String {
        header.map { column -> String in
            let value = values[column] ?? ""
            if value.hasPrefix("=\"") { return value }
            if value.contains(delimiter) || value.contains("\"") || value.contains("\n") || value.contains("\r") || value.hasPrefix("\t") {
                return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return value
        }.joined(separator: delimiter)
    }
}

// MARK: - Taobao/Tmall 订单报表

/// One order of a Taobao export; amounts as printed (yuan).
struct TaobaoRow {
    var number: String
    var buyer = "tb_buyer"
    var alipay: String? = "buyer@example.com"
    var goods = "128.00"
    var shipping = "10.00"
    var total = "138.00"
    var paid = "138.00"
    var status = "交易成功"
    var name: String? = "张三"
    var address: String? = "浙江省 杭州市 西湖区 文三路 100号, 3单元"
    var mobile: String? = "13800000000"
    var created = "2024-11-01 10:00:00"
    var paidAt: String? = "2024-11-01 10:01:02"
    var title: String? = "纯棉T恤,白色 XL"
    var quantity: String? = "2"
    var waybill: String? = "No:SF1234567890"
    var courier: String? = "顺丰速运"
    var memo: String?
    var sellerFee: String? = "0.00"
    /// `="…"` (true) or a leading TAB (false) around the order number, as exports write it.
    var equalsGuard = true
}

enum TaobaoLayout {
    /// The export's header, trailing spaces included as Taobao prints them.
    static let header = [
        "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分", "买家实际支付金额",
        "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ",
        "宝贝标题 ", "宝贝种类", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费",
        "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名",
        "修改后的sku", "修改后的收货地址", "异常信息",
    ]

    static func line(_ row: TaobaoRow) -> String {
        var values: [String: String] = [
            "订单编号": row.equalsGuard ? "=\"\(row.number)\"" : "\t" + row.number,
            "买家会员名": row.buyer, "买家应付货款": row.goods, "买家应付邮费": row.shipping, "买家支付积分": "0", "总金额": row.total,
            "返点积分": "0", "买家实际支付金额": row.paid, "买家实际支付积分": "0", "订单状态": row.status, "运送方式": "快递",
            "订单创建时间": row.created, "宝贝种类": "1", "店铺Id": "12345", "店铺名称": "旗舰店", "买家服务费": "0.00",
            "是否手机订单": "手机订单",
        ]
        values["买家支付宝账号"] = row.alipay
        values["收货人姓名"] = row.name
        values["收货地址 "] = row.address
        values["联系手机"] = row.mobile
        values["订单付款时间 "] = row.paidAt
        values["宝贝标题 "] = row.title
        values["宝贝总数量"] = row.quantity
        values["物流单号 "] = row.waybill
        values["物流公司"] = row.courier
        values["订单备注"] = row.memo
        values["卖家服务费"] = row.sellerFee
        return SampleFiles.csvLine(header, values)
    }

    /// The whole export (CRLF line ends and trailing blank lines, as downloaded).
    static func file(_ rows: [TaobaoRow]) -> String {
        ([header.joined(separator: ",")] + rows.map(line)).joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// An order of 2024-11-`day` with its number derived from the day and an index.
    static func order(day: Int, index: Int = 0, status: String = "交易成功") -> TaobaoRow {
        let dd = day < 10 ? "0\(day)" : "\(day)"
        var row = TaobaoRow(number: "30124111\(dd)\(index)000000000")
        row.status = status
        row.buyer = "tb_buyer_\(day)_\(index)"
        row.created = "2024-11-\(dd) 09:\(10 + index):00"
        row.paidAt = "2024-11-\(dd) 09:\(11 + index):30"
        row.goods = "\(100 + day).50"
        row.shipping = "8.00"
        row.total = "\(108 + day).50"
        row.paid = "\(108 + day).50"
        row.waybill = "SF10000000\(dd)\(index)"
        return row
    }
}

// MARK: - JD 京东 POP

enum JDLayout {
    static let header = ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "结算金额", "余额支付",
                         "应付金额", "订单状态", "订单类型", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注", "发票类型", "发票抬头",
                         "发票内容", "商家备注", "商家备注等级（等级1-5为由高到低）", "运费金额", "付款确认时间", "增值税发票", "货号",
                         "订单完成时间", "订单来源", "订单渠道"]

    /// One SKU row; the order-level amounts repeat on every row of the order.
    static func row(_ order: String, _ product: String, _ title: String, _ quantity: String, _ price: String, status: String = "完成",
                    amount: String = "218.00", settle: String = "200.00", payable: String = "208.00", freight: String = "0.00",
                    sku: String = "") -> String {
        SampleFiles.csvLine(header, [
            "订单号": order, "商品ID": product, "商品名称": title, "订购数量": quantity, "支付方式": "在线支付",
            "下单时间": "2024-03-01 12:00:00", "京东价": price, "订单金额": amount, "结算金额": settle, "余额支付": "0.00",
            "应付金额": payable, "订单状态": status, "订单类型": "SOP", "下单帐号": "jd_user_\(order.suffix(1))", "客户姓名": "王五",
            "客户地址": "上海市 浦东新区, 世纪大道 1号", "联系电话": "139****0000", "运费金额": freight, "付款确认时间": "2024-03-01 12:00:30",
            "货号": sku, "订单完成时间": status == "完成" ? "2024-03-05 18:00:00" : "", "订单来源": "移动端",
        ])
    }

    /// Order 250000000001 (3 SKU rows, one far down), 250000000002 (1 row).
    static var file: String {
        [
            header.joined(separator: ","),
            row("250000000001", "100001", "蓝牙耳机, 黑色", "2", "99.00", sku: "EAR-BLK"),
            row("250000000001", "100002", "充电线", "1", "20.00", sku: "CBL-1M"),
            row("250000000002", "100003", "手机壳", "1", "39.00", status: "等待出库", amount: "45.00", settle: "42.00", payable: "45.00",
                freight: "6.00"),
            row("250000000001", "100004", "贴膜(赠品)", "1", "0.00"),
        ].joined(separator: "\r\n") + "\r\n"
    }
}

// MARK: - Alipay 账务明细 (signcustomer)

enum AlipayAccountLayout {
    static let preamble = [
        "#支付宝账务明细查询",
        "#账号：[20880211096256330156]",
        "#起始日期：[2024年11月01日 00:00:00]   终止日期：[2024年12月01日 00:00:00]",
        "#-----------------------------------------账务明细列表----------------------------------------",
        "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注",
    ]

    /// Rows with trailing TABs on every field: a sale, its service fee, a partial refund, a
    /// withdrawal to the bank (提现) and a sale with an amount below one yuan.
    static let rows = [
        "20241101000000000001\t,2024110111000000000001\t,T300001\t,\"连衣裙, 红色\"\t,2024-11-01 10:00:00\t,buyer@example.com\t,1288.88\t,\t,11288.88\t,支付宝\t,在线支付\t,\t",
        "20241101000000000002\t,2024110111000000000001\t,T300001\t,\t,2024-11-01 10:00:01\t,\t,\t,7.73\t,11281.15\t,支付宝\t,服务费\t,交易服务费\t",
        "20241105000000000003\t,2024110511000000000003\t,T300001\t,\t,2024-11-05 09:00:00\t,buyer@example.com\t,\t,20.05\t,11261.10\t,支付宝\t,交易退款\t,部分退款\t",
        "20241106000000000004\t,2024110611000000000004\t,\t,\t,2024-11-06 09:00:00\t,\t,\t,10000.00\t,1261.10\t,支付宝\t,提现\t,提现到招商银行(尾号1234)\t",
        "20241107000000000005\t,2024110711000000000005\t,T300002\t,袜子\t,2024-11-07 21:30:00\t,buyer2@example.com\t,0.99\t,\t,1262.09\t,支付宝\t,在线支付\t,\t",
    ]

    static let trailer = [
        "#-----------------------------------------账务明细列表结束------------------------------------",
        "#支出合计：3笔，共10027.78元",
        "#收入合计：2笔，共1289.87元",
        "#导出时间：[2024年12月01日 13:19:01]",
        "",
    ]

    static func file(rows: [String] = rows) -> String {
        (preamble + rows + trailer).joined(separator: "\r\n")
    }
}

// MARK: - WeChat Pay 交易账单 (ALL)

enum WeChatTradeLayout {
    static let file = [
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注",
        "`2024-11-21 13:51:31,`wxfdc955f7104ad557,`180023671,`176531292,`,`4200006120241121748613220688,`WX-ORDER-1,`oZWaCKXip5njeEiloC4oeOV1TTsk,`JSAPI,`SUCCESS,`OTHERS,`CNY,`0.90,`0.00,`0,`0,`0.00,`0.00,`,`,`小样试用装,`,`0.00540,`0.60%,`0.90,`0.00,`",
        "`2024-11-21 14:00:00,`wxfdc955f7104ad557,`180023671,`176531292,`,`4200006120241121748613220699,`WX-ORDER-2,`oZWaCKXip5njeEiloC4oeOV1TTsk,`NATIVE,`SUCCESS,`CFT,`CNY,`100.00,`0.00,`0,`0,`0.00,`0.00,`,`,\"`会员年卡, 自动续费\",`,`0.60000,`0.60%,`100.00,`0.00,`",
        "`2024-11-21 15:30:00,`wxfdc955f7104ad557,`180023671,`176531292,`,`4200006120241121748613220699,`WX-ORDER-2,`oZWaCKXip5njeEiloC4oeOV1TTsk,`NATIVE,`REFUND,`CFT,`CNY,`0.00,`0.00,`50000000012024112100000000001,`REF-2,`10.00,`0.00,`ORIGINAL,`SUCCESS,`会员年卡,`,`-0.06000,`0.60%,`0.00,`10.00,`",
        "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
        "`3,`100.90,`10.00,`0.00,`0.54540,`100.90,`10.00",
        "",
    ].joined(separator: "\r\n")
}

// MARK: - Bank statements

enum BankLayout {
    /// A camt.053.001.08 statement of one EUR account: a payout credit, a fee with 5 decimals
    /// and a batch debit.
    static let camt = """
    <?xml version="1.0" encoding="UTF-8"?>
    <Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
      <BkToCstmrStmt>
        <GrpHdr><MsgId>MSG-20241120</MsgId><CreDtTm>2024-11-20T06:00:00+01:00</CreDtTm></GrpHdr>
        <Stmt>
          <Id>STMT-2024-11-19</Id>
          <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>
          <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-11-18</Dt></Dt></Bal>
          <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">2063.12433</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-11-19</Dt></Dt></Bal>
          <Ntry>
            <NtryRef>E1</NtryRef>
            <Amt Ccy="EUR">1100.47</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>2024-11-19</Dt></BookgDt>
            <ValDt><Dt>2024-11-19</Dt></ValDt>
            <AcctSvcrRef>BANK-REF-1</AcctSvcrRef>
            <NtryDtls><TxDtls>
              <Refs><EndToEndId>PAYOUT-87654321</EndToEndId></Refs>
              <RltdPties><Dbtr><Pty><Nm>Shopify International Ltd</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>IE29AIBK93115212345678</IBAN></Id></DbtrAcct></RltdPties>
              <RmtInf><Ustrd>SHOPIFY PAYOUT 87654321</Ustrd></RmtInf>
            </TxDtls></NtryDtls>
          </Ntry>
          <Ntry>
            <Amt Ccy="EUR">12.34567</Amt>
            <CdtDbtInd>DBIT</CdtDbtInd>
            <Sts>BOOK</Sts>
            <BookgDt><Dt>2024-11-19</Dt></BookgDt>
            <ValDt><Dt>2024-11-20</Dt></ValDt>
            <AddtlNtryInf>Kontofuehrung</AddtlNtryInf>
          </Ntry>
          <Ntry>
            <Amt Ccy="EUR">25.00</Amt>
            <CdtDbtInd>DBIT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts>
            <BookgDt><Dt>2024-11-19</Dt></BookgDt>
            <NtryDtls><TxDtls><Refs><EndToEndId>B-1</EndToEndId></Refs>
              <RltdPties><Cdtr><Nm>SF Express</Nm></Cdtr></RltdPties><RmtInf><Ustrd>Bill 11</Ustrd></RmtInf></TxDtls></NtryDtls>
          </Ntry>
        </Stmt>
      </BkToCstmrStmt>
    </Document>

    """

    /// An MT940 message of a CNY account: a credit and a debit.
    static let mt940 = """
    :20:STMT20241130
    :25:6222020200012345678
    :28C:00011/001
    :60F:C241129CNY10000,00
    :61:2411301130C5000,00NTRFNONREF//ALIPAY-PAYOUT-1
    :86:ALIPAY WITHDRAWAL 20241106000000000004
    :61:2411301130D120,50NCHGNONREF//FEE-1
    :86:ACCOUNT FEE NOVEMBER
    :62F:C241130CNY14879,50
    -

    """
}

// MARK: - Courier bill (顺丰 月结对账单 as CSV) and a mapped CSV

enum CourierLayout {
    static let file = [
        "运单号,寄件日期,始发地,目的地,计费重量,运费,优惠金额,应付金额,备注",
        "SF1234567890,2024-11-02,杭州,北京,1.5,23.00,2.30,20.70,首重+续重",
        "SF1234567891,2024-11-03,杭州,上海,0.5,12.00,0.00,12.00,",
        "SF1234567892,2024-11-03,杭州,广州,12.25,88.80,8.88,79.92,大件",
        "合计,,,,,,,112.62,",
        "",
    ].joined(separator: "\r\n")
}

enum MappedLayout {
    /// An own-shop export with English headers; rows are order lines.
    static let file = [
        "Order ID,Status,Placed At,Order Total,Item SKU,Item Name,Qty,Unit Price",
        "OWN-1001,Completed,2024-11-03 08:15:00,59.80,MUG-01,Coffee mug,2,29.90",
        "OWN-1002,Shipped,2024-11-04 19:00:00,120.00,TEA-01,Green tea,1,80.00",
        "OWN-1002,Shipped,2024-11-04 19:00:00,120.00,TEA-02,Black tea,1,40.00",
        "",
    ].joined(separator: "\n")

    static let mapping = ColumnMapping(
        name: "own-shop-orders", kind: .order,
        fields: ["order_number": ["Order ID"], "status": ["Status"], "created_at": ["Placed At"], "order_amount": ["Order Total"],
                 "sku": ["Item SKU"], "title": ["Item Name"], "quantity": ["Qty"], "unit_price": ["Unit Price"]],
        currency: "CNY", channel: "own")
}
