import ArgumentParser
import Foundation
import Tenancy

/// `shoprecon audit list`: the append-only change log. Needs audit.view.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit log of changes.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List audit entries, newest first.")
        @Option(help: "Only entries at or after this time (YYYY-MM-DD or ISO 8601).") var since: String?
        @Option(help: "Only this actor (a user name, or e.g. operator:ops).") var actor: String?
        @Option(help: "At most this many entries.") var limit = 200
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let sinceDate = try since.map(Self.parseDate)
                let (actor, limit) = (actor, limit)
                let entries = try await access.run { tx, context in
                    try AuditLog.list(since: sinceDate, actor: actor, limit: limit, context: context, on: tx)
                }
                try emit(entries, json: output.json) {
                    var table = TextTable("AT", "ACTOR", "ACTION", "TARGET")
                    for e in entries { table.append([e.at.shortText, e.actor, e.action, e.target]) }
                    return table.render()
                }
            }
        }

        static func parseDate(_ text: String) throws -> Date {
            if let date = ISO8601DateFormatter().date(from: text) { return date }
            let day = DateFormatter()
            day.locale = Locale(identifier: "en_US_POSIX")
            day.dateFormat = "yyyy-MM-dd"
            if let date = day.date(from: text) { return date }
            throw CLIFailure.badInput("--since \(text) is not a date", hint: "use YYYY-MM-DD or 2026-11-01T00:00:00Z")
        }
    }
}
