import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing
@testable import Jobs

/// A seeded generator, so that jitter checks are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("the ceiling doubles with every attempt from the base")
    func ceilingDoubles() {
        let backoff = Backoff(base: .seconds(5), cap: .seconds(3600))
        #expect([1, 2, 3, 4, 5, 10].map { backoff.ceiling(afterAttempt: $0).seconds } == [5, 10, 20, 40, 80, 2560])
        // Attempt numbers below 1 count as the first attempt.
        #expect(backoff.ceiling(afterAttempt: 0).seconds == 5)
        #expect(backoff.ceiling(afterAttempt: -3).seconds == 5)
        #expect(Backoff(base: .milliseconds(250), cap: .seconds(60)).ceiling(afterAttempt: 3).seconds == 1)
    }

    @Test("the ceiling stops at the cap, also for huge attempt numbers")
    func ceilingCapped() {
        let backoff = Backoff(base: .seconds(5), cap: .seconds(3600))
        #expect(backoff.ceiling(afterAttempt: 11).seconds == 3600)  // 5 × 1024 = 5120 > 3600
        #expect(backoff.ceiling(afterAttempt: 64).seconds == 3600)
        #expect(backoff.ceiling(afterAttempt: Int.max).seconds == 3600)
        let defaults = Backoff()
        #expect(defaults.base == .seconds(5) && defaults.cap == .seconds(3600))
    }

    @Test("the jittered delay lies between half the ceiling and the ceiling, and is spread out")
    func jitterBounds() {
        let backoff = Backoff(base: .seconds(2), cap: .seconds(300))
        var generator = SplitMix64(state: 42)
        for attempt in 1...12 {
            let ceiling = backoff.ceiling(afterAttempt: attempt).seconds
            let delays = (0..<400).map { _ in backoff.delay(afterAttempt: attempt, using: &generator).seconds }
            #expect(delays.allSatisfy { $0 >= ceiling / 2 && $0 <= ceiling }, "attempt \(attempt): \(delays.min() ?? 0)...\(delays.max() ?? 0)")
            // Jobs failing together do not come back together.
            #expect(delays.min() ?? 0 < ceiling * 0.6 && delays.max() ?? 0 > ceiling * 0.9, "attempt \(attempt)")
            #expect(Set(delays).count > 390)
        }
        // The system generator respects the same bounds.
        for _ in 0..<200 {
            let delay = backoff.delay(afterAttempt: 3).seconds
            #expect(delay >= 4 && delay <= 8)
        }
    }

    @Test("the same seed gives the same delays")
    func seededDelays() {
        let backoff = Backoff()
        var a = SplitMix64(state: 7)
        var b = SplitMix64(state: 7)
        #expect((1...8).map { backoff.delay(afterAttempt: $0, using: &a) } == (1...8).map { backoff.delay(afterAttempt: $0, using: &b) })
    }

    @Test("Duration.seconds reads fractions")
    func durationSeconds() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect(Duration.seconds(3600).seconds == 3600)
        #expect(abs(Duration.microseconds(1).seconds - 1e-6) < 1e-15)
    }

    /// A worker in this process (the daemon has no backoff options) with a short backoff: a
    /// failing job comes back no earlier than its backoff says, is buried after its last
    /// attempt with its error, and `JobQueue.retry` revives it.
    @Test("a failing job is retried with backoff, ends dead after max attempts, and retry revives it")
    func failingJobBacksOffAndDies() async throws {
        try await withTestDatabase { database in
            let backoff = Backoff(base: .milliseconds(600), cap: .seconds(1))
            let configuration = WorkerConfiguration(
                queues: ["default"], concurrency: 2, lease: .seconds(10), heartbeatInterval: .seconds(1),
                pollInterval: .milliseconds(250), rescueInterval: .seconds(1), tenantConcurrency: 2,
                shutdownGracePeriod: .seconds(2), backoff: backoff, workerID: "backoff-test")
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 4))
            let worker = Worker(pool: pool, listenerConfiguration: try database.appConfiguration,
                                registry: JobRegistry([SleepHandler(), NoopHandler()]), configuration: configuration,
                                logger: quietLogger("backoff-worker"))
            let running = Task { try await worker.run() }
            defer { running.cancel() }

            let jobID = try #require(try await database.enqueue([sleepJob(seconds: 0.1, fail: true, maxAttempts: 3)]).first?.id)
            // Watch the job between attempts: after attempt n fails it waits, available, until run_at.
            struct Pause { var attempt: Int; var startedAt: Date; var runAt: Date; var seenAt: Date; var error: String? }
            let probe = try await database.connect()
            var pauses: [Int: Pause] = [:]
            var final: Job?
            let died = try await eventually(timeout: .seconds(20), every: .milliseconds(15)) {
                let job = try await probe.withIsolation { tx in try JobQueue.find(id: jobID, on: tx) }
                if job.state == .available, job.attempt > 0, pauses[job.attempt] == nil, let started = job.startedAt {
                    pauses[job.attempt] = Pause(attempt: job.attempt, startedAt: started, runAt: job.runAt, seenAt: Date(), error: job.lastError)
                }
                final = job
                return job.state == .dead
            }
            #expect(died, "job state \(final?.state.rawValue ?? "?")")
            let dead = try #require(final)
            #expect(dead.attempt == 3)
            #expect(dead.finishedAt != nil)
            #expect(dead.lastError?.contains("sleep job asked to fail (attempt 3)") == true, "\(dead.lastError ?? "nil")")

            #expect(pauses.keys.sorted() == [1, 2], "saw the job waiting after attempts \(pauses.keys.sorted())")
            for (attempt, pause) in pauses {
                // run_at is pushed forward by the backoff from the moment the failure was settled:
                // that was after the attempt started and slept 0.1 s, and before the test saw the
                // job waiting, so the delay lies between half the ceiling and the ceiling.
                let ceiling = backoff.ceiling(afterAttempt: attempt).seconds
                let atLeast = pause.runAt.timeIntervalSince(pause.startedAt) - 0.1
                let atMost = pause.runAt.timeIntervalSince(pause.seenAt)
                #expect(atLeast >= ceiling / 2 - 0.02, "attempt \(attempt): run_at only \(atLeast) s after the failure")
                #expect(atMost <= ceiling + 0.02, "attempt \(attempt): run_at \(atMost) s after the test saw it, ceiling \(ceiling)")
                #expect(pause.error?.contains("(attempt \(attempt))") == true)
            }
            // Each attempt waited for the run_at the previous failure set.
            if let first = pauses[1], let second = pauses[2], let thirdStart = dead.startedAt {
                #expect(second.startedAt >= first.runAt.addingTimeInterval(-0.01))
                #expect(thirdStart >= second.runAt.addingTimeInterval(-0.01))
            }

            // Retry gives it a fresh set of attempts; the worker runs it again at once.
            let revived = try await database.withOwner { owner in
                try await owner.transaction { tx in try JobQueue.retry(id: jobID, on: tx) }
            }
            #expect(revived.state == .available && revived.attempt == 0 && revived.finishedAt == nil)
            let ranAgain = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                let job = try await probe.withIsolation { tx in try JobQueue.find(id: jobID, on: tx) }
                return job.lastError?.contains("(attempt 1)") == true
            }
            #expect(ranAgain, "the revived job was not run again")
            await probe.close()

            worker.requestShutdown()
            try await running.value
            await pool.shutdown()
        }
    }
}
