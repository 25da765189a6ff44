import ArgumentParser
import Reconcile

/// The options that select exceptions, shared by `list`, `export` and the bulk actions.
struct ExceptionFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The period, YYYY-MM.", valueName: "period"))
    var period: String?

    @Option(help: ArgumentHelp("A flow: orders, collections or returns (repeatable).", valueName: "flow"))
    var flow: [String] = []

    @Option(help: ArgumentHelp("An exception type, e.g. amount_mismatch or rule:NAME (repeatable).", valueName: "type"))
    var type: [String] = []

    @Option(help: ArgumentHelp("open, in_review, resolved, written_off, or on_hold (held until a later day) (repeatable).",
                               valueName: "status"))
    var status: [String] = []

    @Option(help: ArgumentHelp("The least severity: low, medium, high or critical.", valueName: "severity"))
    var severity: String?

    @Option(help: ArgumentHelp("A store code (repeatable).", valueName: "code"))
    var store: [String] = []

    @Option(help: ArgumentHelp("Assigned to this user (repeatable).", valueName: "username"))
    var assignee: [String] = []

    @Flag(help: "Only exceptions nobody is assigned to.")
    var unassigned = false

    @Option(name: .customLong("min-amount"),
            help: ArgumentHelp("The least absolute difference (else expected or actual amount), in the currency's units, e.g. 100 or 99.50.",
                               valueName: "amount"))
    var minAmount: String?

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Found more than this many days ago.", valueName: "days"))
    var olderThan: Int?

    /// True when no criterion was given.
    var isEmpty: Bool {
        period == nil && flow.isEmpty && type.isEmpty && status.isEmpty && severity == nil && store.isEmpty && assignee.isEmpty
            && !unassigned && minAmount == nil && olderThan == nil
    }

    func filter(ids: [Int64]) throws -> ExceptionFilter {
        var filter = ExceptionFilter(types: type, storeCodes: store, assignees: assignee, unassigned: unassigned, ids: ids,
                                     minimumAmount: minAmount, olderThanDays: olderThan)
        if let period { filter.period = try ReconPeriod(parsing: period) }
        filter.flows = try flow.flatMap { try ReconFlow.parseList($0) }
        filter.statuses = try status.map { try ExceptionFilter.StatusChoice(parsing: $0) }
        if let severity {
            guard let value = Severity(rawValue: severity.lowercased()) else {
                throw ReconcileError(.invalidInput, "unknown severity '\(severity)'", hint: "use low, medium, high or critical")
            }
            filter.minimumSeverity = value
        }
        try filter.validate()
        return filter
    }
}
