/// The generic CSV/XLSX importer: rows become records of the ``ColumnMapping``'s kind.
///
/// Used for ``FileFormat/mapped`` and, with the shipped default mappings, for
/// ``FileFormat/courier`` (``ColumnMapping/defaultCourier``) and ``FileFormat/bankCSV``
/// (``ColumnMapping/defaultBankCSV``). Order rows are merged by order number like JD's.
public struct MappedParser: RowParser {
    public let mapping: ColumnMapping
    let format: FileFormat
    let context: ParseContext
    let header: HeaderMap
    var aggregator: OrderAggregator
    private var warnedAccount = false
    public var decimalSeparator: DecimalSeparator { mapping.decimalSeparator ?? .dot }
    public var dateOrder: DateOrder { mapping.dateOrder ?? .ymd }

    /// Fields whose every mapped column present is read and joined.
    static let joinedFields: Set<String> = ["memo"]

    /// Header specs for a mapping: one per field (alternatives in order), and one per column of
    /// joined fields (`memo.0`, `memo.1`, …).
    public static func columns(for mapping: ColumnMapping) -> [ColumnSpec] {
        let (required, _) = ColumnMapping.fieldNames(for: mapping.kind)
        var specs: [ColumnSpec] = []
        for field in mapping.fields.keys.sorted(by: { a, b in
            let ra = required.contains(a), rb = required.contains(b)
            return ra != rb ? ra : a < b
        }) {
            let names = mapping.fields[field] ?? []
            if joinedFields.contains(field) {
                for (i, name) in names.enumerated() { specs.append(ColumnSpec("\(field).\(i)", [name])) }
            } else {
                specs.append(ColumnSpec(field, names, required: required.contains(field)))
            }
        }
        return specs
    }

    init(mapping: ColumnMapping, format: FileFormat, header: HeaderMap, context: ParseContext) throws {
        self.mapping = mapping
        self.format = format
        self.context = context
        self.header = header
        self.aggregator = OrderAggregator(window: context.options.orderMergeWindow)
        func need(_ alternatives: [String], _ what: String) throws {
            guard alternatives.contains(where: header.has) else {
                let names = alternatives.flatMap { mapping.fields[$0] ?? [] }
                throw IngestError(.missingColumns, "has no \(what) column (looked for \(names.joined(separator: ", ")))",
                                  file: context.fileName, line: header.line,
                                  hint: "add the file's column name to the mapping \"\(mapping.name)\"")
            }
        }
        switch mapping.kind {
        case .bankLine: try need(["amount", "credit", "debit"], "amount or credit/debit")
        case .transaction: try need(["gross", "net"], "amount")
        case .courierLine: try need(["amount_due", "fee"], "amount due or fee")
        default: break
        }
    }

    public mutating func isTrailer(_ row: Row) -> Bool {
        guard let first = row.firstValue else { return false }
        return mapping.trailerPrefixes.contains { first.hasPrefix($0) }
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        switch mapping.kind {
        case .bankLine: try emit(.bankLine(bankLine(fields)))
        case .courierLine: try emit(.courierLine(courierLine(fields)))
        case .transaction: try emit(.transaction(transaction(fields)))
        case .returnRecord: try emit(.returnRecord(returnRecord(fields)))
        case .skuCost: try emit(.skuCost(skuCost(fields)))
        case .order:
            let record = try order(fields)
            try aggregator.add(record, merge: { existing, row in existing.lines.append(contentsOf: row.lines) }, emit: emit)
        }
    }

    public mutating func finish(emit: RecordHandler) throws {
        try aggregator.flush(emit)
    }

    // MARK: - Helpers

    private func currency(_ fields: FieldReader) -> String {
        fields.text("currency").flatMap(Currency.normalize) ?? mapping.currency ?? context.options.currency
    }

    private var channel: Channel {
        mapping.channel.map { Channel(rawValue: $0) } ?? .other
    }

    private func memo(_ fields: FieldReader) -> String? {
        var parts: [String] = []
        for i in 0..<(mapping.fields["memo"]?.count ?? 0) {
            if let value = fields.text("memo.\(i)"), !parts.contains(value) { parts.append(value) }
        }
        return parts.isEmpty ? nil : parts.joined(separator: " | ")
    }

    /// `nil` if no direction column or an empty value; throws for an unknown value.
    private func direction(_ fields: FieldReader) throws -> Direction? {
        guard let value = fields.text("direction") else { return nil }
        let normalized = HeaderName.normalize(value)
        func matches(_ candidates: [String]) -> Bool {
            if candidates.contains(value) { return true }
            return candidates.contains { candidate in
                let c = HeaderName.normalize(candidate)
                return !c.isEmpty && (normalized == c || (c.unicodeScalars.first.map { $0.value > 0x7F } ?? false) && normalized.hasPrefix(c))
            }
        }
        if matches(mapping.creditValues) { return .credit }
        if matches(mapping.debitValues) { return .debit }
        throw fields.error("direction", value: value, "is neither a credit nor a debit marker",
                           hint: "credit: \(mapping.creditValues.joined(separator: "/")); debit: \(mapping.debitValues.joined(separator: "/"))")
    }

