import Foundation
import Logging
import Metrics
import PostgresClient
import Synchronization

/// Claims jobs from the queue and runs them with their handlers.
///
/// One loop owns all queue bookkeeping: it claims in batches up to the free capacity, starts a
/// task per job, completes finished jobs in batches, heartbeats leases, and rescues jobs of dead
/// workers. It sleeps until something happens: a job finishes, a `pg_notify` arrives on the
/// dedicated listener connection, or the poll interval passes.
public final class Worker: Sendable {
    public let configuration: WorkerConfiguration
    let pool: ConnectionPool
    let listener: PostgresListener
    let registry: JobRegistry
    let logger: Logger
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation
    private let finished = Mutex<[Outcome]>([])
    private let shutdown = Mutex<Bool>(false)

    struct Outcome: Sendable {
        enum Result: Sendable {
            case succeeded(completedInTransaction: Bool)
            case failed(String, permanent: Bool)
            case leaseLost
            case interrupted
        }
        var job: Job
        var result: Result
        var duration: Duration
    }

    public init(pool: ConnectionPool, listenerConfiguration: PostgresConfiguration, registry: JobRegistry,
                configuration: WorkerConfiguration, logger: Logger) {
        self.pool = pool
        self.listener = PostgresListener(configuration: listenerConfiguration, logger: logger)
        self.registry = registry
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Stops claiming; running jobs get the grace period to finish, the rest are handed back.
    public func requestShutdown() {
        shutdown.withLock { $0 = true }
        signal.yield()
    }

    /// Runs until ``requestShutdown()`` has drained the worker, or the task is cancelled.
    public func run() async throws {
        try await listener.listen(JobQueue.channel)
        let wakeInterval = min(configuration.pollInterval, configuration.heartbeatInterval, configuration.rescueInterval)
        let waker = Task { [listener, signal, logger] in
            while !Task.isCancelled {
                do {
                    _ = try await listener.next(timeout: wakeInterval)
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("job listener failed; polling until it is back", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: wakeInterval)
                }
                signal.yield()
            }
        }
        defer { waker.cancel() }
        signal.yield()

        var running: [Int64: (job: Job, task: Task<Void, Never>)] = [:]
        var toComplete: [Int64] = []
        var lastHeartbeat = ContinuousClock.now
        var lastRescue = ContinuousClock.now - configuration.rescueInterval
        var deadline: ContinuousClock.Instant?
        var claimBackoff: Duration = .zero
        // Settling in batches: since when finished jobs or free slots have been waiting, and
        // until when a wake-up is already scheduled for them.
        var waitingSince: ContinuousClock.Instant?
        var wakeScheduledFor: ContinuousClock.Instant?
        let batchThreshold = max(1, configuration.concurrency / 2)

        for await _ in signals {
            if Task.isCancelled { break }
            // Collect what finished and settle it with the database.
            for outcome in finished.withLock({ outcomes in defer { outcomes.removeAll() }; return outcomes }) {
                running[outcome.job.id] = nil
                record(outcome)
                switch outcome.result {
                case .succeeded(let inTransaction):
                    if !inTransaction { toComplete.append(outcome.job.id) }
                case .failed(let message, let permanent):
                    await settleFailure(outcome.job, message: message, permanent: permanent)
                case .leaseLost:
                    logger.warning("job lease lost; its work was rolled back", metadata: ["job": "\(outcome.job.id)"])
                case .interrupted:
                    await release([outcome.job.id])
                }
            }
            // Completions and claims go to the database in batches: once half the capacity is
            // free, when nothing runs, or when the first of them has waited batchDelay. Settled
            // one job at a time, short jobs spend most of their time in round trips.
            let now = ContinuousClock.now
            let free = configuration.concurrency - running.count
            if free > 0 || !toComplete.isEmpty {
                if waitingSince == nil { waitingSince = now }
            }
            let settle = shutdown.withLock({ $0 }) || running.isEmpty || free >= batchThreshold
                || waitingSince.map { now - $0 >= configuration.batchDelay } ?? false
            if settle {
                waitingSince = nil
                if !toComplete.isEmpty, await flushCompletions(toComplete) { toComplete.removeAll() }
            } else if let since = waitingSince, wakeScheduledFor.map({ $0 <= now }) ?? true {
                let wakeAt = since + configuration.batchDelay
                wakeScheduledFor = wakeAt
                Task { [signal] in try? await Task.sleep(until: wakeAt); signal.yield() }
            }
            if now - lastHeartbeat >= configuration.heartbeatInterval {
                await heartbeat(Array(running.keys) + toComplete)
                lastHeartbeat = now
            }
            if now - lastRescue >= configuration.rescueInterval {
                await rescue()
                lastRescue = now
            }

            if shutdown.withLock({ $0 }) {
                if running.isEmpty && toComplete.isEmpty { break }
                if deadline == nil {
                    deadline = now + configuration.shutdownGracePeriod
                    logger.info("draining", metadata: ["running": "\(running.count)"])
                    let grace = configuration.shutdownGracePeriod
                    Task { [signal] in try? await Task.sleep(for: grace); signal.yield() }
                } else if let deadline, now >= deadline {
                    logger.warning("grace period over; handing back unfinished jobs", metadata: ["jobs": "\(running.count)"])
                    for entry in running.values { entry.task.cancel() }
                    await release(Array(running.keys))
                    running.removeAll()
                    if toComplete.isEmpty { break }
                }
                continue
            }

            guard settle, free > 0 else { continue }
            do {
                // One statement, atomic on its own: no BEGIN and COMMIT round trips around it.
                let jobs = try await pool.withConnection { [configuration] connection in
                    try await JobQueue.claim(queues: configuration.queues, worker: configuration.workerID, limit: free,
                                             lease: configuration.lease, tenantCap: configuration.tenantConcurrency,
                                             on: connection)
                }
                claimBackoff = .zero
                for job in jobs {
                    Metrics.Counter(label: "shoprecon_jobs_claimed_total", dimensions: [("queue", job.queue), ("kind", job.kind)]).increment()
                    running[job.id] = (job, Task { await self.execute(job) })
                }
                // A full batch means more may be waiting: look again without sleeping.
                if jobs.count == free && running.count < configuration.concurrency { signal.yield() }
            } catch {
                claimBackoff = min(max(claimBackoff * 2, .milliseconds(200)), .seconds(10))
                logger.error("claiming jobs failed; retrying", metadata: ["error": "\(error)", "in": "\(claimBackoff)"])
                let pause = claimBackoff
                Task { [signal] in try? await Task.sleep(for: pause); signal.yield() }
            }
        }
        for entry in running.values { entry.task.cancel() }
        if !running.isEmpty { await release(Array(running.keys)) }
        // Stop the waker before closing the listener: still running, it would open a new
        // listener connection, and be inside libpq's connect while the process exits.
        waker.cancel()
        await waker.value
        await listener.close()
    }

    private func execute(_ job: Job) async {
        let started = ContinuousClock.now
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        let flag = CompletionFlag()
        let result: Outcome.Result
        do {
            guard let handler = registry.handler(for: job.kind) else {
                throw JobError.invalid("this worker has no handler for job kind \(job.kind) (it has: \(registry.kinds.joined(separator: ", ")))")
            }
            try await handler.run(JobContext(job: job, pool: pool, workerID: configuration.workerID, logger: logger, completion: flag))
            result = .succeeded(completedInTransaction: flag.isCompleted)
        } catch JobError.leaseLost {
            result = .leaseLost
        } catch let error as JobError {
            if case .permanent = error { result = .failed(error.description, permanent: true) } else {
                result = .failed(error.description, permanent: false)
            }
        } catch is CancellationError where shutdown.withLock({ $0 }) {
            result = .interrupted
        } catch {
            result = .failed(String(describing: error), permanent: false)
        }
        finished.withLock { $0.append(Outcome(job: job, result: result, duration: ContinuousClock.now - started)) }
        signal.yield()
    }

    private func record(_ outcome: Outcome) {
        let dimensions = [("queue", outcome.job.queue), ("kind", outcome.job.kind)]
        switch outcome.result {
        case .succeeded: Metrics.Counter(label: "shoprecon_jobs_succeeded_total", dimensions: dimensions).increment()
        case .failed: Metrics.Counter(label: "shoprecon_jobs_failed_total", dimensions: dimensions).increment()
        case .leaseLost, .interrupted: break
        }
        Metrics.Timer(label: "shoprecon_job_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(outcome.duration.seconds * 1e9))
    }

    /// Returns true when the database has the completions (or has moved the jobs on anyway).
    private func flushCompletions(_ ids: [Int64]) async -> Bool {
        do {
            _ = try await pool.withConnection { [configuration] connection in
                try await JobQueue.complete(ids: ids, worker: configuration.workerID, on: connection)
            }
            return true
        } catch {
            logger.error("completing jobs failed; will retry", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func settleFailure(_ job: Job, message: String, permanent: Bool) async {
        let delay = configuration.backoff.delay(afterAttempt: job.attempt)
        let retryAt: Date? = permanent ? nil : Date().addingTimeInterval(delay.seconds)
        do {
            let state = try await pool.withConnection { [configuration] connection in
                try await connection.transaction { tx in
                    try JobQueue.fail(id: job.id, worker: configuration.workerID, error: message, retryAt: retryAt, on: tx)
                }
            }
            if state == .dead {
                logger.error("job is dead after \(job.attempt) attempt(s)", metadata: ["job": "\(job.id)", "error": "\(message)"])
            } else {
                logger.warning("job failed; will retry", metadata: ["job": "\(job.id)", "error": "\(message)", "in": "\(delay)"])
            }
        } catch {
            logger.error("recording a job failure failed; the lease will expire and the rescuer retries it",
                         metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }

    private func heartbeat(_ ids: [Int64]) async {
        guard !ids.isEmpty else { return }
        do {
            _ = try await pool.withConnection { [configuration] connection in
                try await connection.transaction { tx in
                    try JobQueue.heartbeat(ids: ids, worker: configuration.workerID, lease: configuration.lease, on: tx)
                }
            }
        } catch {
            logger.error("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    private func rescue() async {
        do {
            let rescued = try await pool.withConnection { connection in
                try await connection.transaction { tx in try JobQueue.rescue(on: tx) }
            }
            if rescued > 0 {
                logger.warning("rescued jobs of workers whose leases expired", metadata: ["jobs": "\(rescued)"])
                Metrics.Counter(label: "shoprecon_jobs_rescued_total").increment(by: rescued)
            }
        } catch {
            logger.error("rescuing expired jobs failed", metadata: ["error": "\(error)"])
        }
    }

    private func release(_ ids: [Int64]) async {
        guard !ids.isEmpty else { return }
        do {
            _ = try await pool.withConnection { [configuration] connection in
                try await connection.transaction { tx in try JobQueue.release(ids: ids, worker: configuration.workerID, on: tx) }
            }
        } catch {
            logger.error("handing back jobs failed; their leases will expire", metadata: ["error": "\(error)"])
        }
    }
}
