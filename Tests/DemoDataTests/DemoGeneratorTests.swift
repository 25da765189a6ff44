import DemoData
import Foundation
import Ingest
import Testing

@Suite("demo data generator")
struct DemoGeneratorTests {
    @Test("every file parses back with the real parsers, without rejects or warnings, in the counts the truth states")
    func parsesBack() throws {
        let month = try DemoMonth.generate()
        defer { month.remove() }
        #expect(month.truth.period == "2026-10")
        #expect(month.truth.asOf == "2026-11-21")
        for file in month.truth.files where file.role == "import" {
            #expect(month.rejected[file.name]?.isEmpty == true, "\(file.name): \(month.rejected[file.name] ?? [])")
            #expect(month.warnings[file.name]?.isEmpty == true, "\(file.name): \(month.warnings[file.name] ?? [])")
            var expected = file.records
            expected["order_lines"] = nil
            #expect(month.counts[file.name] == expected, "\(file.name)")
        }
        #expect(month.orders["tmall"]!.count + month.orders["miniapp"]!.count == 600)
        #expect(month.truth.counts["orders"] == 600)
        #expect(month.orders["tmall"]!.allSatisfy { $0.channel == .taobao })
        #expect(month.orders["miniapp"]!.allSatisfy { $0.channel.rawValue == "own" && !$0.lines.isEmpty })
        #expect(month.returns.allSatisfy { $0.returnNumber != nil && $0.received != nil })
        #expect(month.courierLines.allSatisfy { month.price($0) != nil })
        #expect(month.bankLines.contains { $0.direction == .debit })
        // WeChat fees keep 5 decimals.
        #expect(month.transactions["miniapp"]!.contains { $0.fee?.precise != nil })
        // Every planted type, at the documented count.
        let k = max(2, 600 / 400)
        for type in ["duplicate_order", "missing_on_platform", "transaction_without_order", "unpaid", "amount_mismatch", "fee_anomaly",
                     "refund_without_return", "return_not_received", "courier_overcharge", "payout_not_in_bank",
                     "unexplained_bank_credit", "overdue_receivable"] {
            #expect(month.truth.plantedCounts[type] == k, "\(type)")
        }
        for kind in ["two_payouts_one_bank_credit", "one_payout_two_bank_credits", "bank_credit_without_reference",
                     "partial_refund_with_received_return", "sale_without_order_reference", "wechat_fee_with_5_decimals",
                     "cancelled_unpaid", "full_refund_before_shipping", "bank_debit"] {
            #expect((month.truth.noise[kind] ?? 0) > 0, "\(kind)")
        }
    }

