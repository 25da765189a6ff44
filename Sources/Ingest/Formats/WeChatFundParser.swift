import Foundation

/// WeChat Pay 资金账单 (fund flow bill): one ``PlatformTransaction`` per balance movement.
///
/// 收支金额 is unsigned; 收支类型 (`收入`/`支出`) gives the sign. 业务类型/业务名称 are classified
/// by ``TransactionTypeClassifier``; withdrawals (提现) also yield a ``PayoutRecord``. Literal
/// `\r`/`\n` escapes in 备注 become line breaks. The summary section (`资金流水总笔数,…`) becomes
/// a ``StatementSummary``.
public struct WeChatFundParser: TabularParser {
    public static let format = FileFormat.wechatFund

    enum Col {
        static let time = "time", businessID = "businessID", id = "id", name = "name", type = "type"
        static let direction = "direction", amount = "amount", balance = "balance", applicant = "applicant"
        static let memo = "memo", voucher = "voucher"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.time, "记账时间"),
        .required(Col.id, "资金流水单号"),
        .required(Col.type, "业务类型"),
        .required(Col.direction, "收支类型"),
        .required(Col.amount, "收支金额(元)"),
        .optional(Col.businessID, "微信支付业务单号"),
        .optional(Col.name, "业务名称"),
        .optional(Col.balance, "账户结余(元)"),
        .optional(Col.applicant, "资金变更提交申请人"),
        .optional(Col.memo, "备注"),
        .optional(Col.voucher, "业务凭证号"),
    ]

    var section: WeChatSummarySection
    let context: ParseContext
    let currency: String

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        section = WeChatSummarySection(format: Self.format, firstColumn: "资金流水总笔数", countColumn: "资金流水总笔数", line: header.line)
        self.context = context
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let id = try fields.required(Col.id)
        let amount = try fields.requiredMoney(Col.amount, currency: currency)
        let direction = try fields.required(Col.direction)
        let net: Money
        if direction.contains("收入") || direction == "收" {
            net = amount.magnitude
        } else if direction.contains("支出") || direction == "支" {
            net = amount.magnitude.negated
        } else {
            throw fields.error(Col.direction, value: direction, "is not 收入 or 支出")
        }
        let typeRaw = fields.raw(Col.type)
        let name = fields.text(Col.name)
        let type = TransactionTypeClassifier.classify(typeRaw, name)
        var transaction = PlatformTransaction(position: fields.position, provider: .wechatPay, transactionID: id, type: type,
                                              typeRaw: [name, typeRaw].compactMap { $0 }.joined(separator: "/"), gross: net, net: net)
        transaction.relatedTransactionID = fields.text(Col.businessID)
        transaction.reference = fields.text(Col.voucher)
        transaction.occurredAt = try fields.timestamp(Col.time)
        transaction.balance = try fields.money(Col.balance, currency: currency)
        transaction.counterparty = fields.text(Col.applicant)
        transaction.memo = fields.text(Col.memo).map(Self.unescape)
        section.rowsParsed += 1
        try emit(.transaction(transaction))
        if type == .payout {
            var payout = PayoutRecord(position: fields.position, provider: .wechatPay, payoutID: id, amount: net.magnitude)
            payout.payoutDate = transaction.occurredAt?.localDate
            try emit(.payout(payout))
        }
    }

    /// `缺货\\r\\n补发` → `缺货\n补发`.
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        return text.replacingOccurrences(of: "\\r\\n", with: "\n")
            .replacingOccurrences(of: "\\n", with: "\n")
            .replacingOccurrences(of: "\\r", with: "\n")
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
