/// One generated order and its whole life as of the as-of date, decided when it is created.
struct DemoOrder {
    enum Status {
        case pendingPayment, paid, shipped, completed, cancelled, refunded
    }

    struct Line {
        var product: DemoCatalog.Product
        var quantity: Int
        var unitPrice: Int64
        var amount: Int64 { unitPrice * Int64(quantity) }
    }

    /// A return of goods (Tmall only).
    struct Return {
        var number: String
        var waybill: String
        var created: Int64
        var received: Bool
        var sku: String
        var quantity: Int
        var refund: Int64
    }

    var index: Int
    var store: DemoStore
    var role: DemoRole
    var number: String
    var buyer: String
    /// Tmall: the buyer's Alipay account as the export and the statement print it.
    var buyerAccount: String
    var contactName: String
    var address: String
    var lines: [Line]
    var shipping: Int64
    var created: Int64
    var paidAt: Int64?
    var shippedAt: Int64?
    var completedAt: Int64?
    var status: Status
    var waybill: String?
    /// Refunded amount (0: none) and when.
    var refund: Int64 = 0
    var refundAt: Int64?
    var returned: Return?
    /// The sale the platform records (`nil`: none), and whether it names the order.
    var saleGross: Int64?
    var saleReferenced = true
    /// Fees as charged: Alipay commission in basis points; WeChat fee in 1/100,000 yuan per fen.
    var commissionBP: Int64 = 0
    var wechatFeePerFen: Int64 = 6
    /// Courier line: zone index, billed grams, overcharge in fen.
    var zone = 0
    var grams = 0
    var overcharge: Int64 = 0
    /// For a planted duplicate: the earlier order's number.
    var twin: String?

    var goods: Int64 { lines.reduce(0) { $0 + $1.amount } }
    var total: Int64 { goods + shipping }
    var paid: Int64 { paidAt == nil ? 0 : total }
}
