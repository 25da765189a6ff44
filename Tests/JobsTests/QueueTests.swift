import Foundation
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing
@testable import Jobs

@Suite("Job queue")
struct QueueTests {
    @Test("requests are validated before they reach the database")
    func validation() {
        let bad: [(JobRequest, String)] = [
            (JobRequest(kind: "Channel Sync"), "job kind"),
            (JobRequest(kind: ""), "job kind"),
            (JobRequest(kind: "noop", queue: "Default"), "queue name"),
            (JobRequest(kind: "noop", maxAttempts: 0), "max attempts"),
            (JobRequest(kind: "noop", args: "{not json"), "JSON"),
        ]
        for (request, mention) in bad {
            let error = #expect(throws: JobError.self) { try JobQueue.validate(request) }
            #expect(error.map(isInvalid) == true && error?.description.contains(mention) == true, "\(String(describing: error))")
        }
        #expect(throws: Never.self) { try JobQueue.validate(JobRequest(kind: "report_export.v2", queue: "bulk-1", args: "[1]")) }
    }

    @Test("many sessions enqueueing the same unique key at once create exactly one job")
    func uniqueKeyUnderConcurrentEnqueues() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("uniq")
            let sessions = 16

            /// Every session enqueues `key` as the tenant's system context, on its own connection.
            func race(for key: String, while holder: PostgresConnection, commitHolder: Bool) async throws -> [Job?] {
                try await withThrowingTaskGroup(of: Job?.self) { group in
                    for _ in 0..<sessions {
                        group.addTask {
                            try await database.withApp { connection in
                                try await TenantScope(connection: connection).with(.system(tenantID: tenant, name: "race")) { tx, _ in
                                    try JobQueue.enqueue(noop(mark: "race", tenant: tenant, uniqueKey: key), on: tx)
                                }
                            }
                        }
                    }
                    // All of them block on the holder's uncommitted row with the same key...
                    let blocked = try await waitForLockWaiters(sessions, in: database)
                    #expect(blocked, "the sessions did not all wait on the key")
                    // ...and race when it goes away (rollback) or stays (commit).
                    _ = try await holder.withIsolation { tx in try tx.query(commitHolder ? "COMMIT" : "ROLLBACK") }
                    var results: [Job?] = []
                    for try await result in group { results.append(result) }
                    return results
                }
            }

