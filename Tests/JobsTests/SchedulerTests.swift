import Foundation
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing
@testable import Jobs

/// The start of the current UTC hour; waits first when the next hour is about to begin, so that a
/// test's "current slot" of an hourly schedule cannot change under it.
func currentHourSlot() async throws -> Date {
    let now = Date().timeIntervalSince1970
    let intoHour = now.truncatingRemainder(dividingBy: 3600)
    if intoHour > 3600 - 20 { try await Task.sleep(for: .seconds(3600 - intoHour + 1)) }
    return Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
}

/// `schedule:<tenant>:<schedule>:<slot>`, the unique key a slot's job gets.
func slotKey(tenant: Int64, schedule: Int64, slot: Date) -> String {
    "schedule:\(tenant):\(schedule):\(isoString(slot))"
}

extension TestDatabase {
    /// Adds a schedule as the operator acting on the tenant.
    func addSchedule(tenant slug: String, name: String, cron: String, kind: String = "noop", args: String = "{}",
                     timeZone: String? = nil) async throws -> Schedule {
        try await withOwner { owner in
            try await TenantScope(connection: owner).asOperator(name: "jobs-tests", tenant: slug) { tx, context in
                try ScheduleDirectory.add(name: name, kind: kind, cron: cron, args: args, timeZone: timeZone, context: context, on: tx)
            }
        }
    }

    /// Moves a schedule's next run (as the owner, as if the daemons had been down).
    func setNextRun(schedule: Int64, to date: Date) async throws {
        _ = try await withOwner { owner in
            try await owner.withIsolation { tx in try tx.query("UPDATE job_schedules SET next_run_at = $1 WHERE schedule_id = $2", [date, schedule]) }
        }
    }

    /// Jobs of a schedule: unique key and `scheduled_for`, by slot.
    func scheduledJobs(tenant: Int64, schedule: Int64) async throws -> [(key: String, slot: Date, state: String)] {
        try await withOwner { owner in
            try await owner.withIsolation { tx in
                try tx.query("""
                    SELECT unique_key, (args->>'scheduled_for')::timestamptz, state FROM jobs
                    WHERE unique_key LIKE $1 ORDER BY 2
                    """, ["schedule:\(tenant):\(schedule):%"]).map { row in
                    let (key, slot, state) = try row.decode((String, Date, String).self)
                    return (key, slot, state)
                }
            }
        }
    }

    func schedule(_ id: Int64) async throws -> (next: Date, last: Date?) {
        try await withOwner { owner in
            try await owner.withIsolation { tx in
                let row = try tx.query("SELECT next_run_at, last_slot_at FROM job_schedules WHERE schedule_id = $1", [id])[0]
                let (next, last) = try row.decode((Date, Date?).self)
                return (next, last)
            }
        }
    }
}

@Suite("Schedules")
struct SchedulerTests {
    /// The message of the error adding a schedule to tenant `cron` fails with.
    func addError(_ database: TestDatabase, _ name: String, _ cron: String, timeZone: String? = nil,
                  kind: String = "noop") async -> String? {
        do {
            _ = try await database.addSchedule(tenant: "cron", name: name, cron: cron, kind: kind, timeZone: timeZone)
            return nil
        } catch {
            return (error as? JobError)?.description ?? "unexpected \(error)"
        }
    }

