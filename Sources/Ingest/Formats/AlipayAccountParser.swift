/// Alipay 账务明细 (account statement, `bill_type=signcustomer`): every balance movement.
///
/// Income and expense are two unsigned columns (`收入金额（+元）`, `支出金额（-元）`, also with
/// half-width brackets); the movement is `income - expense`. 业务类型 is classified by
/// ``TransactionTypeClassifier`` (提现 → payout, 交易/在线支付 → sale, 退款 → refund,
/// 服务费 → fee, 佣金/技术服务费 → commission, others → adjustment, printed type kept).
/// Withdrawals (提现) also yield a ``PayoutRecord``: the payout to find in the bank statement.
public struct AlipayAccountParser: TabularParser {
    public static let format = FileFormat.alipayAccount

    enum Col {
        static let id = "id", businessID = "businessID", order = "order", product = "product", time = "time"
        static let counterparty = "counterparty", income = "income", expense = "expense", balance = "balance"
        static let channel = "channel", type = "type", memo = "memo", baseOrder = "baseOrder", description = "description"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.id, "账务流水号"),
        .required(Col.time, "发生时间"),
        .required(Col.income, "收入金额（+元）"),
        .required(Col.expense, "支出金额（-元）"),
        .required(Col.type, "业务类型"),
        .optional(Col.businessID, "业务流水号"),
        .optional(Col.order, "商户订单号"),
        .optional(Col.product, "商品名称"),
        .optional(Col.counterparty, "对方账号", "对方账户"),
        .optional(Col.balance, "账户余额（元）"),
        .optional(Col.channel, "交易渠道"),
        .optional(Col.memo, "备注"),
        .optional(Col.baseOrder, "业务基础订单号"),
        .optional(Col.description, "业务描述"),
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
        let income = try fields.money(Col.income, currency: currency)
        let expense = try fields.money(Col.expense, currency: currency)
        guard income != nil || expense != nil else {
            throw fields.error(Col.income, value: nil, code: .missingValue, "and the expense column are both empty",
                               hint: "every movement needs an income or an expense amount")
        }
        let net = (income?.magnitude ?? .zero(currency)) - (expense?.magnitude ?? .zero(currency))
        let typeRaw = fields.raw(Col.type)
        let type = TransactionTypeClassifier.classify(typeRaw)
        var transaction = PlatformTransaction(position: fields.position, provider: .alipay, transactionID: id, type: type,
                                              typeRaw: typeRaw, gross: net, net: net)
        transaction.relatedTransactionID = fields.text(Col.businessID)
        transaction.orderReference = fields.text(Col.order) ?? fields.text(Col.baseOrder)
        transaction.occurredAt = try fields.timestamp(Col.time)
        transaction.counterparty = fields.text(Col.counterparty)
        transaction.balance = try fields.money(Col.balance, currency: currency)
        transaction.memo = fields.text(Col.memo) ?? fields.text(Col.description) ?? fields.text(Col.product)
        transaction.account = frame.summary.account
        frame.rowsParsed += 1
        try emit(.transaction(transaction))
        if type == .payout {
            var payout = PayoutRecord(position: fields.position, provider: .alipay, payoutID: id, amount: net.magnitude)
            payout.payoutDate = transaction.occurredAt?.localDate
            try emit(.payout(payout))
        }
    }

    public mutating func trailer(_ row: Row, emit: RecordHandler) throws {
        frame.trailer(row)
    }

    public mutating func finish(emit: RecordHandler) throws {
        try frame.finish(context: context, emit: emit)
    }
}
