import ArgumentParser
import PostgresClient
import Reconcile

/// `shoprecon recon close`: lock a period against every change.
struct ReconClose: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "close",
        abstract: "Close a period (recon.run): its records, matches and exceptions can no longer change.",
        discussion: "Later imports, runs, matches or exception work touching the period fail with exit code 5."
    )
    @Option(help: ArgumentHelp("The month to close.", valueName: "YYYY-MM")) var period: String
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let period = try ReconPeriod(parsing: self.period)
            let closed = try await access.run { tx, context in try PeriodLock.close(period, context: context, on: tx) }
            try emit(closed, json: output.json) { "Closed \(period). Reopen it with `shoprecon recon reopen --period \(period)` (exception.approve)." }
        }
    }
}

/// `shoprecon recon reopen`: unlock a closed period.
struct ReconReopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reopen", abstract: "Reopen a closed period (exception.approve).")
    @Option(help: ArgumentHelp("The month to reopen.", valueName: "YYYY-MM")) var period: String
    @OptionGroup var access: TenantAccessOptions

    func run() async throws {
        try await runCommand {
            let period = try ReconPeriod(parsing: self.period)
            try await access.run { tx, context in try PeriodLock.reopen(period, context: context, on: tx) }
            print("Reopened \(period).")
        }
    }
}

/// `shoprecon recon periods`: the closed periods.
struct ReconPeriods: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "periods", abstract: "List the closed periods.")
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let periods = try await access.run { tx, context in try PeriodLock.list(context: context, on: tx) }
            try emit(periods, json: output.json) {
                var table = TextTable("period", "closed at", "by")
                for item in periods { table.append([item.period.description, item.closedAt, item.closedBy]) }
                return periods.isEmpty ? "No closed period." : table.render()
            }
        }
    }
}

/// `shoprecon recon runs`: the runs of a period (or the latest ones).
struct ReconRuns: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List reconciliation runs.")
    @Option(help: ArgumentHelp("Only runs of this month.", valueName: "YYYY-MM")) var period: String?
    @Option(help: "How many runs at most.") var limit = 20
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    struct Entry: Encodable {
        var run: Int64, period: String, flows: String, store: String?, asOf: String, status: String, actor: String
        var started: String, seconds: Double?, exceptions: Int64?
        enum CodingKeys: String, CodingKey {
            case run, period, flows, store, status, actor, started, seconds, exceptions
            case asOf = "as_of"
        }
    }

    func run() async throws {
        try await runCommand {
            let period = try self.period.map { try ReconPeriod(parsing: $0).firstDay }
            let limit = self.limit
            let runs = try await access.run { tx, context -> [Entry] in
                let tenant = try context.requireTenant()
                return try tx.query("""
                    SELECT r.run_id, to_char(r.period, 'YYYY-MM'), array_to_string(r.flows, ','), st.code, r.as_of::text, r.status,
                           r.actor, to_char(r.started_at, 'YYYY-MM-DD HH24:MI:SS'),
                           extract(epoch FROM r.finished_at - r.started_at)::float8, (r.stats ->> 'exceptions_found')::bigint
                    FROM recon_runs r LEFT JOIN stores st ON st.tenant_id = r.tenant_id AND st.store_id = r.store_id
                    WHERE r.tenant_id = $1 AND ($2::date IS NULL OR r.period = $2::date)
                    ORDER BY r.run_id DESC LIMIT $3
                    """, [tenant, period, limit]).map { row in
                    Entry(run: try row.decode(Int64.self, at: 0), period: try row.decode(String.self, at: 1),
                          flows: try row.decode(String.self, at: 2), store: try row.decode(String?.self, at: 3),
                          asOf: try row.decode(String.self, at: 4), status: try row.decode(String.self, at: 5),
                          actor: try row.decode(String.self, at: 6), started: try row.decode(String.self, at: 7),
                          seconds: try row.decode(Double?.self, at: 8), exceptions: try row.decode(Int64?.self, at: 9))
                }
            }
            try emit(runs, json: output.json) {
                var table = TextTable("run", "period", "flows", "store", "as of", "status", "by", "started", "seconds", "exceptions")
                for r in runs {
                    table.append([String(r.run), r.period, r.flows, r.store ?? "all", r.asOf, r.status, r.actor, r.started,
                                  r.seconds.map { String(format: "%.1f", $0) } ?? "-", r.exceptions.map(String.init) ?? "-"])
                }
                return runs.isEmpty ? "No run yet. Start one with `shoprecon recon run --period YYYY-MM`." : table.render()
            }
        }
    }
}
