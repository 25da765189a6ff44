/// What a platform transaction is, normalized. The printed type is kept in
/// ``PlatformTransaction/typeRaw``.
public enum TransactionType: String, Sendable, Hashable, Codable, CaseIterable {
    case sale
    case refund
    case fee
    case commission
    case payout
    case adjustment
}

/// One movement on a payment provider or marketplace account (Alipay, WeChat Pay, Douyin,
/// Shopify, Amazon).
///
/// Sign convention: amounts are from the merchant's point of view. ``net`` is the signed effect
/// on the merchant's platform balance (sales positive, refunds/fees/payouts negative);
/// `net == gross - fee` where the file gives a fee (``fee`` positive when charged).
public struct PlatformTransaction: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var provider: Channel
    /// The provider's id of this movement (支付宝交易号, 账务流水号, 微信订单号/微信退款单号, …).
    public var transactionID: String
    /// The merchant's order number (商户订单号, Order, order-id).
    public var orderReference: String?
    /// Another id of the provider linking related movements (业务流水号, the original payment of a
    /// refund, 业务凭证号).
    public var relatedTransactionID: String?
    /// Another reference the provider prints (WeChat 业务凭证号, Shopify Checkout).
    public var reference: String?
    /// The merchant's account at the provider (Alipay PID account, WeChat 商户号, Douyin 动账账户).
    public var account: String?
    public var type: TransactionType
    /// Type as printed (`交易`, `退款`, `charge`, `ItemFees/Commission`).
    public var typeRaw: String
    public var gross: Money
    public var fee: Money?
    public var net: Money
    /// Fee rate in percent (`0.60` for WeChat's `0.60%`).
    public var feeRatePercent: ExactAmount?
    public var occurredAt: Timestamp?
    /// Counterparty account or name as printed (often masked).
    public var counterparty: String?
    public var memo: String?
    /// Account balance after this movement, when the file prints it.
    public var balance: Money?
    /// The payout/settlement this movement was paid out in (Shopify Payout ID, Amazon settlement-id).
    public var payoutID: String?
    /// Status as printed (`SUCCESS`, `pending`).
    public var status: String?

    public init(position: SourcePosition, provider: Channel, transactionID: String, type: TransactionType,
                typeRaw: String, gross: Money, fee: Money? = nil, net: Money) {
        self.position = position
        self.provider = provider
        self.transactionID = transactionID
        self.type = type
        self.typeRaw = typeRaw
        self.gross = gross
        self.fee = fee
        self.net = net
    }

    public var currency: String { net.currency }
}

/// A payout (settlement) from a platform to the merchant's bank account: what must be found as a
/// credit in the bank statement.
public struct PayoutRecord: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var provider: Channel
    /// Payout ID, settlement-id.
    public var payoutID: String
    /// The amount paid out (positive: to the merchant).
    public var amount: Money
    /// Date the money is deposited or expected (Payout Date, deposit-date).
    public var payoutDate: LocalDate?
    public var status: String?
    public var periodStart: Timestamp?
    public var periodEnd: Timestamp?
    /// Number of transactions in the payout, when known.
    public var transactionCount: Int?

    public init(position: SourcePosition, provider: Channel, payoutID: String, amount: Money) {
        self.position = position
        self.provider = provider
        self.payoutID = payoutID
        self.amount = amount
    }
}
