/// Where a record came from in its file.
public struct SourcePosition: Sendable, Hashable, Codable, CustomStringConvertible {
    /// 1-based physical line on which the row starts (for XLSX: the sheet row number; for
    /// MT940/camt.053: the line of the entry's first tag/element).
    public var line: Int

    public init(line: Int) { self.line = line }

    public var description: String { "line \(line)" }
}

/// The system a record comes from: a marketplace or a payment provider.
public struct Channel: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let taobao = Channel(rawValue: "taobao")
    public static let jd = Channel(rawValue: "jd")
    public static let pinduoduo = Channel(rawValue: "pinduoduo")
    public static let douyin = Channel(rawValue: "douyin")
    public static let alipay = Channel(rawValue: "alipay")
    public static let wechatPay = Channel(rawValue: "wechatpay")
    public static let shopify = Channel(rawValue: "shopify")
    public static let amazon = Channel(rawValue: "amazon")
    /// Records from the generic mapped importer whose mapping names no channel.
    public static let other = Channel(rawValue: "other")

    public var description: String { rawValue }
}

/// Order lifecycle, normalized across marketplaces. The exact text is kept in
/// ``OrderRecord/statusRaw``.
public enum OrderStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pendingPayment = "pending_payment"
    case paid
    case shipped
    case completed
    case cancelled
    case refunding
    case refunded
    case unknown
}

/// Personal data of the buyer (shown only to users allowed to see contact data).
public struct BuyerContact: Sendable, Hashable, Codable {
    public var name: String?
    public var phone: String?
    public var address: String?

    public init(name: String? = nil, phone: String? = nil, address: String? = nil) {
        self.name = name
        self.phone = phone
        self.address = address
    }

    public var isEmpty: Bool { name == nil && phone == nil && address == nil }
}

/// One product line of an order.
public struct OrderLine: Sendable, Hashable, Codable {
    /// Merchant SKU code (商家编码, 货号).
    public var sku: String?
    /// Platform product id (商品ID).
    public var productID: String?
    /// Douyin 子订单编号 and similar per-line order numbers.
    public var subOrderNumber: String?
    public var title: String?
    /// Variant text (商品规格).
    public var variant: String?
    public var quantity: Int?
    public var unitPrice: Money?
    public var lineAmount: Money?

    public init(sku: String? = nil, productID: String? = nil, subOrderNumber: String? = nil, title: String? = nil,
                variant: String? = nil, quantity: Int? = nil, unitPrice: Money? = nil, lineAmount: Money? = nil) {
        self.sku = sku
        self.productID = productID
        self.subOrderNumber = subOrderNumber
        self.title = title
        self.variant = variant
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.lineAmount = lineAmount
    }
}

/// An order from a marketplace export: one per order number (rows of multi-SKU exports are
/// aggregated; order-level amounts are counted once).
public struct OrderRecord: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var channel: Channel
    public var orderNumber: String
    /// Status as printed (`买家已付款，等待卖家发货`).
    public var statusRaw: String
    public var status: OrderStatus
    /// Buyer account name / id on the platform (买家会员名, 下单帐号).
    public var buyerID: String?
    /// Buyer's payment account (买家支付宝账号).
    public var buyerPaymentAccount: String?
    public var contact: BuyerContact
    public var storeID: String?
    public var storeName: String?
    public var createdAt: Timestamp?
    public var paidAt: Timestamp?
    public var shippedAt: Timestamp?
    public var completedAt: Timestamp?
    public var currency: String
    /// Goods total before discounts and shipping (买家应付货款, 商品总价).
    public var goodsAmount: Money?
    /// Order total the buyer owes (总金额, 订单金额, 订单应付金额).
    public var orderAmount: Money?
    /// Amount actually paid by the buyer (买家实际支付金额, 用户实付金额, 应付金额).
    public var paidAmount: Money?
    /// Discounts borne by the merchant (店铺优惠, 商家优惠).
    public var discount: Money?
    /// Discounts borne by the platform or others (平台优惠, 达人优惠).
    public var platformDiscount: Money?
    public var shipping: Money?
    /// What the merchant receives (商家实收金额, 结算金额).
    public var merchantReceivable: Money?
    /// Fees charged to the merchant on the order (卖家服务费).
    public var fees: Money?
    /// After-sales / refund status as printed (售后状态, `退款成功`).
    public var refundStatus: String?
    public var refundAmount: Money?
    public var waybillNumber: String?
    public var courier: String?
    public var buyerMessage: String?
    public var sellerMemo: String?
    public var lines: [OrderLine]
    /// `true` for a second record of an order whose rows were far apart in the file (see
    /// ``JDOrderParser``): it carries more lines; its order-level amounts repeat the first record's.
    public var isContinuation: Bool

    public init(position: SourcePosition, channel: Channel, orderNumber: String, statusRaw: String = "",
                status: OrderStatus = .unknown, currency: String = "CNY") {
        self.position = position
        self.channel = channel
        self.orderNumber = orderNumber
        self.statusRaw = statusRaw
        self.status = status
        self.contact = BuyerContact()
        self.currency = currency
        self.lines = []
        self.isContinuation = false
    }
}