            for (key, commit) in [("sync:store:1:2024-05-01", false), ("sync:store:1:2024-05-02", true)] {
                let holder = try await database.connect()
                let held = try await holder.withIsolation { tx in
                    try tx.query("BEGIN")
                    return try JobQueue.enqueue(noop(tenant: tenant, uniqueKey: key), on: tx)
                }
                #expect(held != nil)
                let results = try await race(for: key, while: holder, commitHolder: commit)
                await holder.close()
                let winners = results.compactMap { $0 }
                #expect(results.count == sessions)
                #expect(winners.count == (commit ? 0 : 1), "\(key): \(winners.count) sessions enqueued it")
                #expect(try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE unique_key = $1", [key]) == 1)
                if let winner = winners.first {
                    #expect(winner.uniqueKey == key && winner.tenantID == tenant)
                }
            }
            // One statement with the same key twice enqueues it once, too.
            let duplicates = try await database.enqueue([noop(uniqueKey: "twice"), noop(uniqueKey: "twice")])
            #expect(duplicates.count == 1)
        }
    }

    @Test("a unique key dedupes within its tenant: another tenant with the same key gets its own job")
    func uniqueKeyIsPerTenant() async throws {
        try await withTestDatabase { database in
            let first = try await database.createTenant("uniq-a")
            let second = try await database.createTenant("uniq-b")
            let key = "sync:\(Int.random(in: 1...1_000_000)):s1:2026-11-23T10:00"
            let once = try await database.enqueue([noop(tenant: first, uniqueKey: key)])
            let again = try await database.enqueue([noop(tenant: first, uniqueKey: key)])
            let other = try await database.enqueue([noop(tenant: second, uniqueKey: key)])
            #expect(once.count == 1 && again.isEmpty)
            #expect(other.count == 1 && other.first?.tenantID == second)
            let tenants = try await database.scalar(Int.self, "SELECT count(DISTINCT tenant_id) FROM jobs WHERE unique_key = $1", [key])
            #expect(tenants == 2)
        }
    }

    /// Two claims that count the same tenant's running jobs at once must not both see room: the
    /// per-tenant cap holds across daemons, not only within one.
    @Test("concurrent claims never exceed the per-tenant cap, and do not hold back other tenants")
    func concurrentClaimsRespectTenantCap() async throws {
        try await withTestDatabase { database in
            let busy = try await database.createTenant("busy")
            let quiet = try await database.createTenant("quiet")
            try await database.enqueue((0..<100).map { _ in sleepJob(seconds: 1, tenant: busy) })
            let claimers = 8

            for round in 0..<3 {
                // A barrier: every claimer waits on a lock the test holds, then all claim at once.
                let gate = try await database.connect()
                try await gate.withIsolation { tx in _ = try tx.query("SELECT pg_advisory_lock(4242)") }
                let claimed = try await withThrowingTaskGroup(of: [Job].self) { group in
                    for index in 0..<claimers {
                        group.addTask {
                            try await database.withApp { connection in try await connection.transaction { tx in
                                _ = try tx.query("SELECT pg_advisory_xact_lock_shared(4242)")
                                return try JobQueue.claim(queues: ["default"], worker: "claimer-\(round)-\(index)", limit: 10,
                                                          lease: .seconds(60), tenantCap: 2, on: tx)
                            } }
                        }
                    }
                    #expect(try await waitForLockWaiters(claimers, in: database), "the claimers did not all wait at the gate")
                    try await gate.withIsolation { tx in _ = try tx.query("SELECT pg_advisory_unlock(4242)") }
                    var all: [Job] = []
                    for try await jobs in group { all += jobs }
                    return all
                }
                await gate.close()
                let running = try await database.scalar(Int.self, "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND state = 'running'", [busy])
                #expect(running == 2, "round \(round): \(running) of the busy tenant's jobs running with a cap of 2")
                #expect(claimed.filter { $0.tenantID == busy }.count == 2)
                #expect(Set(claimed.map(\.id)).count == claimed.count, "a job was claimed twice")
                // Free the slots for the next round.
                _ = try await database.scalar(Int.self, """
                    WITH done AS (UPDATE jobs SET state = 'succeeded', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL
                                  WHERE state = 'running' RETURNING 1) SELECT count(*) FROM done
                    """)
            }

            // A tenant that enqueues after a long backlog is served by the next claim.
            let late = try #require(try await database.enqueue([sleepJob(seconds: 1, tenant: quiet)]).first)
            let next = try await database.withApp { connection in
                try await connection.transaction { tx in
                    try JobQueue.claim(queues: ["default"], worker: "fair", limit: 3, lease: .seconds(60), tenantCap: 2, on: tx)
                }
            }
            #expect(next.contains { $0.id == late.id }, "claimed \(next.map(\.tenantID)) instead of the quiet tenant's job")
            #expect(next.filter { $0.tenantID == busy }.count == 2)

            // System jobs (tenant 0) are not capped; the busy tenant, at its cap, gets nothing more.
            try await database.enqueue((0..<12).map { _ in noop() })
            let system = try await database.withApp { connection in
                try await connection.transaction { tx in
                    try JobQueue.claim(queues: ["default"], worker: "system", limit: 20, lease: .seconds(60), tenantCap: 2, on: tx)
                }
            }
            #expect(system.count == 12 && system.allSatisfy { $0.tenantID == 0 }, "claimed \(system.map(\.tenantID))")
        }
    }

    @Test("the rescuer returns jobs whose lease expired and buries those out of attempts")
    func rescuer() async throws {
        try await withTestDatabase { database in
            let jobs = try await database.enqueue([noop(mark: "kept"), noop(mark: "lost"),
                                                   JobRequest(kind: "noop", args: #"{"mark":"last"}"#, maxAttempts: 1)])
            try #require(jobs.count == 3)
            let (kept, lost, last) = (jobs[0].id, jobs[1].id, jobs[2].id)
            try await database.withApp { app in
                let before = try await app.transaction { tx in
                    let claimed = try JobQueue.claim(queues: ["default"], worker: "ghost", limit: 10, lease: .seconds(1), tenantCap: 4, on: tx)
                    return (claimed: claimed, rescued: try JobQueue.rescue(on: tx),
                            // A heartbeat keeps one job; another worker's heartbeat keeps nothing.
                            strangerBeat: try JobQueue.heartbeat(ids: [kept], worker: "someone-else", lease: .seconds(60), on: tx),
                            ownBeat: try JobQueue.heartbeat(ids: [kept], worker: "ghost", lease: .seconds(60), on: tx))
                }
                #expect(before.claimed.count == 3 && before.claimed.allSatisfy { $0.state == .running && $0.attempt == 1 })
                #expect(before.rescued == 0, "leases are still valid")
                #expect(before.strangerBeat == 0 && before.ownBeat == 1)
                try await Task.sleep(for: .milliseconds(1200))
                let after = try await app.transaction { tx in
                    (rescued: try JobQueue.rescue(on: tx),
                     // The ghost worker can no longer complete or fail what was rescued.
                     lateCompletion: try JobQueue.complete(ids: [lost, last], worker: "ghost", on: tx),
                     lateFailure: try JobQueue.fail(id: lost, worker: "ghost", error: "late", retryAt: Date(), on: tx),
                     completion: try JobQueue.complete(ids: [kept], worker: "ghost", on: tx))
                }
                #expect(after.rescued == 2)
                #expect(after.lateCompletion.isEmpty && after.lateFailure == nil)
                #expect(after.completion == [kept])
            }
            let rows = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("SELECT job_id, state, attempt, lease_owner, lease_expires_at, last_error, finished_at FROM jobs ORDER BY job_id")
                        .map { try $0.decode((Int64, String, Int, String?, Date?, String?, Date?).self) }
                }
            }
            let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0) })
            let keptRow = try #require(byID[kept])
            #expect(keptRow.1 == "succeeded" && keptRow.5 == nil)
            let lostRow = try #require(byID[lost])
            #expect(lostRow.1 == "available" && lostRow.2 == 1 && lostRow.3 == nil && lostRow.4 == nil && lostRow.6 == nil)
            #expect(lostRow.5?.hasPrefix("lease of worker ghost expired at") == true, "\(lostRow.5 ?? "nil")")
            let lastRow = try #require(byID[last])
            #expect(lastRow.1 == "dead" && lastRow.6 != nil && lastRow.5?.contains("ghost") == true)
            // The rescued job is claimed again, as its second attempt.
            let again = try await database.withApp { app in
                try await app.transaction { tx in
                    try JobQueue.claim(queues: ["default"], worker: "heir", limit: 10, lease: .seconds(60), tenantCap: 4, on: tx)
                }
            }
            #expect(again.map(\.id) == [lost] && again.first?.attempt == 2)
        }
    }

    @Test("jobs_prune deletes only finished jobs older than the retention, and frees their unique keys")
    func prune() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("prune")
            let ids = try await database.withOwner { owner in
                try await owner.withIsolation { tx in
                    try tx.query("""
                        INSERT INTO jobs (tenant_id, kind, state, finished_at, created_at, unique_key) VALUES
                          (0,  'noop', 'succeeded', now() - interval '10 days', now() - interval '10 days', 'old-success'),
                          ($1, 'noop', 'dead',      now() - interval '8 days',  now() - interval '9 days',  NULL),
                          ($1, 'noop', 'cancelled', now() - interval '30 days', now() - interval '30 days', NULL),
                          ($1, 'noop', 'succeeded', now() - interval '6 days',  now() - interval '10 days', 'recent-success'),
                          ($1, 'noop', 'dead',      now() - interval '1 hour',  now() - interval '20 days', NULL),
                          ($1, 'noop', 'available', NULL,                       now() - interval '40 days', NULL),
                          (0,  'noop', 'running',   NULL,                       now() - interval '40 days', NULL)
                        RETURNING job_id
                        """, [tenant]).map { try $0.decode(Int64.self, at: 0) }
                }
            }
            try #require(ids.count == 7)
            // While a finished job is kept, its unique key still dedupes.
            #expect(try await database.enqueue([noop(uniqueKey: "old-success")]).isEmpty)

            // The daemon prunes through the application role.
            let deleted = try await database.withApp { app in
                try await app.transaction { tx in try JobQueue.prune(olderThan: .seconds(7 * 86_400), on: tx) }
            }
            #expect(deleted == 3)
            let left = try await database.withOwner { owner in
                try await owner.withIsolation { tx in try tx.query("SELECT job_id FROM jobs ORDER BY job_id").map { try $0.decode(Int64.self, at: 0) } }
            }
            #expect(left == Array(ids[3...]))
            // Pruned keys can be used again; kept ones cannot.
            #expect(try await database.enqueue([noop(uniqueKey: "old-success")]).count == 1)
            #expect(try await database.enqueue([noop(tenant: tenant, uniqueKey: "recent-success")]).isEmpty)
            // Nothing else is old enough now.
            let again = try await database.withApp { app in
                try await app.transaction { tx in try JobQueue.prune(olderThan: .seconds(7 * 86_400), on: tx) }
            }
            #expect(again == 0)
        }
    }

    @Test("cancel, retry, list and stats through JobQueue as tenant users under row-level security")
    func tenantUsers() async throws {
        try await withTestDatabase { database in
            let acme = try await database.createTenant("acme")
            let globex = try await database.createTenant("globex")
            let password = "jobs-suite-password"
            try await database.withOwner { owner in
                try await TenantScope(connection: owner).asOperator(name: "jobs-tests", tenant: "acme") { tx, context in
                    _ = try UserDirectory.add(username: "boss", password: password, roles: ["owner"], context: context, on: tx)
                    _ = try UserDirectory.add(username: "sam", password: password, roles: ["sales"], context: context, on: tx)
                    _ = try UserDirectory.add(username: "fin", password: password, roles: ["finance"], context: context, on: tx)
                }
            }
            let tokens = try await database.withApp { app in
                try await app.withIsolation { tx in
                    try ["boss", "sam", "fin"].map { try Authenticator.login(tenant: "acme", username: $0, password: password, on: tx).token }
                }
            }
            let (boss, sam, fin) = (tokens[0], tokens[1], tokens[2])
            let seeded = try await database.enqueue([
                JobRequest(kind: "channel_sync", tenantID: acme, args: #"{"store":1}"#),
                noop(tenant: acme),
                noop(tenant: globex),
                JobRequest(kind: "report_export", tenantID: acme),
            ])
            try #require(seeded.count == 4)
            let (sync, acmeNoop, foreign, export) = (seeded[0].id, seeded[1].id, seeded[2].id, seeded[3].id)

            /// One transaction as the user of `token` on the application role, as the CLI does.
            func asUser<T: Sendable>(_ token: String,
                                     _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
                try await database.withApp { app in try await TenantScope(connection: app).asUser(token: token, body) }
            }

            // Every user of the tenant sees the tenant's jobs and no other tenant's.
            for token in [boss, sam] {
                let visible = try await asUser(token) { tx, context in try JobQueue.list(tenantID: context.tenantID, on: tx) }
                #expect(Set(visible.map(\.id)) == [sync, acmeNoop, export])
                let unfiltered = try await asUser(token) { tx, _ in try JobQueue.list(on: tx) }
                #expect(!unfiltered.contains { $0.id == foreign })
                await #expect(throws: JobError.self) { try await asUser(token) { tx, _ in try JobQueue.find(id: foreign, on: tx) } }
                let stats = try await asUser(token) { tx, context in try JobQueue.stats(tenantID: context.tenantID, on: tx) }
                #expect(stats.reduce(0) { $0 + $1.count } == 3)
            }

            // Sales can enqueue, cancel and retry nothing.
            let salesEnqueue = await sqlState { _ = try await asUser(sam) { tx, context in
                try JobQueue.enqueue(noop(tenant: context.tenantID ?? 0), on: tx)
            } }
            #expect(salesEnqueue == SQLState.insufficientPrivilege)
            await expectPermissionDenied("sales cancelling") { _ = try await asUser(sam) { tx, _ in try JobQueue.cancel(id: acmeNoop, on: tx) } }
            #expect(try await database.job(acmeNoop).state == .available)

            // Finance may run channel syncs and exports, not settings-level jobs.
            let finSync = try await asUser(fin) { tx, context in
                try JobQueue.enqueue(JobRequest(kind: "channel_sync", tenantID: context.tenantID ?? 0), on: tx)
            }
            #expect(finSync?.tenantID == acme)
            #expect(await sqlState { _ = try await asUser(fin) { tx, context in
                try JobQueue.enqueue(noop(tenant: context.tenantID ?? 0), on: tx)
            } } == SQLState.insufficientPrivilege)
            await expectPermissionDenied("finance cancelling a noop") {
                _ = try await asUser(fin) { tx, _ in try JobQueue.cancel(id: acmeNoop, on: tx) }
            }
            let finCancelled = try await asUser(fin) { tx, _ in try JobQueue.cancel(id: export, on: tx) }
            #expect(finCancelled.state == .cancelled)

            // The owner role may do everything in its tenant, nothing in another.
            #expect(await sqlState { _ = try await asUser(boss) { tx, _ in try JobQueue.enqueue(noop(tenant: globex), on: tx) } }
                    == SQLState.insufficientPrivilege)
            await #expect(throws: JobError.self) { _ = try await asUser(boss) { tx, _ in try JobQueue.cancel(id: foreign, on: tx) } }
            #expect(try await database.job(foreign).state == .available)

            let cancelled = try await asUser(boss) { tx, _ in try JobQueue.cancel(id: sync, on: tx) }
            #expect(cancelled.state == .cancelled && cancelled.finishedAt != nil)
            let twice = await #expect(throws: JobError.self) { _ = try await asUser(boss) { tx, _ in try JobQueue.cancel(id: sync, on: tx) } }
            #expect(twice.map(isInvalid) == true && twice?.description.contains("is cancelled") == true)
            let early = await #expect(throws: JobError.self) { _ = try await asUser(boss) { tx, _ in try JobQueue.retry(id: acmeNoop, on: tx) } }
            #expect(early.map(isInvalid) == true && early?.description.contains("only finished jobs") == true)
            await expectPermissionDenied("sales retrying") { _ = try await asUser(sam) { tx, _ in try JobQueue.retry(id: sync, on: tx) } }
            #expect(try await database.job(sync).state == .cancelled)
            let retried = try await asUser(boss) { tx, _ in try JobQueue.retry(id: sync, on: tx) }
            #expect(retried.state == .available && retried.attempt == 0 && retried.finishedAt == nil)

            // Cancelling a running job: its worker can no longer complete it, and the effect of
            // its transaction is rolled back.
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 2))
            let claimed = try await pool.transaction { tx in
                try JobQueue.claim(queues: ["default"], worker: "victim", limit: 10, lease: .seconds(60), tenantCap: 10, on: tx)
            }
            let running = try #require(claimed.first { $0.id == acmeNoop })
            var markedJob = running
            markedJob.args = #"{"mark":"too-late"}"#
            _ = try await asUser(boss) { tx, _ in try JobQueue.cancel(id: acmeNoop, on: tx) }
            let context = JobContext(job: markedJob, pool: pool, workerID: "victim", logger: quietLogger("cancel"), completion: CompletionFlag())
            let lost = await #expect(throws: JobError.self) { try await NoopHandler().run(context) }
            if case .leaseLost(let id)? = lost { #expect(id == acmeNoop) } else { Issue.record("expected leaseLost, got \(String(describing: lost))") }
            #expect(!context.completion.isCompleted)
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE job_id = $1", [acmeNoop]) == 0)
            #expect(try await database.job(acmeNoop).state == .cancelled)
            await pool.shutdown()
        }
    }

    @Test("a job's transaction commits its effect and its completion together")
    func transactionalCompletion() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("tx")
            try await database.enqueue([noop(mark: "once", tenant: tenant)])
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 2))
            let job = try #require(try await pool.transaction { tx in
                try JobQueue.claim(queues: ["default"], worker: "w1", limit: 1, lease: .seconds(60), tenantCap: 2, on: tx)
            }.first)
            // The effect runs under the job's tenant, as the application role.
            let context = JobContext(job: job, pool: pool, workerID: "w1", logger: quietLogger("tx"), completion: CompletionFlag())
            let seen = try await context.transaction { tx, access in
                (try tx.scalar(Int64.self, "SELECT app_tenant_id()"), try tx.scalar(String.self, "SELECT current_user::text"), access.tenantID)
            }
            #expect(seen.0 == tenant && seen.1 == "shoprecon_app" && seen.2 == tenant)
            #expect(context.completion.isCompleted)
            #expect(try await database.job(job.id).state == .succeeded)
            // A second completion (a duplicate run) fails and rolls its effect back.
            let again = JobContext(job: job, pool: pool, workerID: "w1", logger: quietLogger("tx"), completion: CompletionFlag())
            await #expect(throws: JobError.self) {
                try await again.transaction { tx, _ in try tx.query("SELECT jobs_mark($1, 'w1', 'dup')", [job.id]) }
            }
            // A failing effect leaves the job running, to be retried.
            try await database.enqueue([noop(mark: "fails", tenant: tenant)])
            let second = try #require(try await pool.transaction { tx in
                try JobQueue.claim(queues: ["default"], worker: "w1", limit: 1, lease: .seconds(60), tenantCap: 2, on: tx)
            }.first)
            let failing = JobContext(job: second, pool: pool, workerID: "w1", logger: quietLogger("tx"), completion: CompletionFlag())
            await #expect(throws: PostgresError.self) {
                try await failing.transaction { tx, _ in
                    try tx.query("SELECT jobs_mark($1, 'w1', 'half')", [second.id])
                    try tx.query("SELECT 1 / 0")
                }
            }
            #expect(try await database.job(second.id).state == .running)
            #expect(try await database.scalar(Int.self, "SELECT count(*) FROM job_marks WHERE job_id = $1", [second.id]) == 0)
            await pool.shutdown()
        }
    }
}

/// Waits until `count` sessions of the test database wait for a lock (seen from a connection of
/// its own: inside a transaction, pg_stat_activity stays as it was when first read).
func waitForLockWaiters(_ count: Int, in database: TestDatabase) async throws -> Bool {
    try await database.withOwner { observer in
        try await eventually(timeout: .seconds(20), every: .milliseconds(10)) {
            try await observer.scalar(Int.self, """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
                """) == count
        }
    }
}

func isInvalid(_ error: JobError) -> Bool {
    if case .invalid = error { return true }
    return false
}

/// The SQLSTATE a body fails with (nil when it succeeds).
func sqlState(of body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error.sqlState ?? "no sqlstate: \(error)"
    } catch {
        return "not a PostgresError: \(error)"
    }
}

func expectPermissionDenied(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("\(what) was allowed", sourceLocation: sourceLocation)
    } catch let error as TenancyError {
        #expect(error.kind == .permissionDenied, "\(what): \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(what): expected a permission error, got \(error)", sourceLocation: sourceLocation)
    }
}
