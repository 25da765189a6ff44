import ArgumentParser
import Foundation
import PostgresClient
import Reconcile
import Tenancy

/// `shoprecon-bench recon`: a full reconciliation run against a single hand-written join.
struct ReconBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Reconciliation: a full run (all flows) vs. one hand-written SQL join of orders to transactions.",
        discussion: """
            A scratch database (shoprecon_bench_<pid>, migrated, dropped at the end) gets one tenant with
            four stores and, generated in SQL: --orders orders (with financials, contacts and one line each),
            --transactions platform transactions (sales of the completed orders, then sales without an
            order), --payouts payouts, --bank-lines bank lines and --returns returns with their courier
            lines; about one percent of every kind of exception is planted. Then VACUUM ANALYZE.

            Cases:
              floor_join   the floor: SELECT count(*), sum(t.gross - f.paid_amount) over orders joined to
                           order_financials and to the sales whose order_ref is 'T200P' || order_no, as the
                           schema owner (no row-level security), best of --repeat (default 3).
              floor_join_serial  the floor without its parallel workers, which a run's statements mostly cannot
                           have (they read the run's temporary tables; INSERT ... SELECT never runs in parallel).
              sums_join    the least a run must compute: the sums of the transactions per order reference
                           (sales, refunds, fees) joined to the orders and their financials, counted, nothing
                           written; sums_join_serial the same without parallel workers. Both bound the ratio a
                           full run can reach.
              full_run     `recon run` for October 2026, all flows, as the tenant's system context through
                           shoprecon_app (row-level security on), in one transaction that commits: matches,
                           allocations, exceptions, events.
              rerun        the same again: replaces the automatic results of the first.
            ratio = case seconds / floor_join seconds: LOWER IS BETTER (goal: full run under 60 s and within 4x).
            Also printed: server_peak_rss_mb, the peak resident memory of the database backend that ran the
            case (VmHWM from /proc, when the server runs on this machine), and client_peak_rss_mb.
            """
    )

    @OptionGroup var options: BenchOptions
    @OptionGroup var scratch: ScratchDatabaseOptions
    @Option(help: "Orders.") var orders = 1_000_000
    @Option(help: "Platform transactions.") var transactions = 1_000_000
    @Option(help: "Payouts.") var payouts = 30_000
    @Option(name: .customLong("bank-lines"), help: "Bank statement lines.") var bankLines = 30_000
    @Option(help: "Returns (each with a courier line).") var returns = 50_000

    static let goalSeconds = 60.0
    static let goalRatio = 4.0

    func run() async throws {
        BenchLog.bootstrap()
        let database = try await ScratchDatabase.create(options: options, scratch: scratch, purpose: "recon")
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
        defer { Task { await owner.close() } }
        let tenant = try await TenantScope(connection: owner).asOperator(name: "bench", tenant: nil) { tx, _ in
            try TenantDirectory.create(slug: "bench", name: "Bench merchant", on: tx)
        }
        let firstStore = try await TenantScope(connection: owner).asOperator(name: "bench", tenant: "bench") { tx, context in
            try (1...4).map { try StoreDirectory.add(code: "s\($0)", name: "Store \($0)", channel: "taobao", context: context, on: tx).id }.min()!
        }
        let data = ReconBenchData(orders: orders, transactions: transactions, payouts: payouts, bankLines: bankLines, returns: returns)
        let (_, loadSeconds) = try await measure {
            for statement in data.statements {
                let binds: [any PostgresEncodable] = statement.binds.map { bind -> Int64 in
                    switch bind {
                    case .tenant: tenant.id
                    case .firstStore: firstStore
                    case .value(let value): Int64(value)
                    }
                }
                let seconds = try await measure { try await owner.query(statement.sql, binds) }.seconds
                BenchLog.progress("generated \(statement.label) in \(formatSeconds(seconds))")
            }
            try await owner.query("VACUUM ANALYZE")
        }
        let counts = try await owner.query("""
            SELECT (SELECT count(*) FROM orders), (SELECT count(*) FROM platform_transactions), (SELECT count(*) FROM payouts),
                   (SELECT count(*) FROM bank_statement_lines), (SELECT count(*) FROM returns), (SELECT count(*) FROM courier_bill_lines)
            """)[0].decode((Int64, Int64, Int64, Int64, Int64, Int64).self)
        BenchLog.progress("data ready in \(formatSeconds(loadSeconds)): \(counts.0) orders, \(counts.1) transactions, \(counts.2) payouts, "
                          + "\(counts.3) bank lines, \(counts.4) returns, \(counts.5) courier lines")

        // The floor.
        var floorRuns: [Double] = []
        let floorPeak = try await backendPeak(owner)
        for _ in 0..<options.repeatCount(default: 3) {
            let seconds = try await measure {
                try await owner.query(Self.floorSQL, [tenant.id])
            }.seconds
            floorRuns.append(seconds)
            BenchLog.progress("floor_join: \(formatSeconds(seconds))")
        }
        let floor = floorRuns.min() ?? 0
        emit(caseName: "floor_join", seconds: floor, floor: floor, peak: try await backendPeak(owner) ?? floorPeak, extra: [])
        try await boundCases(owner: owner, tenant: tenant.id, floor: floor)

        let appConfiguration = database.applicationOrOwner.configuration
        for caseName in ["full_run", "rerun"] {
            let app = try await PostgresConnection.connect(appConfiguration, logger: ScratchDatabase.logger)
            let context = AccessContext.system(tenantID: tenant.id, tenantSlug: "bench", name: "bench")
            let (result, seconds) = try await measure {
                try await TenantScope(connection: app).with(context) { tx, context in
                    try ReconRunner.run(RunRequest(period: try ReconPeriod(parsing: "2026-10"), asOf: "2026-12-15"), context: context, on: tx)
                }
            }
            let peak = try await backendPeak(app)
            await app.close()
            BenchLog.progress("\(caseName): \(formatSeconds(seconds)); matches \(result.matches); exceptions \(result.exceptionsByType)")
            emit(caseName: caseName, seconds: seconds, floor: floor, peak: peak, extra: [
                (key: "matches", value: .int(result.matches.values.reduce(0, +))),
                (key: "exceptions", value: .int(result.exceptionsFound)),
                (key: "goal_seconds", value: .double(Self.goalSeconds)),
                (key: "goal_ratio", value: .double(Self.goalRatio)),
                (key: "within_goal", value: .bool(seconds < Self.goalSeconds && seconds / floor <= Self.goalRatio)),
            ])
        }
    }

    /// Two cases that bound what the ratio can be, on the same data in the same run: the floor
    /// without parallel workers (a run's statements read its temporary tables, which parallel
    /// workers cannot see, and PostgreSQL 15 runs no INSERT ... SELECT in parallel), and the least a run
    /// must compute before it can judge an order: the sums of the period's transactions per order
    /// reference (sales, refunds, fees), joined to every order and its financials, only counted,
    /// nothing written (the floor's rows, with the grouping a run cannot skip).
    private func boundCases(owner: PostgresConnection, tenant: Int64, floor: Double) async throws {
        let cases: [(name: String, serial: Bool, sql: String)] = [
            ("floor_join_serial", true, Self.floorSQL),
            ("sums_join", false, Self.sumsSQL),
            ("sums_join_serial", true, Self.sumsSQL),
        ]
        for bound in cases {
            var runs: [Double] = []
            for _ in 0..<options.repeatCount(default: 3) {
                runs.append(try await measure {
                    try await owner.transaction { tx in
                        try tx.query("SET LOCAL jit = off")
                        if bound.serial { try tx.query("SET LOCAL max_parallel_workers_per_gather = 0") }
                        try tx.query(bound.sql, [tenant])
                    }
                }.seconds)
            }
            let seconds = runs.min() ?? 0
            BenchLog.progress("\(bound.name): \(formatSeconds(seconds))")
            emit(caseName: bound.name, seconds: seconds, floor: floor, peak: try await backendPeak(owner), extra: [])
        }
    }

    static let floorSQL = """
        SELECT count(*), sum(t.gross - f.paid_amount)
        FROM orders o JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
        JOIN platform_transactions t ON t.tenant_id = o.tenant_id AND t.order_ref = 'T200P' || o.order_no AND t.type = 'sale'
        WHERE o.tenant_id = $1
        """

    static let sumsSQL = """
        SELECT count(*), sum(x.sale_gross - f.paid_amount), sum(x.fees)
        FROM orders o JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
        LEFT JOIN (
            SELECT ref_key, count(*) FILTER (WHERE type = 'sale') AS sales, sum(gross) FILTER (WHERE type = 'sale') AS sale_gross,
                   sum(gross) FILTER (WHERE type = 'refund') AS refund_gross,
                   coalesce(sum(fee) FILTER (WHERE type = 'sale'), 0) - coalesce(sum(gross) FILTER (WHERE type IN ('fee', 'commission')), 0)
                       AS fees
            FROM platform_transactions WHERE tenant_id = $1 AND ref_key IS NOT NULL AND type IN ('sale', 'refund', 'fee', 'commission')
            GROUP BY 1
        ) x ON x.ref_key = o.ref_key
        WHERE o.tenant_id = $1
        """

    private func emit(caseName: String, seconds: Double, floor: Double, peak: Double?, extra: [(key: String, value: BenchResult.Value)]) {
        var result = BenchResult(bench: "recon", caseName: caseName, rows: orders, seconds: seconds)
        result.countKey = "orders"
        result.rateKey = "orders_per_s"
        result.baseline = "floor_join"
        result.ratio = floor > 0 ? seconds / floor : nil
        result.extra = [(key: "ratio_of", value: .string("seconds / floor_join seconds, lower is better"))] + extra
        if let peak { result.extra.append((key: "server_peak_rss_mb", value: .double(peak))) }
        result.extra.append((key: "client_peak_rss_mb", value: .double(Self.peakRSS(pid: nil) ?? 0)))
        result.emit()
    }

    /// The peak resident memory of the connection's server process, in MB, if /proc shows it.
    private func backendPeak(_ connection: PostgresConnection) async throws -> Double? {
        let pid = try await connection.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        return Self.peakRSS(pid: pid)
    }

    /// VmHWM of a process (this one for nil) in MB.
    static func peakRSS(pid: Int?) -> Double? {
        let path = "/proc/\(pid.map(String.init) ?? "self")/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return nil }
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
}
