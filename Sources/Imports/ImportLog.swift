import Foundation
import PostgresClient
import Tenancy

/// Reading the record of past imports.
public enum ImportLog {
    static let columns = """
        i.import_id, i.file_name, i.format, s.code, i.rows_read, i.rows_inserted, i.rows_updated, i.rows_unchanged,
        i.rows_rejected, i.actor, i.started_at, i.sha256
        """

    public static func list(limit: Int = 50, context: AccessContext, on tx: isolated PostgresConnection) throws -> [ImportEntry] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT " + columns + """
             FROM imports i LEFT JOIN stores s ON s.tenant_id = i.tenant_id AND s.store_id = i.store_id
            WHERE i.tenant_id = $1 ORDER BY i.import_id DESC LIMIT $2
            """, [tenant, limit]).map(decode)
    }

    public static func find(id: Int64, context: AccessContext, on tx: isolated PostgresConnection) throws -> ImportEntry {
        let tenant = try context.requireTenant()
        guard let row = try tx.query("SELECT " + columns + """
             FROM imports i LEFT JOIN stores s ON s.tenant_id = i.tenant_id AND s.store_id = i.store_id
            WHERE i.tenant_id = $1 AND i.import_id = $2
            """, [tenant, id]).first else {
            throw TenancyError(.notFound, "no import \(id)", hint: "`shoprecon import list` shows the imports")
        }
        return try decode(row)
    }

    public static func rejects(importID: Int64, context: AccessContext, on tx: isolated PostgresConnection) throws -> [ImportReject] {
        let tenant = try context.requireTenant()
        try context.require(Permission.importRun, to: "see rejected rows")
        _ = try find(id: importID, context: context, on: tx)
        return try tx.query("""
            SELECT line, column_name, value, reason FROM import_rejects WHERE tenant_id = $1 AND import_id = $2 ORDER BY reject_no
            """, [tenant, importID]).map { row in
            let (line, column, value, reason) = try row.decode((Int, String?, String?, String).self)
            return ImportReject(line: line, column: column, value: value, reason: reason)
        }
    }

    static func decode(_ row: PostgresRow) throws -> ImportEntry {
        let (id, file, format, store, read, inserted, updated, unchanged) =
            try row.decode((Int64, String, String, String?, Int, Int, Int, Int).self)
        return ImportEntry(id: id, file: file, format: format, store: store, rowsRead: read, inserted: inserted, updated: updated,
                           unchanged: unchanged, rejected: try row.decode(Int.self, at: 8), actor: try row.decode(String.self, at: 9),
                           at: try row.decode(Date.self, at: 10), sha256: try row.decode(String.self, at: 11))
    }
}
