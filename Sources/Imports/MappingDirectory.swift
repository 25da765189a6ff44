import Foundation
import Ingest
import PostgresClient
import Tenancy

/// Saved column mappings of a tenant, for the generic CSV/XLSX importer.
public enum MappingDirectory {
    public struct Saved: Sendable, Codable, Equatable {
        public var id: Int64
        public var name: String
        public var mapping: ColumnMapping
        public var createdAt: Date
    }

    /// Saves a mapping under its name (`settings.manage`); validates it first.
    public static func create(_ mapping: ColumnMapping, context: AccessContext, on tx: isolated PostgresConnection) throws -> Saved {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "save column mappings")
        try mapping.validate()
        let json = String(decoding: try JSONEncoder().encode(mapping), as: UTF8.self)
        do {
            try tx.query("INSERT INTO column_mappings (tenant_id, name, definition) VALUES ($1, $2, $3::jsonb)",
                         [tenant, mapping.name, json])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw TenancyError(.conflict, "the tenant has a mapping \"\(mapping.name)\" already")
        }
        return try find(name: mapping.name, context: context, on: tx)
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Saved] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT mapping_id, name, definition::text, created_at FROM column_mappings WHERE tenant_id = $1 ORDER BY name",
                            [tenant]).map(decode)
    }

    public static func find(name: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Saved {
        let tenant = try context.requireTenant()
        guard let row = try tx.query("""
            SELECT mapping_id, name, definition::text, created_at FROM column_mappings WHERE tenant_id = $1 AND name = $2
            """, [tenant, name]).first else {
            throw ImportError.unknownMapping(name)
        }
        return try decode(row)
    }

    static func decode(_ row: PostgresRow) throws -> Saved {
        let (id, name, json, created) = try row.decode((Int64, String, String, Date).self)
        let mapping = try JSONDecoder().decode(ColumnMapping.self, from: Data(json.utf8))
        return Saved(id: id, name: name, mapping: mapping, createdAt: created)
    }
}
