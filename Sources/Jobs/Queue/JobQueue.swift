import Foundation
import PostgresClient
import Tenancy

/// Enqueueing and managing jobs. Every function runs on the caller's connection, so a job can be
/// enqueued in the same transaction as the change that calls for it.
public enum JobQueue {
    /// The channel `pg_notify` wakes idle workers on.
    public static let channel = "shoprecon_jobs"

    /// Enqueues one job; returns it, or `nil` when its unique key is taken.
    @discardableResult
    public static func enqueue(_ request: JobRequest, on tx: isolated PostgresConnection) throws -> Job? {
        try enqueue([request], on: tx).first
    }

    /// Enqueues many jobs in one statement; returns those inserted (duplicates by unique key are
    /// skipped). Thousands per call are fine.
    @discardableResult
    public static func enqueue(_ requests: [JobRequest], on tx: isolated PostgresConnection) throws -> [Job] {
        guard !requests.isEmpty else { return [] }
        var validArgs: Set<String> = []
        for request in requests { try validate(request, validArgs: &validArgs) }
        return try tx.query("""
            INSERT INTO jobs (tenant_id, queue, kind, args, priority, run_at, unique_key, max_attempts)
            SELECT t, q, k, a::jsonb, p, coalesce(r, now()), u, m
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::timestamptz[], $7::text[], $8::integer[])
                 AS x(t, q, k, a, p, r, u, m)
            ON CONFLICT (tenant_id, unique_key) WHERE unique_key IS NOT NULL DO NOTHING
            RETURNING
            """ + " " + Job.columns,
            [requests.map(\.tenantID), requests.map(\.queue), requests.map(\.kind), requests.map(\.args),
             requests.map { Int64($0.priority) }, requests.map(\.runAt), requests.map(\.uniqueKey),
             requests.map { Int64($0.maxAttempts) }]).map(Job.init(row:))
    }

    static func validate(_ request: JobRequest) throws {
        var validArgs: Set<String> = []
        try validate(request, validArgs: &validArgs)
    }

    /// Checks a request as the table's CHECK constraints would, with friendlier errors.
    /// `validArgs` remembers arguments already parsed, so a batch of jobs with the same
    /// arguments parses them once. (No regular expressions: compiling one per call made
    /// validation most of the cost of enqueueing.)
    static func validate(_ request: JobRequest, validArgs: inout Set<String>) throws {
        guard isName(request.kind, maxLength: 64, extra: UInt8(ascii: ".")) else {
            throw JobError.invalid("job kind \"\(request.kind)\" is not valid (lower-case letters, digits, '_' and '.')")
        }
        guard isName(request.queue, maxLength: 40, extra: UInt8(ascii: "-")) else {
            throw JobError.invalid("queue name \"\(request.queue)\" is not valid (lower-case letters, digits, '_' and '-')")
        }
        guard request.maxAttempts >= 1 else { throw JobError.invalid("max attempts must be at least 1") }
        if !validArgs.contains(request.args) {
            guard (try? JSONSerialization.jsonObject(with: Data(request.args.utf8), options: [.fragmentsAllowed])) != nil else {
                throw JobError.invalid("job arguments are not valid JSON")
            }
            validArgs.insert(request.args)
        }
    }

