import ArgumentParser
import Foundation
import Reconcile
import Tenancy

/// `shoprecon approvals list|approve|reject`: records that approval rules hold back.
struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "Approve or reject records that approval rules hold back.",
        discussion: """
            Rules with --action approval (see `shoprecon rules`) ask for an approval of every \
            record they match; until it is approved the record does not count as reconciled. \
            Deciding needs the permission exception.approve and the rule's approver role \
            (directly or through a group). Every decision is in the audit log.

            Examples:
              shoprecon approvals list
              shoprecon approvals approve 12 13 --note "checked with the buyer"
              shoprecon approvals reject 14 --note "price not agreed"
            """,
        subcommands: [List.self, Approve.self, Reject.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approvals (pending ones unless --status says otherwise).")
        @Option(help: "pending, approved, rejected or all.") var status = "pending"
        @Option(help: "Only approvals of this rule.") var rule: String?
        @Option(help: "Only this period (YYYY-MM).") var period: String?
        @Option(help: "Only this store (code).") var store: String?
        @Option(help: "Only this record type.") var on: String?
        @Option(help: "At most this many.") var limit = 500
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let statuses: [Approval.Status]
                if status.lowercased() == "all" {
                    statuses = []
                } else {
                    statuses = try status.split(separator: ",").map { word in
                        guard let value = Approval.Status(rawValue: word.trimmingCharacters(in: .whitespaces).lowercased()) else {
                            throw CLIFailure.badInput("unknown status '\(word)'", hint: "use pending, approved, rejected or all")
                        }
                        return value
                    }
                }
                let filter = ApprovalDirectory.Filter(statuses: statuses, rule: rule, period: try period.map(ReconPeriod.init(parsing:)),
                                                      recordType: try on.map(parseRecordType), store: store, limit: limit)
                let approvals = try await access.run { tx, context in try ApprovalDirectory.list(filter, context: context, on: tx) }
                try emit(approvals, json: output.json) {
                    guard !approvals.isEmpty else { return "No \(status == "all" ? "" : status + " ")approvals." }
                    var table = TextTable("ID", "RULE", "ROLE", "PERIOD", "RECORD", "STORE", "REFERENCE", "AMOUNT", "STATUS", "DECIDED BY", "NOTE")
                    for a in approvals {
                        table.append([String(a.id), a.rule, a.approverRole, a.period.description, "\(a.recordType) \(a.recordID)", a.store ?? "-",
                                      a.reference ?? "-", formatMoney(a.amount, a.currency), a.status.rawValue, a.decidedBy ?? "-", a.note ?? ""])
                    }
                    return table.render()
                }
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve pending approvals (exception.approve and the rule's role).",
            discussion: "All or nothing: if one of the ids cannot be approved, none is.")
        @Argument(help: "Approval ids (see `approvals list`).") var ids: [Int64]
        @Option(help: "Why, for the record.") var note: String?
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await decide(ids: ids, .approve, note: note, access: access, json: output.json)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject pending approvals with a reason (exception.approve and the rule's role).",
            discussion: "All or nothing: if one of the ids cannot be rejected, none is. The record stays held back.")
        @Argument(help: "Approval ids (see `approvals list`).") var ids: [Int64]
        @Option(help: "Why they are rejected (required).") var note: String
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await decide(ids: ids, .reject, note: note, access: access, json: output.json)
        }
    }
}

private func decide(ids: [Int64], _ decision: ApprovalDirectory.Decision, note: String?, access: TenantAccessOptions, json: Bool) async throws {
    try await runCommand {
        guard !ids.isEmpty else {
            throw CLIFailure.badInput("which approvals?", hint: "pass their ids; `shoprecon approvals list` shows them")
        }
        let decided = try await access.run { tx, context in
            try ApprovalDirectory.decide(ids: ids, decision, note: note, context: context, on: tx)
        }
        try emit(decided, json: json) {
            let verb = decision == .approve ? "Approved" : "Rejected"
            return "\(verb) " + decided.map { "\($0.id) (\($0.rule), \($0.recordType) \($0.reference ?? String($0.recordID)))" }.joined(separator: ", ") + "."
        }
    }
}
