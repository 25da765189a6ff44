/// What one reconciliation run covers: a tenant's period, some flows, all stores or one, judged
/// as of a date (overdue receivables, returns not received and payouts not in the bank depend on
/// how much time has passed). Every stage of a run, the custom rules included, works on this.
public struct RunScope: Sendable, Hashable, Codable {
    public var runID: Int64
    public var tenantID: Int64
    public var period: ReconPeriod
    public var flows: [ReconFlow]
    /// nil: every store of the tenant.
    public var storeID: Int64?
    /// `YYYY-MM-DD` in the tenant's time zone.
    public var asOf: String

    public init(runID: Int64, tenantID: Int64, period: ReconPeriod, flows: [ReconFlow], storeID: Int64?, asOf: String) {
        self.runID = runID
        self.tenantID = tenantID
        self.period = period
        self.flows = flows
        self.storeID = storeID
        self.asOf = asOf
    }
}
