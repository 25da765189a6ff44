/// JD (京东 POP) order export: one row per SKU; order-level amounts (订单金额, 应付金额,
/// 结算金额, 运费金额) repeat on every row of an order and are counted once.
///
/// Rows are merged into one ``OrderRecord`` per 订单号 by ``OrderAggregator`` (see there for
/// how far apart rows of one order may be: ``ParseOptions/orderMergeWindow`` distinct orders).
/// Each row becomes an ``OrderLine`` (商品ID, 货号, 商品名称, 订购数量, 京东价, and the line
/// amount 京东价 × 订购数量).
public struct JDOrderParser: TabularParser {
    public static let format = FileFormat.jd

    enum Col {
        static let orderNumber = "orderNumber", productID = "productID", title = "title", quantity = "quantity"
        static let paymentMethod = "paymentMethod", created = "created", price = "price", orderAmount = "orderAmount"
        static let settlement = "settlement", balancePaid = "balancePaid", payable = "payable", status = "status"
        static let buyer = "buyer", name = "name", address = "address", phone = "phone", memo = "memo"
        static let sellerMemo = "sellerMemo", shipping = "shipping", paidAt = "paidAt", sku = "sku"
        static let completed = "completed", waybill = "waybill", courier = "courier", shipped = "shipped"
        static let discount = "discount"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.orderNumber, "订单号"),
        .required(Col.productID, "商品ID", "商品编号"),
        .required(Col.orderAmount, "订单金额"),
        .required(Col.status, "订单状态"),
        .optional(Col.title, "商品名称"),
        .optional(Col.quantity, "订购数量", "商品数量"),
        .optional(Col.paymentMethod, "支付方式"),
        .optional(Col.created, "下单时间"),
        .optional(Col.price, "京东价", "商品单价"),
        .optional(Col.settlement, "结算金额"),
        .optional(Col.balancePaid, "余额支付"),
        .optional(Col.payable, "应付金额"),
        .optional(Col.buyer, "下单帐号", "下单账号"),
        .optional(Col.name, "客户姓名"),
        .optional(Col.address, "客户地址"),
        .optional(Col.phone, "联系电话"),
        .optional(Col.memo, "订单备注"),
        .optional(Col.sellerMemo, "商家备注"),
        .optional(Col.shipping, "运费金额"),
        .optional(Col.paidAt, "付款确认时间"),
        .optional(Col.sku, "货号", "商家SKU"),
        .optional(Col.completed, "订单完成时间"),
        .optional(Col.shipped, "出库时间", "发货时间"),
        .optional(Col.waybill, "运单号", "快递单号"),
        .optional(Col.courier, "快递公司", "承运商"),
        .optional(Col.discount, "优惠金额", "商家优惠"),
    ]

    let currency: String
    var aggregator: OrderAggregator
    let context: ParseContext

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        currency = context.options.currency
        aggregator = OrderAggregator(window: context.options.orderMergeWindow)
        self.context = context
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let number = try fields.required(Col.orderNumber)
        let statusRaw = fields.raw(Col.status)
        var order = OrderRecord(position: fields.position, channel: .jd, orderNumber: number, statusRaw: statusRaw,
                                status: OrderStatusNormalizer.normalize(statusRaw), currency: currency)
        order.buyerID = fields.text(Col.buyer)
        order.contact = BuyerContact(name: fields.text(Col.name), phone: fields.text(Col.phone), address: fields.text(Col.address))
        order.createdAt = try fields.timestamp(Col.created)
        order.paidAt = try fields.timestamp(Col.paidAt)
        order.shippedAt = try fields.timestamp(Col.shipped)
        order.completedAt = try fields.timestamp(Col.completed)
        order.orderAmount = try fields.money(Col.orderAmount, currency: currency)
        order.paidAmount = try fields.money(Col.payable, currency: currency)
        order.merchantReceivable = try fields.money(Col.settlement, currency: currency)
        order.shipping = try fields.money(Col.shipping, currency: currency)
        order.discount = try fields.money(Col.discount, currency: currency)
        order.buyerMessage = fields.text(Col.memo)
        order.sellerMemo = fields.text(Col.sellerMemo)
        order.waybillNumber = fields.text(Col.waybill)
        order.courier = fields.text(Col.courier)
        let quantity = try fields.integer(Col.quantity)
        let price = try fields.money(Col.price, currency: currency)
        var lineAmount: Money?
        if let price, let quantity, let product = price.amount.multiplied(by: quantity) {
            lineAmount = Money(product, currency: currency)
        }
        order.lines = [OrderLine(sku: fields.text(Col.sku), productID: fields.text(Col.productID), title: fields.text(Col.title),
                                 quantity: quantity, unitPrice: price, lineAmount: lineAmount)]
        let context = self.context
        try aggregator.add(order, merge: { existing, row in
            existing.lines.append(contentsOf: row.lines)
            if existing.orderAmount != row.orderAmount {
                context.warn("\(context.fileName ?? "file") line \(row.position.line): order \(row.orderNumber) has 订单金额 \(row.orderAmount?.amount.description ?? "empty") but its first row (line \(existing.position.line)) has \(existing.orderAmount?.amount.description ?? "empty"); the first is kept")
            }
            // Later rows may carry times/waybills the first lacked.
            existing.completedAt = existing.completedAt ?? row.completedAt
            existing.shippedAt = existing.shippedAt ?? row.shippedAt
            existing.waybillNumber = existing.waybillNumber ?? row.waybillNumber
        }, emit: emit)
    }

    public mutating func finish(emit: RecordHandler) throws {
        try aggregator.flush(emit)
    }
}
