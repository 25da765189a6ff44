import ArgumentParser
import Foundation
import Jobs
import Logging
import PostgresClient
import ServiceLifecycle

/// `shoprecond`: the worker daemon. Runs jobs from the Postgres queues, turns schedules into
/// jobs, and serves health and Prometheus metrics on a loopback port.
@main
struct ShopReconDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shoprecond",
        abstract: "Run ShopRecon's background jobs: channel syncs, reconciliation runs, exports, notifications.",
        discussion: """
            Run as many daemons as you like, on one machine or several, against the same database: \
            jobs are claimed with FOR UPDATE SKIP LOCKED and each runs once. SIGTERM or SIGINT \
            stops claiming, lets running jobs finish within --grace-period, and hands the rest back.

            Configuration: --database-url, else DATABASE_URL, else the local development cluster \
            (as the application role shoprecon_app).
            """,
        version: "0.1.0"
    )

    @Option(help: ArgumentHelp("Comma-separated queues to work.", valueName: "names")) var queues = "default"
    @Option(help: "Jobs this daemon runs at once.") var concurrency = 10
    @Option(help: "Jobs of one tenant running at once, across all daemons.") var tenantConcurrency = 4
    @Option(help: ArgumentHelp("PostgreSQL URL (default: $DATABASE_URL, else the local dev cluster).", valueName: "url"))
    var databaseURL: String?
    @Option(help: "Loopback address for /health and /metrics.") var httpHost = "127.0.0.1"
    @Option(help: "Port for /health and /metrics (0 disables).") var httpPort = 9187
    @Option(help: "text or json.") var logFormat = "text"
    @Option(help: "trace, debug, info, notice, warning, error or critical.") var logLevel = "info"
    @Option(help: "Seconds running jobs get to finish after SIGTERM.") var gracePeriod = 30.0
    @Option(help: "Seconds a claimed job stays leased without a heartbeat.") var lease = 60.0
    @Option(help: "Seconds between polls when no notification arrives.") var pollInterval = 5.0
    @Flag(inversion: .prefixedNo, help: "Turn due schedules into jobs.") var schedules = true
    @Option(help: "Missed schedule slots enqueued after downtime (the latest ones).") var catchUp = 1
    @Option(help: "Days finished jobs are kept before pruning.") var retentionDays = 7.0

    func validate() throws {
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format is text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard concurrency >= 1, tenantConcurrency >= 1 else { throw ValidationError("concurrencies must be at least 1") }
        guard lease >= 2 else { throw ValidationError("--lease must be at least 2 seconds") }
    }

    func run() async throws {
        let logger = DaemonLogging.bootstrap(format: logFormat, level: Logger.Level(rawValue: logLevel) ?? .info)
        let metrics = DaemonMetrics.bootstrap()
        let database: PostgresConfiguration
        do {
            database = try databaseURL.map { try PostgresConfiguration($0, applicationName: "shoprecond") }
                ?? PostgresConfiguration.fromEnvironment(applicationName: "shoprecond", developmentRole: .application)
        } catch {
            logger.critical("invalid database configuration: \(error)")
            throw ExitCode(2)
        }
        let queueList = queues.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let workerConfiguration = WorkerConfiguration(
            queues: queueList, concurrency: concurrency, lease: .seconds(lease),
            heartbeatInterval: .seconds(max(1, lease / 4)), pollInterval: .seconds(pollInterval),
            rescueInterval: .seconds(max(1, lease / 4)), tenantConcurrency: tenantConcurrency,
            shutdownGracePeriod: .seconds(gracePeriod))
        let pool = ConnectionPool(configuration: database,
                                  options: .init(maxConnections: concurrency + 2, acquireTimeout: .seconds(30)), logger: logger)
        // Fail fast with a clear message when the database is unreachable or not migrated.
        do {
            try await pool.withConnection { connection in
                _ = try await connection.query("SELECT 1 FROM jobs LIMIT 1")
            }
        } catch {
            logger.critical("cannot use the job queue at \(database): \(error)")
            throw ExitCode(10)
        }
        let worker = Worker(pool: pool, listenerConfiguration: database, registry: DaemonHandlers.registry(),
                            configuration: workerConfiguration, logger: logger)
        logger.info("shoprecond starting", metadata: [
            "worker": "\(workerConfiguration.workerID)", "queues": "\(queueList.joined(separator: ","))",
            "concurrency": "\(concurrency)", "database": "\(database)"])

        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: MaintenanceService(pool: pool, retentionDays: retentionDays, logger: logger)),
        ]
        if schedules {
            services.append(.init(service: SchedulerService(scheduler: Scheduler(pool: pool, maxCatchUp: catchUp, logger: logger))))
        }
        if httpPort != 0 {
            services.append(.init(service: MetricsServer.make(host: httpHost, port: httpPort, registry: metrics,
                                                              worker: workerConfiguration.workerID, logger: logger)))
        }
        // Last, because the group stops services in reverse order: on SIGTERM the worker stops
        // claiming first, not after the other services have wound down (a scheduler tick in
        // progress, an HTTP request), and /health and /metrics stay up while it drains.
        services.append(.init(service: WorkerService(worker: worker), successTerminationBehavior: .gracefullyShutdownGroup,
                              failureTerminationBehavior: .gracefullyShutdownGroup))
        var configuration = ServiceGroupConfiguration(services: services, logger: logger)
        configuration.gracefulShutdownSignals = [.sigterm, .sigint]
        configuration.maximumGracefulShutdownDuration = .seconds(gracePeriod + 15)
        configuration.maximumCancellationDuration = .seconds(10)
        do {
            try await ServiceGroup(configuration: configuration).run()
        } catch {
            logger.critical("shoprecond stopped with an error: \(error)")
            await pool.shutdown()
            throw ExitCode(10)
        }
        await pool.shutdown()
        logger.info("shoprecond stopped")
    }
}
