/// Alipay 业务明细 (trade bill, `bill_type=trade`): one ``PlatformTransaction`` per payment-API
/// transaction.
///
/// `交易` rows are sales, `退款` rows refunds (printed negative). ``PlatformTransaction/gross`` is
/// 商家实收 (what the merchant receives), ``PlatformTransaction/fee`` the 服务费 (positive when
/// charged, negative when returned with a refund), `net = gross - fee`. The preamble's account
/// and period and the trailer's totals (`#交易合计：6笔…`) become a ``StatementSummary`` emitted
/// last.
public struct AlipayTradeParser: TabularParser {
    public static let format = FileFormat.alipayTrade

    enum Col {
        static let id = "id", order = "order", type = "type", product = "product", created = "created"
        static let completed = "completed", storeID = "storeID", storeName = "storeName", counterparty = "counterparty"
        static let orderAmount = "orderAmount", received = "received", refundBatch = "refundBatch", fee = "fee"
        static let sharing = "sharing", memo = "memo"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.id, "支付宝交易号"),
        .required(Col.type, "业务类型"),
        .required(Col.orderAmount, "订单金额（元）"),
        .required(Col.received, "商家实收（元）"),
        .optional(Col.order, "商户订单号"),
        .optional(Col.product, "商品名称"),
        .optional(Col.created, "创建时间"),
        .optional(Col.completed, "完成时间"),
        .optional(Col.storeID, "门店编号"),
        .optional(Col.storeName, "门店名称"),
        .optional(Col.counterparty, "对方账户"),
        .optional(Col.refundBatch, "退款批次号/请求号"),
        .optional(Col.fee, "服务费（元）"),
        .optional(Col.sharing, "分润（元）"),
        .optional(Col.memo, "备注"),
    ]

    var frame: AlipayBillFrame
    let context: ParseContext
    let currency: String

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        frame = AlipayBillFrame(format: Self.format, preamble: preamble, header: header, context: context)
        self.context = context
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let id = try fields.required(Col.id)
        let typeRaw = try fields.required(Col.type)
        let received = try fields.requiredMoney(Col.received, currency: currency)
        _ = try fields.requiredMoney(Col.orderAmount, currency: currency)
        let type: TransactionType = typeRaw.contains("退款") ? .refund : (typeRaw.contains("交易") ? .sale : TransactionTypeClassifier.classify(typeRaw))
        var fee = try fields.money(Col.fee, currency: currency)
        if let value = fee {
            fee = type == .refund ? value.magnitude.negated : value.magnitude
        }
        let net = fee.map { received - $0 } ?? received
        var transaction = PlatformTransaction(position: fields.position, provider: .alipay, transactionID: id, type: type,
                                              typeRaw: typeRaw, gross: received, fee: fee, net: net)
        transaction.orderReference = fields.text(Col.order)
        transaction.relatedTransactionID = fields.text(Col.refundBatch)
        transaction.occurredAt = try fields.timestamp(Col.completed) ?? fields.timestamp(Col.created)
        transaction.counterparty = fields.text(Col.counterparty)
        transaction.memo = fields.text(Col.memo) ?? fields.text(Col.product)
        transaction.account = frame.summary.account
        frame.rowsParsed += 1
        try emit(.transaction(transaction))
    }

    public mutating func trailer(_ row: Row, emit: RecordHandler) throws {
        frame.trailer(row)
    }

    public mutating func finish(emit: RecordHandler) throws {
        try frame.finish(context: context, emit: emit)
    }
}
