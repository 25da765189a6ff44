import ArgumentParser
import Foundation
import Reconcile

/// `shoprecon exceptions list`: the exceptions matching the filters, most severe and largest first.
struct ExceptionsList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List exceptions, most severe and largest first.",
        discussion: """
            Examples:
              shoprecon exceptions list --period 2026-10 --status open
              shoprecon exceptions list --type amount_mismatch --store tmall --min-amount 100
              shoprecon exceptions list --status on_hold --assignee alice --json
              shoprecon exceptions list --unassigned --older-than 14 --limit 50 --offset 50
            """
    )

    @OptionGroup var filters: ExceptionFilterOptions
    @Option(name: .customLong("id"), help: ArgumentHelp("Only this exception (repeatable).", valueName: "id"))
    var ids: [Int64] = []
    @Option(help: "At most this many rows.") var limit = 100
    @Option(help: "Skip this many rows first (paging).") var offset = 0
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    struct Listing: Encodable, Sendable {
        var total: Int
        var offset: Int
        var exceptions: [ReconException]
    }

    func run() async throws {
        try await runCommand {
            let filter = try filters.filter(ids: ids)
            let (limit, offset) = (limit, offset)
            guard offset >= 0 else { throw CLIFailure.badInput("--offset must be 0 or more") }
            let listing = try await access.run { tx, context in
                Listing(total: try ExceptionDirectory.count(filter: filter, context: context, on: tx), offset: offset,
                        exceptions: try ExceptionDirectory.list(filter: filter, limit: limit, offset: offset, context: context, on: tx))
            }
            try emit(listing, json: output.json) {
                if listing.total == 0 { return "No exceptions match \(filter.summary)." }
                var text = ExceptionsCommand.render(listing.exceptions)
                let shown = listing.exceptions.count
                if offset + shown < listing.total {
                    text += "\n\(offset + 1)–\(offset + shown) of \(listing.total); --offset \(offset + shown) shows the next ones."
                } else {
                    text += "\n\(listing.total) exception\(listing.total == 1 ? "" : "s")."
                }
                return text
            }
        }
    }
}

/// `shoprecon exceptions show ID`: the exception, its record and its history.
struct ExceptionsShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show an exception with the facts of its record and its whole history.",
        discussion: "Example: shoprecon exceptions show 412 --json"
    )

    @Argument(help: "The exception's id.") var id: Int64
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let id = self.id
            let detail = try await access.run { tx, context in try ExceptionDirectory.show(id: id, context: context, on: tx) }
            try emit(detail, json: output.json) { Self.render(detail) }
        }
    }

    static func render(_ detail: ExceptionDetail) -> String {
        let e = detail.exception
        let currency = e.currency.map { " " + $0 } ?? ""
        var lines = [
            "exception \(e.id): \(e.type), \(e.severity), \(e.status)" + (e.onHold ? ", on hold until \(e.holdUntil ?? "?")" : ""),
            "period \(e.period), flow \(e.flow), store \(e.store ?? "none (bank level)"), \(e.recordType) \(e.recordID)"
                + (e.reference.map { " (\($0))" } ?? ""),
            "expected \(e.amountText(e.expected).nonEmpty ?? "-")\(currency), actual \(e.amountText(e.actual).nonEmpty ?? "-")\(currency), "
                + "difference \(e.amountText(e.difference).nonEmpty ?? "-")\(currency)",
            "assignee \(e.assignee ?? "nobody"); found \(e.foundAt.shortText)" + (e.runID.map { " by run \($0)" } ?? "")
                + "; updated \(e.updatedAt.shortText)",
        ]
        if let resolution = e.resolution { lines.append("resolution: \(resolution)") }
        if detail.detail != "{}" { lines.append("detail: \(detail.detail)") }
        if !detail.record.isEmpty {
            lines.append("")
            lines.append("record:")
            var table = TextTable("  FIELD", "VALUE")
            for fact in detail.record { table.append(["  " + fact.name, fact.value]) }
            lines.append(table.render())
        }
        lines.append("")
        lines.append("history:")
        var history = TextTable("  AT", "BY", "ACTION", "STATUS", "NOTE")
        for event in detail.history {
            let status = switch (event.fromStatus, event.toStatus) {
            case (nil, let to?): "→ \(to)"
            case (let from?, let to?) where from != to: "\(from) → \(to)"
            case (_, let to?): to
            default: "-"
            }
            history.append(["  " + event.at.shortText, event.actor, event.action, status, event.note ?? ""])
        }
        lines.append(history.render())
        return lines.joined(separator: "\n")
    }
}

fileprivate extension String {
    /// nil for the empty string.
    var nonEmpty: String? { isEmpty ? nil : self }
}
