/// One shipment on a courier's monthly bill (月结对账单).
public struct CourierBillLine: Sendable, Hashable, Codable {
    public var position: SourcePosition
    /// Courier name (`顺丰`, `中通`) from the mapping or a column.
    public var courier: String?
    public var waybill: String
    /// The merchant's reference (order number) when the bill prints it.
    public var reference: String?
    public var shipDate: LocalDate?
    public var origin: String?
    public var destination: String?
    public var zone: String?
    /// Billed weight in grams (printed in kg: `1.5` → 1500; rounded half-up to whole grams).
    public var billedWeightGrams: Int?
    /// Freight before discounts (运费/费用).
    public var fee: Money?
    /// Discount (折扣/优惠), positive.
    public var discount: Money?
    /// Amount due (应付金额).
    public var amountDue: Money
    public var memo: String?

    public init(position: SourcePosition, waybill: String, amountDue: Money) {
        self.position = position
        self.waybill = waybill
        self.amountDue = amountDue
    }
}
