/// Douyin settlement (动账明细) export: one ``PlatformTransaction`` per balance movement.
///
/// 动账金额 is unsigned; 动账方向 (`入账`/`出账`) gives the sign. The fee columns (平台服务费, 佣金,
/// 招商服务费, 站外推广费) are summed into ``PlatformTransaction/fee`` (as a positive charge) and
/// ``PlatformTransaction/gross`` is `net + fee`. The header's `动帐流水号` (帐) is matched too.
public struct DouyinSettlementParser: TabularParser {
    public static let format = FileFormat.douyinSettlement
    public static let cleaning: FieldCleaning = [.trim, .excelGuards, .backtick, .dashAsEmpty]

    enum Col {
        static let time = "time", id = "id", direction = "direction", amount = "amount", account = "account"
        static let scene = "scene", billing = "billing", subOrder = "subOrder", order = "order"
        static let orderSettle = "orderSettle", freight = "freight", subsidy = "subsidy", refund = "refund"
        static let platformFee = "platformFee", commission = "commission", merchantFee = "merchantFee"
        static let promotion = "promotion", memo = "memo"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.time, "动账时间"),
        .required(Col.id, "动账流水号"),
        .required(Col.direction, "动账方向"),
        .required(Col.amount, "动账金额"),
        .optional(Col.account, "动账账户"),
        .optional(Col.scene, "动账场景"),
        .optional(Col.billing, "计费类型"),
        .optional(Col.subOrder, "子订单号"),
        .optional(Col.order, "订单号"),
        .optional(Col.orderSettle, "订单实付应结"),
        .optional(Col.freight, "运费实付"),
        .optional(Col.subsidy, "实际平台补贴"),
        .optional(Col.refund, "订单退款"),
        .optional(Col.platformFee, "平台服务费"),
        .optional(Col.commission, "佣金"),
        .optional(Col.merchantFee, "招商服务费"),
        .optional(Col.promotion, "站外推广费"),
        .optional(Col.memo, "备注"),
    ]

    let currency: String

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let id = try fields.required(Col.id)
        let amount = try fields.requiredMoney(Col.amount, currency: currency)
        let directionText = try fields.required(Col.direction)
        let net: Money
        if directionText.contains("入") || directionText.contains("收") {
            net = amount.magnitude
        } else if directionText.contains("出") || directionText.contains("支") {
            net = amount.magnitude.negated
        } else {
            throw fields.error(Col.direction, value: directionText, "is not a direction", hint: "expected 入账 or 出账")
        }
        var fee: Money?
        for key in [Col.platformFee, Col.commission, Col.merchantFee, Col.promotion] {
            if let value = try fields.money(key, currency: currency), !value.isZero {
                fee = fee.map { $0 + value.magnitude } ?? value.magnitude
            }
        }
        let scene = fields.text(Col.scene)
        let billing = fields.text(Col.billing)
        var type = TransactionTypeClassifier.classify(scene, billing)
        if type == .adjustment, net.isNegative, fields.text(Col.order) != nil, (try fields.money(Col.refund, currency: currency)).map({ !$0.isZero }) ?? false {
            type = .refund
        }
        let gross = fee.map { net + $0 } ?? net
        var transaction = PlatformTransaction(position: fields.position, provider: .douyin, transactionID: id, type: type,
                                              typeRaw: [scene, billing].compactMap { $0 }.joined(separator: "/"),
                                              gross: gross, fee: fee, net: net)
        transaction.orderReference = fields.text(Col.order)
        transaction.relatedTransactionID = fields.text(Col.subOrder)
        transaction.account = fields.text(Col.account)
        transaction.occurredAt = try fields.timestamp(Col.time)
        transaction.memo = fields.text(Col.memo)
        try emit(.transaction(transaction))
        if type == .payout {
            var payout = PayoutRecord(position: fields.position, provider: .douyin, payoutID: id, amount: net.magnitude)
            payout.payoutDate = transaction.occurredAt?.localDate
            try emit(.payout(payout))
        }
    }
}
