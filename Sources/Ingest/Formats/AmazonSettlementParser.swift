/// Amazon Settlement Report, flat file V2 (TAB-delimited).
///
/// The first data row (total-amount filled, transaction-type empty) is the settlement: it yields
/// a ``PayoutRecord`` (id settlement-id, amount total-amount, date deposit-date) and a
/// ``StatementSummary``. Every other row is one amount of one transaction → a
/// ``PlatformTransaction``: transaction-type `Order` → sale, `Refund` → refund (amount-type
/// `ItemFees` → commission when the description says Commission, else fee), other fee-like
/// descriptions → fee, transfers → payout, the rest → adjustment; `typeRaw` is
/// `transaction-type/amount-type/amount-description`. Amounts are read with
/// ``DecimalSeparator/auto`` (`95,00` in EU marketplaces); slashed dates are month-first
/// (`MM/DD/YY`) and dotted ones day-first. Ids are derived from row content (``StableRowID``).
public struct AmazonSettlementParser: TabularParser {
    public static let format = FileFormat.amazonSettlement

    enum Col {
        static let settlementID = "settlementID", start = "start", end = "end", deposit = "deposit", total = "total"
        static let currency = "currency", transactionType = "transactionType", order = "order", merchantOrder = "merchantOrder"
        static let adjustment = "adjustment", shipment = "shipment", marketplace = "marketplace", amountType = "amountType"
        static let description = "description", amount = "amount", fulfillment = "fulfillment", postedDate = "postedDate"
        static let postedDateTime = "postedDateTime", itemCode = "itemCode", merchantItem = "merchantItem"
        static let merchantAdjustmentItem = "merchantAdjustmentItem", sku = "sku", quantity = "quantity", promotion = "promotion"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.settlementID, "settlement-id"),
        .required(Col.transactionType, "transaction-type"),
        .required(Col.amountType, "amount-type"),
        .required(Col.description, "amount-description"),
        .required(Col.amount, "amount"),
        .optional(Col.start, "settlement-start-date"),
        .optional(Col.end, "settlement-end-date"),
        .optional(Col.deposit, "deposit-date"),
        .optional(Col.total, "total-amount"),
        .optional(Col.currency, "currency"),
        .optional(Col.order, "order-id"),
        .optional(Col.merchantOrder, "merchant-order-id"),
        .optional(Col.adjustment, "adjustment-id"),
        .optional(Col.shipment, "shipment-id"),
        .optional(Col.marketplace, "marketplace-name"),
        .optional(Col.fulfillment, "fulfillment-id"),
        .optional(Col.postedDate, "posted-date"),
        .optional(Col.postedDateTime, "posted-date-time"),
        .optional(Col.itemCode, "order-item-code"),
        .optional(Col.merchantItem, "merchant-order-item-id"),
        .optional(Col.merchantAdjustmentItem, "merchant-adjustment-item-id"),
        .optional(Col.sku, "sku"),
        .optional(Col.quantity, "quantity-purchased"),
        .optional(Col.promotion, "promotion-id"),
    ]

    let context: ParseContext
    var currency: String
    var ids = StableRowID(prefix: "amzn-")
    public var decimalSeparator: DecimalSeparator { .auto }
    public var dateOrder: DateOrder { .mdy }

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        self.context = context
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let settlementID = try fields.required(Col.settlementID)
        if let rowCurrency = fields.text(Col.currency).flatMap(Currency.normalize) { currency = rowCurrency }
        if fields.text(Col.transactionType) == nil, fields.text(Col.total) != nil {
            try settlement(fields, id: settlementID, emit: emit)
            return
        }
        let transactionType = try fields.required(Col.transactionType)
        let amountType = fields.raw(Col.amountType)
        let description = fields.raw(Col.description)
        let amount = try fields.requiredMoney(Col.amount, currency: currency)
        let type = Self.classify(transactionType: transactionType, amountType: amountType, description: description)
        let occurredAt: Timestamp?
        if let time = try fields.timestamp(Col.postedDateTime) {
            occurredAt = time
        } else {
            occurredAt = try fields.timestamp(Col.postedDate)
        }
        let id = ids.next([settlementID, transactionType, fields.raw(Col.order), fields.raw(Col.adjustment),
                           fields.raw(Col.shipment), amountType, description, fields.raw(Col.amount),
                           fields.raw(Col.postedDateTime), fields.raw(Col.postedDate), fields.raw(Col.itemCode), fields.raw(Col.sku)])
        var transaction = PlatformTransaction(position: fields.position, provider: .amazon, transactionID: id, type: type,
                                              typeRaw: "\(transactionType)/\(amountType)/\(description)", gross: amount, net: amount)
        transaction.orderReference = fields.text(Col.order) ?? fields.text(Col.merchantOrder)
        transaction.relatedTransactionID = fields.text(Col.adjustment) ?? fields.text(Col.shipment)
        transaction.reference = fields.text(Col.sku)
        transaction.payoutID = settlementID
        transaction.occurredAt = occurredAt
        transaction.memo = description.nilIfEmpty
        transaction.account = fields.text(Col.marketplace)
        try emit(.transaction(transaction))
    }

    private mutating func settlement(_ fields: FieldReader, id: String, emit: RecordHandler) throws {
        let total = try fields.requiredMoney(Col.total, currency: currency)
        var payout = PayoutRecord(position: fields.position, provider: .amazon, payoutID: id, amount: total)
        payout.periodStart = try fields.timestamp(Col.start)
        payout.periodEnd = try fields.timestamp(Col.end)
        payout.payoutDate = try fields.date(Col.deposit)
        var summary = StatementSummary(position: fields.position, format: Self.format)
        summary.statementID = id
        summary.periodStart = payout.periodStart
        summary.periodEnd = payout.periodEnd
        summary.declaredTotals["total-amount"] = total.amount
        if let deposit = fields.text(Col.deposit) { summary.attributes["deposit-date"] = deposit }
        try emit(.payout(payout))
        try emit(.summary(summary))
    }

    static func classify(transactionType: String, amountType: String, description: String) -> TransactionType {
        let t = transactionType.lowercased(), a = amountType.lowercased(), d = description.lowercased()
        if a.contains("itemfees") || a.contains("fee") {
            return d.contains("commission") ? .commission : .fee
        }
        if t.contains("transfer") || d.contains("transfer") || d.contains("disbursement") { return .payout }
        if t == "order" { return .sale }
        if t.contains("refund") || t.contains("chargeback") { return .refund }
        if d.contains("fee") || d.contains("subscription") { return .fee }
        return .adjustment
    }
}
