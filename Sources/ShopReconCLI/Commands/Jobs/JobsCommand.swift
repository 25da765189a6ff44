import ArgumentParser
import Foundation
import Jobs
import PostgresClient
import Tenancy

/// `shoprecon jobs ...`: the background job queue.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Inspect and manage background jobs (imports, reconciliation runs, exports).",
        discussion: "Users see their tenant's jobs. Operators see one tenant's with --tenant, or every tenant's and the system jobs with --all-tenants.",
        subcommands: [List.self, Show.self, Retry.self, Cancel.self, Stats.self, Ping.self]
    )

    /// Where jobs commands act: a session, the operator on a tenant, or the operator on all.
    struct Scope: ParsableArguments {
        @Flag(help: "Operator: every tenant's jobs and the system jobs.") var allTenants = false
        @OptionGroup var access: TenantAccessOptions

        func run<T: Sendable>(_ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
            if allTenants {
                return try await TenantAccessOptions.asOperator(connection: access.connection, tenant: nil, body)
            }
            return try await access.run(body)
        }
    }

    static func render(_ jobs: [Job]) -> String {
        var table = TextTable("ID", "TENANT", "QUEUE", "KIND", "STATE", "ATTEMPT", "RUN AT", "LAST ERROR")
        for j in jobs {
            table.append([String(j.id), j.tenantID == 0 ? "system" : String(j.tenantID), j.queue, j.kind, j.state.rawValue,
                          "\(j.attempt)/\(j.maxAttempts)", j.runAt.shortText, String((j.lastError ?? "").prefix(60))])
        }
        return table.render()
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")
        @Option(help: "Only this state (repeatable): available, running, succeeded, dead, cancelled.") var state: [String] = []
        @Option var queue: String?
        @Option var kind: String?
        @Option var limit = 50
        @OptionGroup var scope: Scope
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let states = try state.map { name in
                    guard let s = Job.State(rawValue: name) else {
                        throw CLIFailure.badInput("unknown job state \(name)", hint: Job.State.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return s
                }
                let (queue, kind, limit) = (queue, kind, limit)
                let jobs = try await scope.run { tx, context in
                    try JobQueue.list(tenantID: context.tenantID, states: states, queue: queue, kind: kind, limit: limit, on: tx)
                }
                try emit(jobs, json: output.json) { JobsCommand.render(jobs) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job with its arguments and last error.")
        @Argument var id: Int64
        @OptionGroup var scope: Scope
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let id = self.id
                let job = try await scope.run { tx, _ in try JobQueue.find(id: id, on: tx) }
                try emit(job, json: output.json) {
                    JobsCommand.render([job]) + "\nargs: \(job.args)" + (job.lastError.map { "\nlast error: \($0)" } ?? "")
                }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a dead, cancelled or finished job again now.")
        @Argument var id: Int64
        @OptionGroup var scope: Scope
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let id = self.id
                let job = try await scope.run { tx, _ in try JobQueue.retry(id: id, on: tx) }
                try emit(job, json: output.json) { "Job \(job.id) is queued again." }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job that has not finished.")
        @Argument var id: Int64
        @OptionGroup var scope: Scope
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let id = self.id
                let job = try await scope.run { tx, _ in try JobQueue.cancel(id: id, on: tx) }
                try emit(job, json: output.json) { "Job \(job.id) is cancelled." }
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count jobs by queue and state.")
        @OptionGroup var scope: Scope
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let stats = try await scope.run { tx, context in try JobQueue.stats(tenantID: context.tenantID, on: tx) }
                try emit(stats, json: output.json) {
                    var table = TextTable("QUEUE", "STATE", "JOBS", "OLDEST READY")
                    for s in stats { table.append([s.queue, s.state, String(s.count), s.oldestRunAt?.shortText ?? "-"]) }
                    return table.render()
                }
            }
        }
    }

    struct Ping: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueue a no-op job and wait until a daemon has run it.",
            discussion: "Exits 0 with the round-trip time when a shoprecond picked it up, 10 after --timeout seconds."
        )
        @Option var queue = "default"
        @Option(help: "Seconds to wait.") var timeout = 30.0
        @OptionGroup var access: TenantAccessOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                let mark = "ping-" + UUID().uuidString.prefix(8).lowercased()
                let queue = self.queue
                let started = Date()
                let job = try await access.run { tx, context in
                    let request = try JobRequest(kind: "noop", queue: queue, tenantID: context.requireTenant(), arguments: ["mark": mark])
                    guard let job = try JobQueue.enqueue(request, on: tx) else { throw CLIFailure.conflict("ping job was not enqueued") }
                    return job
                }
                while Date().timeIntervalSince(started) < timeout {
                    let jobID = job.id
                    let current = try await access.run { tx, _ in try JobQueue.find(id: jobID, on: tx) }
                    if current.state == .succeeded {
                        struct Result: Encodable { var job: Int64; var seconds: Double }
                        let seconds = (current.finishedAt ?? Date()).timeIntervalSince(current.createdAt)
                        try emit(Result(job: job.id, seconds: seconds), json: output.json) {
                            String(format: "pong: job %lld ran after %.3f s", job.id, seconds)
                        }
                        return
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
                throw CLIFailure(exit: .internalError, message: "no daemon ran job \(job.id) on queue \(queue) within \(Int(timeout)) s",
                                 hint: "start one with `shoprecond --queues \(queue)`")
            }
        }
    }
}
