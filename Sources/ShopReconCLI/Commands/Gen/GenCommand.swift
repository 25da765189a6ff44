import ArgumentParser
import DemoData
import Foundation

/// `shoprecon gen`: writes a month of demo files with known exceptions (no database needed).
struct GenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate a month of demo files with planted exceptions and their ground truth.",
        discussion: """
            Writes one month for a demo merchant with two stores, in the real file layouts that \
            `shoprecon import` reads: tmall-orders.csv (Taobao/Tmall order export, GBK; import \
            --format taobao --store tmall), tmall-alipay.csv (Alipay 账务明细 account statement, \
            GBK; --format alipay-account --store tmall), miniapp-orders.csv with \
            miniapp-orders.mapping.json (save it with `shoprecon mapping create miniapp-orders \
            --json-file miniapp-orders.mapping.json`, then import --format mapped --mapping \
            miniapp-orders --store miniapp), miniapp-wechat-trade.csv and miniapp-wechat-fund.csv \
            (WeChat Pay trade and fund bills; --format wechat-trade / wechat-fund --store \
            miniapp), bank-camt053.xml (camt.053 statement covering the month and 7 days after; \
            --format camt053, no store), courier-sf.csv (SF courier bill; --format courier --store \
            tmall), ratecard.csv (the courier rate card), returns.csv with returns.mapping.json \
            (--format mapped --mapping returns --store tmall).

            truth.json is the ground truth: the seed, the period, the earliest as-of date for which \
            it holds (period end + 20 days), the stores and their channels, every file with its \
            import format, store, mapping and record counts, the noise that must not be flagged \
            (split payouts, bank credits without reference, partial refunds with a received \
            return, Alipay sales without an order reference, WeChat fees with 5 decimals, \
            cancelled unpaid orders, refunds before shipping), and `planted`: one entry per \
            planted exception {type, store, reference, amount in minor units, currency, date} \
            where reference is the record's identifying field as imported (order_no, \
            transaction_no, payout_ref, bank line reference, return_no, waybill_no). \
            max(2, orders/400) of each type are planted.

            The same --orders, --seed and --period always give byte-identical files.
            """
    )

    @Option(help: "Orders over both stores (at least \(DemoOptions.minimumOrders)).") var orders = 2000
    @Option(help: "Seed of the random generator.") var seed: UInt64 = 1
    @Option(help: "Directory to write into (created if missing; files of the same names are replaced).") var out: String
    @Option(help: "The month, YYYY-MM (default: the previous calendar month).") var period: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await runCommand {
            let month: DemoPeriod
            do {
                month = try period.map { try DemoPeriod(parsing: $0) } ?? .previous()
            } catch let error as DemoError {
                throw CLIFailure.badInput(error.message, hint: error.hint)
            }
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            let started = Date()
            let truth: DemoTruth
            do {
                truth = try DemoGenerator(DemoOptions(orders: orders, seed: seed, period: month)).write(to: directory)
            } catch let error as DemoError {
                throw CLIFailure.badInput(error.message, hint: error.hint)
            }
            try emit(truth, json: output.json) { GenCommand.render(truth, directory: directory, seconds: Date().timeIntervalSince(started)) }
        }
    }

    static func render(_ truth: DemoTruth, directory: URL, seconds: Double) -> String {
        var lines = ["Wrote \(truth.period) for \(truth.merchant) (seed \(truth.seed)) to \(directory.path) in "
                     + String(format: "%.1f", seconds) + " s; the truth holds as of \(truth.asOf)."]
        var files = TextTable("FILE", "IMPORT AS", "STORE", "ENCODING", "RECORDS")
        for file in truth.files {
            let how = file.format.map { format in file.mapping.map { "\(format) --mapping \($0)" } ?? format }
                ?? (file.role == "mapping" ? "mapping \(file.mapping ?? "")" : file.role)
            let records = file.records.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            files.append([file.name, how, file.store ?? "-", file.encoding, records])
        }
        lines.append(files.render())
        var planted = TextTable("PLANTED EXCEPTION", "COUNT")
        for (type, n) in truth.plantedCounts.sorted(by: { $0.key < $1.key }) { planted.append([type, String(n)]) }
        lines.append(planted.render())
        var noise = TextTable("NOISE (NOT EXCEPTIONS)", "COUNT")
        for (kind, n) in truth.noise.sorted(by: { $0.key < $1.key }) { noise.append([kind, String(n)]) }
        lines.append(noise.render())
        lines.append("Ground truth: \(directory.appendingPathComponent("truth.json").path)")
        return lines.joined(separator: "\n")
    }
}
