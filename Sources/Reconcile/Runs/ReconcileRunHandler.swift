import Jobs
import PostgresClient

/// `reconcile_run` jobs: the arguments are a ``RunRequest`` (`{"period": "2026-10", "flows":
/// ["orders"], "store": "tmall", "as_of": null}`); the run and the job's completion commit in one
/// transaction, so a crash never leaves half a run or runs it twice. Scheduled runs use job
/// schedules, e.g. `shoprecon schedule add --kind reconcile_run --cron "0 6 * * *" --args '{"period": "previous"}'`:
/// the period words `current` and `previous` are read in the tenant's time zone when the job runs.
public struct ReconcileRunHandler: JobHandler {
    public let kind = "reconcile_run"

    public init() {}

    struct Args: Decodable {
        var period: String
        var flows: [ReconFlow]?
        var store: String?
        var asOf: String?
        enum CodingKeys: String, CodingKey { case period, flows, store, asOf = "as_of" }
    }

    public func run(_ job: JobContext) async throws {
        guard job.job.tenantID != 0 else { throw JobError.permanent("reconcile_run needs a tenant") }
        let args = try job.job.decodeArgs(Args.self)
        let jobID = job.job.id
        let logger = job.logger
        do {
            let result = try await job.transaction { tx, context in
                let period = try Self.period(args.period, tenantID: job.job.tenantID, on: tx)
                let request = RunRequest(period: period, flows: args.flows ?? ReconFlow.allCases, store: args.store, asOf: args.asOf)
                return try ReconRunner.run(request, jobID: jobID, context: context, on: tx, logger: logger)
            }
            logger.info("reconciliation run done", metadata: [
                "run": "\(result.runID)", "period": "\(result.period)", "exceptions": "\(result.exceptionsFound)",
                "seconds": "\(result.seconds)",
            ])
        } catch let error as ReconcileError {
            // A closed period or a bad argument does not get better by retrying.
            throw JobError.permanent(error.message + (error.hint.map { " (\($0))" } ?? ""))
        }
    }

    /// `YYYY-MM`, or `current`/`previous` month in the tenant's time zone.
    static func period(_ text: String, tenantID: Int64, on tx: isolated PostgresConnection) throws -> ReconPeriod {
        let word = text.lowercased()
        guard word == "current" || word == "previous" else { return try ReconPeriod(parsing: text) }
        let current = try tx.query("SELECT to_char(now() AT TIME ZONE time_zone, 'YYYY-MM') FROM tenants WHERE tenant_id = $1",
                                   [tenantID])[0].decode(String.self, at: 0)
        let period = try ReconPeriod(parsing: current)
        return word == "current" ? period : period.previous
    }
}
