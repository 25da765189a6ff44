import ArgumentParser
import Foundation
import Jobs
import Logging
import PostgresClient

/// `shoprecon-bench jobs`: enqueue and work off no-op jobs with 1, 2 and 4 workers, against
/// the Python queue pgqueuer on the same database in the same run.
struct JobsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Job queue throughput: enqueue and process no-op jobs with N workers vs. pgqueuer.",
        discussion: """
            Everything runs in a scratch database (shoprecon_bench_<pid>, migrated, dropped
            at the end). For every worker count N of --workers, both queues run once per
            --repeat round (ours first in odd rounds, pgqueuer first in even ones, so that
            drift in the machine's load favours neither; before each, the benchmark waits
            for autovacuum in the scratch database to finish):
              ours      TRUNCATE jobs; enqueue --jobs `noop` jobs with JobQueue.enqueue, one
                        statement (autocommit) of --enqueue-batch jobs each, as the schema owner
                        (timed: enqueue); then start N Worker instances in this process, each
                        with a ConnectionPool and a listener of its own and logged in like a
                        daemon (as shoprecon_app where it can), with --concurrency and a
                        registry holding NoopHandler, and time until all of them have returned
                        after every job ran and its completion was written (timed: process).
                        Every job must then be succeeded after exactly one attempt, and the
                        handler must have run exactly once per job.
              pgqueuer  Deploy/bench/pgqueuer_baseline.py on the same database: pgqueuer's
                        schema (installed as the owner), Queries.enqueue with lists of
                        --enqueue-batch jobs, then N processes with one QueueManager each
                        (batch_size --pgqueuer-batch, drain mode, a no-op entrypoint), timed
                        from releasing the connected processes until the last has returned.
            pgqueuer and asyncpg are installed with pip when missing (--python's pip).
            Cases printed: pgqueuer_enqueue, enqueue (medians over all runs), and per worker
            count pgqueuer_process_wN, process_wN (medians of the --repeat runs, default 1).
            ratio = our jobs/s / pgqueuer's jobs/s: HIGHER IS BETTER (goal for process: 1.5).
            Also printed: client_cpu_us_per_job (this process, or pgqueuer's Python processes)
            and db_cpu_us_per_job (their server processes, from /proc when the server runs on
            this machine), which vary far less with the machine's load than the rates do, and
            runs_with_old_transaction: runs during which a transaction older than the run stayed
            open somewhere in the cluster. Dead rows cannot be cleaned up then, every claim walks
            past all jobs claimed before it, and any PostgreSQL queue slows down several times
            (a warning on stderr names such runs).
            """
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var scratch: ScratchDatabaseOptions

    @Option(help: "Jobs per case.")
    var jobs = 100_000

    @Option(help: "Worker counts to run, comma-separated.")
    var workers = "1,2,4"

    @Option(help: "Jobs per enqueue call (ours and pgqueuer's).")
    var enqueueBatch = 1000

    @Option(help: "Jobs each of our workers runs at once (WorkerConfiguration.concurrency, its claim limit).")
    var concurrency = 100

    @Option(help: "0: system jobs (tenant 0, not capped); N: jobs spread over tenants 1...N (capped per tenant).")
    var tenants = 0

    @Option(help: "WorkerConfiguration.tenantConcurrency when --tenants is set.")
    var tenantCap = 25

    @Option(help: "pgqueuer's QueueManager batch_size (default: --concurrency).")
    var pgqueuerBatch: Int?

    @Option(help: "pgqueuer's max_concurrent_tasks (default: 2 x its batch size, its minimum; 0: unlimited).")
    var pgqueuerMaxTasks: Int?

    @Option(help: "The Python that runs the pgqueuer baseline.")
    var python = "python3"

    @Option(help: "The baseline script (default: Deploy/bench/pgqueuer_baseline.py of this checkout).")
    var pgqueuerScript: String?

    @Option(help: "The owner's URL of the scratch database for pgqueuer (default: derived from --database-url).")
    var pgqueuerDSN: String?

    @Flag(help: "Skip the pgqueuer baseline.")
    var noBaseline = false

    @Option(help: "Give up on a processing run after this many seconds.")
    var timeout = 600

    func validate() throws {
        guard options.rowsOption == nil else { throw ValidationError("jobs takes --jobs, not --rows") }
        guard jobs > 0, enqueueBatch > 0, concurrency > 0 else {
            throw ValidationError("--jobs, --enqueue-batch and --concurrency must be at least 1")
        }
        guard tenants >= 0, tenantCap > 0 else { throw ValidationError("--tenants must not be negative, --tenant-cap positive") }
        _ = try workerCounts()
    }

    func workerCounts() throws -> [Int] {
        let counts = workers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--workers wants positive numbers separated by commas, e.g. 1,2,4")
        }
        return counts.map { $0! }
    }

    func run() async throws {
        BenchLog.bootstrap()
        let counts = try workerCounts()
        var baseline: PgqueuerBaseline?
        if !noBaseline {
            baseline = try PgqueuerBaseline(python: python, script: pgqueuerScript)
            try await baseline!.ensureInstalled()
        }
        let database = try await ScratchDatabase.create(options: options, scratch: scratch, purpose: "jobs")
        do {
            try await runCases(database, counts: counts, baseline: baseline)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    private func runCases(_ database: ScratchDatabase, counts: [Int], baseline: PgqueuerBaseline?) async throws {
        let owner = try await PostgresConnection.connect(database.owner, logger: ScratchDatabase.logger)
        do {
            try await runCases(database, counts: counts, baseline: baseline, owner: owner)
        } catch {
            await owner.close()
            throw error
        }
        await owner.close()
    }

    private func runCases(_ database: ScratchDatabase, counts: [Int], baseline: PgqueuerBaseline?,
                          owner: PostgresConnection) async throws {
        let (workerConfiguration, workerLogin) = database.applicationOrOwner
        let dsn = try pgqueuerDSN ?? ownerURL(database)
        let pgqBatch = pgqueuerBatch ?? concurrency
        let repeatCount = options.repeatCount(default: 1)
        BenchLog.progress("\(jobs) jobs per case; our workers log in as \(workerLogin), concurrency \(concurrency)"
                          + (tenants > 0 ? ", \(tenants) tenants capped at \(tenantCap)" : ", system jobs (tenant 0)"))

        var enqueueOurs: [JobsSample] = []
        var enqueueTheirs: [JobsSample] = []
        var processOurs: [Int: [JobsSample]] = [:]
        var processTheirs: [Int: [JobsSample]] = [:]
        var pgqueuerVersion = "?"

        for run in 1...repeatCount {
            for count in counts {
                let label = "w\(count)" + (repeatCount > 1 ? " #\(run)" : "")
                // Who goes first alternates, so that drift in the machine's load favours neither.
                let pgqueuerFirst = run % 2 == 0
                if pgqueuerFirst, let baseline {
                    try await runBaseline(baseline, owner: owner, dsn: dsn, workers: count, batch: pgqBatch,
                                          enqueue: &enqueueTheirs, process: &processTheirs, version: &pgqueuerVersion)
                }
                try await owner.query("TRUNCATE jobs, job_marks")
                await quiesce(owner)
                let enqueued = try await enqueueJobs(owner)
                enqueueOurs.append(enqueued)
                BenchLog.progress("\(label): enqueued \(jobs) jobs in \(formatSeconds(enqueued.seconds)) "
                                  + "(\(Int(Double(jobs) / enqueued.seconds)) jobs/s); processing with \(count) worker(s)")
                let processed = try await processJobs(workers: count, configuration: workerConfiguration, owner: owner)
                warnAboutOldTransaction(processed, label: label)
                processOurs[count, default: []].append(processed)
                try await verify(owner, label: label)
                BenchLog.progress("\(label): processed in \(formatSeconds(processed.seconds)) "
                                  + "(\(Int(Double(jobs) / processed.seconds)) jobs/s)")
                // Leave nothing behind for autovacuum to work on during the next case.
                try await owner.query("TRUNCATE jobs, job_marks")

                if !pgqueuerFirst, let baseline {
                    try await runBaseline(baseline, owner: owner, dsn: dsn, workers: count, batch: pgqBatch,
                                          enqueue: &enqueueTheirs, process: &processTheirs, version: &pgqueuerVersion)
                }
            }
        }

        // Enqueueing does not depend on the worker count: one line each, over all runs.
        emit(caseName: "enqueue", ours: enqueueOurs, theirs: enqueueTheirs, baselineName: "pgqueuer_enqueue",
             extra: [(key: "enqueue_batch", value: .int(enqueueBatch))], version: pgqueuerVersion)
        for count in counts {
            emit(caseName: "process_w\(count)", ours: processOurs[count] ?? [], theirs: processTheirs[count] ?? [],
                 baselineName: "pgqueuer_process_w\(count)",
                 extra: [(key: "workers", value: .int(count)), (key: "concurrency", value: .int(concurrency)),
                         (key: "pgqueuer_batch_size", value: .int(pgqBatch)),
                         (key: "pgqueuer_max_concurrent_tasks", value: .int(pgqueuerMaxTasks ?? 2 * pgqBatch)),
                         (key: "tenants", value: .int(tenants))],
                 version: pgqueuerVersion)
        }
    }

    /// One run of the pgqueuer baseline, its times added to the samples.
    private func runBaseline(_ baseline: PgqueuerBaseline, owner: PostgresConnection, dsn: String, workers count: Int,
                             batch: Int, enqueue: inout [JobsSample], process: inout [Int: [JobsSample]],
                             version: inout String) async throws {
        await quiesce(owner)
        let boundsBefore = try await snapshotBounds(owner)
        var result = try await baseline.run(dsn: dsn, jobs: jobs, workers: count, batchSize: batch,
                                            maxConcurrentTasks: pgqueuerMaxTasks, enqueueBatch: enqueueBatch)
        result.process.oldTransaction = try await snapshotBounds(owner).xmin < boundsBefore.xmax
        warnAboutOldTransaction(result.process, label: "pgqueuer w\(count)")
        enqueue.append(result.enqueue)
        process[count, default: []].append(result.process)
        version = result.version
    }

    /// Waits (up to 30 s) until no autovacuum worker is busy in the scratch database, so that
    /// a case does not pay for the previous one's garbage.
    private func quiesce(_ owner: PostgresConnection) async {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(30) {
            let busy = (try? await owner.query("""
                SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()
                """)[0].decode(Int64.self, at: 0)) ?? 0
            if busy == 0 { return }
            try? await Task.sleep(for: .milliseconds(200))
        }
        BenchLog.progress("autovacuum is still busy after 30 s; going on")
    }

    /// Prints the baseline's line (when it ran) and ours with the ratio of the rates.
    private func emit(caseName: String, ours: [JobsSample], theirs: [JobsSample], baselineName: String,
                      extra: [(key: String, value: BenchResult.Value)], version: String) {
        var baselineResult: BenchResult?
        if !theirs.isEmpty {
            var result = BenchResult(bench: "jobs", caseName: baselineName, rows: jobs, seconds: median(theirs.map(\.seconds)),
                                     countKey: "jobs", rateKey: "jobs_per_s")
            result.extra = extra + [(key: "runs", value: .int(theirs.count))] + cpuExtras(theirs)
                + [(key: "pgqueuer", value: .string(version))]
            result.compare(to: result)
            result.emit()
            baselineResult = result
        }
        var result = BenchResult(bench: "jobs", caseName: caseName, rows: jobs, seconds: median(ours.map(\.seconds)),
                                 countKey: "jobs", rateKey: "jobs_per_s")
        result.extra = extra + [(key: "runs", value: .int(ours.count))] + cpuExtras(ours)
            + [(key: "ratio_of", value: .string("jobs/s / baseline jobs/s, higher is better"))]
        result.compare(to: baselineResult)
        BenchLog.progress("\(caseName): \(Int(result.rowsPerSecond)) jobs/s"
                          + (baselineResult.map { " vs. \(Int($0.rowsPerSecond)) jobs/s pgqueuer" } ?? "")
                          + (result.ratio.map { String(format: " = %.2fx (higher is better)", $0) } ?? ""))
        result.emit()
    }

    // MARK: - Our side

    /// CPU per job, client and server side (medians over the runs; the server's only when
    /// every run could read it), as extra JSON keys.
    private func cpuExtras(_ samples: [JobsSample]) -> [(key: String, value: BenchResult.Value)] {
        var extras: [(key: String, value: BenchResult.Value)] = [
            (key: "runs_with_old_transaction", value: .int(samples.count(where: \.oldTransaction))),
            (key: "client_cpu_us_per_job", value: .double(median(samples.map(\.clientCPU)) / Double(jobs) * 1e6)),
        ]
        let server = samples.compactMap(\.serverCPU)
        if !server.isEmpty && server.count == samples.count {
            extras.append((key: "db_cpu_us_per_job", value: .double(median(server) / Double(jobs) * 1e6)))
        }
        return extras
    }

    private func warnAboutOldTransaction(_ sample: JobsSample, label: String) {
        guard sample.oldTransaction else { return }
        BenchLog.progress("warning: \(label): a transaction older than the run was open all through it, somewhere in the "
                          + "cluster (see pg_stat_activity); dead rows could not be cleaned up, so this run is slow")
    }

    /// Enqueues `jobs` noop jobs in transactions of `enqueueBatch`.
    private func enqueueJobs(_ owner: PostgresConnection) async throws -> JobsSample {
        let (total, batch, tenants) = (jobs, enqueueBatch, tenants)
        let backend = await owner.backendPID
        let (clientBefore, serverBefore) = (processCPUSeconds(), backendCPUSeconds(pid: backend))
        let (inserted, seconds) = try await measure {
            var done = 0
            while done < total {
                let n = min(batch, total - done)
                let first = done
                let requests = (0..<n).map { i in
                    JobRequest(kind: "noop", tenantID: tenants == 0 ? 0 : Int64((first + i) % tenants + 1))
                }
                // One statement per batch, atomic on its own (as pgqueuer's Queries.enqueue runs).
                let count = try await JobQueue.enqueue(requests, on: owner).count
                guard count == n else { throw BenchFailure("enqueue inserted \(count) of \(n) jobs") }
                done += n
            }
            return done
        }
        guard inserted == total else { throw BenchFailure("enqueued \(inserted) jobs, expected \(total)") }
        let server = backendCPUSeconds(pid: backend).flatMap { after in serverBefore.map { after - $0 } }
        return JobsSample(seconds: seconds, clientCPU: processCPUSeconds() - clientBefore, serverCPU: server)
    }

    /// Runs `workers` workers until every job has run and its completion is written; the time
    /// is from starting the workers until the last one has returned.
    private func processJobs(workers count: Int, configuration: PostgresConfiguration,
                             owner: PostgresConnection) async throws -> JobsSample {
        var logger = Logger(label: "shoprecon.bench.worker")
        logger.logLevel = .warning
        let counter = RunCounter(target: jobs)
        let registry = JobRegistry([CountingNoopHandler(counter: counter)])
        var pools: [ConnectionPool] = []
        var instances: [Worker] = []
        for index in 1...count {
            let pool = ConnectionPool(configuration: configuration, options: .init(maxConnections: 4), logger: logger)
            try await pool.withConnection { connection in _ = try await connection.query("SELECT 1") }
            var workerConfiguration = WorkerConfiguration(
                concurrency: concurrency,
                workerID: "bench-\(ProcessInfo.processInfo.processIdentifier)-w\(index)")
            if tenants > 0 { workerConfiguration.tenantConcurrency = tenantCap }
            pools.append(pool)
            instances.append(Worker(pool: pool, listenerConfiguration: configuration, registry: registry,
                                    configuration: workerConfiguration, logger: logger))
        }

        let serverBefore = try await workerBackendsCPU(owner)
        let boundsBefore = try await snapshotBounds(owner)
        let clientBefore = processCPUSeconds()
        let start = ContinuousClock.now
        let tasks = instances.map { worker in
            Task {
                do {
                    try await worker.run()
                } catch {
                    counter.abort()  // no point waiting for jobs that will not run
                    throw error
                }
            }
        }
        let finishedInTime = await counter.wait(timeout: .seconds(timeout))
        for worker in instances { worker.requestShutdown() }
        var failure: (any Error)?
        for task in tasks {
            do { try await task.value } catch { failure = failure ?? error }
        }
        let seconds = (ContinuousClock.now - start).seconds
        let clientCPU = processCPUSeconds() - clientBefore
        // The pools' server processes (the listeners' have gone already; they do little).
        let serverAfter = try await workerBackendsCPU(owner)
        for pool in pools { await pool.shutdown() }
        if let failure { throw BenchFailure("a worker failed: \(failure)") }
        guard finishedInTime else {
            throw BenchFailure("only \(counter.count) of \(jobs) jobs ran within \(timeout)s")
        }
        guard counter.count == jobs else {
            throw BenchFailure("the handler ran \(counter.count) times for \(jobs) jobs")
        }
        // Server processes that could not be read (gone meanwhile, or /proc not ours) count as
        // nothing; when none could be read, there is no figure.
        var serverCPU: Double?
        for (pid, after) in serverAfter {
            guard let after else { continue }
            serverCPU = (serverCPU ?? 0) + after - ((serverBefore[pid] ?? 0) ?? 0)
        }
        let oldTransaction = try await snapshotBounds(owner).xmin < boundsBefore.xmax
        return JobsSample(seconds: seconds, clientCPU: clientCPU, serverCPU: serverCPU, oldTransaction: oldTransaction)
    }

    /// The CPU seconds of every client backend in the scratch database but the owner's own.
    private func workerBackendsCPU(_ owner: PostgresConnection) async throws -> [Int32: Double?] {
        var cpu: [Int32: Double?] = [:]
        for row in try await owner.query("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
            """) {
            let pid = try row.decode(Int32.self, at: 0)
            cpu[pid] = backendCPUSeconds(pid: pid)
        }
        return cpu
    }

    /// Every job succeeded, after exactly one attempt, and the handler ran exactly once per job.
    private func verify(_ owner: PostgresConnection, label: String) async throws {
        let row = try await owner.query("""
            SELECT count(*), count(*) FILTER (WHERE state = 'succeeded'), count(*) FILTER (WHERE attempt <> 1)
            FROM jobs
            """)[0]
        let (total, succeeded, retried) = try row.decode((Int64, Int64, Int64).self)
        guard total == jobs, succeeded == jobs, retried == 0 else {
            throw BenchFailure("\(label): \(total) jobs, \(succeeded) succeeded, \(retried) with more than one attempt; "
                               + "expected \(jobs) succeeded after one attempt each")
        }
    }

    /// The scratch database's URL for asyncpg (which takes URLs, not libpq conninfo strings).
    private func ownerURL(_ database: ScratchDatabase) throws -> String {
        let base = try options.configuration().connectionString
        guard base.hasPrefix("postgres://") || base.hasPrefix("postgresql://"),
              var components = URLComponents(string: base) else {
            throw BenchFailure("--database-url is a conninfo string; pass --pgqueuer-dsn postgresql://... for the baseline")
        }
        components.path = "/" + database.name
        guard let url = components.string else { throw BenchFailure("cannot build the scratch database's URL") }
        return url
    }
}

/// One timed run: wall-clock seconds, CPU seconds of the client processes, and CPU seconds of
/// their server processes when /proc tells (a server on this machine, readable by this user).
struct JobsSample: Sendable {
    var seconds: Double
    var clientCPU: Double
    var serverCPU: Double?
    /// A transaction older than the run (in any database of the cluster) was still open when it
    /// ended: no dead row of the run could be cleaned up meanwhile, and every claim walked past
    /// all the jobs claimed before it. Queues crawl then, any queue on PostgreSQL.
    var oldTransaction = false
}

/// The transaction ids bounding a fresh snapshot: the oldest still running, and the next.
func snapshotBounds(_ connection: PostgresConnection) async throws -> (xmin: Int64, xmax: Int64) {
    try await connection.query("""
        SELECT pg_snapshot_xmin(s)::text::bigint, pg_snapshot_xmax(s)::text::bigint FROM pg_current_snapshot() AS s
        """)[0].decode((Int64, Int64).self)
}

/// `RUSAGE_SELF`, whose type differs between Glibc and Darwin.
#if canImport(Glibc)
private let rusageSelf = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let rusageSelf = RUSAGE_SELF
#endif

/// CPU seconds (user and system) this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(rusageSelf, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// CPU seconds a local server process has run, from /proc/<pid>/schedstat; nil when unreadable.
func backendCPUSeconds(pid: Int32) -> Double? {
    guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/schedstat", encoding: .utf8),
          let first = text.split(separator: " ").first, let nanoseconds = Double(first) else { return nil }
    return nanoseconds / 1e9
}

/// `noop` through ``NoopHandler``, counted: the benchmark stops the workers once every job ran.
struct CountingNoopHandler: JobHandler {
    let kind = "noop"
    let inner = NoopHandler()
    let counter: RunCounter

    func run(_ context: JobContext) async throws {
        try await inner.run(context)
        counter.increment()
    }
}

/// Counts handler runs and wakes a waiter when the target is reached.
final class RunCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    private let target: Int
    private let reached: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init(target: Int) {
        self.target = target
        (reached, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var count: Int { lock.withLock { value } }

    func increment() {
        let now = lock.withLock { value += 1; return value }
        if now == target { continuation.yield() }
    }

    /// Ends a ``wait(timeout:)`` early (a worker failed).
    func abort() { continuation.finish() }

    /// True once the target is reached, false after `timeout`.
    func wait(timeout: Duration) async -> Bool {
        let timer = Task { [continuation] in
            try? await Task.sleep(for: timeout)
            continuation.finish()
        }
        defer { timer.cancel() }
        for await _ in reached { return true }
        return count >= target
    }
}
