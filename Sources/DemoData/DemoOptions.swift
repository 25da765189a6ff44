/// What to generate: how many orders, from which seed, for which month.
public struct DemoOptions: Sendable, Hashable {
    /// Orders over both stores (about 60% Tmall, 40% mini-program).
    public var orders: Int
    public var seed: UInt64
    public var period: DemoPeriod

    /// The smallest order count that leaves room for every planted exception and noise case.
    public static let minimumOrders = 100

    public init(orders: Int = 2000, seed: UInt64 = 1, period: DemoPeriod = .previous()) {
        self.orders = orders
        self.seed = seed
        self.period = period
    }

    /// How many records of each planted exception type: max(2, orders / 400).
    public var plantsPerType: Int { max(2, orders / 400) }
}
