import ArgumentParser
import Reconcile

/// `shoprecon match`: matching by hand.
struct MatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match records by hand, remove manual matches, list matches (match.manual).",
        discussion: """
            Name records as TYPE:REFERENCE (order:1001, transaction:2026100122001, payout:PAY01, \
            bank_line:REF123, return:RT1, courier_line:SF1234) or TYPE#ID as listings show them. \
            Manual matches survive re-runs; the "no counterpart" exceptions of their records are \
            resolved with the match as the note. Every manual action is in the audit log.

            Examples:
              shoprecon match add --left order:1001 --right transaction:T1001 --reason "paid by bank transfer"
              shoprecon match add --left payout:PAY7 --right bank_line:B1 --right bank_line:B2 --reason "split by the bank"
              shoprecon match remove 412
            """,
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Match records on one side with records on the other.")
        @Option(name: .long, help: ArgumentHelp("A record of the starting side (order, payout, return); repeat for several.",
                                                valueName: "type:ref")) var left: [String] = []
        @Option(name: .long, help: ArgumentHelp("A record of the evidence side (transaction, bank_line, courier_line); repeat for several.",
                                                valueName: "type:ref")) var right: [String] = []
        @Option(help: "Why these belong together (kept with the match and in the audit log).") var reason: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let lefts = try left.map(RecordRef.init(parsing:))
                let rights = try right.map(RecordRef.init(parsing:))
                let reason = self.reason
                let match = try await access.run { tx, context in
                    try ManualMatcher.add(left: lefts, right: rights, reason: reason, context: context, on: tx)
                }
                try emit(match, json: output.json) {
                    "Match \(match.matchID) (\(match.flow), \(match.shape), period \(match.period)): "
                        + match.left.map { "\($0.type.rawValue):\($0.reference)" }.joined(separator: " + ") + " = "
                        + match.right.map { "\($0.type.rawValue):\($0.reference)" }.joined(separator: " + ")
                        + (match.exceptionsResolved > 0 ? "; \(match.exceptionsResolved) exception(s) resolved" : "")
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a manual match; the next run treats its records again.")
        @Argument(help: "The match id (see `shoprecon match list --manual`).") var matchID: Int64
        @OptionGroup var access: TenantAccessOptions

        func run() async throws {
            try await runCommand {
                let id = matchID
                try await access.run { tx, context in try ManualMatcher.remove(matchID: id, context: context, on: tx) }
                print("Removed match \(id). Run the period again to match its records automatically.")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List matches with their records.")
        @Option(help: ArgumentHelp("Only this month.", valueName: "YYYY-MM")) var period: String?
        @Option(help: ArgumentHelp("Only this flow.", valueName: "flow")) var flow: String?
        @Flag(help: "Only manual matches.") var manual = false
        @Option(help: "How many at most.") var limit = 50
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let period = try self.period.map(ReconPeriod.init(parsing:))
                let flow = try self.flow.map { text -> ReconFlow in
                    guard let flow = ReconFlow(rawValue: text) else {
                        throw ReconcileError(.invalidInput, "unknown flow '\(text)'", hint: "use orders, collections or returns")
                    }
                    return flow
                }
                let (manual, limit) = (self.manual, self.limit)
                let matches = try await access.run { tx, context in
                    try ManualMatcher.list(period: period, flow: flow, manualOnly: manual, limit: limit, context: context, on: tx)
                }
                try emit(matches, json: output.json) {
                    var table = TextTable("match", "period", "flow", "shape", "rule", "left", "right", "by", "reason")
                    for m in matches {
                        table.append([String(m.matchID), m.period, m.flow.rawValue, m.shape, m.rule,
                                      m.left.map { "\($0.type.rawValue)#\($0.id) \(MoneyText.format($0.amount))" }.joined(separator: ", "),
                                      m.right.map { "\($0.type.rawValue)#\($0.id) \(MoneyText.format($0.amount))" }.joined(separator: ", "),
                                      m.createdBy, m.reason ?? ""])
                    }
                    return matches.isEmpty ? "No match." : table.render()
                }
            }
        }
    }
}
