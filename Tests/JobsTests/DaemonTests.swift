import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing
@testable import Jobs
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real `shoprecond` processes against a database of their own per test. Serialized: several
/// daemons at once are as much as a small machine takes without bending the timings.
@Suite("shoprecond daemons", .serialized)
struct DaemonTests {
    @Test("LISTEN/NOTIFY wakes an idle daemon at once; /health and /metrics answer")
    func notifyWakesAndHTTPEndpoints() async throws {
        try await withDaemons { database, daemons in
            // Polls every 30 s, heartbeats and rescues every 15 s: only a notification is fast.
            let daemon = try daemons.start("listener", ["--poll-interval": "30", "--lease": "60"], http: true)
            let worker = try await daemon.workerID()
            // Live: it ran the prune job its maintenance enqueued at start-up. Then let it go idle.
            let live = try await eventually(timeout: .seconds(15), every: .milliseconds(50)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE kind = 'prune' AND state = 'succeeded'") == 1
            }
            try #require(live, "\(daemon.diagnostics())")
            try await Task.sleep(for: .seconds(1))

            let job = try #require(try await database.enqueue([noop(mark: "wake-up")]).first)
            let ran = try await eventually(timeout: .seconds(10), every: .milliseconds(10)) {
                try await database.job(job.id).state == .succeeded
            }
            #expect(ran)
            // Measured by the database: from the enqueueing transaction to the claim.
            let row = try await database.job(job.id)
            let latency = (row.startedAt ?? .distantFuture).timeIntervalSince(row.createdAt)
            #expect(latency < 1.5, "picked up \(latency) s after it was enqueued, with a 30 s poll interval")

            var health: (status: Int, body: String)?
            let answered = try await eventually(timeout: .seconds(10), every: .milliseconds(100)) {
                health = try? daemon.get("/health")
                return health != nil
            }
            #expect(answered, "\(daemon.diagnostics())")
            #expect(health?.status == 200)
            #expect(health?.body.contains(#""status":"ok""#) == true && health?.body.contains(worker) == true, "\(health?.body ?? "")")

            let metrics = try daemon.get("/metrics")
            #expect(metrics.status == 200)
            let succeededLine = metrics.body.split(separator: "\n").first {
                $0.hasPrefix("shoprecon_jobs_succeeded_total{") && $0.contains(#"kind="noop""#)
            }
            #expect(succeededLine.map { $0.hasSuffix(" 1") || $0.hasSuffix(" 1.0") } == true, "metrics:\n\(metrics.body)")
            #expect(metrics.body.contains("shoprecon_jobs_claimed_total"))
            #expect(metrics.body.contains("shoprecon_job_duration_seconds"))
            #expect(metrics.body.contains("shoprecon_jobs_queue_depth"))
            #expect(try daemon.get("/nothing-here").status == 404)
        }
    }

    /// On its way out the worker must not leave a task reconnecting to the database: the process
    /// exit would pull libpq's locks from under it (it crashed with SIGSEGV after "stopped").
    @Test("idle daemons stopped with SIGTERM exit with status 0, every time")
    func gracefulExitIsClean() async throws {
        try await withDaemons { _, daemons in
            for round in 0..<2 {
                let started = try (0..<3).map { try daemons.start("exit-\(round)-\($0)", ["--poll-interval": "0.1"]) }
                for daemon in started { _ = try await daemon.workerID() }
                try await Task.sleep(for: .milliseconds(600))  // idle: the waker cycles every 0.1 s
                for daemon in started { daemon.send(SIGTERM) }
                for daemon in started {
                    #expect(await daemon.waitForExit(timeout: .seconds(10)), "\(daemon.diagnostics())")
                    #expect(daemon.termination?.reason == .exit && daemon.termination?.status == 0, "\(daemon.diagnostics())")
                    #expect(daemon.hasLogged("shoprecond stopped"))
                }
            }
        }
    }

    @Test("SIGTERM: no more claims, running jobs finish, exit 0 within the grace period")
    func sigtermDrains() async throws {
        try await withDaemons { database, daemons in
            let daemon = try daemons.start("drain", ["--concurrency": "4", "--grace-period": "10"], http: true)
            let worker = try await daemon.workerID()
            let running = try await database.enqueue([sleepJob(seconds: 2, mark: "drain-1"), sleepJob(seconds: 2, mark: "drain-2")])
            let both = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE kind = 'sleep' AND state = 'running' AND lease_owner = $1",
                                          [worker]) == 2
            }
            try #require(both, "\(daemon.diagnostics())")

            let signalled = ContinuousClock.now
            daemon.send(SIGTERM)
            // Enqueued after the signal, with free capacity: they must stay in the queue.
            let late = try await database.enqueue([noop(mark: "late-1"), noop(mark: "late-2")])
            // Draining, it still answers health checks.
            #expect(try await eventually(timeout: .seconds(5), every: .milliseconds(20)) { daemon.hasLogged("draining") })
            #expect((try? daemon.get("/health"))?.status == 200, "no /health while draining")
            let exited = await daemon.waitForExit(timeout: .seconds(12))
            let took = ContinuousClock.now - signalled
            #expect(exited, "\(daemon.diagnostics())")
            #expect(daemon.termination?.reason == .exit && daemon.termination?.status == 0, "\(daemon.diagnostics())")
            #expect(took < .seconds(10), "exited \(took) after SIGTERM")

            for job in running {
                let row = try await database.job(job.id)
                #expect(row.state == .succeeded && row.attempt == 1, "job \(job.id) is \(row.state)")
            }
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE mark LIKE 'drain-%'") == 2)
            for job in late {
                let row = try await database.job(job.id)
                #expect(row.state == .available && row.attempt == 0 && row.startedAt == nil, "late job \(job.id) is \(row.state)")
            }
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE mark LIKE 'late-%'") == 0)
        }
    }

    @Test("SIGTERM with a grace period shorter than the job: it is handed back and the daemon exits")
    func sigtermHandsBackUnfinishedJobs() async throws {
        try await withDaemons { database, daemons in
            let daemon = try daemons.start("impatient", ["--grace-period": "1"])
            let worker = try await daemon.workerID()
            let job = try #require(try await database.enqueue([sleepJob(seconds: 8, mark: "too-slow")]).first)
            let claimed = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                try await database.scalar(String?.self, "SELECT (SELECT lease_owner FROM jobs WHERE job_id = $1 AND state = 'running')", [job.id]) == worker
            }
            try #require(claimed, "\(daemon.diagnostics())")

            let signalled = ContinuousClock.now
            daemon.send(SIGTERM)
            let exited = await daemon.waitForExit(timeout: .seconds(8))
            let took = ContinuousClock.now - signalled
            #expect(exited, "\(daemon.diagnostics())")
            #expect(took >= .milliseconds(900) && took < .seconds(5), "exited \(took) after SIGTERM")
            #expect(daemon.termination?.reason == .exit && daemon.termination?.status == 0, "\(daemon.diagnostics())")
            #expect(daemon.hasLogged("grace period over; handing back unfinished jobs"))

            let row = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("SELECT state, attempt, lease_owner, lease_expires_at, finished_at FROM jobs WHERE job_id = $1", [job.id])[0]
                        .decode((String, Int, String?, Date?, Date?).self)
                }
            }
            #expect(row.0 == "available", "handed back, not \(row.0)")
            #expect(row.1 == 0, "the interrupted attempt is not counted")
            #expect(row.2 == nil && row.3 == nil && row.4 == nil, "lease cleared")
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE job_id = $1", [job.id]) == 0)
        }
    }

    @Test("a daemon killed with SIGKILL mid-job: the survivor rescues the job and finishes it once")
    func killedDaemonsJobIsRescued() async throws {
        try await withDaemons { database, daemons in
            let victim = try daemons.start("victim", ["--lease": "2"])
            let victimID = try await victim.workerID()
            let job = try #require(try await database.enqueue([sleepJob(seconds: 3, mark: "rescued")]).first)
            let claimed = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                try await database.scalar(String?.self, "SELECT (SELECT lease_owner FROM jobs WHERE job_id = $1 AND state = 'running')", [job.id])
                    == victimID
            }
            try #require(claimed, "\(victim.diagnostics())")
            let survivor = try daemons.start("survivor", ["--lease": "2"])
            let survivorID = try await survivor.workerID()
            try await Task.sleep(for: .milliseconds(500))  // mid-job

            victim.send(SIGKILL)
            #expect(await victim.waitForExit(timeout: .seconds(5)))
            #expect(victim.termination?.reason == .uncaughtSignal && victim.termination?.status == SIGKILL)
            #expect(try await database.job(job.id).state == .running, "the dead worker's lease still holds the job")

            let finished = try await eventually(timeout: .seconds(20), every: .milliseconds(50)) {
                try await database.job(job.id).state == .succeeded
            }
            #expect(finished, "\(daemons.diagnostics)")
            let row = try await database.job(job.id)
            #expect(row.attempt == 2, "the rescue shows as a second attempt")
            #expect(row.lastError?.hasPrefix("lease of worker \(victimID) expired at") == true, "\(row.lastError ?? "nil")")
            let marks = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("SELECT worker, attempt FROM job_marks WHERE job_id = $1", [job.id]).map { try $0.decode((String, Int).self) }
                }
            }
            #expect(marks.count == 1)
            #expect(marks.first?.0 == survivorID && marks.first?.1 == 2, "mark \(marks)")
            #expect(survivor.hasLogged("rescued jobs of workers whose leases expired"))
        }
    }

    @Test("several daemons turn each schedule slot into one job, catching up at most --catch-up slots")
    func daemonsShareSchedules() async throws {
        try await withDaemons { database, daemons in
            let tenant = try await database.createTenant("sched")
            let hourly = try await database.addSchedule(tenant: "sched", name: "hourly", cron: "0 * * * *", args: #"{"mark":"hourly"}"#)
            let backlog = try await database.addSchedule(tenant: "sched", name: "backlog", cron: "@hourly", args: #"{"mark":"backlog"}"#)
            let slot = try await currentHourSlot()
            try await database.setNextRun(schedule: hourly.id, to: slot)
            try await database.setNextRun(schedule: backlog.id, to: slot.addingTimeInterval(-5 * 3600))

            let started = try (0..<3).map { try daemons.start("scheduler-\($0)", ["--catch-up": "2"]) }
            for daemon in started { _ = try await daemon.workerID() }
            let ran = try await eventually(timeout: .seconds(20), every: .milliseconds(100)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE tenant_id = $1", [tenant]) >= 3
            }
            #expect(ran, "\(daemons.diagnostics)")
            try await Task.sleep(for: .milliseconds(1500))  // every daemon has ticked by now

            let hourlyJobs = try await database.scheduledJobs(tenant: tenant, schedule: hourly.id)
            #expect(hourlyJobs.map(\.key) == [slotKey(tenant: tenant, schedule: hourly.id, slot: slot)])
            let backlogJobs = try await database.scheduledJobs(tenant: tenant, schedule: backlog.id)
            #expect(backlogJobs.map(\.slot) == [slot.addingTimeInterval(-3600), slot])
            #expect((hourlyJobs + backlogJobs).allSatisfy { $0.state == "succeeded" })
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE tenant_id = $1", [tenant]) == 3)
            #expect(try await database.schedule(hourly.id).next == slot.addingTimeInterval(3600))
            #expect(try await database.schedule(backlog.id).next == slot.addingTimeInterval(3600))
        }
    }

    /// A job's effect commits in the transaction that completes it: killed before the commit,
    /// neither happened and the job runs again; killed after it, both happened and it does not.
    @Test("effects committed with their job's completion are applied once across a crash")
    func transactionalEffectsSurviveCrash() async throws {
        try await withDaemons { database, daemons in
            let options: KeyValuePairs<String, String> = ["--lease": "2", "--concurrency": "6"]
            let doomed = try daemons.start("doomed", options)
            let steady = try daemons.start("steady", options)
            let doomedID = try await doomed.workerID()
            let steadyID = try await steady.workerID()
            var requests = (0..<24).map { sleepJob(seconds: 0.6, mark: "slow-\($0)") }
            requests += (0..<400).map { noop(mark: "fast-\($0)") }
            let total = requests.count
            try await database.enqueue(requests)

            // Kill one daemon while it holds jobs and has completed others.
            var inFlight: [Int64] = []
            let busy = try await eventually(timeout: .seconds(20), every: .milliseconds(10)) {
                inFlight = try await database.withOwner { owner in
                    try await owner.withIsolation { tx in
                        try tx.query("""
                            SELECT job_id FROM jobs WHERE state = 'running' AND lease_owner = $1 AND kind = 'sleep'
                              AND EXISTS (SELECT FROM job_marks WHERE worker = $1)
                            """, [doomedID]).map { try $0.decode(Int64.self, at: 0) }
                    }
                }
                return !inFlight.isEmpty
            }
            try #require(busy, "\(daemons.diagnostics)")
            doomed.send(SIGKILL)
            #expect(await doomed.waitForExit(timeout: .seconds(5)))

            let done = try await eventually(timeout: .seconds(45), every: .milliseconds(100)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE kind IN ('noop', 'sleep') AND state = 'succeeded'")
                    == total
            }
            #expect(done, "\(daemons.diagnostics)")
            let perJob = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("""
                        SELECT j.job_id, j.attempt, count(m.job_id), min(m.worker), min(m.attempt)
                        FROM jobs j LEFT JOIN job_marks m ON m.job_id = j.job_id
                        WHERE j.kind IN ('noop', 'sleep') GROUP BY j.job_id, j.attempt
                        """).map { try $0.decode((Int64, Int, Int, String?, Int?).self) }
                }
            }
            #expect(perJob.count == total)
            let wrong = perJob.filter { $0.2 != 1 }
            #expect(wrong.isEmpty, "jobs without exactly one mark: \(wrong.prefix(10))")
            // The mark is from the attempt that completed the job.
            #expect(perJob.allSatisfy { $0.4 == $0.1 })
            // What the killed daemon was running came back and was done once, by the survivor.
            let rescued = perJob.filter { inFlight.contains($0.0) && $0.1 == 2 }
            #expect(!rescued.isEmpty, "none of \(inFlight) was rescued")
            #expect(rescued.allSatisfy { $0.3 == steadyID })
            #expect(perJob.contains { $0.3 == doomedID }, "the killed daemon had completed jobs before")
        }
    }

    @Test("a tenant's backlog does not hold up another tenant, and never runs beyond its cap")
    func tenantCapKeepsOthersMoving() async throws {
        try await withDaemons { database, daemons in
            let busy = try await database.createTenant("busy")
            let quiet = try await database.createTenant("quiet")
            try await database.enqueue((0..<1000).map { sleepJob(seconds: 0.2, mark: "busy-\($0)", tenant: busy) })
            // Two daemons: the cap is per tenant across all of them.
            let options: KeyValuePairs<String, String> = ["--concurrency": "4", "--tenant-concurrency": "2"]
            let daemonsStarted = [try daemons.start("fair-1", options), try daemons.start("fair-2", options)]
            for daemon in daemonsStarted { _ = try await daemon.workerID() }

            let probe = try await database.connect()
            let sampler = Task { () -> (maximum: Int, samples: Int) in
                var maximum = 0
                var samples = 0
                while !Task.isCancelled {
                    guard let running = try? await probe.scalar(Int.self, "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state = 'running'",
                                                                [busy]) else { break }
                    maximum = max(maximum, running)
                    samples += 1
                    try? await Task.sleep(for: .milliseconds(10))
                }
                return (maximum, samples)
            }
            let busyRunning = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state = 'succeeded'", [busy]) >= 4
            }
            #expect(busyRunning, "\(daemons.diagnostics)")

            let late = try #require(try await database.enqueue([sleepJob(seconds: 0.2, mark: "quiet", tenant: quiet)]).first)
            let started = try await eventually(timeout: .seconds(10), every: .milliseconds(20)) {
                try await database.job(late.id).startedAt != nil
            }
            #expect(started)
            let row = try await database.job(late.id)
            let wait = (row.startedAt ?? .distantFuture).timeIntervalSince(row.createdAt)
            #expect(wait < 2, "the quiet tenant's job waited \(wait) s behind the backlog")
            let succeeded = try await eventually(timeout: .seconds(5), every: .milliseconds(20)) {
                try await database.job(late.id).state == .succeeded
            }
            #expect(succeeded)

            try await Task.sleep(for: .seconds(1))
            sampler.cancel()
            let observed = await sampler.value
            await probe.close()
            #expect(observed.samples > 50)
            #expect(observed.maximum <= 2, "up to \(observed.maximum) of the busy tenant's jobs ran at once with a cap of 2")
            #expect(observed.maximum == 2, "the cap was reached")
            let backlog = try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state = 'available'", [busy])
            #expect(backlog > 900, "the backlog is still there: the quiet job did not wait for it")
        }
    }

    @Test("two daemons run each of 2,000 jobs exactly once, and share the work")
    func twoDaemonsRunEveryJobOnce() async throws {
        try await withDaemons { database, daemons in
            let first = try daemons.start("a", ["--concurrency": "8"])
            let second = try daemons.start("b", ["--concurrency": "8"])
            let workers = [try await first.workerID(), try await second.workerID()]
            var ids: [Int64] = []
            for batch in 0..<10 {
                ids += try await database.enqueue((0..<200).map { noop(mark: "job-\(batch * 200 + $0)") }).map(\.id)
            }
            #expect(ids.count == 2000 && Set(ids).count == 2000)

            let done = try await eventually(timeout: .seconds(90), every: .milliseconds(250)) {
                try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE kind = 'noop' AND state = 'succeeded'") == 2000
            }
            #expect(done, "\(daemons.diagnostics)")
            let (marks, markedJobs, matching) = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("""
                        SELECT count(*), count(DISTINCT m.job_id),
                               count(*) FILTER (WHERE m.mark = j.args->>'mark' AND m.attempt = j.attempt AND j.attempt = 1)
                        FROM job_marks m JOIN jobs j ON j.job_id = m.job_id
                        """)[0].decode((Int, Int, Int).self)
                }
            }
            #expect(marks == 2000, "every job leaves exactly one mark")
            #expect(markedJobs == 2000)
            #expect(matching == 2000, "each mark is its job's, from its first and only attempt")
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE kind = 'noop' AND attempt <> 1") == 0)
            let perWorker = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("SELECT worker, count(*) FROM job_marks GROUP BY worker").map { try $0.decode((String, Int).self) }
                }
            }
            let shares = Dictionary(uniqueKeysWithValues: perWorker)
            #expect(Set(shares.keys) == Set(workers), "marks by \(shares)")
            #expect(workers.allSatisfy { (shares[$0] ?? 0) > 0 }, "both daemons did some of the work: \(shares)")
            #expect(first.isRunning && second.isRunning)
        }
    }
}
