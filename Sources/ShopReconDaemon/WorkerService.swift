import Jobs
import ServiceLifecycle

/// Runs the worker; on graceful shutdown it stops claiming and drains.
struct WorkerService: Service {
    let worker: Worker

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await worker.run()
        } onGracefulShutdown: {
            worker.requestShutdown()
        }
    }
}
