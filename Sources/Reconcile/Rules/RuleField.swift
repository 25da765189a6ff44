/// A field a rule condition may name, per record type: the whitelist that stands between what a
/// user types and the SQL a rule compiles to. Only ``column`` (a constant of this file) ever
/// reaches statement text; the user's words are looked up here and never copied into SQL.
public struct RuleField: Sendable, Hashable {
    /// How values of the field are written and compared.
    public enum Kind: String, Sendable, Hashable {
        /// Money in major units as written (`10000`, `10,000.50`), stored in minor units.
        case money
        /// A whole number (quantity, age in days).
        case integer
        /// A decimal fraction (fee rates: `0.05` or `5%`).
        case decimal
        /// Text compared exactly (after the field's case folding).
        case text
        /// Several texts per record (the SKUs of an order's lines): `=` means "any of them".
        case textSet
        /// true/false (`yes`/`no` too).
        case bool
        /// Kilograms as written (`2.5`), compared in grams.
        case weight
    }

    /// How a text value is folded before comparison, so `channel = Taobao` finds `taobao`.
    public enum Folding: Sendable, Hashable { case none, lower, upper }

    public let name: String
    public let kind: Kind
    public let folding: Folding
    /// The output column of the record type's source query (``RuleSource``) holding the value.
    let column: String
    /// What it means, for `rules add --help` and error messages.
    public let summary: String

    init(_ name: String, _ kind: Kind, _ summary: String, folding: Folding = .none) {
        self.name = name
        self.kind = kind
        self.folding = folding
        self.column = "f_" + name
        self.summary = summary
    }

    /// The operators the field accepts.
    var allowsOrdering: Bool {
        switch kind {
        case .money, .integer, .decimal, .weight: true
        case .text, .textSet, .bool: false
        }
    }

    /// The fields of one record type, in the order help texts list them.
    public static func fields(of type: RecordType) -> [RuleField] {
        switch type {
        case .order:
            [RuleField("amount", .money, "paid amount (order_financials.paid_amount)"),
             RuleField("order_amount", .money, "order amount before payment discounts"),
             RuleField("currency", .text, "currency code, e.g. CNY", folding: .upper),
             RuleField("channel", .text, "sales channel: taobao, tmall, jd, pinduoduo, douyin, own, shopify, amazon, other", folding: .lower),
             RuleField("store", .text, "store code"),
             RuleField("sku", .textSet, "SKU of any line of the order"),
             RuleField("quantity", .integer, "total quantity of the order's lines"),
             RuleField("fee_rate", .decimal, "fees / sale of the order from its platform transactions (0.05 or 5%)"),
             RuleField("age", .integer, "days from created_at to the run's as-of date"),
             RuleField("status", .text, "order status, e.g. completed, shipped, pending_payment", folding: .lower)]
        case .transaction:
            [RuleField("amount", .money, "gross amount (signed: money in is positive)"),
             RuleField("fee", .money, "fee charged"),
             RuleField("fee_rate", .decimal, "fee / gross (0.05 or 5%)"),
             RuleField("type", .text, "sale, refund, fee, commission, payout or adjustment", folding: .lower),
             RuleField("provider", .text, "payment provider, e.g. alipay, wechatpay", folding: .lower),
             RuleField("store", .text, "store code"),
             RuleField("currency", .text, "currency code", folding: .upper),
             RuleField("age", .integer, "days from occurred_at to the as-of date")]
        case .payout:
            [RuleField("amount", .money, "payout amount"),
             RuleField("provider", .text, "payment provider", folding: .lower),
             RuleField("store", .text, "store code"),
             RuleField("currency", .text, "currency code", folding: .upper),
             RuleField("age", .integer, "days from payout_date to the as-of date")]
        case .bankLine:
            [RuleField("amount", .money, "amount (signed: credits positive)"),
             RuleField("currency", .text, "currency code", folding: .upper),
             RuleField("counterparty", .text, "counterparty name"),
             RuleField("reference", .text, "bank reference (else customer reference, else end-to-end id)"),
             RuleField("age", .integer, "days from value_date (booking_date when missing) to the as-of date")]
        case .returnRecord:
            [RuleField("amount", .money, "refund amount"),
             RuleField("store", .text, "store code"),
             RuleField("sku", .textSet, "returned SKU"),
             RuleField("quantity", .integer, "returned quantity"),
             RuleField("received", .bool, "whether the goods came back"),
             RuleField("age", .integer, "days from created_at to the as-of date")]
        case .courierLine:
            [RuleField("amount", .money, "amount due"),
             RuleField("weight", .weight, "billed weight in kg"),
             RuleField("zone", .text, "zone of the rate card"),
             RuleField("courier", .text, "courier"),
             RuleField("store", .text, "store code"),
             RuleField("age", .integer, "days from ship_date to the as-of date")]
        }
    }

    /// The field `name` of `type`, or nil.
    public static func lookup(_ name: String, in type: RecordType) -> RuleField? {
        let key = name.lowercased()
        return fields(of: type).first { $0.name == key }
    }
}
