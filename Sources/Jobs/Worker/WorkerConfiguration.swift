import Foundation

/// How a worker claims and runs jobs.
public struct WorkerConfiguration: Sendable {
    /// Queues to claim from.
    public var queues: [String]
    /// Jobs run at once by this worker.
    public var concurrency: Int
    /// How long a claimed job stays ours without a heartbeat. Short, so a crashed worker's jobs
    /// come back within about a minute, not hours.
    public var lease: Duration
    public var heartbeatInterval: Duration
    /// Fallback polling when no notification arrives (e.g. LISTEN behind pgbouncer in
    /// transaction mode, or a dropped listener connection).
    public var pollInterval: Duration
    public var rescueInterval: Duration
    /// Jobs of one tenant running at once across all workers, so one merchant's backlog cannot
    /// starve the others. System jobs are not capped.
    public var tenantConcurrency: Int
    /// On shutdown, how long running jobs may take to finish before they are handed back.
    public var shutdownGracePeriod: Duration
    public var backoff: Backoff
    /// Names this worker in leases and logs.
    public var workerID: String
    /// How long finished jobs and free slots may wait to be settled together: a worker
    /// completes and claims jobs in batches, once half its capacity is free, when nothing runs,
    /// or after this delay, whichever comes first.
    public var batchDelay: Duration

    public init(queues: [String] = ["default"], concurrency: Int = 10, lease: Duration = .seconds(60),
                heartbeatInterval: Duration = .seconds(15), pollInterval: Duration = .seconds(5),
                rescueInterval: Duration = .seconds(15), tenantConcurrency: Int = 4,
                shutdownGracePeriod: Duration = .seconds(30), backoff: Backoff = Backoff(),
                workerID: String = WorkerConfiguration.defaultWorkerID(), batchDelay: Duration = .milliseconds(10)) {
        self.queues = queues
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.heartbeatInterval = heartbeatInterval
        self.pollInterval = pollInterval
        self.rescueInterval = rescueInterval
        self.tenantConcurrency = max(1, tenantConcurrency)
        self.shutdownGracePeriod = shutdownGracePeriod
        self.backoff = backoff
        self.workerID = workerID
        self.batchDelay = batchDelay
    }

    /// `host:pid:xxxx`.
    public static func defaultWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
    }
}
