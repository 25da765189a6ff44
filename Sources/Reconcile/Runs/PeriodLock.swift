import PostgresClient
import Tenancy

/// Closing a period locks it: the database then refuses every change to its records, matches
/// and exceptions (SQLSTATE SR005, see 0005_reconcile.sql), and runs refuse to start.
public enum PeriodLock {
    public struct ClosedPeriod: Sendable, Hashable, Codable {
        public var period: ReconPeriod
        public var closedAt: String
        public var closedBy: String
        enum CodingKeys: String, CodingKey { case period, closedAt = "closed_at", closedBy = "closed_by" }
    }

    public static func close(_ period: ReconPeriod, context: AccessContext, on tx: isolated PostgresConnection) throws -> ClosedPeriod {
        try context.require("recon.run", to: "close a period")
        let tenant = try context.requireTenant()
        try requireOpen(period, tenantID: tenant, on: tx)
        let row = try tx.query("""
            INSERT INTO recon_periods (tenant_id, period, closed_by) VALUES ($1, $2::date, app_actor())
            RETURNING to_char(closed_at, 'YYYY-MM-DD"T"HH24:MI:SSOF'), closed_by
            """, [tenant, period.firstDay])[0].decode((String, String).self)
        return ClosedPeriod(period: period, closedAt: row.0, closedBy: row.1)
    }

    /// Reopening needs the approver's permission: it unlocks figures someone signed off.
    public static func reopen(_ period: ReconPeriod, context: AccessContext, on tx: isolated PostgresConnection) throws {
        try context.require("exception.approve", to: "reopen a closed period")
        let tenant = try context.requireTenant()
        let deleted = try tx.query("DELETE FROM recon_periods WHERE tenant_id = $1 AND period = $2::date", [tenant, period.firstDay])
        guard deleted.affectedRows == 1 else {
            throw ReconcileError(.notFound, "the period \(period) is not closed")
        }
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [ClosedPeriod] {
        let tenant = try context.requireTenant()
        return try tx.query("""
            SELECT to_char(period, 'YYYY-MM'), to_char(closed_at, 'YYYY-MM-DD"T"HH24:MI:SSOF'), closed_by
            FROM recon_periods WHERE tenant_id = $1 ORDER BY period
            """, [tenant]).map { row in
            let (period, at, by) = try row.decode((String, String, String).self)
            return ClosedPeriod(period: try ReconPeriod(parsing: period), closedAt: at, closedBy: by)
        }
    }

    static func requireOpen(_ period: ReconPeriod, tenantID: Int64, on tx: isolated PostgresConnection) throws {
        let closed = try tx.query("SELECT closed_by FROM recon_periods WHERE tenant_id = $1 AND period = $2::date",
                                  [tenantID, period.firstDay])
        if let row = closed.first {
            throw ReconcileError(.periodClosed, "the period \(period) is closed (by \(try row.decode(String.self, at: 0)))",
                                 hint: "closed periods are locked; a finance manager can reopen it with `shoprecon recon reopen --period \(period)`")
        }
    }
}
