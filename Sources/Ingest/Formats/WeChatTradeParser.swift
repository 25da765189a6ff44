/// WeChat Pay 交易账单 (trade bill; ALL, SUCCESS, REFUND and the old 24-column layout): one
/// ``PlatformTransaction`` per row, columns matched by name.
///
/// Values start with a backtick (cleaned). Rows with 交易状态 `REFUND` are refunds: id
/// 微信退款单号, amount `-退款金额`, time 退款成功时间; others are sales of 应结订单金额 (old
/// layout: 总金额). 手续费 is kept exactly (5 decimals: ``Money/precise``), positive when charged
/// and negative when returned with a refund; `net = gross - fee`; 费率 `0.60%` →
/// ``PlatformTransaction/feeRatePercent``. The summary section (`总交易单数,…`) becomes a
/// ``StatementSummary``.
public struct WeChatTradeParser: TabularParser {
    public static let format = FileFormat.wechatTrade

    enum Col {
        static let time = "time", appID = "appID", merchant = "merchant", subMerchant = "subMerchant", device = "device"
        static let id = "id", order = "order", user = "user", tradeType = "tradeType", status = "status", bank = "bank"
        static let currency = "currency", settle = "settle", coupon = "coupon", refundID = "refundID"
        static let merchantRefundID = "merchantRefundID", refund = "refund", refundType = "refundType"
        static let refundStatus = "refundStatus", product = "product", attach = "attach", fee = "fee", rate = "rate"
        static let orderAmount = "orderAmount", refundRequested = "refundRequested", refundApplied = "refundApplied"
        static let refundSucceeded = "refundSucceeded"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.time, "交易时间"),
        .required(Col.id, "微信订单号"),
        .required(Col.status, "交易状态"),
        .required(Col.settle, "应结订单金额", "总金额"),
        .required(Col.fee, "手续费"),
        .optional(Col.appID, "公众账号ID"),
        .optional(Col.merchant, "商户号"),
        .optional(Col.subMerchant, "特约商户号", "子商户号"),
        .optional(Col.device, "设备号"),
        .optional(Col.order, "商户订单号"),
        .optional(Col.user, "用户标识"),
        .optional(Col.tradeType, "交易类型"),
        .optional(Col.bank, "付款银行"),
        .optional(Col.currency, "货币种类"),
        .optional(Col.coupon, "代金券金额", "代金券或立减优惠金额"),
        .optional(Col.refundApplied, "退款申请时间"),
        .optional(Col.refundSucceeded, "退款成功时间"),
        .optional(Col.refundID, "微信退款单号"),
        .optional(Col.merchantRefundID, "商户退款单号"),
        .optional(Col.refund, "退款金额"),
        .optional(Col.refundType, "退款类型"),
        .optional(Col.refundStatus, "退款状态"),
        .optional(Col.product, "商品名称"),
        .optional(Col.attach, "商户数据包"),
        .optional(Col.rate, "费率"),
        .optional(Col.orderAmount, "订单金额"),
        .optional(Col.refundRequested, "申请退款金额"),
    ]

    var section: WeChatSummarySection
    let context: ParseContext

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        section = WeChatSummarySection(format: Self.format, firstColumn: "总交易单数", countColumn: "总交易单数", line: header.line)
        self.context = context
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let currency = fields.text(Col.currency).flatMap(Currency.normalize) ?? context.options.currency
        let status = try fields.required(Col.status)
        let isRefund = status.uppercased() == "REFUND"
        let id = try fields.required(Col.id)
        let gross: Money
        let transactionID: String
        var related: String?
        if isRefund {
            let refund = try fields.requiredMoney(Col.refund, currency: currency)
            gross = refund.magnitude.negated
            transactionID = fields.text(Col.refundID) ?? id
            related = id
        } else {
            gross = try fields.requiredMoney(Col.settle, currency: currency)
            transactionID = id
        }
        var fee = try fields.money(Col.fee, currency: currency)
        if isRefund, let value = fee { fee = value.magnitude.negated }
        let net = fee.map { gross - $0 } ?? gross
        var transaction = PlatformTransaction(position: fields.position, provider: .wechatPay, transactionID: transactionID,
                                              type: isRefund ? .refund : .sale, typeRaw: status, gross: gross, fee: fee, net: net)
        transaction.relatedTransactionID = related
        transaction.orderReference = fields.text(Col.order)
        transaction.reference = isRefund ? fields.text(Col.merchantRefundID) : nil
        transaction.feeRatePercent = try fields.percent(Col.rate)
        transaction.occurredAt = isRefund ? (try fields.timestamp(Col.refundSucceeded) ?? fields.timestamp(Col.time))
                                          : try fields.timestamp(Col.time)
        transaction.counterparty = fields.text(Col.user)
        transaction.memo = fields.text(Col.product)
        transaction.account = fields.text(Col.subMerchant).flatMap { $0 == "0" ? nil : $0 } ?? fields.text(Col.merchant)
        transaction.status = fields.text(Col.refundStatus).map { "\(status)/\($0)" } ?? status
        section.rowsParsed += 1
        try emit(.transaction(transaction))
    }

    public mutating func isTrailer(_ row: Row) -> Bool {
        section.isStart(row) || (row.fields.first?.hasPrefix("#") ?? false)
    }

    public mutating func trailer(_ row: Row, emit: RecordHandler) throws {
        section.add(row, context: context)
    }

    public mutating func finish(emit: RecordHandler) throws {
        try section.finish(context: context, emit: emit)
    }
}
