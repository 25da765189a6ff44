import Foundation
import PostgresClient

/// `noop`: does nothing, or with `{"mark": "text"}` leaves a row in `job_marks` in the same
/// transaction that completes the job (what `shoprecon jobs ping` waits for).
public struct NoopHandler: JobHandler {
    public let kind = "noop"
    public init() {}

    struct Args: Decodable { var mark: String? }

    public func run(_ context: JobContext) async throws {
        guard context.job.args.contains("mark"), let mark = try context.job.decodeArgs(Args.self).mark else { return }
        let (id, worker) = (context.job.id, context.workerID)
        try await context.transaction { tx, _ in
            try tx.query("SELECT jobs_mark($1, $2, $3)", [id, worker, mark])
        }
    }
}

/// `sleep`: waits `seconds` (for tests of leases, draining and concurrency caps); with
/// `"fail": true` it fails instead, with `"mark"` it leaves a mark like `noop` at the end.
public struct SleepHandler: JobHandler {
    public let kind = "sleep"
    public init() {}

    struct Args: Decodable {
        var seconds: Double?
        var fail: Bool?
        var mark: String?
    }

    public func run(_ context: JobContext) async throws {
        let args = try context.job.decodeArgs(Args.self)
        try await Task.sleep(for: .milliseconds(Int((args.seconds ?? 1) * 1000)))
        if args.fail == true { throw JobError.invalid("sleep job asked to fail (attempt \(context.job.attempt))") }
        if let mark = args.mark {
            let (id, worker) = (context.job.id, context.workerID)
            try await context.transaction { tx, _ in
                try tx.query("SELECT jobs_mark($1, $2, $3)", [id, worker, mark])
            }
        }
    }
}

/// `prune`: deletes finished jobs older than `retention_days` (default 7).
public struct PruneHandler: JobHandler {
    public let kind = "prune"
    public init() {}

    struct Args: Decodable { var retention_days: Double? }

    public func run(_ context: JobContext) async throws {
        let days = try context.job.decodeArgs(Args.self).retention_days ?? 7
        let deleted = try await context.pool.withConnection { connection in
            try await connection.transaction { tx in try JobQueue.prune(olderThan: .seconds(days * 86_400), on: tx) }
        }
        context.logger.info("pruned finished jobs", metadata: ["deleted": "\(deleted)"])
    }
}
