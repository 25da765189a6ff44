import ArgumentParser
import Foundation
import PostgresClient
import Tenancy

/// `shoprecon-bench rls`: what row-level security costs a report over one tenant's orders.
///
/// The same query over the same 1,000,000 rows of one tenant, once as the schema owner with
/// row-level security out of the way (the baseline) and then through the application role with
/// the context ``TenantScope`` sets for a user, in one run on one scratch database.
struct RlsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rls",
        abstract: "Row-level security overhead: a tenant report through shoprecon_app vs. the owner without RLS.",
        discussion: """
            A scratch database (shoprecon_bench_<pid>, migrated, dropped at the end) gets the
            table bench_orders, protected like every tenant table with
            shoprecon_protect_tenant_table('bench_orders', 'order.view_financial', 'order.edit',
            'store_id'): --rows rows of the measured tenant and --other-tenants x --other-rows
            rows of other tenants, interleaved in time, loaded with binary COPY, then VACUUM
            ANALYZE. Every case runs the report

              SELECT status, count(*), sum(amount_fen), min(created_at), max(created_at)
              FROM bench_orders WHERE tenant_id = $1 AND created_at >= $2
              GROUP BY status ORDER BY status

            over all --rows rows of the measured tenant; all cases must return the same rows.
            Cases (the query alone is timed, not BEGIN or the SET LOCALs):
              owner_no_rls           the baseline: the schema owner, in a transaction that first
                                     runs ALTER TABLE bench_orders NO FORCE ROW LEVEL SECURITY
                                     and is rolled back afterwards; as the table's owner it then
                                     bypasses row-level security entirely (no policy in the
                                     plan), which is the query without RLS on the same table,
                                     data, cache state and connection settings.
              owner_operator         the schema owner with FORCE on, through TenantScope with the
                                     operator context: its operator_all policy is USING (true).
              app_rls_all_stores     the application role with a user's context set exactly as
                                     TenantScope/AccessContext.apply set it (SET LOCAL ROLE
                                     shoprecon_app, SET LOCAL app.*), app.all_stores on.
              app_rls_store_scoped   the same with app.all_stores off and app.stores listing the
                                     stores the tenant's orders are in (so the same result).
            Rounds: one untimed warm-up round, then --repeat rounds (default 5) running every
            case once, in an order rotated per round; each case reports its median.
            ratio = case median seconds / owner_no_rls median seconds: LOWER IS BETTER here
            (1.0 = no overhead; the target is under 1.2).
            """
    )

    enum Case: String, CaseIterable, ExpressibleByArgument {
        case ownerNoRLS = "owner_no_rls"
        case ownerOperator = "owner_operator"
        case appAllStores = "app_rls_all_stores"
        case appStoreScoped = "app_rls_store_scoped"
    }

    static let baseline = Case.ownerNoRLS
    static let target = 1.2

    @OptionGroup var options: BenchOptions
    @OptionGroup var scratch: ScratchDatabaseOptions

    @Option(help: "Other tenants with rows in the table.")
    var otherTenants = 3

    @Option(help: "Rows of every other tenant.")
    var otherRows = 300_000

    @Option(help: "Stores of every tenant its orders are spread over.")
    var stores = 8

    @Option(help: "max_parallel_workers_per_gather for every case (default: the server's setting).")
    var parallelWorkers: Int?

    @Flag(help: "Print EXPLAIN (ANALYZE, BUFFERS) of every case to stderr (default: plain EXPLAIN).")
    var explainAnalyze = false

    func validate() throws {
        guard otherTenants >= 0, otherRows >= 0 else { throw ValidationError("--other-tenants and --other-rows must not be negative") }
        guard stores >= 1 else { throw ValidationError("--stores must be at least 1") }
        if let parallelWorkers, parallelWorkers < 0 { throw ValidationError("--parallel-workers must not be negative") }
    }

    func run() async throws {
        BenchLog.bootstrap()
        let database = try await ScratchDatabase.create(options: options, scratch: scratch, purpose: "rls")
        do {
            try await runCases(database)
        } catch {
            await database.drop()
            throw error
        }
        await database.drop()
    }

    private func runCases(_ database: ScratchDatabase) async throws {
        let owner = try await PostgresConnection.connect(database.owner, logger: ScratchDatabase.logger)
        let app: PostgresConnection
        do {
            app = try await PostgresConnection.connect(database.applicationOrOwner.configuration, logger: ScratchDatabase.logger)
        } catch {
            await owner.close()
            throw error
        }
        do {
            try await runCases(database, owner: owner, app: app)
        } catch {
            await owner.close()
            await app.close()
            throw error
        }
        await owner.close()
        await app.close()
    }

    private func runCases(_ database: ScratchDatabase, owner: PostgresConnection, app: PostgresConnection) async throws {
        let appLogin = database.applicationOrOwner.login

        let data = RlsBenchData(measuredRows: options.rows, otherTenants: otherTenants, otherRows: otherRows,
                                stores: stores, seed: options.seed)
        BenchLog.progress("loading \(data.totalRows) rows (\(options.rows) of tenant \(RlsBenchData.measuredTenant), "
                          + "\(otherTenants) x \(otherRows) of others) with binary COPY")
        let (expected, loadSeconds) = try await measure { try await data.load(owner) }
        BenchLog.progress("loaded in \(formatSeconds(loadSeconds)); indexing, protecting, VACUUM ANALYZE")
        try await owner.query("ALTER TABLE bench_orders ADD PRIMARY KEY (tenant_id, order_id)")
        try await owner.query("CREATE INDEX bench_orders_created ON bench_orders (tenant_id, created_at)")
        try await owner.query("SELECT shoprecon_protect_tenant_table('bench_orders', 'order.view_financial', 'order.edit', 'store_id')")
        try await owner.query("GRANT SELECT ON bench_orders TO shoprecon_app")
        try await owner.query("VACUUM (ANALYZE) bench_orders")
        let size = try await owner.query("SELECT pg_total_relation_size('bench_orders')")[0].decode(Int64.self, at: 0)
        BenchLog.progress(String(format: "bench_orders: %.0f MB with indexes; application login: %@",
                                 Double(size) / 1_048_576, appLogin))

        let runner = RlsCaseRunner(owner: owner, app: app, storeIDs: data.measuredStoreIDs, parallelWorkers: parallelWorkers)
        for benchCase in Case.allCases {
            let plan = try await runner.explain(benchCase, analyze: explainAnalyze)
            BenchLog.progress("\(benchCase.rawValue) plan:\n" + plan.map { "    " + $0 }.joined(separator: "\n"))
        }

        let repeatCount = options.repeatCount(default: 5)
        var samples: [Case: [Double]] = [:]
        for round in 0...repeatCount {
            let order = (0..<Case.allCases.count).map { Case.allCases[($0 + round) % Case.allCases.count] }
            var line: [String] = []
            for benchCase in order {
                let (rows, seconds) = try await runner.run(benchCase)
                guard rows == expected else {
                    throw BenchFailure("\(benchCase.rawValue) returned a different result\n  expected \(expected)\n  actual   \(rows)")
                }
                if round > 0 { samples[benchCase, default: []].append(seconds) }
                line.append("\(benchCase.rawValue) \(formatSeconds(seconds))")
            }
            BenchLog.progress((round == 0 ? "warm-up: " : "round \(round)/\(repeatCount): ") + line.joined(separator: ", "))
        }

        let baselineSeconds = median(samples[Self.baseline] ?? [])
        for benchCase in Case.allCases {
            let runs = samples[benchCase] ?? []
            let seconds = median(runs)
            var result = BenchResult(bench: "rls", caseName: benchCase.rawValue, rows: options.rows, seconds: seconds)
            result.baseline = Self.baseline.rawValue
            result.ratio = baselineSeconds > 0 ? seconds / baselineSeconds : nil
            result.extra = [
                (key: "ratio_of", value: .string("median seconds / baseline median seconds, lower is better")),
                (key: "runs", value: .int(runs.count)),
                (key: "min_seconds", value: .double(runs.min() ?? 0)),
                (key: "max_seconds", value: .double(runs.max() ?? 0)),
                (key: "login", value: .string(benchCase == .appAllStores || benchCase == .appStoreScoped
                                              ? appLogin : database.owner.target.user)),
            ]
            if benchCase != Self.baseline, let ratio = result.ratio {
                result.extra.append((key: "target", value: .double(Self.target)))
                result.extra.append((key: "within_target", value: .bool(ratio < Self.target)))
            }
            BenchLog.progress("\(benchCase.rawValue): median \(formatSeconds(seconds)) of \(runs.map(formatSeconds))"
                              + (result.ratio.map { String(format: ", %.3fx the baseline's time (lower is better)", $0) } ?? ""))
            result.emit()
        }
    }
}

