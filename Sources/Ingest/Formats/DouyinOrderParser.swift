/// Douyin (抖店) order export: one row per sub-order (子订单), merged into one ``OrderRecord`` per
/// 主订单编号.
///
/// Per-row (sub-order) amounts are summed over the order: 订单应付金额 (→ ``OrderRecord/orderAmount``
/// and ``OrderRecord/paidAmount``), 商品金额, 商家实际承担优惠金额 (→ discount), 平台/达人实际承担
/// 优惠金额 (→ platformDiscount), 商家收入金额. 运费 is the order's and is counted once. IDs arrive as
/// `"\t6917…"` and empty values as `-` (both cleaned); masked personal data (`##密文`) is kept as
/// printed.
public struct DouyinOrderParser: TabularParser {
    public static let format = FileFormat.douyin
    public static let cleaning: FieldCleaning = [.trim, .excelGuards, .backtick, .dashAsEmpty]

    enum Col {
        static let orderNumber = "orderNumber", subOrder = "subOrder", title = "title", variant = "variant"
        static let quantity = "quantity", sku = "sku", productID = "productID", itemAmount = "itemAmount"
        static let payable = "payable", shipping = "shipping", name = "name", phone = "phone", address = "address"
        static let created = "created", paidAt = "paidAt", memo = "memo", completed = "completed", status = "status"
        static let refundStatus = "refundStatus", cancelReason = "cancelReason", shipped = "shipped"
        static let platformDiscount = "platformDiscount", merchantDiscount = "merchantDiscount"
        static let influencerDiscount = "influencerDiscount", logistics = "logistics", income = "income"
        static let buyerMessage = "buyerMessage"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.orderNumber, "主订单编号"),
        .required(Col.subOrder, "子订单编号"),
        .required(Col.payable, "订单应付金额"),
        .required(Col.status, "订单状态"),
        .optional(Col.title, "选购商品", "商品名称"),
        .optional(Col.variant, "商品规格"),
        .optional(Col.quantity, "商品数量"),
        .optional(Col.sku, "商家编码"),
        .optional(Col.productID, "商品ID"),
        .optional(Col.itemAmount, "商品金额"),
        .optional(Col.shipping, "运费"),
        .optional(Col.name, "收件人"),
        .optional(Col.phone, "收件人手机号"),
        .optional(Col.address, "详细地址"),
        .optional(Col.created, "订单提交时间"),
        .optional(Col.paidAt, "支付完成时间"),
        .optional(Col.memo, "商家备注"),
        .optional(Col.buyerMessage, "买家留言"),
        .optional(Col.completed, "订单完成时间"),
        .optional(Col.refundStatus, "售后状态"),
        .optional(Col.cancelReason, "取消原因"),
        .optional(Col.shipped, "发货时间"),
        .optional(Col.platformDiscount, "平台实际承担优惠金额"),
        .optional(Col.merchantDiscount, "商家实际承担优惠金额"),
        .optional(Col.influencerDiscount, "达人实际承担优惠金额"),
        .optional(Col.logistics, "快递信息"),
        .optional(Col.income, "商家收入金额"),
    ]

    let currency: String
    var aggregator: OrderAggregator

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        currency = context.options.currency
        aggregator = OrderAggregator(window: context.options.orderMergeWindow)
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let number = try fields.required(Col.orderNumber)
        let statusRaw = fields.raw(Col.status)
        let refundStatus = fields.text(Col.refundStatus)
        var order = OrderRecord(position: fields.position, channel: .douyin, orderNumber: number, statusRaw: statusRaw,
                                status: OrderStatusNormalizer.normalize(statusRaw, refundStatus: refundStatus), currency: currency)
        order.refundStatus = refundStatus
        order.contact = BuyerContact(name: fields.text(Col.name), phone: fields.text(Col.phone), address: fields.text(Col.address))
        order.createdAt = try fields.timestamp(Col.created)
        order.paidAt = try fields.timestamp(Col.paidAt)
        order.shippedAt = try fields.timestamp(Col.shipped)
        order.completedAt = try fields.timestamp(Col.completed)
        let payable = try fields.requiredMoney(Col.payable, currency: currency)
        order.orderAmount = payable
        order.paidAmount = payable
        order.goodsAmount = try fields.money(Col.itemAmount, currency: currency)
        order.shipping = try fields.money(Col.shipping, currency: currency)
        order.discount = try fields.money(Col.merchantDiscount, currency: currency)
        let platform = try fields.money(Col.platformDiscount, currency: currency)
        let influencer = try fields.money(Col.influencerDiscount, currency: currency)
        order.platformDiscount = Self.sum(platform, influencer)
        order.merchantReceivable = try fields.money(Col.income, currency: currency)
        order.sellerMemo = fields.text(Col.memo)
        order.buyerMessage = fields.text(Col.buyerMessage)
        if let logistics = fields.text(Col.logistics) {
            // `中通快递 75312345678901` or just the number.
            let parts = logistics.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "，" })
            if parts.count >= 2 {
                order.courier = String(parts[0])
                order.waybillNumber = String(parts[parts.count - 1])
            } else {
                order.waybillNumber = logistics
            }
        }
        order.lines = [OrderLine(sku: fields.text(Col.sku), productID: fields.text(Col.productID),
                                 subOrderNumber: fields.text(Col.subOrder), title: fields.text(Col.title),
                                 variant: fields.text(Col.variant), quantity: try fields.integer(Col.quantity),
                                 lineAmount: payable)]
        try aggregator.add(order, merge: { existing, row in
            existing.lines.append(contentsOf: row.lines)
            existing.orderAmount = Self.sum(existing.orderAmount, row.orderAmount)
            existing.paidAmount = Self.sum(existing.paidAmount, row.paidAmount)
            existing.goodsAmount = Self.sum(existing.goodsAmount, row.goodsAmount)
            existing.discount = Self.sum(existing.discount, row.discount)
            existing.platformDiscount = Self.sum(existing.platformDiscount, row.platformDiscount)
            existing.merchantReceivable = Self.sum(existing.merchantReceivable, row.merchantReceivable)
            existing.shipping = existing.shipping ?? row.shipping
            existing.refundStatus = existing.refundStatus ?? row.refundStatus
            existing.waybillNumber = existing.waybillNumber ?? row.waybillNumber
            existing.courier = existing.courier ?? row.courier
        }, emit: emit)
    }

    public mutating func finish(emit: RecordHandler) throws {
        try aggregator.flush(emit)
    }

    static func sum(_ a: Money?, _ b: Money?) -> Money? {
        switch (a, b) {
        case let (x?, y?): x + y
        case let (x, y): x ?? y
        }
    }
}
