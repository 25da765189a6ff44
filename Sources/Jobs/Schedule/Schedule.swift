import Foundation
import PostgresClient
import Tenancy

/// A recurring job of a tenant.
public struct Schedule: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var queue: String
    public var args: String
    public var cron: String
    public var timeZone: String?
    public var enabled: Bool
    public var nextRunAt: Date
    public var lastSlotAt: Date?
}

/// Adding, listing and removing schedules (`settings.manage`).
public enum ScheduleDirectory {
    static let columns = "schedule_id, name, kind, queue, args::text, cron, time_zone, enabled, next_run_at, last_slot_at"

    public static func add(name: String, kind: String, cron: String, queue: String = "default", args: String = "{}",
                           timeZone: String? = nil, context: AccessContext, on tx: isolated PostgresConnection) throws -> Schedule {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "add schedules")
        try JobQueue.validate(JobRequest(kind: kind, queue: queue, tenantID: tenant, args: args))
        let expression = try CronExpression(cron)
        let zoneName: String
        if let timeZone {
            zoneName = timeZone
        } else {
            zoneName = try tx.query("SELECT time_zone FROM tenants WHERE tenant_id = $1", [tenant]).first?.decode(String.self, at: 0) ?? "UTC"
        }
        guard let zone = TimeZone(identifier: zoneName) else {
            throw JobError.invalid("unknown time zone \"\(zoneName)\"; use an IANA name such as Asia/Shanghai")
        }
        guard let next = expression.next(after: Date(), in: zone) else {
            throw JobError.invalid("cron expression \"\(cron)\" never matches")
        }
        do {
            return try decode(tx.query("""
                INSERT INTO job_schedules (tenant_id, name, kind, queue, args, cron, time_zone, next_run_at)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8) RETURNING
                """ + " " + columns, [tenant, name, kind, queue, args, cron, timeZone, next])[0])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw JobError.invalid("the tenant has a schedule named \"\(name)\" already")
        }
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Schedule] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT " + columns + " FROM job_schedules WHERE tenant_id = $1 ORDER BY name", [tenant]).map(decode)
    }

    public static func remove(name: String, context: AccessContext, on tx: isolated PostgresConnection) throws {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "remove schedules")
        guard try tx.query("DELETE FROM job_schedules WHERE tenant_id = $1 AND name = $2", [tenant, name]).affectedRows == 1 else {
            throw JobError.notFound("no schedule \"\(name)\"; `shoprecon schedule list` shows them")
        }
    }

    static func decode(_ row: PostgresRow) throws -> Schedule {
        let (id, name, kind, queue, args, cron, tz, enabled, next, last) =
            try row.decode((Int64, String, String, String, String, String, String?, Bool, Date, Date?).self)
        return Schedule(id: id, name: name, kind: kind, queue: queue, args: args, cron: cron, timeZone: tz,
                        enabled: enabled, nextRunAt: next, lastSlotAt: last)
    }
}