/// The measured tenant's report, as the query returns it.
struct RlsReportRow: Sendable, Equatable, CustomStringConvertible {
    var status: String
    var count: Int64
    var sumAmountFen: Int64
    var minCreatedMicros: Int64
    var maxCreatedMicros: Int64

    var description: String {
        "\(status): count=\(count) sum=\(sumAmountFen) created=[\(minCreatedMicros), \(maxCreatedMicros)]"
    }
}

/// Runs one case of `rls` on its connection and times the report query alone.
struct RlsCaseRunner: Sendable {
    let owner: PostgresConnection
    let app: PostgresConnection
    let storeIDs: [Int64]
    let parallelWorkers: Int?

    static let sql = """
        SELECT status, count(*), sum(amount_fen)::bigint,
               (extract(epoch FROM min(created_at)) * 1000000)::bigint,
               (extract(epoch FROM max(created_at)) * 1000000)::bigint
        FROM bench_orders
        WHERE tenant_id = $1 AND created_at >= $2
        GROUP BY status ORDER BY status
        """

    /// `$1` and `$2`: the measured tenant, and a `created_at` bound before all of its rows.
    var binds: [any PostgresEncodable] {
        [RlsBenchData.measuredTenant, Date(timeIntervalSince1970: TimeInterval(RlsBenchData.baseUnixSeconds))]
    }

