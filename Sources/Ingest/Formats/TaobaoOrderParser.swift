import Foundation

/// Taobao/Tmall 订单报表 (order report): one row per order.
///
/// Matches columns by name (`订单付款时间 ` with its trailing space included), unwraps
/// `="1234567890"` and TAB-guarded order numbers, strips `No:` before waybill numbers. The
/// goods of an order appear as one ``OrderLine`` with 宝贝标题 and 宝贝总数量 (the order report
/// does not itemize; the 宝贝报表 does).
public struct TaobaoOrderParser: TabularParser {
    public static let format = FileFormat.taobao

    enum Col {
        static let orderNumber = "orderNumber", buyerID = "buyerID", buyerAlipay = "buyerAlipay", goods = "goods"
        static let shipping = "shipping", total = "total", paid = "paid", status = "status", message = "message"
        static let name = "name", address = "address", phone = "phone", mobile = "mobile", created = "created"
        static let paidAt = "paidAt", title = "title", waybill = "waybill", courier = "courier", memo = "memo"
        static let quantity = "quantity", storeID = "storeID", storeName = "storeName", sellerFee = "sellerFee"
        static let refund = "refund", closeReason = "closeReason", shippedAt = "shippedAt", completedAt = "completedAt"
        static let refundStatus = "refundStatus"
    }

    public static let columns: [ColumnSpec] = [
        .required(Col.orderNumber, "订单编号", "订单号"),
        .required(Col.buyerID, "买家会员名", "买家昵称"),
        .required(Col.status, "订单状态"),
        .optional(Col.buyerAlipay, "买家支付宝账号"),
        .optional(Col.goods, "买家应付货款"),
        .optional(Col.shipping, "买家应付邮费"),
        .optional(Col.total, "总金额"),
        .optional(Col.paid, "买家实际支付金额", "实付金额"),
        .optional(Col.message, "买家留言"),
        .optional(Col.name, "收货人姓名"),
        .optional(Col.address, "收货地址"),
        .optional(Col.mobile, "联系手机"),
        .optional(Col.phone, "联系电话"),
        .optional(Col.created, "订单创建时间"),
        .optional(Col.paidAt, "订单付款时间"),
        .optional(Col.shippedAt, "发货时间"),
        .optional(Col.completedAt, "确认收货时间", "交易完成时间"),
        .optional(Col.title, "宝贝标题"),
        .optional(Col.waybill, "物流单号"),
        .optional(Col.courier, "物流公司"),
        .optional(Col.memo, "订单备注"),
        .optional(Col.quantity, "宝贝总数量"),
        .optional(Col.storeID, "店铺Id"),
        .optional(Col.storeName, "店铺名称"),
        .optional(Col.sellerFee, "卖家服务费"),
        .optional(Col.refund, "退款金额"),
        .optional(Col.refundStatus, "退款状态"),
        .optional(Col.closeReason, "订单关闭原因"),
    ]

    let currency: String

    public init(header: HeaderMap, preamble: [Row], context: ParseContext) throws {
        currency = context.options.currency
    }

    public mutating func parse(_ fields: FieldReader, emit: RecordHandler) throws {
        let number = try fields.required(Col.orderNumber)
        let statusRaw = fields.raw(Col.status)
        var order = OrderRecord(position: fields.position, channel: .taobao, orderNumber: number, statusRaw: statusRaw,
                                currency: currency)
        order.buyerID = fields.text(Col.buyerID)
        order.buyerPaymentAccount = fields.text(Col.buyerAlipay)
        order.contact = BuyerContact(name: fields.text(Col.name), phone: fields.text(Col.mobile, Col.phone),
                                     address: fields.text(Col.address))
        order.storeID = fields.text(Col.storeID)
        order.storeName = fields.text(Col.storeName)
        order.createdAt = try fields.timestamp(Col.created)
        order.paidAt = try fields.timestamp(Col.paidAt)
        order.shippedAt = try fields.timestamp(Col.shippedAt)
        order.completedAt = try fields.timestamp(Col.completedAt)
        order.goodsAmount = try fields.money(Col.goods, currency: currency)
        order.shipping = try fields.money(Col.shipping, currency: currency)
        order.orderAmount = try fields.money(Col.total, currency: currency)
        order.paidAmount = try fields.money(Col.paid, currency: currency)
        order.fees = try fields.money(Col.sellerFee, currency: currency)
        order.refundAmount = try fields.money(Col.refund, currency: currency)
        order.refundStatus = fields.text(Col.refundStatus)
        if order.refundStatus == nil, let refund = order.refundAmount, !refund.isZero {
            order.refundStatus = "退款金额 \(refund.amount)"
        }
        order.waybillNumber = fields.text(Col.waybill).map(Self.stripWaybillPrefix)
        order.courier = fields.text(Col.courier)
        order.buyerMessage = fields.text(Col.message)
        order.sellerMemo = fields.text(Col.memo)
        let quantity = try fields.integer(Col.quantity)
        if let title = fields.text(Col.title) ?? (quantity != nil ? "" : nil) {
            order.lines = [OrderLine(title: title.isEmpty ? nil : title, quantity: quantity, lineAmount: order.goodsAmount)]
        }
        order.status = OrderStatusNormalizer.normalize(statusRaw, refundStatus: fields.text(Col.refundStatus))
        try emit(.order(order))
    }

    /// `No:1234567890` → `1234567890` (older Taobao exports).
    static func stripWaybillPrefix(_ text: String) -> String {
        for prefix in ["No:", "NO:", "No："] where text.hasPrefix(prefix) {
            return String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        return text
    }
}
