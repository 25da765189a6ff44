import Foundation
import Ingest
import PostgresClient
import Tenancy

/// Loads a file: parse (streaming, on a thread of its own) → binary COPY into staging tables (on
/// the connection, meanwhile) → one merge per table, all in the caller's transaction together
/// with the `imports` record. A bad row fails the whole import and nothing is left behind,
/// unless the request skips bad rows, which are then kept in `import_rejects` with their reasons.
public enum Importer {
    /// Called every few thousand rows with the rows read so far.
    public typealias Progress = @Sendable (Int) -> Void

    public static func run(_ request: ImportRequest, context: AccessContext, on tx: isolated PostgresConnection,
                           progress: Progress? = nil) async throws -> ImportSummary {
        let file = request.file
        return try await load(name: file.lastPathComponent, request: request, context: context, on: tx, progress: progress) { options, onRecord, onReject in
            try Ingest.parse(.file(file), format: request.format, options: options, onRecord: onRecord, onReject: onReject)
        }
    }

    /// Loads the records `parse` produces (a file, or a page of an API) under `name`.
    public static func load(
        name: String, request: ImportRequest, context: AccessContext, on tx: isolated PostgresConnection,
        progress: Progress? = nil,
        parse: @Sendable @escaping (ParseOptions, RecordHandler, RejectHandler) throws -> ParseReport
    ) async throws -> ImportSummary {
        try context.require(Permission.importRun, to: "import files")
        let tenant = try context.requireTenant()
        let started = Date()
        try tx.useBulkMemory()
        let store = try request.storeCode.map { try StoreDirectory.find(code: $0, context: context, on: tx) }
        if let format = request.format, store == nil, !format.isBankStatement {
            throw ImportError.needsStore("records of a \(format.displayName)")
        }
        let defaults = try tx.query("SELECT time_zone, currency FROM tenants WHERE tenant_id = $1", [tenant])
        let tenantZone = try defaults.first.map { try $0.decode(String.self, at: 0) }.flatMap(TimeZone.init(identifier:))
        var options = ParseOptions()
        options.timeZone = request.timeZone ?? tenantZone ?? options.timeZone
        let tenantCurrency = try defaults.first?.decode(String.self, at: 1)
        options.currency = store?.currency ?? tenantCurrency ?? options.currency
        options.skipBadRows = request.skipBadRows
        options.account = request.account
        if let name = request.mappingName {
            options.mapping = try MappingDirectory.find(name: name, context: context, on: tx).mapping
        }
        let parseOptions = options

        // Everything below is undone on failure, and on a dry run once the summary is known.
        do {
            return try await tx.transaction { tx in
                let importID = try tx.query("""
                    INSERT INTO imports (tenant_id, store_id, file_name, sha256, format, actor, user_id)
                    VALUES ($1, $2, $3, repeat('0', 64), $4, $5, $6) RETURNING import_id
                    """, [tenant, store?.id, name, request.format?.rawValue ?? "auto",
                          context.actor, context.userID])[0].decode(Int64.self, at: 0)
                var rejects = RejectWriter(tenant: tenant, importID: importID)
                let parsed = try StagingPipeline.run(options: parseOptions, parse: parse, progress: progress,
                                                     rejects: &rejects, on: tx)
                let report = parsed.report

                if store == nil, let kind = parsed.kinds.first(where: { $0 != .bankLines && $0 != .skuCosts }) {
                    throw ImportError.needsStore("\(kind.rawValue.replacingOccurrences(of: "_", with: " ")) of a \(report.format.displayName)")
                }
                var records: [String: MergeCounts] = [:]
                for kind in parsed.kinds {
                    records[kind.rawValue] = try RecordMerger.merge(kind, tenant: tenant, store: store?.id, importID: importID,
                                                                    orders: parsed.orders, on: tx)
                }
                // Dropped now rather than at commit, so that the caller's transaction can run another import.
                try RecordMerger.dropWorkTables(kinds: parsed.kinds, on: tx)
                let sha = report.sha256 ?? String(repeating: "0", count: 64)
                let previous = try tx.query("""
                    SELECT import_id FROM imports WHERE tenant_id = $1 AND sha256 = $2 AND import_id <> $3 ORDER BY import_id
                    """, [tenant, sha, importID]).map { try $0.decode(Int64.self, at: 0) }
                let summary = ImportSummary(
                    importID: request.dryRun ? nil : importID, file: name, sha256: sha,
                    format: report.format.rawValue, store: store?.code, dryRun: request.dryRun, rowsRead: report.rowCount,
                    rowsRejected: report.rejectedCount, records: records, previousImports: previous,
                    seconds: Date().timeIntervalSince(started))
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                try tx.query("""
                    UPDATE imports SET sha256 = $3, format = $4, rows_read = $5, rows_inserted = $6, rows_updated = $7,
                                       rows_unchanged = $8, rows_rejected = $9, records = $10::jsonb, finished_at = now()
                    WHERE tenant_id = $1 AND import_id = $2
                    """, [tenant, importID, sha, report.format.rawValue, report.rowCount, summary.inserted, summary.updated,
                          summary.unchanged, report.rejectedCount, String(decoding: try encoder.encode(records), as: UTF8.self)])
                if request.dryRun { throw DryRun(summary: summary) }
                return summary
            }
        } catch let dryRun as DryRun {
            return dryRun.summary
        }
    }

    /// Thrown to roll a dry run back with its summary.
    struct DryRun: Error { var summary: ImportSummary }
}

/// Batches rejected rows into `import_rejects`.
struct RejectWriter {
    let tenant: Int64
    let importID: Int64
    private var pending: [RejectedRow] = []
    private var written = 0

    init(tenant: Int64, importID: Int64) {
        self.tenant = tenant
        self.importID = importID
    }

    mutating func add(_ row: RejectedRow, on tx: isolated PostgresConnection) throws {
        pending.append(row)
        if pending.count >= 1000 { try flush(on: tx) }
    }

    mutating func flush(on tx: isolated PostgresConnection) throws {
        guard !pending.isEmpty else { return }
        let numbers = pending.indices.map { Int64(written + $0 + 1) }
        try tx.query("""
            INSERT INTO import_rejects (tenant_id, import_id, reject_no, line, column_name, value, reason)
            SELECT $1, $2, n, l, c, v, r FROM unnest($3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS x(n, l, c, v, r)
            """, [tenant, importID, numbers, pending.map { Int64($0.position.line) }, pending.map(\.error.column),
                  pending.map(\.error.value), pending.map(\.error.message)])
        written += pending.count
        pending.removeAll(keepingCapacity: true)
    }
}

extension FileFormat {
    /// Bank statements belong to a bank account, not to a store.
    public var isBankStatement: Bool { self == .mt940 || self == .camt053 || self == .bankCSV }
}
