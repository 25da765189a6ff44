import ArgumentParser
import Foundation
import PostgresClient

/// `shoprecon-bench pg`: bulk-loading rows into PostgreSQL, against `psql \copy` as baseline.
///
/// The rows are generated once, in memory, and every case loads the same rows into a freshly
/// truncated table (a regular, logged one) in a scratch schema that is dropped at the end.
/// After every run the table is checked against the generated data; any difference stops the
/// benchmark.
struct PgBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg",
        abstract: "Bulk-load throughput: our COPY (binary, text) and batched INSERTs vs. psql \\copy.",
        discussion: """
            Cases, run in this order; every ratio is against psql_copy:
              psql_copy       the baseline: psql -c "\\copy ... FROM 'rows.csv'
                              WITH (FORMAT csv)". Writing the CSV file is not
                              timed; starting psql is.
              copy_binary     copyIn with PostgresBinaryCopyEncoder.
              copy_text       copyIn with PostgresTextCopyEncoder.
              insert_batched  batched parameterized INSERTs through
                              preparedQuery, in one transaction
                              (see --insert-method).
            Encoding the rows is timed in every case but psql_copy.
            """
    )

    enum Case: String, CaseIterable, ExpressibleByArgument {
        case psqlCopy = "psql_copy"
        case copyBinary = "copy_binary"
        case copyText = "copy_text"
        case insertBatched = "insert_batched"
    }

    enum InsertMethod: String, CaseIterable, ExpressibleByArgument {
        /// `INSERT ... SELECT * FROM unnest($1::bigint[], ...)`: one array parameter per column.
        case unnest
        /// `INSERT ... VALUES ($1, ..., $8), (...), ...`: one parameter per field.
        case values
    }

    static let baseline = Case.psqlCopy

    @OptionGroup var options: BenchOptions

    @Option(name: .customLong("case"), parsing: .upToNextOption,
            help: "Cases to run (default: all). psql_copy, the baseline, always runs first.")
    var cases: [Case] = Case.allCases

    @Option(help: "How insert_batched sends rows.")
    var insertMethod: InsertMethod = .unnest

    @Option(help: "Rows per INSERT statement (default: 10000 for unnest, 1000 for values).")
    var insertBatch: Int?

    @Option(help: "Bytes the COPY cases encode before handing them to the connection's writer.")
    var copyChunkBytes: Int = 256 * 1024

    @Option(help: "psql to run for the baseline (default: the first psql on PATH).")
    var psql: String?

    @Flag(help: "Keep the scratch schema and CSV file (for inspection) instead of dropping them.")
    var keep = false

    func validate() throws {
        if let insertBatch {
            guard insertBatch > 0 else { throw ValidationError("--insert-batch must be at least 1") }
            if insertMethod == .values && insertBatch * PgBenchTable.columnCount > 65_535 {
                throw ValidationError("--insert-batch \(insertBatch) needs more than 65535 parameters with --insert-method values")
            }
        }
        guard copyChunkBytes > 0 else { throw ValidationError("--copy-chunk-bytes must be at least 1") }
    }

    func run() async throws {
        BenchLog.bootstrap()
        let selected = Case.allCases.filter(cases.contains)
        let configuration = try options.configuration()
        let psqlPath = selected.contains(.psqlCopy) ? try findPsql() : nil

        BenchLog.progress("generating \(options.rows) rows (seed \(options.seed))")
        let rows = PgBenchData.generate(count: options.rows, seed: options.seed)
        let expected = PgBenchChecksums(rows: rows)
        BenchLog.progress("generated; expecting \(expected)")

        let connection = try await options.connect()
        let schema = "shoprecon_bench_\(ProcessInfo.processInfo.processIdentifier)"
        let table = "\(schema).bench_pg"
        var csvFile: URL?
        do {
            try await setUp(connection, schema: schema, table: table)

            if psqlPath != nil {
                let url = FileManager.default.temporaryDirectory
                    .appendingPathComponent("shoprecon-bench-pg-\(ProcessInfo.processInfo.processIdentifier).csv")
                csvFile = url
                let (size, seconds) = try await measure { try PgBenchData.writeCSV(rows, to: url) }
                BenchLog.progress(String(format: "wrote %@ (%.1f MB) in %@ (not timed)", url.path,
                                         Double(size) / 1_048_576, formatSeconds(seconds)))
            }

            var baselineResult: BenchResult?
            for benchCase in selected {
                var best = BestOf()
                for run in 1...repeatCount {
                    try await truncate(connection, table: table)
                    let label = repeatCount > 1 ? "\(benchCase.rawValue) #\(run)" : benchCase.rawValue
                    BenchLog.progress("\(label): loading \(rows.count) rows")
                    let seconds = try await runCase(benchCase, connection: connection, configuration: configuration,
                                                    table: table, rows: rows, psqlPath: psqlPath, csvFile: csvFile)
                    BenchLog.progress("\(label): \(formatSeconds(seconds)), \(formatRate(Double(rows.count) / seconds)); verifying")
                    try await verify(connection, table: table, rows: rows, expected: expected, label: label)
                    best.add(seconds)
                }
                var result = BenchResult(bench: "pg", caseName: benchCase.rawValue, rows: rows.count, seconds: best.best!)
                if benchCase == Self.baseline { baselineResult = result }
                result.compare(to: baselineResult)
                if benchCase == .insertBatched {
                    result.extra.append((key: "method", value: .string(insertMethod.rawValue)))
                    result.extra.append((key: "batch_rows", value: .int(insertBatchRows)))
                }
                if benchCase == .copyBinary || benchCase == .copyText {
                    result.extra.append((key: "chunk_bytes", value: .int(copyChunkBytes)))
                }
                if repeatCount > 1 { result.extra.append((key: "runs", value: .int(repeatCount))) }
                BenchLog.progress("\(benchCase.rawValue): \(best.summary)"
                                  + (result.ratio.map { String(format: ", %.2fx %@", $0, Self.baseline.rawValue) } ?? ""))
                result.emit()
            }
        } catch {
            await tearDown(connection, schema: schema, csvFile: csvFile)
            throw error
        }
        await tearDown(connection, schema: schema, csvFile: csvFile)
    }

    /// Runs per case: `--repeat`, else 1.
    private var repeatCount: Int { options.repeatCount(default: 1) }

    private var insertBatchRows: Int {
        insertBatch ?? (insertMethod == .unnest ? 10_000 : 1000)
    }

    // MARK: - Cases

    /// Runs one case and returns the seconds it took.
    private func runCase(_ benchCase: Case, connection: PostgresConnection, configuration: PostgresConfiguration,
                         table: String, rows: [PgBenchRow], psqlPath: String?, csvFile: URL?) async throws -> Double {
        let copied: Int
        let seconds: Double
        switch benchCase {
        case .psqlCopy:
            guard let psqlPath, let csvFile else { throw BenchFailure("psql_copy needs psql and the CSV file") }
            (copied, seconds) = try await runPsqlCopy(psql: psqlPath, connectionString: configuration.connectionString,
                                                      table: table, csvFile: csvFile)
        case .copyBinary:
            let chunk = copyChunkBytes
            (copied, seconds) = try await measure { try await copyBinary(connection, table: table, rows: rows, chunkBytes: chunk) }
        case .copyText:
            let chunk = copyChunkBytes
            (copied, seconds) = try await measure { try await copyText(connection, table: table, rows: rows, chunkBytes: chunk) }
        case .insertBatched:
            let method = insertMethod
            let batch = insertBatchRows
            (copied, seconds) = try await measure {
                try await connection.transaction { connection in
                    switch method {
                    case .unnest: try insertUnnest(connection, table: table, rows: rows, batchRows: batch)
                    case .values: try insertValues(connection, table: table, rows: rows, batchRows: batch)
                    }
                }
            }
        }
        guard copied == rows.count else {
            throw BenchFailure("\(benchCase.rawValue) reported \(copied) rows loaded, expected \(rows.count)")
        }
        return seconds
    }

    /// The baseline: `psql \copy` of the CSV file, timed from starting psql until it exits.
    private func runPsqlCopy(psql: String, connectionString: String, table: String,
                             csvFile: URL) async throws -> (rows: Int, seconds: Double) {
        guard !csvFile.path.contains("'") else { throw BenchFailure("CSV path \(csvFile.path) contains a quote") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-v", "ON_ERROR_STOP=1", "-d", connectionString,
                             "-c", "\\copy \(table) FROM '\(csvFile.path)' WITH (FORMAT csv)"]
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
            throw BenchFailure("psql \\copy failed (exit \(process.terminationStatus)): "
                               + errors.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // psql prints "COPY <n>" for \copy.
        let reported = output.split(whereSeparator: \.isNewline)
            .compactMap { line -> Int? in line.hasPrefix("COPY ") ? Int(line.dropFirst(5)) : nil }.last
        guard let reported else {
            throw BenchFailure("psql \\copy printed no row count: \(output) \(errors)")
        }
        return (reported, (end - start).seconds)
    }

    private func findPsql() throws -> String {
        if let psql { return psql }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/psql"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BenchFailure("psql is not on PATH; install the PostgreSQL client, pass --psql, or skip the baseline with --case")
    }

    // MARK: - Setup, verification, teardown

    private func setUp(_ connection: PostgresConnection, schema: String, table: String) async throws {
        try await connection.query("DROP SCHEMA IF EXISTS \(schema) CASCADE")
        try await connection.query("CREATE SCHEMA \(schema)")
        try await connection.query(PgBenchTable.createSQL(table))
        BenchLog.progress("created \(table)")
    }

    private func truncate(_ connection: PostgresConnection, table: String) async throws {
        try await connection.query("TRUNCATE \(table)")
    }

    private func verify(_ connection: PostgresConnection, table: String, rows: [PgBenchRow],
                        expected: PgBenchChecksums, label: String) async throws {
        let result = try await connection.query(PgBenchChecksums.sql(table: table), [PgBenchData.baseUnixSeconds])
        guard let row = result.first else { throw BenchFailure("\(label): the checksum query returned no row") }
        var actual = PgBenchChecksums()
        (actual.rows, actual.notes, actual.emptyNotes, actual.sumID, actual.sumStoreID, actual.sumAmountFen,
         actual.orderNoBytes, actual.buyerBytes, actual.buyerChars, actual.noteBytes, actual.noteChars,
         actual.currencyBytes, actual.createdAtSeconds, actual.createdAtMicros)
            = try row.decode((Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64,
                              Int64, Int64).self)
        guard actual == expected else {
            throw BenchFailure("\(label): loaded data does not match the generated rows\n  expected \(expected)\n  actual   \(actual)")
        }

        // Aggregates cannot see a value moved between rows or a quote swapped for another byte;
        // compare a sample of whole rows field by field, including every tricky early row.
        let stride = max(1, rows.count / 1000)
        let sample = try await connection.query("""
            SELECT id, order_no, store_id, buyer, amount_fen, currency,
                   (extract(epoch FROM created_at) * 1000000)::bigint, note
            FROM \(table) WHERE id <= 500 OR id % $1 = 0 ORDER BY id
            """, [Int64(stride)])
        var compared = 0
        for fetched in sample {
            let (id, orderNo, storeID, buyer, amountFen, currency, createdAt, note)
                = try fetched.decode((Int64, String, Int32, String, Int64, String, Int64, String?).self)
            let loaded = PgBenchRow(id: id, orderNo: orderNo, storeID: storeID, buyer: buyer, amountFen: amountFen,
                                    currency: currency, createdAtMicros: createdAt, note: note)
            guard id >= 1, id <= rows.count, rows[Int(id) - 1] == loaded else {
                let wanted = id >= 1 && id <= rows.count ? "\(rows[Int(id) - 1])" : "no such row"
                throw BenchFailure("\(label): row \(id) differs\n  expected \(wanted)\n  actual   \(loaded)")
            }
            compared += 1
        }
        let wanted = (1...rows.count).count { $0 <= 500 || $0 % stride == 0 }
        guard compared == wanted else {
            throw BenchFailure("\(label): sampled \(compared) rows, expected \(wanted)")
        }
    }

    private func tearDown(_ connection: PostgresConnection, schema: String, csvFile: URL?) async {
        if keep {
            BenchLog.progress("keeping schema \(schema)" + (csvFile.map { " and \($0.path)" } ?? ""))
        } else {
            do {
                try await connection.query("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            } catch {
                BenchLog.progress("warning: could not drop schema \(schema): \(error)")
            }
            if let csvFile { try? FileManager.default.removeItem(at: csvFile) }
        }
        await connection.close()
    }
}