    @Test("each planted exception is in the parsed records with the property that makes it one")
    func plantedExceptions() throws {
        let month = try DemoMonth.generate()
        defer { month.remove() }
        let byOrder = month.transactionsByOrder
        let asOf = try #require(DemoMonth.dayNumber(month.truth.asOf))
        for p in month.truth.planted {
            let store = p.store ?? "bank"
            let order = month.orders[store]?.first { $0.orderNumber == p.reference }
            let txns = byOrder[p.reference.uppercased()] ?? []
            switch p.type {
            case "duplicate_order":
                let o2 = try #require(order)
                let o1 = try #require(month.orders[store]?.first { $0.orderNumber == p.twin })
                #expect(o1.buyerID == o2.buyerID && o1.paidAmount == o2.paidAmount && o2.paidAmount?.minorUnits == p.amount)
                #expect(o1.lines.map { "\($0.sku ?? $0.title ?? ""):\($0.quantity ?? 0)" }.sorted()
                        == o2.lines.map { "\($0.sku ?? $0.title ?? ""):\($0.quantity ?? 0)" }.sorted())
                let gap = o2.createdAt!.date.timeIntervalSince(o1.createdAt!.date)
                #expect(gap > 0 && gap <= 600)
                #expect(month.allOrders.filter { $0.order.buyerID == o2.buyerID }.count == 2)
            case "missing_on_platform":
                #expect(order?.status == .completed && order?.paidAmount?.minorUnits == p.amount)
                #expect(txns.isEmpty)
            case "overdue_receivable":
                let o = try #require(order)
                #expect(o.status == .shipped && !txns.contains { $0.type == .sale })
                #expect(DemoMonth.dayNumber((o.shippedAt ?? o.paidAt)!.localDate.description)! < asOf - 15)
            case "unpaid":
                #expect(order?.status == .pendingPayment && order?.waybillNumber != nil)
                #expect((order?.paidAmount?.minorUnits ?? 0) == 0 && order?.orderAmount?.minorUnits == p.amount)
            case "transaction_without_order":
                let t = try #require(month.transactions[store]?.first { $0.transactionID == p.reference })
                #expect(t.type == .sale && t.gross.minorUnits == p.amount)
                let ref = try #require(DemoMonth.norm(t.orderReference))
                #expect(!month.allOrders.contains { DemoMonth.norm($0.order.orderNumber) == ref })
            case "amount_mismatch":
                let sales = txns.filter { $0.type == .sale }.reduce(0) { $0 + $1.gross.minorUnits }
                #expect(!txns.isEmpty && sales != order?.paidAmount?.minorUnits && sales == p.actual)
            case "fee_anomaly":
                let rate = DemoMonth.feeRate(txns)
                #expect(rate > (store == "tmall" ? 0.06 : 0.01), "\(p.reference) \(rate)")
            case "refund_without_return":
                let o = try #require(order)
                #expect(o.waybillNumber != nil)
                #expect(txns.filter { $0.type == .refund }.reduce(0) { $0 + $1.gross.minorUnits } == -p.amount)
                #expect(!month.returns.contains { $0.orderNumber == p.reference && $0.received == true })
            case "return_not_received":
                let r = try #require(month.returns.first { $0.returnNumber == p.reference })
                #expect(r.received == false && r.refundAmount?.minorUnits == p.amount)
                #expect(!(byOrder[r.orderNumber] ?? []).contains { $0.type == .refund })
            case "courier_overcharge":
                let line = try #require(month.courierLines.first { $0.waybill == p.reference })
                let price = try #require(month.price(line))
                #expect(line.amountDue.minorUnits > price && price == p.expected && line.amountDue.minorUnits == p.amount)
            case "payout_not_in_bank":
                let payout = try #require(month.payouts[store]?.first { $0.payoutID == p.reference })
                #expect(payout.amount.minorUnits == p.amount)
                #expect(!month.bankLines.contains { $0.amount.minorUnits == p.amount || DemoMonth.mentions($0, p.reference) })
            case "unexplained_bank_credit":
                let line = try #require(month.bankLines.first { $0.reference == p.reference })
                #expect(line.direction == .credit && line.amount.minorUnits == p.amount)
                #expect(month.bankLines.filter { $0.reference == p.reference }.count == 1)
                #expect(!month.payouts.values.joined().contains { $0.amount.minorUnits == p.amount })
            default:
                Issue.record("unknown planted type \(p.type)")
            }
        }
    }

    @Test("clean records break no rule of the contract: only the planted records are exceptions",
          arguments: [(900, UInt64(11), "2026-10"), (400, UInt64(3), "2026-02"), (2_500, UInt64(99), "2026-12")])
    func cleanRecords(orders: Int, seed: UInt64, period: String) throws {
        let month = try DemoMonth.generate(orders: orders, seed: seed, period: period)
        defer { month.remove() }
        let found = DemoContractCheck(month).exceptions()
        let planted = Set(month.truth.planted.map { "\($0.type)|\($0.reference)" })
        #expect(found.subtracting(planted).sorted() == [], "false exceptions")
        #expect(planted.subtracting(found).sorted() == [], "planted but not found")
    }

    @Test("the same seed gives identical bytes, another seed other data")
    func deterministic() throws {
        let options = DemoOptions(orders: 300, seed: 42, period: try DemoPeriod(parsing: "2026-02"))
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("demo-det-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: base) }
        let a = base.appendingPathComponent("a"), b = base.appendingPathComponent("b"), c = base.appendingPathComponent("c")
        try DemoGenerator(options).write(to: a)
        try DemoGenerator(options).write(to: b)
        var other = options
        other.seed = 43
        try DemoGenerator(other).write(to: c)
        for name in DemoGenerator.fileNames {
            let x = try Data(contentsOf: a.appendingPathComponent(name))
            #expect(x == (try Data(contentsOf: b.appendingPathComponent(name))), "\(name)")
        }
        for name in ["tmall-orders.csv", "tmall-alipay.csv", "miniapp-orders.csv", "bank-camt053.xml", "truth.json"] {
            #expect(try Data(contentsOf: a.appendingPathComponent(name)) != Data(contentsOf: c.appendingPathComponent(name)), "\(name)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: a.path).filter { !DemoGenerator.fileNames.contains($0) }
        #expect(leftovers.isEmpty)
    }

    @Test("the Tmall files are really GBK, the others UTF-8; mappings are what `mapping create --json-file` accepts")
    func encodingsAndMappings() throws {
        let month = try DemoMonth.generate(orders: 200)
        defer { month.remove() }
        for file in month.truth.files {
            let data = try Data(contentsOf: month.url(file.name))
            if file.encoding == "GBK" {
                #expect(String(data: data, encoding: .utf8) == nil, "\(file.name) decodes as UTF-8")
                let text = String(decoding: try IconvConverter.convert(Array(data), from: "GBK", to: "UTF-8"), as: UTF8.self)
                #expect(text.contains(file.name == "tmall-orders.csv" ? "订单编号" : "账务明细"))
            } else {
                #expect(String(data: data, encoding: .utf8) != nil, "\(file.name)")
            }
        }
        let orders = try month.mapping("miniapp-orders")
        try orders.validate()
        #expect(orders.kind == .order)
        let returns = try month.mapping("returns")
        try returns.validate()
        #expect(returns.kind == .returnRecord)
    }

    @Test("periods parse, bad options are refused")
    func options() throws {
        #expect(try DemoPeriod(parsing: "2026-10").description == "2026-10")
        #expect(try DemoPeriod(parsing: "202601").description == "2026-01")
        #expect(throws: DemoError.self) { try DemoPeriod(parsing: "2026-13") }
        #expect(throws: DemoError.self) { try DemoPeriod(parsing: "October") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demo-bad-\(UUID().uuidString)")
        #expect(throws: DemoError.self) { try DemoGenerator(DemoOptions(orders: 10, seed: 1)).write(to: directory) }
    }
}

extension DemoGeneratorTests {
    @Test("the saved mappings equal the generator's and decode with ColumnMapping's defaults")
    func mappingFiles() throws {
        let month = try DemoMonth.generate(orders: 100)
        defer { month.remove() }
        let orders = try month.mapping("miniapp-orders")
        #expect(orders.fields["order_number"] == ["订单号"] && orders.channel == "own" && orders.sign == .signed)
        #expect(orders.creditValues == ColumnMapping.defaultCreditValues)
        let returns = try month.mapping("returns")
        #expect(returns.fields["received_status"] == ["退货状态"] && returns.channel == "taobao")
    }
}