    /// A signed amount from a single column and the mapping's sign convention.
    private func signed(_ money: Money, _ fields: FieldReader) throws -> Money {
        if let direction = try direction(fields) {
            return direction == .credit ? money.magnitude : money.magnitude.negated
        }
        switch mapping.sign {
        case .signed: return money
        case .inverted: return money.negated
        case .directionColumn:
            throw fields.error("direction", value: nil, code: .missingValue, "is empty but gives the amount's sign")
        }
    }

    // MARK: - Kinds

    private mutating func bankLine(_ fields: FieldReader) throws -> BankStatementLine {
        let currency = currency(fields)
        let booking = try fields.date("booking_date")
        guard let booking else {
            throw fields.error("booking_date", value: nil, code: .missingValue, "is empty but a booking date is required")
        }
        let amount: Money
        let credit = try fields.money("credit", currency: currency)
        let debit = try fields.money("debit", currency: currency)
        if credit != nil || debit != nil {
            amount = (credit?.magnitude ?? .zero(currency)) - (debit?.magnitude ?? .zero(currency))
        } else if let single = try fields.money("amount", currency: currency) {
            amount = try signed(single, fields)
        } else {
            let key = header.has("amount") ? "amount" : (header.has("credit") ? "credit" : "debit")
            throw fields.error(key, value: nil, code: .missingValue, "is empty: the row has no amount")
        }
        var account = fields.text("account") ?? mapping.account ?? context.options.account
        if account == nil {
            if !warnedAccount {
                context.warn("\(context.fileName ?? "file"): no account column or configured account; bank lines have an empty account")
                warnedAccount = true
            }
            account = ""
        }
        var line = BankStatementLine(position: fields.position, account: account ?? "", amount: amount,
                                     direction: amount.isNegative ? .debit : .credit)
        line.bookingDate = booking
        line.valueDate = try fields.date("value_date")
        line.counterpartyName = fields.text("counterparty_name")
        line.counterpartyAccount = fields.text("counterparty_account")
        line.reference = fields.text("reference")
        line.customerReference = fields.text("customer_reference")
        line.endToEndID = fields.text("end_to_end_id")
        line.memo = memo(fields)
        line.balance = try fields.money("balance", currency: currency)
        line.transactionCode = fields.text("transaction_code")
        return line
    }

    private func courierLine(_ fields: FieldReader) throws -> CourierBillLine {
        let currency = currency(fields)
        let waybill = try fields.required("waybill")
        let fee = try fields.money("fee", currency: currency)
        let discount = try fields.money("discount", currency: currency)
        let due: Money
        if let value = try fields.money("amount_due", currency: currency) {
            due = value
        } else if let fee {
            due = fee - (discount?.magnitude ?? .zero(currency))
        } else {
            let key = header.has("amount_due") ? "amount_due" : "fee"
            throw fields.error(key, value: nil, code: .missingValue, "is empty: the row has no amount due")
        }
        var line = CourierBillLine(position: fields.position, waybill: waybill, amountDue: due)
        line.courier = fields.text("courier") ?? mapping.courier
        line.reference = fields.text("reference")
        line.shipDate = try fields.date("ship_date")
        line.origin = fields.text("origin")
        line.destination = fields.text("destination")
        line.zone = fields.text("zone")
        line.billedWeightGrams = try weight(fields)
        line.fee = fee
        line.discount = discount?.magnitude
        line.memo = memo(fields)
        return line
    }

    /// `1.5` (kg) → 1500 g; accepts `kg`/`公斤`/`千克`/`g`/`克` suffixes.
    private func weight(_ fields: FieldReader) throws -> Int? {
        guard let raw = fields.text("weight") else { return nil }
        var text = raw.lowercased()
        var unit = mapping.weightUnit
        for (suffix, suffixUnit) in [("kg", ColumnMapping.WeightUnit.kilogram), ("公斤", .kilogram), ("千克", .kilogram),
                                     ("g", .gram), ("克", .gram)] where text.hasSuffix(suffix) {
            text = String(text.dropLast(suffix.count))
            unit = suffixUnit
            break
        }
        guard let value = AmountParser.parse(text, style: decimalSeparator), !value.isNegative else {
            throw fields.error("weight", value: raw, "is not a weight", hint: "expected kilograms such as 1.5")
        }
        let grams = unit == .kilogram ? ExactAmount(units: value.units, scale: value.scale).multiplied(by: 1000) : value
        guard let grams, let whole = Int(exactly: grams.rounded(toScale: 0).units) else {
            throw fields.error("weight", value: raw, "is too large a weight")
        }
        return whole
    }

