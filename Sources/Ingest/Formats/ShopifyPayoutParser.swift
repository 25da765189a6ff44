/// Shopify Payments payout transactions CSV: one ``PlatformTransaction`` per row and one
/// ``PayoutRecord`` per Payout ID (emitted at the end, in order of first appearance).
///
/// Amount/Fee/Net are taken as printed (refunds negative; `Net = Amount - Fee`). Types:
/// `charge` → sale, `refund` → refund, `payout` → payout, fees → fee, others (`adjustment`,
/// `dispute`, `reserve`) → adjustment. The export has no transaction id: a stable id is derived
/// from the row's content (see ``StableRowID``). Pending rows have no Payout ID and no payout.
public struct ShopifyPayoutParser: TabularParser {
    public static let format = FileFormat.shopifyPayouts

    enum Col {
        static let date = "date", type = "type", order = "order", cardBrand = "cardBrand", cardSource = "cardSource"
        static let payoutStatus = "payoutStatus", payoutDate = "payoutDate", payoutID = "payoutID", availableOn = "availableOn"
        static let amount = "amount", fee = "fee", net = "net", checkout = "checkout", method = "method"
        static let presentmentAmount = "presentmentAmount", presentmentCurrency = "presentmentCurrency", currency = "currency"
        static let vat = "vat"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.date, "Transaction Date"),
        .required(Col.type, "Type"),
        .required(Col.amount, "Amount"),
        .required(Col.net, "Net"),
        .optional(Col.order, "Order"),
        .optional(Col.cardBrand, "Card Brand"),
        .optional(Col.cardSource, "Card Source"),
        .optional(Col.payoutStatus, "Payout Status"),
        .optional(Col.payoutDate, "Payout Date"),
        .optional(Col.payoutID, "Payout ID"),
        .optional(Col.availableOn, "Available On"),
        .optional(Col.fee, "Fee"),
        .optional(Col.checkout, "Checkout"),
        .optional(Col.method, "Payment Method Name"),
        .optional(Col.presentmentAmount, "Presentment Amount"),
        .optional(Col.presentmentCurrency, "Presentment Currency"),
        .optional(Col.currency, "Currency"),
        .optional(Col.vat, "VAT"),
    ]

    var ids = StableRowID(prefix: "shopify-")
    var payouts: [String: PayoutRecord] = [:]
    var payoutOrder: [String] = []
    let context: ParseContext
    public var dateOrder: DateOrder { .mdy }

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        self.context = context
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let currency = fields.text(Col.currency).flatMap(Currency.normalize) ?? context.options.currency
        let typeRaw = try fields.required(Col.type)
        let amount = try fields.requiredMoney(Col.amount, currency: currency)
        let net = try fields.requiredMoney(Col.net, currency: currency)
        let fee = try fields.money(Col.fee, currency: currency)
        let occurredAt = try fields.timestamp(Col.date)
        let payoutDate = try fields.date(Col.payoutDate)
        let lower = typeRaw.lowercased()
        let type: TransactionType
        switch lower {
        case "charge", "sale", "payment": type = .sale
        case "refund": type = .refund
        case "payout", "transfer": type = .payout
        default: type = lower.contains("fee") ? .fee : .adjustment
        }
        let id = ids.next([fields.raw(Col.date), typeRaw, fields.raw(Col.order), fields.raw(Col.checkout),
                           fields.raw(Col.amount), fields.raw(Col.fee), fields.raw(Col.net), fields.raw(Col.payoutID)])
        var transaction = PlatformTransaction(position: fields.position, provider: .shopify, transactionID: id, type: type,
                                              typeRaw: typeRaw, gross: amount, fee: fee, net: net)
        transaction.orderReference = fields.text(Col.order)
        transaction.reference = fields.text(Col.checkout)
        transaction.payoutID = fields.text(Col.payoutID)
        transaction.status = fields.text(Col.payoutStatus)
        transaction.occurredAt = occurredAt
        transaction.memo = [fields.text(Col.method), fields.text(Col.cardBrand)].compactMap { $0 }.joined(separator: " ").nilIfEmpty
        if let fee, fee.currency == amount.currency, amount - fee != net {
            context.warn("\(context.fileName ?? "file") line \(fields.line): Amount \(amount.amount) - Fee \(fee.amount) ≠ Net \(net.amount)")
        }
        try emit(.transaction(transaction))

        guard let payoutID = transaction.payoutID, type != .payout else { return }
        if var payout = payouts[payoutID] {
            payouts[payoutID] = nil
            payout.amount = payout.amount + net
            payout.transactionCount = (payout.transactionCount ?? 0) + 1
            payout.payoutDate = payout.payoutDate ?? payoutDate
            payout.status = payout.status ?? transaction.status
            payouts[payoutID] = payout
        } else {
            var payout = PayoutRecord(position: fields.position, provider: .shopify, payoutID: payoutID, amount: net)
            payout.payoutDate = payoutDate
            payout.status = transaction.status
            payout.transactionCount = 1
            payouts[payoutID] = payout
            payoutOrder.append(payoutID)
        }
    }

    public mutating func finish(emit: RecordHandler) throws {
        for id in payoutOrder {
            if let payout = payouts[id] { try emit(.payout(payout)) }
        }
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