    @Test("adding schedules: permission, validation, and the first run in the tenant's time zone")
    func scheduleDirectory() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("cron")  // Asia/Shanghai
            let daily = try await database.addSchedule(tenant: "cron", name: "nightly recon", cron: "0 2 * * *", kind: "reconcile_run",
                                                       args: #"{"scope":"all"}"#)
            // 02:00 in Shanghai is 18:00 UTC, in the future.
            let utcHour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: daily.nextRunAt)
            #expect(utcHour.hour == 18 && utcHour.minute == 0)
            #expect(daily.nextRunAt > Date() && daily.nextRunAt < Date().addingTimeInterval(86_400))
            #expect(daily.timeZone == nil && daily.enabled && daily.kind == "reconcile_run")
            let nyc = try await database.addSchedule(tenant: "cron", name: "ny", cron: "0 2 * * *", timeZone: "America/New_York")
            let nyHour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "America/New_York")!, from: nyc.nextRunAt)
            #expect(nyHour.hour == 2 && nyc.timeZone == "America/New_York")

            #expect(await addError(database, "bad", "0 25 * * *")?.contains("hour") == true)
            #expect(await addError(database, "never", "0 0 30 2 *")?.contains("never matches") == true)
            #expect(await addError(database, "zone", "@daily", timeZone: "Mars/Olympus")?.contains("unknown time zone") == true)
            #expect(await addError(database, "kind", "@daily", kind: "Bad Kind")?.contains("job kind") == true)
            #expect(await addError(database, "nightly recon", "@daily")?.contains("already") == true)

            // Without settings.manage (a sales user's context) nothing is added.
            let sales = AccessContext(kind: .user, tenantID: tenant, tenantSlug: "cron", userID: 1, username: "sam",
                                      permissions: [Permission.orderViewBasic], allStores: true, storeIDs: [], actor: "user:sam")
            let refused = try await database.withApp { app in
                try await TenantScope(connection: app).with(sales) { tx, context in
                    do {
                        _ = try ScheduleDirectory.add(name: "sneaky", kind: "noop", cron: "@daily", context: context, on: tx)
                        return "added"
                    } catch let error as TenancyError {
                        return error.kind == .permissionDenied ? "denied" : "\(error)"
                    }
                }
            }
            #expect(refused == "denied")
            // The database refuses the row too, whatever the Swift check says.
            let raw = await sqlState {
                _ = try await database.withApp { app in
                    try await TenantScope(connection: app).with(sales) { tx, _ in
                        try tx.query("""
                            INSERT INTO job_schedules (tenant_id, name, kind, cron, next_run_at) VALUES ($1, 'raw', 'noop', '@daily', now())
                            """, [tenant])
                    }
                }
            }
            #expect(raw == SQLState.insufficientPrivilege)

            let listed = try await database.withOwner { owner in
                try await TenantScope(connection: owner).asOperator(name: "jobs-tests", tenant: "cron") { tx, context in
                    try ScheduleDirectory.remove(name: "ny", context: context, on: tx)
                    return try ScheduleDirectory.list(context: context, on: tx).map(\.name)
                }
            }
            #expect(listed == ["nightly recon"])
        }
    }

    @Test("ticks of several schedulers at once turn a due slot into exactly one job")
    func concurrentTicks() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("tick")
            let schedule = try await database.addSchedule(tenant: "tick", name: "hourly", cron: "0 * * * *", args: #"{"mark":"tick"}"#)
            let slot = try await currentHourSlot()
            try await database.setNextRun(schedule: schedule.id, to: slot)

            let pools = try (0..<3).map { _ in
                ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 3))
            }
            let schedulers = pools.map { Scheduler(pool: $0, maxCatchUp: 1, logger: quietLogger("scheduler")) }

            func tickAll() async throws -> Int {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<9 {
                        let scheduler = schedulers[index % schedulers.count]
                        group.addTask { try await scheduler.tick() }
                    }
                    return try await group.reduce(0, +)
                }
            }
            #expect(try await tickAll() == 1)
            var jobs = try await database.scheduledJobs(tenant: tenant, schedule: schedule.id)
            #expect(jobs.map(\.key) == [slotKey(tenant: tenant, schedule: schedule.id, slot: slot)])
            #expect(jobs.first?.slot == slot)
            let moved = try await database.schedule(schedule.id)
            #expect(moved.next == slot.addingTimeInterval(3600) && moved.last == slot)
            // Nothing is due any more.
            #expect(try await tickAll() == 0)

            // Moved back onto a slot that has its job already, the schedule moves on without a second one.
            try await database.setNextRun(schedule: schedule.id, to: slot)
            #expect(try await tickAll() == 0)
            jobs = try await database.scheduledJobs(tenant: tenant, schedule: schedule.id)
            #expect(jobs.count == 1)
            #expect(try await database.schedule(schedule.id).next == slot.addingTimeInterval(3600))
            let args = try await database.scalar(String.self, "SELECT args::text FROM jobs WHERE unique_key = $1",
                                                 [slotKey(tenant: tenant, schedule: schedule.id, slot: slot)])
            #expect(args.contains("\"mark\": \"tick\"") && args.contains("\"schedule\": \"hourly\""), "\(args)")
            for pool in pools { await pool.shutdown() }
        }
    }

    @Test("after downtime, at most maxCatchUp missed slots are enqueued: the latest ones")
    func catchUpIsBounded() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("late")
            let slot = try await currentHourSlot()
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 2))
            for maxCatchUp in [1, 3] {
                let schedule = try await database.addSchedule(tenant: "late", name: "catch-up \(maxCatchUp)", cron: "0 * * * *")
                // Down for five hours.
                try await database.setNextRun(schedule: schedule.id, to: slot.addingTimeInterval(-5 * 3600))
                let created = try await Scheduler(pool: pool, maxCatchUp: maxCatchUp, logger: quietLogger("catch-up")).tick()
                #expect(created == maxCatchUp)
                let jobs = try await database.scheduledJobs(tenant: tenant, schedule: schedule.id)
                let expected = (0..<maxCatchUp).reversed().map { slot.addingTimeInterval(-3600 * Double($0)) }
                #expect(jobs.map(\.slot) == expected)
                #expect(jobs.map(\.key) == expected.map { slotKey(tenant: tenant, schedule: schedule.id, slot: $0) })
                #expect(try await database.schedule(schedule.id).next == slot.addingTimeInterval(3600))
            }
            await pool.shutdown()
        }
    }

    @Test("a suspended tenant's schedules are not due")
    func suspendedTenant() async throws {
        try await withTestDatabase { database in
            let tenant = try await database.createTenant("paused")
            let schedule = try await database.addSchedule(tenant: "paused", name: "hourly", cron: "@hourly")
            let slot = try await currentHourSlot()
            try await database.setNextRun(schedule: schedule.id, to: slot)
            _ = try await database.withOwner { owner in
                try await TenantScope(connection: owner).asOperator(name: "jobs-tests", tenant: nil) { tx, _ in
                    try TenantDirectory.setActive(false, slug: "paused", on: tx)
                }
            }
            let pool = ConnectionPool(configuration: try database.appConfiguration, options: .init(maxConnections: 1))
            #expect(try await Scheduler(pool: pool, logger: quietLogger("paused")).tick() == 0)
            #expect(try await database.scheduledJobs(tenant: tenant, schedule: schedule.id).isEmpty)
            await pool.shutdown()
        }
    }
}
