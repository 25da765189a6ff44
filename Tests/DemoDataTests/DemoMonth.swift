import DemoData
import Foundation
import Ingest

/// A generated month parsed back with the real parsers, as the importer would read it.
struct DemoMonth {
    let directory: URL
    let truth: DemoTruth
    var orders: [String: [OrderRecord]] = [:]
    var transactions: [String: [PlatformTransaction]] = [:]
    var payouts: [String: [PayoutRecord]] = [:]
    var bankLines: [BankStatementLine] = []
    var courierLines: [CourierBillLine] = []
    var returns: [ReturnRecord] = []
    /// Records per file and importer kind, as `truth.files[].records` counts them.
    var counts: [String: [String: Int]] = [:]
    var rejected: [String: [RejectedRow]] = [:]
    var warnings: [String: [String]] = [:]
    var rateCard: [String: (first: Int64, extra: Int64)] = [:]

    static func generate(orders: Int = 600, seed: UInt64 = 7, period: String = "2026-10") throws -> DemoMonth {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)")
        let truth = try DemoGenerator(DemoOptions(orders: orders, seed: seed, period: try DemoPeriod(parsing: period))).write(to: directory)
        var month = DemoMonth(directory: directory, truth: truth)
        try month.parseAll()
        return month
    }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func mapping(_ name: String) throws -> ColumnMapping {
        let file = truth.files.first { $0.role == "mapping" && $0.mapping == name }!
        return try JSONDecoder().decode(ColumnMapping.self, from: Data(contentsOf: url(file.name)))
    }

    mutating func parseAll() throws {
        for file in truth.files where file.role == "import" {
            var options = ParseOptions()
            options.skipBadRows = true
            if let name = file.mapping { options.mapping = try mapping(name) }
            let format = FileFormat(rawValue: file.format!)!
            let store = file.store ?? "bank"
            var perKind: [String: Int] = [:]
            var rejects: [RejectedRow] = []
            let report = try Ingest.parse(.file(url(file.name)), format: format, options: options, onRecord: { record in
                switch record {
                case .order(let o):
                    orders[store, default: []].append(o)
                    perKind["orders", default: 0] += 1
                case .transaction(let t):
                    transactions[store, default: []].append(t)
                    perKind["transactions", default: 0] += 1
                case .payout(let p):
                    payouts[store, default: []].append(p)
                    perKind["payouts", default: 0] += 1
                case .bankLine(let b):
                    bankLines.append(b)
                    perKind["bank_lines", default: 0] += 1
                case .courierLine(let c):
                    courierLines.append(c)
                    perKind["courier_lines", default: 0] += 1
                case .returnRecord(let r):
                    returns.append(r)
                    perKind["returns", default: 0] += 1
                case .skuCost:
                    perKind["sku_costs", default: 0] += 1
                case .summary:
                    break
                }
            }, onReject: { rejects.append($0) })
            counts[file.name] = perKind
            rejected[file.name] = rejects
            warnings[file.name] = report.warnings
        }
        let card = try String(contentsOf: url("ratecard.csv"), encoding: .utf8)
        for line in card.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            rateCard[f[0] + "|" + f[1]] = (Self.fen(f[3]), Self.fen(f[4]))
        }
    }

    static func fen(_ yuan: String) -> Int64 {
        let parts = yuan.split(separator: ".")
        return Int64(parts[0])! * 100 + Int64(parts.count > 1 ? parts[1] : "0")!
    }

    /// The engine's `recon_norm_ref`: trim, drop TABs, quotes, `=`, backticks, `T200P`, upper-case.
    static func norm(_ ref: String?) -> String? {
        guard var text = ref else { return nil }
        text.removeAll { $0.isWhitespace || $0 == "\"" || $0 == "=" || $0 == "'" || $0 == "`" }
        if text.count > 5, text.hasPrefix("T"), text.dropFirst().prefix(3).allSatisfy(\.isNumber),
           text.dropFirst(4).first == "P", text.dropFirst(5).first?.isNumber == true {
            text = String(text.dropFirst(5))
        }
        let upper = text.uppercased()
        return upper.isEmpty ? nil : upper
    }

    var allOrders: [(store: String, order: OrderRecord)] {
        orders.flatMap { store, list in list.map { (store, $0) } }
    }

    var allTransactions: [(store: String, transaction: PlatformTransaction)] {
        transactions.flatMap { store, list in list.map { (store, $0) } }
    }

    /// Transactions per normalized order reference.
    var transactionsByOrder: [String: [PlatformTransaction]] {
        var map: [String: [PlatformTransaction]] = [:]
        for (_, t) in allTransactions { if let key = Self.norm(t.orderReference) { map[key, default: []].append(t) } }
        return map
    }

    /// The rate-card price of a courier line.
    func price(_ line: CourierBillLine) -> Int64? {
        guard let card = rateCard[(line.courier ?? "") + "|" + (line.zone ?? "")], let grams = line.billedWeightGrams else { return nil }
        return card.first + Int64((max(0, grams - 1000) + 999) / 1000) * card.extra
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

extension DemoMonth {
    /// Days since 1970-01-01 of `YYYY-MM-DD`.
    static func dayNumber(_ text: String) -> Int? {
        let p = text.split(separator: "-").compactMap { Int($0) }
        guard p.count == 3 else { return nil }
        return LocalDate(year: p[0], month: p[1], day: p[2])?.daysSinceEpoch
    }

    /// (sale fees + fee/commission charges) / sale gross, as the contract defines the fee rate.
    static func feeRate(_ txns: [PlatformTransaction]) -> Double {
        let sales = txns.filter { $0.type == .sale }
        let gross = sales.reduce(Int64(0)) { $0 + $1.gross.minorUnits }
        let fees = sales.reduce(Int64(0)) { $0 + ($1.fee?.minorUnits ?? 0) }
            - txns.filter { $0.type == .fee || $0.type == .commission }.reduce(Int64(0)) { $0 + $1.gross.minorUnits }
        return gross == 0 ? 0 : Double(fees) / Double(gross)
    }

    /// Whether a bank line names `reference` anywhere the engine looks.
    static func mentions(_ line: BankStatementLine, _ reference: String) -> Bool {
        guard let ref = norm(reference), ref.count >= 6 else { return false }
        return [line.reference, line.customerReference, line.endToEndID, line.memo].contains { ($0?.uppercased() ?? "").contains(ref) }
    }
}
