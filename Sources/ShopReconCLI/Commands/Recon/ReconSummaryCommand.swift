import ArgumentParser
import Reconcile

/// `shoprecon recon summary`: what is matched, in exception and unmatched for a period.
struct ReconSummaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Counts and amounts matched, in exception and unmatched per flow, store and channel (order.view_financial).",
        discussion: """
            A record with an open or in-review exception counts as "exception" even when matched; one whose \
            exceptions are all resolved or written off as "settled". Amounts are in the currency of the row.
            """
    )

    @Option(help: ArgumentHelp("The month.", valueName: "YYYY-MM")) var period: String
    @Option(help: ArgumentHelp("Only this store (store code).", valueName: "code")) var store: String?
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let period = try ReconPeriod(parsing: self.period)
            let store = self.store
            let summary = try await access.run { tx, context in
                try ReconSummary.load(period: period, store: store, context: context, on: tx)
            }
            try emit(summary, json: output.json) { Self.render(summary) }
        }
    }

    static func render(_ summary: ReconSummary) -> String {
        var lines = ["Reconciliation \(summary.period)" + (summary.closed ? " (closed)" : "")
                     + (summary.lastRun.map { ", last \($0)" } ?? ", never run")]
        var table = TextTable("flow", "records", "store", "channel", "cur", "count", "amount", "matched", "amount", "exception",
                              "amount", "settled", "unmatched", "amount", "approval")
        for row in summary.rows {
            table.append([row.flow, row.subject, row.store ?? "-", row.channel ?? "-", row.currency, String(row.records),
                          MoneyText.format(row.amount), String(row.matched), MoneyText.format(row.matchedAmount), String(row.exceptions),
                          MoneyText.format(row.exceptionAmount), String(row.settled), String(row.unmatched), MoneyText.format(row.unmatchedAmount),
                          String(row.awaitingApproval)])
        }
        lines.append(table.render())
        if !summary.exceptions.isEmpty {
            var exceptions = TextTable("flow", "exception", "severity", "status", "count", "amount")
            for item in summary.exceptions {
                exceptions.append([item.flow, item.type, item.severity, item.status, String(item.count),
                                   MoneyText.format(item.amount) + (item.currency.map { " " + $0 } ?? "")])
            }
            lines.append("")
            lines.append(exceptions.render())
        }
        return lines.joined(separator: "\n")
    }
}

/// Minor units as a decimal text with two places (`-1234` → `-12.34`), for tables.
enum MoneyText {
    static func format(_ minor: Int64) -> String {
        let sign = minor < 0 ? "-" : ""
        let magnitude = minor.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