    /// The permissions of the built-in `finance` role: a realistic app.perms list.
    static let financePermissions: Set<String> = [
        Permission.orderViewBasic, Permission.orderViewFinancial, Permission.orderViewContact, Permission.orderEdit,
        Permission.matchManual, Permission.exceptionResolve, Permission.reportView, Permission.reportExport,
        Permission.importRun, Permission.reconRun,
    ]

    func context(_ benchCase: RlsBench.Case) -> AccessContext? {
        switch benchCase {
        case .ownerNoRLS: nil
        case .ownerOperator: .operator(name: "bench", tenantID: RlsBenchData.measuredTenant)
        case .appAllStores, .appStoreScoped:
            AccessContext(kind: .user, tenantID: RlsBenchData.measuredTenant, tenantSlug: "bench", userID: 1,
                          username: "bench", permissions: Self.financePermissions,
                          allStores: benchCase == .appAllStores,
                          storeIDs: benchCase == .appAllStores ? [] : storeIDs, actor: "user:bench")
        }
    }

    /// Runs the report once; returns its rows and the seconds the query took.
    func run(_ benchCase: RlsBench.Case) async throws -> (rows: [RlsReportRow], seconds: Double) {
        let (sql, binds, parallel) = (Self.sql, self.binds, parallelWorkers)
        return try await within(benchCase) { tx in
            if let parallel { try tx.query("SET LOCAL max_parallel_workers_per_gather = \(parallel)") }
            let start = ContinuousClock.now
            let result = try tx.query(sql, binds)
            let seconds = (ContinuousClock.now - start).seconds
            let rows = try result.map { row in
                let (status, count, sum, minCreated, maxCreated) = try row.decode((String, Int64, Int64, Int64, Int64).self)
                return RlsReportRow(status: status, count: count, sumAmountFen: sum, minCreatedMicros: minCreated,
                                    maxCreatedMicros: maxCreated)
            }
            return (rows, seconds)
        }
    }

    /// The case's plan, as EXPLAIN prints it (with ANALYZE: the query runs once more).
    func explain(_ benchCase: RlsBench.Case, analyze: Bool) async throws -> [String] {
        let sql = "EXPLAIN (" + (analyze ? "ANALYZE, BUFFERS, " : "COSTS OFF, ") + "VERBOSE) " + Self.sql
        let (binds, parallel) = (self.binds, parallelWorkers)
        return try await within(benchCase) { tx in
            if let parallel { try tx.query("SET LOCAL max_parallel_workers_per_gather = \(parallel)") }
            return try tx.query(sql, binds).map { try $0.decode(String.self, at: 0) }
        }
    }

    /// Runs `body` in a transaction set up as the case prescribes.
    private func within<T: Sendable>(_ benchCase: RlsBench.Case,
                                     _ body: @Sendable @escaping (isolated PostgresConnection) throws -> T) async throws -> T {
        switch benchCase {
        case .ownerNoRLS:
            return try await ownerWithoutRLS(owner, body)
        case .ownerOperator, .appAllStores, .appStoreScoped:
            let connection = benchCase == .ownerOperator ? owner : app
            return try await TenantScope(connection: connection).with(context(benchCase)!) { tx, _ in try body(tx) }
        }
    }
}

/// The baseline's transaction: the owner switches FORCE ROW LEVEL SECURITY off, so that as the
/// table's owner it bypasses every policy, runs `body`, and rolls everything back.
private func ownerWithoutRLS<T: Sendable>(_ connection: isolated PostgresConnection,
                                          _ body: (isolated PostgresConnection) throws -> T) throws -> T {
    try connection.query("BEGIN")
    defer { _ = try? connection.query("ROLLBACK") }
    try connection.query("ALTER TABLE bench_orders NO FORCE ROW LEVEL SECURITY")
    return try body(connection)
}

/// The median of some samples (the mean of the middle two for an even count); 0 for none.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
