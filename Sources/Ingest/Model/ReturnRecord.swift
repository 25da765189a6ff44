/// A return (退货) received or announced for an order.
public struct ReturnRecord: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var channel: Channel
    public var returnNumber: String?
    public var orderNumber: String
    /// Waybill of the return shipment.
    public var waybill: String?
    public var sku: String?
    public var quantity: Int?
    public var refundAmount: Money?
    /// Received status as printed (`已签收`, `未收到`).
    public var receivedStatus: String?
    /// ``receivedStatus`` understood: `true` received, `false` not, `nil` unknown.
    public var received: Bool?
    public var createdAt: Timestamp?

    public init(position: SourcePosition, channel: Channel, orderNumber: String) {
        self.position = position
        self.channel = channel
        self.orderNumber = orderNumber
    }
}
