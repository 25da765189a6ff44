/// The cost of one unit of a SKU (for profit reports).
public struct SKUCost: Sendable, Hashable, Codable {
    public var position: SourcePosition
    public var sku: String
    public var title: String?
    public var unitCost: Money
    public var effectiveFrom: LocalDate?

    public init(position: SourcePosition, sku: String, unitCost: Money) {
        self.position = position
        self.sku = sku
        self.unitCost = unitCost
    }
}
