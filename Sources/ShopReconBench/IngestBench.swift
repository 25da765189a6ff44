import ArgumentParser
import Foundation
import Imports
import Ingest
import PostgresClient
import Synchronization
import Tenancy

/// `shoprecon-bench ingest`: our import of a Taobao export end to end against `psql \copy` of
/// the already-normalized rows.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Import throughput: a Taobao-format order export end to end vs. psql \\copy of the normalized rows.",
        discussion: """
            Everything runs in a scratch database (shoprecon_bench_<pid>, migrated, dropped at
            the end) with a tenant of one store per case. --rows orders (default 2,000,000) are
            generated once and written (not timed):
              - as a Taobao/Tmall order export: GBK, the real 41-column header, ="…" guarded
                order numbers, CRLF, about 400 bytes per order;
              - as the rows our import makes of it, as CSV for psql.
            Cases, in this order:
              psql_copy_all  the baseline: one psql session, as the schema owner, running
                             \\copy ... (FORMAT csv) into all five tables the import fills
                             (orders, order_financials, order_contacts, order_lines,
                             order_line_amounts) of its tenant (their FORCE ROW LEVEL SECURITY
                             off for it, as COPY FROM refuses tables under row-level security);
                             all copies timed together, from starting psql until it exits.
              psql_copy      the same for orders and order_financials only (the baseline of
                             earlier runs), for a secondary ratio.
              import         Importer.run of the export through the application role with a
                             system context (as a channel_sync job): encoding conversion, CSV
                             parsing, binary COPY into staging tables and the merge into the
                             five tables, in one transaction; timed until it committed.
            Both copies load the same tables, with the same indexes and constraints, as the
            import; afterwards the tenants must hold the same rows (counts and sums per status,
            and per buyer and title for the other tables).
            ratio = rows/s / psql_copy_all rows/s: HIGHER IS BETTER (goal for import: 0.5). The
            baseline is a copy of exactly the rows the import writes: a copy of two of the five
            tables would charge the import for three tables that the baseline never loads. The
            import also reports ratio_vs_psql_copy, against the two-table copy.
            Below the goal, or with --profile, a breakdown goes to stderr: parsing alone (a
            second pass over the file without the database), parsing and staging COPY, which
            run side by side (until the importer's last progress report), and the merge (the
            rest).
            """
    )

    /// The cases, in the order they run.
    enum Case: String, CaseIterable, ExpressibleByArgument {
        case psqlCopyAll = "psql_copy_all"
        case psqlCopy = "psql_copy"
        case `import`
    }

    static let baseline = Case.psqlCopyAll
    static let goal = 0.5

    @OptionGroup var options: BenchOptions
    @OptionGroup var scratch: ScratchDatabaseOptions

    @Option(name: .customLong("case"), parsing: .upToNextOption, help: "Cases to run (default: all three).")
    var cases: [Case] = Case.allCases

    @Option(help: "psql to run for the baseline (default: the first psql on PATH).")
    var psql: String?

    @Flag(help: "Always print the time breakdown of the import (parse, staging COPY, merge) to stderr.")
    var profile = false

    @Flag(help: "Keep the generated files (their paths go to stderr).")
    var keepFiles = false

    var rows: Int { options.rowsOption ?? 2_000_000 }

    func run() async throws {
        BenchLog.bootstrap()
        let selected = Case.allCases.filter(cases.contains)
        let psqlPath = selected.contains(.psqlCopy) || selected.contains(.psqlCopyAll) ? try findPsql() : nil
        let data = IngestBenchData(rows: rows, seed: options.seed)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("shoprecon-bench-ingest-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let export = directory.appendingPathComponent("ExportOrderList-\(rows).csv")
        let (exportBytes, writeSeconds) = try await measure { try data.writeTaobaoExport(to: export) }
        BenchLog.progress(String(format: "wrote the Taobao export: %d orders, %.1f MB in %@ (not timed)", rows,
                                 Double(exportBytes) / 1_000_000, formatSeconds(writeSeconds)))

        let database = try await ScratchDatabase.create(options: options, scratch: scratch, purpose: "ingest")
        do {
            try await runCases(selected, database: database, data: data, export: export, exportBytes: exportBytes,
                               directory: directory, psqlPath: psqlPath)
        } catch {
            await database.drop()
            cleanUp(directory)
            throw error
        }
        await database.drop()
        cleanUp(directory)
    }

    private func cleanUp(_ directory: URL) {
        if keepFiles {
            BenchLog.progress("keeping \(directory.path)")
        } else {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    private func runCases(_ selected: [Case], database: ScratchDatabase, data: IngestBenchData, export: URL, exportBytes: Int64,
                          directory: URL, psqlPath: String?) async throws {
        let owner = try await PostgresConnection.connect(database.owner, logger: ScratchDatabase.logger)
        defer { Task { await owner.close() } }
        let copyTenant = try await createTenant(owner, slug: "bench-copy")
        let copyAllTenant = try await createTenant(owner, slug: "bench-copy-all")
        let importTenant = try await createTenant(owner, slug: "bench-import")

        var results: [Case: BenchResult] = [:]
        for benchCase in selected {
            _ = try? await owner.query("CHECKPOINT")
            var result: BenchResult
            switch benchCase {
            case .psqlCopy, .psqlCopyAll:
                guard let psqlPath else { throw BenchFailure("\(benchCase.rawValue) needs psql") }
                let all = benchCase == .psqlCopyAll
                result = try await runCopy(owner: owner, database: database, tenant: all ? copyAllTenant : copyTenant, data: data,
                                           directory: directory, psql: psqlPath, allTables: all)
                result.compare(to: all ? result : results[Self.baseline])
            case .import:
                var (imported, stagedSeconds) = try await runImport(database: database, tenant: importTenant, export: export,
                                                                    exportBytes: exportBytes)
                imported.compare(to: results[Self.baseline])
                if let ratio = imported.ratio {
                    imported.extra.append((key: "goal", value: .double(Self.goal)))
                    imported.extra.append((key: "meets_goal", value: .bool(ratio >= Self.goal)))
                }
                if let twoTables = results[.psqlCopy], twoTables.rowsPerSecond > 0 {
                    imported.extra.append((key: "ratio_vs_psql_copy", value: .double(imported.rowsPerSecond / twoTables.rowsPerSecond)))
                }
                if profile || (imported.ratio ?? 0) < Self.goal {
                    try printBreakdown(imported, stagedSeconds: stagedSeconds, export: export)
                }
                result = imported
            }
            results[benchCase] = result
            BenchLog.progress("\(benchCase.rawValue): \(formatSeconds(result.seconds)), \(formatRate(result.rowsPerSecond))"
                              + (result.ratio.map { String(format: ", %.3fx %@", $0, Self.baseline.rawValue) } ?? ""))
            result.emit()
        }
        if selected.contains(.import) {
            // Fresh statistics, or the planner takes the tables for empty.
            try await owner.query("ANALYZE orders, order_financials, order_contacts, order_lines, order_line_amounts")
            if selected.contains(.psqlCopy) {
                try await verifySame(owner, copyTenant.id, importTenant.id, allTables: false)
            }
            if selected.contains(.psqlCopyAll) {
                try await verifySame(owner, copyAllTenant.id, importTenant.id, allTables: true)
            }
            BenchLog.progress("the tenants hold the same \(rows) orders")
        }
    }

    // MARK: - Cases

    /// psql \\copy of the normalized rows: with `allTables` every table the import fills (the
    /// baseline), otherwise orders and order_financials only.
    private func runCopy(owner: PostgresConnection, database: ScratchDatabase, tenant: BenchTenant, data: IngestBenchData,
                         directory: URL, psql: String, allTables: Bool) async throws -> BenchResult {
        let caseName = allTables ? Case.psqlCopyAll.rawValue : Case.psqlCopy.rawValue
        let importID = try await owner.query("""
            INSERT INTO imports (tenant_id, store_id, file_name, sha256, format, actor)
            VALUES ($1, $2, 'psql-copy', repeat('0', 64), 'taobao', 'bench') RETURNING import_id
            """, [tenant.id, tenant.store])[0].decode(Int64.self, at: 0)
        let firstOrderID: Int64 = allTables ? 2_000_000_001 : 1_000_000_001
        func file(_ table: String) -> URL { directory.appendingPathComponent(table + ".csv") }
        var tables: [(name: String, columns: String)] = [("orders", IngestBenchData.orderColumns),
                                                         ("order_financials", IngestBenchData.financialColumns)]
        if allTables {
            tables += [("order_contacts", IngestBenchData.contactColumns), ("order_lines", IngestBenchData.lineColumns),
                       ("order_line_amounts", IngestBenchData.lineAmountColumns)]
        }
        let writeSeconds = try await measure {
            try data.writeNormalized(orders: file("orders"), financials: file("order_financials"), tenant: tenant.id,
                                     store: tenant.store, importID: importID, firstOrderID: firstOrderID)
            if allTables {
                try data.writeNormalizedRest(contacts: file("order_contacts"), lines: file("order_lines"),
                                             amounts: file("order_line_amounts"), tenant: tenant.id, store: tenant.store,
                                             firstOrderID: firstOrderID)
            }
        }.seconds
        BenchLog.progress("wrote the normalized rows in \(formatSeconds(writeSeconds)) (not timed); \(caseName): loading")
        // COPY FROM refuses tables whose row-level security applies to the user; the schema
        // owner is exempt once FORCE is off (in this scratch database, for the copy only).
        for table in tables { try await owner.query("ALTER TABLE \(table.name) NO FORCE ROW LEVEL SECURITY") }
        let outcome: Result<(counts: [Int], seconds: Double), any Error>
        do {
            outcome = .success(try await runPsql(psql, connectionString: database.owner.connectionString, commands: tables.map {
                "\\copy \($0.name) (\($0.columns)) FROM '\(file($0.name).path)' WITH (FORMAT csv)"
            }))
        } catch {
            outcome = .failure(error)
        }
        for table in tables { try await owner.query("ALTER TABLE \(table.name) FORCE ROW LEVEL SECURITY") }
        let (counts, seconds) = try outcome.get()
        guard counts == tables.map({ _ in rows }) else {
            throw BenchFailure("psql \\copy reported \(counts) rows, expected \(rows) per table")
        }
        for table in tables { try? FileManager.default.removeItem(at: file(table.name)) }
        var result = BenchResult(bench: "ingest", caseName: caseName, rows: rows, seconds: seconds)
        result.extra = [(key: "tables", value: .string(tables.map(\.name).joined(separator: ",")))]
        return result
    }

    private func runImport(database: ScratchDatabase, tenant: BenchTenant, export: URL,
                           exportBytes: Int64) async throws -> (result: BenchResult, stagedSeconds: Double) {
        let (configuration, login) = database.applicationOrOwner
        let app = try await PostgresConnection.connect(configuration, logger: ScratchDatabase.logger)
        defer { Task { await app.close() } }
        BenchLog.progress("import: loading \(export.lastPathComponent) as \(login)")
        let progress = ImportProgress(total: rows)
        let context = AccessContext.system(tenantID: tenant.id, tenantSlug: tenant.slug, name: "bench")
        let request = ImportRequest(file: export, format: .taobao, storeCode: "s1")
        let start = ContinuousClock.now
        let summary = try await TenantScope(connection: app).with(context) { tx, context in
            try await Importer.run(request, context: context, on: tx) { count in progress.report(count) }
        }
        let seconds = (ContinuousClock.now - start).seconds
        guard summary.rowsRead == rows, summary.records["orders"]?.inserted == rows else {
            throw BenchFailure("the import read \(summary.rowsRead) rows and inserted \(summary.records["orders"]?.inserted ?? 0) orders, expected \(rows)")
        }
        // The last progress report follows the final staging COPY: before it, parsing and
        // staging; after it, the merge and the commit.
        let stagedSeconds = progress.last.map { ($0 - start).seconds } ?? seconds
        var result = BenchResult(bench: "ingest", caseName: Case.import.rawValue, rows: rows, seconds: seconds)
        result.extra = [
            (key: "file_bytes", value: .int(Int(exportBytes))),
            (key: "tables", value: .string("orders,order_financials,order_contacts,order_lines,order_line_amounts")),
            (key: "parse_and_stage_seconds", value: .double(stagedSeconds)),
            (key: "merge_seconds", value: .double(seconds - stagedSeconds)),
        ]
        return (result, stagedSeconds)
    }

    /// The time breakdown of the import on stderr, with a second pass that only parses.
    private func printBreakdown(_ result: BenchResult, stagedSeconds: Double, export: URL) throws {
        BenchLog.progress("profiling: parsing the export again without the database")
        let parseSeconds = try parseOnly(export)
        let seconds = result.seconds
        BenchLog.progress(String(format: """
            import breakdown: total %.2fs = parse and staging COPY side by side %.2fs (parsing alone: %.2fs, so \
            staging beyond parsing about %.2fs) + merge + commit %.2fs
            """, seconds, stagedSeconds, parseSeconds, max(0, stagedSeconds - parseSeconds), seconds - stagedSeconds))
    }

    /// Parses the export without the database; returns the seconds it took.
    private func parseOnly(_ export: URL) throws -> Double {
        var count = 0
        let start = ContinuousClock.now
        var options = ParseOptions()
        options.computeDigest = true
        let report = try Ingest.parse(.file(export), format: .taobao, options: options) { record in
            if case .order = record { count += 1 }
        }
        let seconds = (ContinuousClock.now - start).seconds
        guard count == rows, report.rowCount == rows else { throw BenchFailure("parsing alone found \(count) orders, expected \(rows)") }
        return seconds
    }

    // MARK: - Setup and checks

    struct BenchTenant: Sendable {
        var id: Int64
        var slug: String
        var store: Int64
    }

    private func createTenant(_ owner: PostgresConnection, slug: String) async throws -> BenchTenant {
        _ = try await TenantScope(connection: owner).asOperator(name: "bench", tenant: nil) { tx, _ in
            try TenantDirectory.create(slug: slug, name: "Bench \(slug)", on: tx)
        }
        return try await TenantScope(connection: owner).asOperator(name: "bench", tenant: slug) { tx, context in
            let store = try StoreDirectory.add(code: "s1", name: "Bench store", channel: "tmall", context: context, on: tx)
            return BenchTenant(id: try context.requireTenant(), slug: slug, store: store.id)
        }
    }

    /// Both tenants must hold the same orders: counts, sums and times per status; with
    /// `allTables` also the same contacts and lines.
    private func verifySame(_ owner: PostgresConnection, _ a: Int64, _ b: Int64, allTables: Bool) async throws {
        var queries = ["""
            SELECT format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', o.status, o.status_raw, count(*), count(o.paid_at),
                          count(o.waybill_no), sum(f.goods_amount), sum(f.order_amount), sum(f.paid_amount),
                          sum(f.shipping_amount), sum(f.fee_amount), count(f.refund_amount), min(o.created_at),
                          max(o.paid_at), sum(o.order_no::numeric))
            FROM orders o JOIN order_financials f USING (tenant_id, order_id)
            WHERE o.tenant_id = $1 GROUP BY o.status, o.status_raw ORDER BY o.status
            """]
        if allTables {
            queries.append("""
                SELECT format('%s|%s|%s|%s|%s|%s|%s', c.buyer_name, count(*), count(DISTINCT c.buyer_id), count(DISTINCT c.buyer_account),
                              sum(right(c.buyer_phone, 8)::bigint), min(c.buyer_address), max(c.buyer_address))
                FROM order_contacts c WHERE c.tenant_id = $1 GROUP BY c.buyer_name ORDER BY c.buyer_name
                """)
            queries.append("""
                SELECT format('%s|%s|%s|%s|%s|%s', l.title, count(*), sum(l.quantity), sum(a.line_amount), count(a.unit_price),
                              sum(l.line_no))
                FROM order_lines l JOIN order_line_amounts a USING (tenant_id, order_id, line_no)
                WHERE l.tenant_id = $1 GROUP BY l.title ORDER BY l.title
                """)
        }
        for sql in queries {
            let left = try await owner.query(sql, [a]).map { try $0.decode(String.self, at: 0) }
            let right = try await owner.query(sql, [b]).map { try $0.decode(String.self, at: 0) }
            guard left == right, !left.isEmpty else {
                throw BenchFailure("the import and psql \\copy loaded different rows\n  psql:   \(left)\n  import: \(right)")
            }
        }
    }

    private func findPsql() throws -> String {
        if let psql { return psql }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/psql"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BenchFailure("psql is not on PATH; install the PostgreSQL client, pass --psql, or skip the baseline with --case import")
    }

    /// Runs `psql -c command ...` in one session; returns the `COPY n` counts and the seconds
    /// from starting psql until it exited.
    private func runPsql(_ psql: String, connectionString: String, commands: [String]) async throws -> (counts: [Int], seconds: Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-v", "ON_ERROR_STOP=1", "-d", connectionString] + commands.flatMap { ["-c", $0] }
        var environment = ProcessInfo.processInfo.environment
        environment["PGCLIENTENCODING"] = "UTF8"
        environment["PGAPPNAME"] = "shoprecon-bench-psql"
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let start = ContinuousClock.now
        let end: ContinuousClock.Instant = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { _ in continuation.resume(returning: ContinuousClock.now) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: BenchFailure("cannot run \(psql): \(error)"))
            }
        }
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchFailure("psql failed (exit \(process.terminationStatus)): " + errors.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let counts = output.split(whereSeparator: \.isNewline).compactMap { line -> Int? in
            line.hasPrefix("COPY ") ? Int(line.dropFirst(5)) : nil
        }
        return (counts, (end - start).seconds)
    }
}

/// Progress reports of the import: when the last one came, and a line on stderr every 10%.
final class ImportProgress: Sendable {
    private let state = Mutex<(last: ContinuousClock.Instant?, shown: Int)>((nil, 0))
    let total: Int

    init(total: Int) { self.total = total }

    var last: ContinuousClock.Instant? { state.withLock { $0.last } }

    func report(_ count: Int) {
        let now = ContinuousClock.now
        let show = state.withLock { state -> Bool in
            state.last = now
            guard count >= state.shown + max(total / 10, 1) else { return false }
            state.shown = count
            return true
        }
        if show { BenchLog.progress("import: \(count) rows parsed and staged") }
    }
}
