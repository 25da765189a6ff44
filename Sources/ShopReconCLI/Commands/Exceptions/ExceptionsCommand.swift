import ArgumentParser
import Foundation
import Reconcile

/// `shoprecon exceptions ...`: the exceptions reconciliation found, and the work on them.
struct ExceptionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exceptions",
        abstract: "List, show and work on reconciliation exceptions, one by one, in bulk or through Excel.",
        discussion: """
            Workflow: open -> in_review -> resolved or written_off; `reopen` brings a closed one back. \
            `hold --until DATE` parks an open or in-review exception (it shows as on_hold until then). \
            Every action writes the exception's history (`exceptions show ID`) and the audit log.

            Actions take exception ids, or --all-matching with filters to act on every match in one \
            transaction (all or none; --dry-run counts without changing anything):
              shoprecon exceptions list --period 2026-10 --status open --severity high
              shoprecon exceptions assign 412 413 --to alice
              shoprecon exceptions resolve 412 --resolution "settlement corrected"
              shoprecon exceptions write-off --all-matching --period 2026-10 \\
                  --type fee_anomaly --status open --reason "fee rounding" --dry-run
              shoprecon exceptions hold 413 --until 2026-12-15 --note "dispute filed"

            Excel round trip: `exceptions export --xlsx FILE [filters]`, fill in the columns action, \
            resolution and hold_until_new, then `exceptions apply FILE`: every row is checked first and \
            all problems are listed with their cell; nothing is applied unless every row is right.

            Reading needs order.view_financial; changing needs exception.resolve. Users limited to \
            some stores see and change only those stores' exceptions. Exceptions of a closed period \
            cannot change (exit code 5).
            """,
        subcommands: [ExceptionsList.self, ExceptionsShow.self, ExceptionsAssign.self, ExceptionsReview.self,
                      ExceptionsResolve.self, ExceptionsWriteOff.self, ExceptionsHold.self, ExceptionsReopen.self,
                      ExceptionsNote.self, ExceptionsExport.self, ExceptionsApply.self]
    )

    static func render(_ exceptions: [ReconException]) -> String {
        var table = TextTable("ID", "PERIOD", "TYPE", "SEVERITY", "STATUS", "STORE", "REFERENCE", "DIFFERENCE", "ASSIGNEE", "HOLD UNTIL")
        for e in exceptions {
            let amount = e.amount.map { e.amountText($0) + (e.currency.map { " " + $0 } ?? "") } ?? "-"
            table.append([String(e.id), e.period.description, e.type, e.severity.rawValue,
                          e.status.rawValue + (e.onHold ? " (hold)" : ""), e.store ?? "-", e.reference ?? "-", amount,
                          e.assignee ?? "-", e.holdUntil ?? "-"])
        }
        return table.render()
    }

    static func render(_ result: ExceptionActionResult) -> String {
        let noun = result.count == 1 ? "exception" : "exceptions"
        let from = result.fromStatus.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let ids = result.ids.prefix(20).map(String.init).joined(separator: ", ") + (result.ids.count > 20 ? ", …" : "")
        if result.dryRun {
            return "Would \(result.action.rawValue.replacingOccurrences(of: "-", with: " ")) \(result.count) \(noun) (\(from)): \(ids).\nNothing was changed (--dry-run)."
        }
        let verb: String = switch result.action {
        case .assign: "Assigned"
        case .review: "Put into review"
        case .resolve: "Resolved"
        case .writeOff: "Wrote off"
        case .hold: "Put on hold"
        case .clearHold: "Took off hold"
        case .reopen: "Reopened"
        case .note: "Added a note to"
        }
        return "\(verb) \(result.count) \(noun) (were \(from)): \(ids)."
    }
}
