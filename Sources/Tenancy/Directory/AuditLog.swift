import Foundation
import PostgresClient

/// The append-only record of every change. Rows are written by triggers in the database; here
/// they are only read (which needs `audit.view`).
public enum AuditLog {
    public static func list(since: Date? = nil, actor: String? = nil, limit: Int = 200,
                            context: AccessContext, on tx: isolated PostgresConnection) throws -> [AuditEntry] {
        let tenant = try context.requireTenant()
        try context.require(Permission.auditView, to: "read the audit log")
        return try tx.query("""
            SELECT audit_id, at, actor, action, target, before::text, after::text FROM audit_log
            WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::text IS NULL OR actor = $3 OR actor = 'user:' || $3)
            ORDER BY at DESC, audit_id DESC LIMIT $4
            """, [tenant, since, actor, limit]).map { row in
            let (id, at, who, action, target, before, after) = try row.decode((Int64, Date, String, String, String, String?, String?).self)
            return AuditEntry(id: id, at: at, actor: who, action: action, target: target, before: before, after: after)
        }
    }
}