    /// `^[a-z0-9_<extra>]{1,maxLength}$`, as the CHECK constraints of `jobs.kind` and `jobs.queue`.
    private static func isName(_ name: String, maxLength: Int, extra: UInt8) -> Bool {
        let utf8 = name.utf8
        return (1...maxLength).contains(utf8.count) && utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "_") || byte == extra
        }
    }

    /// Jobs visible to the caller (a tenant's own under row-level security), newest first.
    public static func list(tenantID: Int64? = nil, states: [Job.State] = [], queue: String? = nil, kind: String? = nil,
                            limit: Int = 100, on tx: isolated PostgresConnection) throws -> [Job] {
        try tx.query("SELECT " + Job.columns + """
             FROM jobs
            WHERE (cardinality($1::text[]) = 0 OR state = ANY ($1::text[]))
              AND ($2::text IS NULL OR queue = $2) AND ($3::text IS NULL OR kind = $3)
              AND ($5::bigint IS NULL OR tenant_id = $5)
            ORDER BY job_id DESC LIMIT $4
            """, [states.map(\.rawValue), queue, kind, limit, tenantID]).map(Job.init(row:))
    }

    public static func find(id: Int64, on tx: isolated PostgresConnection) throws -> Job {
        guard let row = try tx.query("SELECT " + Job.columns + " FROM jobs WHERE job_id = $1", [id]).first else {
            throw JobError.notFound("no job \(id)")
        }
        return try Job(row: row)
    }

    /// Cancels a job that has not finished. A running job's worker finds it cancelled when it
    /// tries to complete it, and its transactional work is rolled back.
    public static func cancel(id: Int64, on tx: isolated PostgresConnection) throws -> Job {
        let job = try find(id: id, on: tx)
        guard job.state == .available || job.state == .running else {
            throw JobError.invalid("job \(id) is \(job.state.rawValue); only available or running jobs can be cancelled")
        }
        guard let row = try tx.query("""
            UPDATE jobs SET state = 'cancelled', finished_at = now() WHERE job_id = $1 AND state IN ('available', 'running')
            RETURNING
            """ + " " + Job.columns, [id]).first else {
            throw try refusal(of: "cancel", job, on: tx)
        }
        return try Job(row: row)
    }

    /// Runs a dead or cancelled job again now, with a fresh set of attempts.
    public static func retry(id: Int64, on tx: isolated PostgresConnection) throws -> Job {
        let job = try find(id: id, on: tx)
        guard job.state == .dead || job.state == .cancelled || job.state == .succeeded else {
            throw JobError.invalid("job \(id) is \(job.state.rawValue); only finished jobs can be retried")
        }
        guard let row = try tx.query("""
            UPDATE jobs SET state = 'available', attempt = 0, run_at = now(), finished_at = NULL
            WHERE job_id = $1 AND state IN ('dead', 'cancelled', 'succeeded')
            RETURNING
            """ + " " + Job.columns, [id]).first else {
            throw try refusal(of: "retry", job, on: tx)
        }
        return try Job(row: row)
    }

    /// Why an update of a job the caller can see changed nothing: the job moved on meanwhile, or
    /// row-level security refused it (a tenant's user without the permission of its kind).
    private static func refusal(of action: String, _ job: Job, on tx: isolated PostgresConnection) throws -> any Error {
        let now = try find(id: job.id, on: tx)
        if now.state != job.state {
            return JobError.invalid("job \(job.id) is \(now.state.rawValue) now; it was not changed")
        }
        let permission = try tx.query("SELECT job_kind_permission($1)", [job.kind])[0].decode(String.self, at: 0)
        return TenancyError(.permissionDenied, "you may not \(action) job \(job.id) (\(job.kind)): it needs the permission \(permission)",
                            hint: "ask a user with user.manage to grant you a role that has it")
    }

    /// Counts by queue and state of the jobs visible to the caller.
    public struct Stats: Sendable, Codable, Equatable {
        public var queue: String
        public var state: String
        public var count: Int
        public var oldestRunAt: Date?
    }

    public static func stats(tenantID: Int64? = nil, on tx: isolated PostgresConnection) throws -> [Stats] {
        try tx.query("""
            SELECT queue, state, count(*), min(run_at) FILTER (WHERE state = 'available') FROM jobs
            WHERE $1::bigint IS NULL OR tenant_id = $1
            GROUP BY queue, state ORDER BY queue, state
            """, [tenantID]).map { row in
            let (queue, state, count, oldest) = try row.decode((String, String, Int, Date?).self)
            return Stats(queue: queue, state: state, count: count, oldestRunAt: oldest)
        }
    }

    // MARK: - Worker side (through the definer functions)

    static func claim(queues: [String], worker: String, limit: Int, lease: Duration, tenantCap: Int,
                      on tx: isolated PostgresConnection) throws -> [Job] {
        try tx.query("SELECT " + Job.columns + " FROM jobs_claim($1::text[], $2, $3::integer, make_interval(secs => $4), $5::integer)",
                     [queues, worker, limit, lease.seconds, tenantCap]).map(Job.init(row:))
    }

    static func complete(ids: [Int64], worker: String, on tx: isolated PostgresConnection) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return Set(try tx.query("SELECT jobs_complete($1::bigint[], $2)", [ids, worker]).map { try $0.decode(Int64.self, at: 0) })
    }

    static func fail(id: Int64, worker: String, error: String, retryAt: Date?, on tx: isolated PostgresConnection) throws -> Job.State? {
        try tx.query("SELECT jobs_fail($1, $2, $3, $4)", [id, worker, error, retryAt]).first
            .flatMap { try $0.decode(String?.self, at: 0) }.flatMap(Job.State.init(rawValue:))
    }

    static func heartbeat(ids: [Int64], worker: String, lease: Duration, on tx: isolated PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try tx.query("SELECT jobs_heartbeat($1::bigint[], $2, make_interval(secs => $3))", [ids, worker, lease.seconds])[0]
            .decode(Int.self, at: 0)
    }

    static func release(ids: [Int64], worker: String, on tx: isolated PostgresConnection) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try tx.query("SELECT jobs_release($1::bigint[], $2)", [ids, worker])[0].decode(Int.self, at: 0)
    }

    /// Returns jobs of crashed workers to the queue; any daemon may call it.
    public static func rescue(on tx: isolated PostgresConnection) throws -> Int {
        try tx.query("SELECT jobs_rescue()")[0].decode(Int.self, at: 0)
    }

    /// Deletes finished jobs older than `retention`; returns how many.
    public static func prune(olderThan retention: Duration, on tx: isolated PostgresConnection) throws -> Int {
        var total = 0
        while true {
            let deleted = try tx.query("SELECT jobs_prune(make_interval(secs => $1), 10000)", [retention.seconds])[0].decode(Int.self, at: 0)
            total += deleted
            if deleted < 10000 { return total }
        }
    }

    /// Enqueues the system `prune` job for this hour, once across all daemons.
    public static func enqueuePrune(retentionDays: Double, hour: String, on tx: isolated PostgresConnection) throws {
        try tx.query("SELECT jobs_enqueue_prune($1, $2)", [retentionDays, hour])
    }

    /// Ready and running jobs per queue across all tenants, for metrics.
    public static func depth(on tx: isolated PostgresConnection) throws -> [(queue: String, state: String, count: Int)] {
        try tx.query("SELECT queue, state, jobs FROM jobs_depth()").map { row in
            let (q, s, n) = try row.decode((String, String, Int).self)
            return (q, s, n)
        }
    }
}
