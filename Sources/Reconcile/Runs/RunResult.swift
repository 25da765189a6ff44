/// What a run did: its id and scope, how many matches each flow made, how many exceptions it
/// found (and how many of them are new), and how many earlier ones it cleared.
public struct RunResult: Sendable, Hashable, Codable {
    public var runID: Int64
    public var period: ReconPeriod
    public var flows: [ReconFlow]
    public var store: String?
    public var asOf: String
    public var matches: [String: Int]
    public var exceptionsByType: [String: Int]
    public var exceptionsFound: Int
    public var exceptionsNew: Int
    public var exceptionsCleared: Int
    public var ruleHits: Int
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case runID = "run_id", period, flows, store, asOf = "as_of", matches
        case exceptionsByType = "exceptions_by_type", exceptionsFound = "exceptions_found", exceptionsNew = "exceptions_new"
        case exceptionsCleared = "exceptions_cleared", ruleHits = "rule_hits", seconds
    }
}
