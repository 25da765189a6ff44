import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing
@testable import Jobs

@Suite("Worker")
struct WorkerTests {
    /// When `run()` returns, nothing of the worker may still use the database: a listener
    /// connection reopened on the way out outlived the worker, and in the daemon it was being
    /// opened while the process exited (which crashed it with SIGSEGV after a clean drain).
    @Test("a drained worker leaves no connection behind", arguments: 1...3)
    func drainedWorkerClosesEverything(round: Int) async throws {
        try await withTestDatabase { database in
            let listenerName = "worker-listener-\(round)"
            let listenerConfiguration = try PostgresConfiguration(database.appConnectionString, applicationName: listenerName)
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 2))
            let configuration = WorkerConfiguration(queues: ["default"], concurrency: 2, lease: .seconds(10),
                                                    heartbeatInterval: .seconds(1), pollInterval: .milliseconds(100),
                                                    rescueInterval: .seconds(1), workerID: "drain-\(round)")
            let worker = Worker(pool: pool, listenerConfiguration: listenerConfiguration, registry: JobRegistry([NoopHandler()]),
                                configuration: configuration, logger: quietLogger("worker"))
            let running = Task { try await worker.run() }
            let sessions = { try await database.scalar(Int.self, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                                       [listenerName]) }
            #expect(try await eventually(timeout: .seconds(5)) { try await sessions() == 1 }, "the worker listens")
            try await database.enqueue([noop(mark: "before-stop")])
            #expect(try await eventually(timeout: .seconds(5)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM job_marks") == 1
            })
            try await Task.sleep(for: .milliseconds(250))  // idle: the listener wakes every 0.1 s

            worker.requestShutdown()
            try await running.value
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await sessions() == 0, "a listener connection is still open after run() returned")
            await pool.shutdown()
        }
    }
}
