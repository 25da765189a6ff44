/// What to reconcile, as the CLI and the `reconcile_run` job's arguments say it.
public struct RunRequest: Sendable, Hashable, Codable {
    public var period: ReconPeriod
    public var flows: [ReconFlow]
    /// A store code; nil for every store.
    public var store: String?
    /// `YYYY-MM-DD`; nil for today in the tenant's time zone.
    public var asOf: String?

    public init(period: ReconPeriod, flows: [ReconFlow] = ReconFlow.allCases, store: String? = nil, asOf: String? = nil) {
        self.period = period
        self.flows = flows
        self.store = store
        self.asOf = asOf
    }

    enum CodingKeys: String, CodingKey {
        case period, flows, store
        case asOf = "as_of"
    }
}
