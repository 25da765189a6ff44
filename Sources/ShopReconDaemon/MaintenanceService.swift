import Foundation
import Jobs
import Logging
import Metrics
import PostgresClient
import ServiceLifecycle

/// Publishes queue depth as gauges and enqueues the hourly `prune` system job (once per hour
/// across all daemons, by its unique key).
struct MaintenanceService: Service {
    let pool: ConnectionPool
    let retentionDays: Double
    let logger: Logger
    var interval: Duration = .seconds(15)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await tick()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("queue maintenance failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    private func tick() async throws {
        let hour = String(ISO8601DateFormatter().string(from: Date()).prefix(13))
        let retentionDays = self.retentionDays
        let depth = try await pool.withConnection { connection in
            try await connection.transaction { tx in
                try JobQueue.enqueuePrune(retentionDays: retentionDays, hour: hour, on: tx)
                return try JobQueue.depth(on: tx)
            }
        }
        var seen = Set<String>()
        for entry in depth {
            Gauge(label: "shoprecon_jobs_queue_depth", dimensions: [("queue", entry.queue), ("state", entry.state)]).record(entry.count)
            seen.insert(entry.queue + "/" + entry.state)
        }
        for (queue, state) in lastSeen.value where !seen.contains(queue + "/" + state) {
            Gauge(label: "shoprecon_jobs_queue_depth", dimensions: [("queue", queue), ("state", state)]).record(0)
        }
        lastSeen.value = depth.map { ($0.queue, $0.state) }
    }

    private let lastSeen = Box<[(String, String)]>([])
}

/// Mutable state for a service's own loop (touched from that one task only).
final class Box<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
