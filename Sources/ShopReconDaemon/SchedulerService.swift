import Jobs
import ServiceLifecycle

/// Turns due schedules into jobs every few seconds until shutdown.
struct SchedulerService: Service {
    let scheduler: Scheduler
    var interval: Duration = .seconds(10)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await scheduler.tick()
                } catch is CancellationError {
                    return
                } catch {
                    // A database hiccup: the next tick catches up.
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
