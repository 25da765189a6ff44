import Foundation
import Ingest

extension DemoRun {
    /// Preambles and header rows.
    func writeHeaders() throws {
        try tmallOrders.line(Self.tmallHeader.joined(separator: ","))
        try alipay.line("#支付宝账务明细查询")
        try alipay.line("#账号：[" + Self.alipayAccount + "]")
        try alipay.line("#起始日期：[" + DemoCalendar.chineseDateTime(startTime) + "]   终止日期：["
                        + DemoCalendar.chineseDateTime(endTime) + "]")
        try alipay.line("#-----------------------------------------账务明细列表----------------------------------------")
        try alipay.line("账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注")
        try miniappOrders.line(Self.miniappHeader.joined(separator: ","))
        try wechatTrade.line("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"
                             + "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,"
                             + "手续费,费率,订单金额,申请退款金额,费率备注")
        try wechatFund.line("记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号")
        try courier.line(Self.courierHeader.joined(separator: ","))
        try returns.line(Self.returnsHeader.joined(separator: ","))
    }

    /// Trailers, summaries, the bank statement, the mappings and the rate card.
    func finishFiles() throws {
        let exported = DemoCalendar.start(ofDay: endDay + 1) + 8 * 3600 + 30 * 60
        try alipay.line("#-----------------------------------------账务明细列表结束------------------------------------")
        try alipay.line("#支出合计：\(alipayExpense.count)笔，共\(DemoFormat.yuan(alipayExpense.total))元")
        try alipay.line("#收入合计：\(alipayIncome.count)笔，共\(DemoFormat.yuan(alipayIncome.total))元")
        try alipay.line("#导出时间：[" + DemoCalendar.chineseDateTime(exported) + "]")
        try wechatTrade.line("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        try wechatTrade.line(["\(wechatTradeRows)", DemoFormat.yuan(wechatTotals.settle), DemoFormat.yuan(wechatTotals.refund), "0.00",
                              DemoFormat.yuan5(wechatTotals.feeUnits), DemoFormat.yuan(wechatTotals.order),
                              DemoFormat.yuan(wechatTotals.refund)].map { "`" + $0 }.joined(separator: ","))
        try wechatFund.line("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额")
        try wechatFund.line(["\(wechatFundRows.count)", "0", "0.00", "\(wechatFundRows.count)", DemoFormat.yuan(wechatFundRows.total)]
            .map { "`" + $0 }.joined(separator: ","))
        for writer in [tmallOrders, alipay, miniappOrders, wechatTrade, wechatFund, courier, returns] {
            try writer.close()
        }
        try assembleBankStatement()
        try writeMapping(Self.miniappMapping, to: Files.miniappMapping)
        try writeMapping(Self.returnsMapping, to: Files.returnsMapping)
        let card = try DemoFileWriter(directory.appendingPathComponent(Files.rateCard))
        try card.line("courier,zone,first_weight_kg,first_fee,extra_per_kg,currency")
        for zone in DemoCatalog.zones {
            try card.line([DemoCatalog.courier, zone.name, String(DemoCatalog.firstWeightGrams / 1000), DemoFormat.yuan(zone.firstFee),
                           DemoFormat.yuan(zone.extraPerKg), "CNY"].joined(separator: ","))
        }
        try card.close()
    }

    /// The mapping for the mini-program's order export (`shoprecon mapping create miniapp-orders --json-file …`).
    static let miniappMapping = ColumnMapping(
        name: "miniapp-orders", kind: .order,
        fields: [
            "order_number": ["订单号"], "created_at": ["下单时间"], "paid_at": ["支付时间"], "shipped_at": ["发货时间"],
            "completed_at": ["完成时间"], "status": ["订单状态"], "buyer_id": ["用户ID"], "sku": ["商品编码"], "title": ["商品名称"],
            "quantity": ["数量"], "unit_price": ["单价"], "line_amount": ["商品金额"], "shipping": ["运费"], "order_amount": ["订单金额"],
            "paid_amount": ["实付金额"], "refund_amount": ["退款金额"], "waybill": ["物流单号"], "courier": ["快递公司"],
            "currency": ["币种"],
        ],
        currency: "CNY", channel: "own", delimiter: ",")

    /// The mapping for the returns list (`shoprecon mapping create returns --json-file …`).
    static let returnsMapping = ColumnMapping(
        name: "returns", kind: .returnRecord,
        fields: [
            "return_number": ["退货单号"], "order_number": ["订单编号"], "waybill": ["退货运单号"], "sku": ["商品编码"],
            "quantity": ["退货数量"], "refund_amount": ["退款金额"], "received_status": ["退货状态"], "created_at": ["申请时间"],
        ],
        currency: "CNY", channel: "taobao", delimiter: ",")

    /// Only the keys a person would write; the rest take `ColumnMapping`'s defaults when read.
    private struct MappingFile: Encodable {
        var name: String
        var kind: String
        var fields: [String: [String]]
        var currency: String?
        var channel: String?
        var delimiter: String?
    }

    private func writeMapping(_ mapping: ColumnMapping, to name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(MappingFile(name: mapping.name, kind: mapping.kind.rawValue, fields: mapping.fields,
                                                  currency: mapping.currency, channel: mapping.channel, delimiter: mapping.delimiter))
        data.append(0x0A)
        try data.write(to: directory.appendingPathComponent(name))
    }

    /// Builds the truth and writes `truth.json`.
    func writeTruth() throws -> DemoTruth {
        func file(_ name: String, role: String = "import", format: String?, store: DemoStore?, mapping: String? = nil,
                  gbk: Bool = false) -> DemoTruth.File {
            DemoTruth.File(name: name, role: role, format: format, store: store?.code, mapping: mapping,
                           encoding: gbk ? "GBK" : "UTF-8", records: records[name] ?? [:])
        }
        let files = [
            file(Files.miniappMapping, role: "mapping", format: nil, store: nil, mapping: Self.miniappMapping.name),
            file(Files.returnsMapping, role: "mapping", format: nil, store: nil, mapping: Self.returnsMapping.name),
            DemoTruth.File(name: Files.rateCard, role: "rate_card", format: nil, store: nil, mapping: nil, encoding: "UTF-8",
                           records: ["rate_cards": DemoCatalog.zones.count]),
            file(Files.tmallOrders, format: FileFormat.taobao.rawValue, store: .tmall, gbk: true),
            file(Files.alipay, format: FileFormat.alipayAccount.rawValue, store: .tmall, gbk: true),
            file(Files.miniappOrders, format: FileFormat.mapped.rawValue, store: .miniapp, mapping: Self.miniappMapping.name),
            file(Files.wechatTrade, format: FileFormat.wechatTrade.rawValue, store: .miniapp),
            file(Files.wechatFund, format: FileFormat.wechatFund.rawValue, store: .miniapp),
            file(Files.bank, format: FileFormat.camt053.rawValue, store: nil),
            file(Files.courier, format: FileFormat.courier.rawValue, store: .tmall),
            file(Files.returns, format: FileFormat.mapped.rawValue, store: .tmall, mapping: Self.returnsMapping.name),
        ]
        var counts: [String: Int] = [:]
        for f in files where f.role == "import" {
            for (kind, n) in f.records where kind != "order_lines" { counts[kind, default: 0] += n }
        }
        let order = ["duplicate_order", "missing_on_platform", "transaction_without_order", "unpaid", "amount_mismatch", "fee_anomaly",
                     "refund_without_return", "return_not_received", "courier_overcharge", "payout_not_in_bank",
                     "unexplained_bank_credit", "overdue_receivable"]
        let sorted = planted.sorted {
            let a = order.firstIndex(of: $0.type) ?? 99, b = order.firstIndex(of: $1.type) ?? 99
            return a != b ? a < b : ($0.date, $0.reference) < ($1.date, $1.reference)
        }
        let truth = DemoTruth(
            seed: options.seed, period: options.period.description, asOf: DemoCalendar.date(endDay + 20),
            timeZone: DemoCalendar.zone.identifier, currency: "CNY", merchant: Self.merchant,
            stores: [DemoTruth.Store(code: DemoStore.tmall.code, name: "天猫旗舰店", channel: "tmall", currency: "CNY"),
                     DemoTruth.Store(code: DemoStore.miniapp.code, name: "微信小程序商城", channel: "own", currency: "CNY")],
            bankAccount: Self.bankAccount, files: files, counts: counts, noise: noise, planted: sorted)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(truth)
        data.append(0x0A)
        try data.write(to: directory.appendingPathComponent(Files.truth))
        return truth
    }
}
