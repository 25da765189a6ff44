import ArgumentParser
import Foundation
import Jobs
import PostgresClient
import Reconcile
import Tenancy

/// `shoprecon recon run`: enqueue a `reconcile_run` job (or run it here with `--inline`).
struct ReconRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Reconcile a period (recon.run): enqueue a reconcile_run job, or run it here with --inline.",
        discussion: """
            Without --inline the run is a job for a running `shoprecond`; --wait waits for it and prints \
            its result. --as-of judges overdue receivables, missing payouts and returns not received as of \
            that date (default: today).
            """
    )

    @Option(help: ArgumentHelp("The month to reconcile.", valueName: "YYYY-MM")) var period: String
    @Option(help: ArgumentHelp("orders, collections, returns or all (comma-separated).", valueName: "flow")) var flow = "all"
    @Option(help: ArgumentHelp("Only this store (store code).", valueName: "code")) var store: String?
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Judge ages as of this date.", valueName: "YYYY-MM-DD")) var asOf: String?
    @Flag(help: "Run in this process instead of through the job queue.") var inline = false
    @Flag(help: "Wait for the queued job to finish and print the run's result.") var wait = false
    @Option(help: ArgumentHelp("Seconds --wait waits at most.", valueName: "seconds")) var timeout: Double = 600
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let request = RunRequest(period: try ReconPeriod(parsing: period), flows: try ReconFlow.parseList(flow), store: store,
                                     asOf: asOf)
            if inline {
                let result = try await access.run { tx, context in try ReconRunner.run(request, context: context, on: tx) }
                try emit(result, json: output.json) { Self.render(result) }
                return
            }
            let job = try await access.run { tx, context -> Job? in
                try context.require("recon.run", to: "run a reconciliation")
                let tenant = try context.requireTenant()
                let args = JobArgs(period: request.period.description, flows: request.flows.map(\.rawValue), store: request.store,
                                   asOf: request.asOf)
                return try JobQueue.enqueue(JobRequest(kind: "reconcile_run", queue: "default", tenantID: tenant, arguments: args,
                                                       maxAttempts: 3), on: tx)
            }
            guard let job else { throw CLIFailure.conflict("the run was not queued") }
            guard wait else {
                try emit(job, json: output.json) {
                    "Queued reconcile_run job \(job.id) for \(request.period); a running shoprecond picks it up. "
                        + "See it with `shoprecon jobs show \(job.id)` or pass --wait."
                }
                return
            }
            let result = try await waitForRun(jobID: job.id)
            try emit(result, json: output.json) { Self.render(result) }
        }
    }

    struct JobArgs: Encodable {
        var period: String
        var flows: [String]
        var store: String?
        var asOf: String?
        enum CodingKeys: String, CodingKey { case period, flows, store, asOf = "as_of" }
    }

    /// Polls the job until it ends, then reads the run it made.
    private func waitForRun(jobID: Int64) async throws -> RunResult {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let (job, stats) = try await access.run { tx, _ -> (Job, String?) in
                let job = try JobQueue.find(id: jobID, on: tx)
                let stats = try tx.query("SELECT stats::text FROM recon_runs WHERE job_id = $1 AND status = 'succeeded'", [jobID])
                    .first?.decode(String.self, at: 0)
                return (job, stats)
            }
            switch job.state {
            case .succeeded:
                guard let stats else { throw CLIFailure(exit: .internalError, message: "job \(jobID) succeeded but left no run") }
                return try JSONDecoder().decode(RunResult.self, from: Data(stats.utf8))
            case .dead, .cancelled:
                throw CLIFailure(exit: .internalError, message: "the reconcile_run job \(jobID) ended \(job.state): \(job.lastError ?? "no error recorded")",
                                 hint: "see `shoprecon jobs show \(jobID)`; retry with `shoprecon jobs retry \(jobID)`")
            default:
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        throw CLIFailure(exit: .internalError, message: "job \(jobID) did not finish within \(Int(timeout)) s",
                         hint: "is a shoprecond running? (`shoprecon jobs ping`); the job stays queued")
    }

    static func render(_ result: RunResult) -> String {
        var lines = ["Run \(result.runID): \(result.period), \(result.flows.map(\.rawValue).joined(separator: ", "))"
                     + (result.store.map { ", store \($0)" } ?? "") + ", as of \(result.asOf), "
                     + String(format: "%.1f s", result.seconds)]
        var table = TextTable("flow and rule", "matches")
        for (key, count) in result.matches.sorted(by: { $0.key < $1.key }) { table.append([key, String(count)]) }
        lines.append(table.render())
        var exceptions = TextTable("exception", "count")
        for (key, count) in result.exceptionsByType.sorted(by: { $0.key < $1.key }) { exceptions.append([key, String(count)]) }
        lines.append(exceptions.render())
        lines.append("\(result.exceptionsFound) exception(s), \(result.exceptionsNew) new, \(result.exceptionsCleared) cleared. "
                     + "Work on them with `shoprecon exceptions list --period \(result.period)`.")
        return lines.joined(separator: "\n")
    }
}
