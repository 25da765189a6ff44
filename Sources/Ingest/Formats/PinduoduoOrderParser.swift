/// Pinduoduo (拼多多) order export: one row per order (CSV or XLSX).
///
/// Discounts: 店铺优惠折扣 is the merchant's; 平台优惠折扣 and 多多支付立减金额 are added into
/// ``OrderRecord/platformDiscount``. 售后状态 (`退款成功`) refines the normalized status.
public struct PinduoduoOrderParser: TabularParser {
    public static let format = FileFormat.pinduoduo

    enum Col {
        static let title = "title", orderNumber = "orderNumber", status = "status", goods = "goods"
        static let storeDiscount = "storeDiscount", platformDiscount = "platformDiscount", ddDiscount = "ddDiscount"
        static let shipping = "shipping", paid = "paid", receivable = "receivable", quantity = "quantity"
        static let created = "created", shipped = "shipped", completed = "completed", productID = "productID"
        static let variant = "variant", sku = "sku", goodsSKU = "goodsSKU", memo = "memo", refundStatus = "refundStatus"
        static let waybill = "waybill", courier = "courier", name = "name", phone = "phone", address = "address"
        static let paidAt = "paidAt"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.orderNumber, "订单号"),
        .required(Col.status, "订单状态"),
        .required(Col.paid, "用户实付金额"),
        .optional(Col.title, "商品", "商品名称"),
        .optional(Col.goods, "商品总价"),
        .optional(Col.storeDiscount, "店铺优惠折扣"),
        .optional(Col.platformDiscount, "平台优惠折扣"),
        .optional(Col.ddDiscount, "多多支付立减金额"),
        .optional(Col.shipping, "邮费"),
        .optional(Col.receivable, "商家实收金额"),
        .optional(Col.quantity, "商品数量"),
        .optional(Col.created, "订单成交时间"),
        .optional(Col.paidAt, "支付时间"),
        .optional(Col.shipped, "发货时间"),
        .optional(Col.completed, "确认收货时间"),
        .optional(Col.productID, "商品id"),
        .optional(Col.variant, "商品规格"),
        .optional(Col.sku, "商家编码-规格维度", "商家编码-SKU维度"),
        .optional(Col.goodsSKU, "商家编码-商品维度"),
        .optional(Col.memo, "商家备注"),
        .optional(Col.refundStatus, "售后状态"),
        .optional(Col.waybill, "快递单号"),
        .optional(Col.courier, "快递公司"),
        .optional(Col.name, "收货人"),
        .optional(Col.phone, "手机", "收货人手机号"),
        .optional(Col.address, "详细地址", "收货地址"),
    ]

    let currency: String

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let number = try fields.required(Col.orderNumber)
        let statusRaw = fields.raw(Col.status)
        let refundStatus = fields.text(Col.refundStatus)
        var order = OrderRecord(position: fields.position, channel: .pinduoduo, orderNumber: number, statusRaw: statusRaw,
                                status: OrderStatusNormalizer.normalize(statusRaw, refundStatus: refundStatus), currency: currency)
        order.refundStatus = refundStatus
        order.contact = BuyerContact(name: fields.text(Col.name), phone: fields.text(Col.phone), address: fields.text(Col.address))
        order.createdAt = try fields.timestamp(Col.created)
        order.paidAt = try fields.timestamp(Col.paidAt) ?? order.createdAt
        order.shippedAt = try fields.timestamp(Col.shipped)
        order.completedAt = try fields.timestamp(Col.completed)
        order.goodsAmount = try fields.money(Col.goods, currency: currency)
        order.discount = try fields.money(Col.storeDiscount, currency: currency)
        let platform = try fields.money(Col.platformDiscount, currency: currency)
        let duoduo = try fields.money(Col.ddDiscount, currency: currency)
        switch (platform, duoduo) {
        case let (p?, d?): order.platformDiscount = p + d
        case let (p, d): order.platformDiscount = p ?? d
        }
        order.shipping = try fields.money(Col.shipping, currency: currency)
        order.paidAmount = try fields.money(Col.paid, currency: currency)
        order.orderAmount = order.paidAmount
        order.merchantReceivable = try fields.money(Col.receivable, currency: currency)
        order.sellerMemo = fields.text(Col.memo)
        order.waybillNumber = fields.text(Col.waybill)
        order.courier = fields.text(Col.courier)
        order.lines = [OrderLine(sku: fields.text(Col.sku, Col.goodsSKU), productID: fields.text(Col.productID),
                                 title: fields.text(Col.title), variant: fields.text(Col.variant),
                                 quantity: try fields.integer(Col.quantity), lineAmount: order.goodsAmount)]
        try emit(.order(order))
    }
}
