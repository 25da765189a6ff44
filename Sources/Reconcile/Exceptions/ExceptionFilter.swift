import PostgresClient

/// Which exceptions a listing, an export or a bulk action works on. Every criterion narrows the
/// selection (criteria combine with AND, the values of one criterion with OR); an empty filter
/// selects every exception the user may see.
///
/// ``compile(binds:)`` turns it into a WHERE clause over `recon_exceptions e` whose values are
/// all `$n` parameters, so nothing a user types ever becomes SQL text.
public struct ExceptionFilter: Sendable, Hashable, Codable {
    /// A status to select, or `on_hold`: open or in review with a `hold_until` after today (in
    /// the tenant's time zone).
    public enum StatusChoice: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        case open
        case inReview = "in_review"
        case resolved
        case writtenOff = "written_off"
        case onHold = "on_hold"

        public var description: String { rawValue }

        /// Reads `open`, `in_review` (also `in-review`, `review`), `resolved`, `written_off`
        /// (also `write-off`, `written-off`) and `on_hold` (also `hold`, `on-hold`).
        public init(parsing text: String) throws {
            let word = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "-", with: "_")
            switch word {
            case "open": self = .open
            case "in_review", "review", "inreview": self = .inReview
            case "resolved": self = .resolved
            case "written_off", "write_off", "writtenoff": self = .writtenOff
            case "on_hold", "hold", "held": self = .onHold
            default:
                throw ReconcileError(.invalidInput, "unknown status '\(text)'",
                                     hint: "use " + Self.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
    }

    public var period: ReconPeriod?
    public var flows: [ReconFlow] = []
    /// Exception types (`amount_mismatch`, `rule:big-orders`).
    public var types: [String] = []
    public var statuses: [StatusChoice] = []
    /// Only exceptions at least this severe.
    public var minimumSeverity: Severity?
    public var storeCodes: [String] = []
    /// User names of assignees.
    public var assignees: [String] = []
    /// Only exceptions nobody is assigned to.
    public var unassigned = false
    public var ids: [Int64] = []
    /// The smallest absolute amount (the difference, else the expected or actual amount) in the
    /// exception's currency, as a decimal (`100`, `99.50`).
    public var minimumAmount: String?
    /// Only exceptions found more than this many days ago.
    public var olderThanDays: Int?

    public init(period: ReconPeriod? = nil, flows: [ReconFlow] = [], types: [String] = [], statuses: [StatusChoice] = [],
                minimumSeverity: Severity? = nil, storeCodes: [String] = [], assignees: [String] = [], unassigned: Bool = false,
                ids: [Int64] = [], minimumAmount: String? = nil, olderThanDays: Int? = nil) {
        self.period = period
        self.flows = flows
        self.types = types
        self.statuses = statuses
        self.minimumSeverity = minimumSeverity
        self.storeCodes = storeCodes
        self.assignees = assignees
        self.unassigned = unassigned
        self.ids = ids
        self.minimumAmount = minimumAmount
        self.olderThanDays = olderThanDays
    }

    /// A filter for exactly these exceptions.
    public static func ids(_ ids: [Int64]) -> ExceptionFilter { ExceptionFilter(ids: ids) }

    /// True when no criterion is set (every visible exception matches).
    public var isEmpty: Bool { self == ExceptionFilter() }

    /// Refuses values that cannot match anything sensible, with a hint on what to write instead.
    public func validate() throws {
        for type in types {
            guard type.wholeMatch(of: /[a-z_]+(:[a-z0-9_.\-]+)?/) != nil else {
                throw ReconcileError(.invalidInput, "'\(type)' is not an exception type",
                                     hint: "types: " + ExceptionType.allCases.map(\.rawValue).joined(separator: ", ") + ", or rule:NAME")
            }
            if !type.hasPrefix("rule:"), ExceptionType(rawValue: type) == nil {
                throw ReconcileError(.invalidInput, "unknown exception type '\(type)'",
                                     hint: "types: " + ExceptionType.allCases.map(\.rawValue).joined(separator: ", ") + ", or rule:NAME")
            }
        }
        if let minimumAmount, minimumAmount.wholeMatch(of: /[0-9]{1,15}(\.[0-9]{1,3})?/) == nil {
            throw ReconcileError(.invalidInput, "'\(minimumAmount)' is not an amount", hint: "write it as a plain decimal, e.g. 100 or 99.50")
        }
        if let olderThanDays, olderThanDays < 0 {
            throw ReconcileError(.invalidInput, "--older-than must be a number of days, 0 or more")
        }
        if unassigned && !assignees.isEmpty {
            throw ReconcileError(.invalidInput, "ask either for unassigned exceptions or for some assignees, not both")
        }
    }

    /// Currencies whose minor unit is not a hundredth (ISO 4217).
    static let zeroDecimalCurrencies = ["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "XPF", "PYG", "RWF", "KMF",
                                        "GNF", "DJF", "BIF", "VUV"]
    static let threeDecimalCurrencies = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    /// The conditions over `recon_exceptions e`, joined with AND, starting with the tenant
    /// (`$1`, which `binds` must already hold). Further values are appended to `binds` and
    /// referenced by their position.
    public func compile(binds: inout [any PostgresEncodable]) -> String {
        var conditions = ["e.tenant_id = $1"]
        func parameter(_ value: any PostgresEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let period {
            conditions.append("e.period = \(parameter(period.firstDay))::date")
        }
        if !flows.isEmpty {
            conditions.append("e.flow = ANY(\(parameter(flows.map(\.rawValue)))::text[])")
        }
        if !types.isEmpty {
            conditions.append("e.type = ANY(\(parameter(types))::text[])")
        }
        if !statuses.isEmpty {
            var alternatives: [String] = []
            let real = statuses.filter { $0 != .onHold }.map(\.rawValue)
            if !real.isEmpty { alternatives.append("e.status = ANY(\(parameter(real))::text[])") }
            if statuses.contains(.onHold) {
                alternatives.append("(e.status IN ('open', 'in_review') AND e.hold_until > recon_tenant_today($1))")
            }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
        }
        if let minimumSeverity {
            let severities = Severity.allCases.filter { $0 >= minimumSeverity }.map(\.rawValue)
            conditions.append("e.severity = ANY(\(parameter(severities))::text[])")
        }
        if !storeCodes.isEmpty {
            conditions.append("e.store_id IN (SELECT s.store_id FROM stores s WHERE s.tenant_id = $1 AND s.code = ANY(\(parameter(storeCodes))::text[]))")
        }
        if !assignees.isEmpty {
            conditions.append("""
                e.assignee_id IN (SELECT u.user_id FROM users u WHERE u.tenant_id = $1 \
                AND lower(u.username) = ANY(\(parameter(assignees.map { $0.lowercased() }))::text[]))
                """)
        }
        if unassigned {
            conditions.append("e.assignee_id IS NULL")
        }
        if !ids.isEmpty {
            conditions.append("e.exception_id = ANY(\(parameter(ids))::bigint[])")
        }
        if let minimumAmount {
            let zero = parameter(Self.zeroDecimalCurrencies), three = parameter(Self.threeDecimalCurrencies)
            conditions.append("""
                abs(coalesce(e.difference, e.expected, e.actual))::numeric >= \(parameter(minimumAmount))::numeric \
                * CASE WHEN e.currency::text = ANY(\(zero)::text[]) THEN 1 WHEN e.currency::text = ANY(\(three)::text[]) THEN 1000 ELSE 100 END
                """)
        }
        if let olderThanDays {
            conditions.append("e.found_at < now() - make_interval(days => \(parameter(olderThanDays))::int)")
        }
        return conditions.joined(separator: "\n  AND ")
    }

    /// The filter in the words of the CLI's options, for messages (`--period 2026-10 --status open`).
    public var summary: String {
        var parts: [String] = []
        if let period { parts.append("--period \(period)") }
        parts += flows.map { "--flow \($0)" }
        parts += types.map { "--type \($0)" }
        parts += statuses.map { "--status \($0)" }
        if let minimumSeverity { parts.append("--severity \(minimumSeverity)") }
        parts += storeCodes.map { "--store \($0)" }
        parts += assignees.map { "--assignee \($0)" }
        if unassigned { parts.append("--unassigned") }
        if !ids.isEmpty { parts.append("ids " + ids.map(String.init).joined(separator: ",")) }
        if let minimumAmount { parts.append("--min-amount \(minimumAmount)") }
        if let olderThanDays { parts.append("--older-than \(olderThanDays)") }
        return parts.isEmpty ? "(no filter)" : parts.joined(separator: " ")
    }
}