    private func transaction(_ fields: FieldReader) throws -> PlatformTransaction {
        let currency = currency(fields)
        let id = try fields.required("transaction_id")
        var gross = try fields.money("gross", currency: currency)
        var net = try fields.money("net", currency: currency)
        let fee = try fields.money("fee", currency: currency)
        if let value = gross { gross = try signed(value, fields) }
        if let value = net { net = try signed(value, fields) }
        guard let resolvedNet = net ?? gross.map({ g in fee.map { g - $0 } ?? g }) else {
            throw fields.error(header.has("net") ? "net" : "gross", value: nil, code: .missingValue, "is empty: the row has no amount")
        }
        let resolvedGross = gross ?? fee.map { resolvedNet + $0 } ?? resolvedNet
        let typeRaw = fields.raw("type")
        var type = TransactionTypeClassifier.classify(typeRaw)
        if typeRaw.isEmpty { type = resolvedNet.isNegative ? .refund : .sale }
        var transaction = PlatformTransaction(position: fields.position, provider: channel, transactionID: id, type: type,
                                              typeRaw: typeRaw, gross: resolvedGross, fee: fee, net: resolvedNet)
        transaction.occurredAt = try fields.timestamp("occurred_at")
        transaction.orderReference = fields.text("order_reference")
        transaction.relatedTransactionID = fields.text("related_transaction_id")
        transaction.counterparty = fields.text("counterparty")
        transaction.memo = memo(fields)
        transaction.balance = try fields.money("balance", currency: currency)
        transaction.payoutID = fields.text("payout_id")
        transaction.status = fields.text("status")
        transaction.account = fields.text("account")
        return transaction
    }

    private func order(_ fields: FieldReader) throws -> OrderRecord {
        let currency = currency(fields)
        let number = try fields.required("order_number")
        let statusRaw = fields.raw("status")
        let refundStatus = fields.text("refund_status")
        var order = OrderRecord(position: fields.position, channel: channel, orderNumber: number, statusRaw: statusRaw,
                                status: OrderStatusNormalizer.normalize(statusRaw, refundStatus: refundStatus), currency: currency)
        order.buyerID = fields.text("buyer_id")
        order.contact = BuyerContact(name: fields.text("buyer_name"), phone: fields.text("buyer_phone"), address: fields.text("address"))
        order.storeName = fields.text("store")
        order.createdAt = try fields.timestamp("created_at")
        order.paidAt = try fields.timestamp("paid_at")
        order.shippedAt = try fields.timestamp("shipped_at")
        order.completedAt = try fields.timestamp("completed_at")
        order.goodsAmount = try fields.money("goods_amount", currency: currency)
        order.orderAmount = try fields.money("order_amount", currency: currency)
        order.paidAmount = try fields.money("paid_amount", currency: currency)
        order.discount = try fields.money("discount", currency: currency)
        order.platformDiscount = try fields.money("platform_discount", currency: currency)
        order.shipping = try fields.money("shipping", currency: currency)
        order.merchantReceivable = try fields.money("merchant_receivable", currency: currency)
        order.refundStatus = refundStatus
        order.refundAmount = try fields.money("refund_amount", currency: currency)
        order.waybillNumber = fields.text("waybill")
        order.courier = fields.text("courier")
        order.sellerMemo = memo(fields)
        let quantity = try fields.integer("quantity")
        let unitPrice = try fields.money("unit_price", currency: currency)
        var lineAmount = try fields.money("line_amount", currency: currency)
        if lineAmount == nil, let unitPrice, let quantity, let product = unitPrice.amount.multiplied(by: quantity) {
            lineAmount = Money(product, currency: currency)
        }
        let line = OrderLine(sku: fields.text("sku"), productID: fields.text("product_id"), title: fields.text("title"),
                             variant: fields.text("variant"), quantity: quantity, unitPrice: unitPrice, lineAmount: lineAmount)
        if line.sku != nil || line.productID != nil || line.title != nil || quantity != nil || lineAmount != nil {
            order.lines = [line]
        }
        return order
    }

    private func returnRecord(_ fields: FieldReader) throws -> ReturnRecord {
        let currency = currency(fields)
        var record = ReturnRecord(position: fields.position, channel: channel, orderNumber: try fields.required("order_number"))
        record.returnNumber = fields.text("return_number")
        record.waybill = fields.text("waybill")
        record.sku = fields.text("sku")
        record.quantity = try fields.integer("quantity")
        record.refundAmount = try fields.money("refund_amount", currency: currency)
        record.receivedStatus = fields.text("received_status")
        if let status = record.receivedStatus.map(HeaderName.normalize) {
            if ["未", "待", "not", "pending", "no"].contains(where: { status.contains($0) }) {
                record.received = false
            } else if ["已签收", "已收货", "已入库", "已收到", "签收", "received", "yes", "是"].contains(where: { status.contains($0) }) {
                record.received = true
            }
        }
        record.createdAt = try fields.timestamp("created_at")
        return record
    }

    private func skuCost(_ fields: FieldReader) throws -> SKUCost {
        let currency = currency(fields)
        var cost = SKUCost(position: fields.position, sku: try fields.required("sku"),
                           unitCost: try fields.requiredMoney("unit_cost", currency: currency))
        cost.title = fields.text("title")
        cost.effectiveFrom = try fields.date("effective_from")
        return cost
    }
}
