import Foundation
import Imports
import Ingest
import PostgresClient
import Tenancy
import Testing

/// Loading the same file twice, or files that overlap, updates rows instead of duplicating them.
@Suite("Idempotent imports: same file twice, overlapping files, duplicate keys in one file", .importsDatabase)
struct IdempotencyTests {
    @Test("importing the same order file twice: second import all unchanged, names the first, changes no row")
    func sameOrderFileTwice() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-orders")
        let url = try SampleFiles.write(TaobaoLayout.file((1...5).map { TaobaoLayout.order(day: $0) }), name: "orders.csv", encoding: .gbk)
        let first = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(first.records["orders"] == MergeCounts(read: 5, inserted: 5, updated: 0))
        let before = try await env.snapshot(tenant: tenant.id, ImportTables.records)

        let second = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(second.records["orders"] == MergeCounts(read: 5, inserted: 0, updated: 0))
        #expect(second.records["orders"]?.unchanged == 5)
        #expect(second.inserted == 0 && second.updated == 0 && second.unchanged == 5)
        #expect(second.previousImports == [try #require(first.importID)])
        #expect(second.sha256 == first.sha256)
        #expect(second.importID != first.importID)

        let after = try await env.snapshot(tenant: tenant.id, ImportTables.records)
        #expect(after == before, "a re-import of the same file changed rows")
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 5)
        #expect(counts["order_lines"] == 5)
        #expect(counts["imports"] == 2)
        let logged = try await env.ownerTexts("""
            SELECT rows_read, rows_inserted, rows_updated, rows_unchanged FROM imports WHERE tenant_id = $1 AND import_id = $2
            """, [tenant.id, second.importID])
        #expect(logged.first?["rows_read"] == "5")
        #expect(logged.first?["rows_inserted"] == "0")
        #expect(logged.first?["rows_unchanged"] == "5")
    }

    @Test("settlement, JD multi-SKU and bank files imported twice change nothing")
    func otherKindsTwice() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-kinds")
        let dir = try SampleFiles.directory()
        let specs: [(name: String, text: String, encoding: SampleEncoding, format: FileFormat?, store: String?)] = [
            ("alipay.csv", AlipayAccountLayout.file(), .gbk, nil, "s1"),
            ("jd.csv", JDLayout.file, .gbk, .jd, "s1"),
            ("wechat.csv", WeChatTradeLayout.file, .utf8, nil, "s1"),
            ("camt.xml", BankLayout.camt, .utf8, nil, nil),
            ("courier.csv", CourierLayout.file, .gbk, .courier, "s1"),
        ]
        var files: [(URL, ImportRequest)] = []
        for spec in specs {
            let url = try SampleFiles.write(spec.text, name: spec.name, encoding: spec.encoding, in: dir)
            files.append((url, ImportRequest(file: url, format: spec.format, storeCode: spec.store)))
        }
        for (_, request) in files { try await env.importFile(request, tenant: tenant) }
        let before = try await env.snapshot(tenant: tenant.id, ImportTables.records)
        for (url, request) in files {
            let again = try await env.importFile(request, tenant: tenant)
            #expect(again.inserted == 0, "\(url.lastPathComponent): \(again.records)")
            #expect(again.updated == 0, "\(url.lastPathComponent): \(again.records)")
            #expect(again.unchanged > 0, "\(url.lastPathComponent): \(again.records)")
            #expect(again.previousImports.count == 1, "\(url.lastPathComponent)")
        }
        let after = try await env.snapshot(tenant: tenant.id, ImportTables.records)
        for table in ImportTables.records {
            #expect(after[table] == before[table], "re-imports changed \(table)")
        }
    }

    @Test("overlapping files (Nov 1–15, Nov 10–30): no duplicates, changed orders updated, the rest unchanged")
    func overlappingFiles() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-overlap")
        let early = (1...15).map { day in
            TaobaoLayout.order(day: day, status: day == 12 ? "买家已付款，等待卖家发货" : "交易成功")
        }
        let late = (10...30).map { day in
            var row = TaobaoLayout.order(day: day, status: day == 12 ? "卖家已发货，等待买家确认" : "交易成功")
            if day == 14 { row.paid = "0.00" }  // only an amount changed: order_financials
            return row
        }
        let first = try await env.importFile(
            ImportRequest(file: try SampleFiles.write(TaobaoLayout.file(early), name: "orders-1101-1115.csv", encoding: .gbk),
                          storeCode: "s1"), tenant: tenant)
        #expect(first.records["orders"] == MergeCounts(read: 15, inserted: 15, updated: 0))
        let second = try await env.importFile(
            ImportRequest(file: try SampleFiles.write(TaobaoLayout.file(late), name: "orders-1110-1130.csv", encoding: .gbk),
                          storeCode: "s1"), tenant: tenant)
        // 10..15 overlap: 12 (status) and 14 (amount) changed, 10, 11, 13, 15 did not.
        #expect(second.records["orders"] == MergeCounts(read: 21, inserted: 15, updated: 2))
        #expect(second.records["orders"]?.unchanged == 4)
        #expect(second.previousImports.isEmpty)

        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 30)
        #expect(counts["order_financials"] == 30)
        #expect(counts["order_contacts"] == 30)
        #expect(counts["order_lines"] == 30)
        #expect(counts["order_line_amounts"] == 30)
        let distinct = try await env.ownerScalar(Int.self, "SELECT count(DISTINCT order_no) FROM orders WHERE tenant_id = $1", [tenant.id])
        #expect(distinct == 30)

        let rows = try await env.ownerTexts("""
            SELECT o.order_no, o.status, o.status_raw, f.paid_amount, o.import_id::text AS import
            FROM orders o JOIN order_financials f USING (tenant_id, order_id) WHERE o.tenant_id = $1
            """, [tenant.id])
        func row(_ day: Int) throws -> TextRow {
            let number = TaobaoLayout.order(day: day).number
            return try #require(rows.first { $0["order_no"] == number })
        }
        let (firstID, secondID) = (String(try #require(first.importID)), String(try #require(second.importID)))
        #expect(try row(12)["status"] == "shipped")
        #expect(try row(12)["status_raw"] == "卖家已发货，等待买家确认")
        #expect(try row(12)["import"] == secondID)
        #expect(try row(14)["paid_amount"] == "0")
        #expect(try row(13)["paid_amount"] == "12150")
        #expect(try row(11)["import"] == firstID, "an unchanged order was rewritten")
        #expect(try row(20)["import"] == secondID)
        #expect(try row(1)["import"] == firstID)
    }

    @Test("overlapping files imported into one store at the same time take turns: no duplicates, no conflict")
    func concurrentOverlappingImports() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-concurrent")
        let early = try SampleFiles.write(TaobaoLayout.file((1...15).map { TaobaoLayout.order(day: $0) }),
                                          name: "orders-a.csv", encoding: .gbk)
        let late = try SampleFiles.write(TaobaoLayout.file((10...30).map { day in
            TaobaoLayout.order(day: day, status: day == 12 ? "卖家已发货，等待买家确认" : "交易成功")
        }), name: "orders-b.csv", encoding: .gbk)
        let (merged, signal) = AsyncStream<Void>.makeStream()
        // The first import merges, then keeps its transaction open a while; the second starts
        // meanwhile and must wait for it instead of inserting the same orders.
        async let first = env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                let summary = try await Importer.run(ImportRequest(file: early, storeCode: "s1"), context: context, on: tx)
                signal.yield()
                try await Task.sleep(for: .seconds(1))
                return summary
            }
        }
        for await _ in merged { break }
        let second = try await env.importFile(ImportRequest(file: late, storeCode: "s1"), tenant: tenant)
        #expect(try await first.records["orders"] == MergeCounts(read: 15, inserted: 15, updated: 0))
        #expect(second.records["orders"] == MergeCounts(read: 21, inserted: 15, updated: 1))
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 30)
        #expect(counts["order_lines"] == 30)
        #expect(counts["order_financials"] == 30)
    }

    @Test("an order printed twice in one export is one order whose lines are not doubled")
    func orderTwiceInOneFile() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-dup-order")
        // Two exports pasted together: order of Nov 2 appears in both.
        let rows = [TaobaoLayout.order(day: 1), TaobaoLayout.order(day: 2), TaobaoLayout.order(day: 2), TaobaoLayout.order(day: 3)]
        let url = try SampleFiles.write(TaobaoLayout.file(rows), name: "pasted.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(summary.rowsRead == 4)
        #expect(summary.records["orders"] == MergeCounts(read: 3, inserted: 3, updated: 0))
        let lines = try await env.ownerTexts("""
            SELECT o.order_no, count(*)::text AS lines, sum(l.quantity)::text AS quantity, sum(a.line_amount)::text AS amount
            FROM order_lines l JOIN orders o USING (tenant_id, order_id)
            LEFT JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            WHERE l.tenant_id = $1 GROUP BY o.order_no ORDER BY o.order_no
            """, [tenant.id])
        #expect(lines.map { $0["lines"] } == ["1", "1", "1"], "\(lines)")
        #expect(lines.map { $0["quantity"] } == ["2", "2", "2"])
        #expect(lines.map { $0["amount"] } == ["10150", "10250", "10350"])
        let again = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(again.records["orders"] == MergeCounts(read: 3, inserted: 0, updated: 0))
    }

    @Test("an order whose rows are far apart (a continuation record) keeps its lines in file order; re-imports change only what changed")
    func continuationRecords() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-continuation", channel: "jd")
        // More orders between the rows of 250000000001 than the parser keeps open (4096), so
        // its third and fourth rows come as a continuation record of the order.
        func file(lastQuantity: String) -> String {
            var rows = [JDLayout.header.joined(separator: ","),
                        JDLayout.row("250000000001", "100001", "蓝牙耳机, 黑色", "2", "99.00", sku: "EAR-BLK"),
                        JDLayout.row("250000000001", "100002", "充电线", "1", "20.00", sku: "CBL-1M")]
            for n in 1...4100 {
                rows.append(JDLayout.row(String(260_000_000_000 + n), "200001", "手机壳", "1", "39.00", status: "等待出库",
                                         amount: "45.00", settle: "42.00", payable: "45.00", freight: "6.00"))
            }
            rows.append(JDLayout.row("250000000001", "100004", "贴膜(赠品)", "1", "0.00"))
            rows.append(JDLayout.row("250000000001", "100005", "耳机套", lastQuantity, "5.00"))
            return rows.joined(separator: "\r\n") + "\r\n"
        }
        let url = try SampleFiles.write(file(lastQuantity: "1"), name: "jd-far.csv", encoding: .gbk)
        let first = try await env.importFile(ImportRequest(file: url, format: .jd, storeCode: "s1"), tenant: tenant)
        #expect(first.records["orders"] == MergeCounts(read: 4101, inserted: 4101, updated: 0))
        let lineSQL = """
            SELECT l.line_no, l.product_id, l.quantity, a.line_amount
            FROM order_lines l JOIN orders o USING (tenant_id, order_id)
            LEFT JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            WHERE l.tenant_id = $1 AND o.order_no = '250000000001' ORDER BY l.line_no
            """
        let lines = try await env.ownerTexts(lineSQL, [tenant.id])
        #expect(lines.map { $0["line_no"] } == ["1", "2", "3", "4"])
        #expect(lines.map { $0["product_id"] } == ["100001", "100002", "100004", "100005"])
        #expect(lines.map { $0["line_amount"] } == ["19800", "2000", "0", "500"])
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 4101)
        #expect(counts["order_financials"] == 4101)
        #expect(counts["order_lines"] == 4104)
        let amount = try await env.ownerScalar(Int64.self, """
            SELECT f.order_amount FROM order_financials f JOIN orders o USING (tenant_id, order_id)
            WHERE o.tenant_id = $1 AND o.order_no = '250000000001'
            """, [tenant.id])
        #expect(amount == 21_800)

        let before = try await env.snapshot(tenant: tenant.id, ImportTables.records)
        let again = try await env.importFile(ImportRequest(file: url, format: .jd, storeCode: "s1"), tenant: tenant)
        #expect(again.records["orders"] == MergeCounts(read: 4101, inserted: 0, updated: 0))
        #expect(try await env.snapshot(tenant: tenant.id, ImportTables.records) == before)

        let changed = try SampleFiles.write(file(lastQuantity: "3"), name: "jd-far-changed.csv", encoding: .gbk)
        let third = try await env.importFile(ImportRequest(file: changed, format: .jd, storeCode: "s1"), tenant: tenant)
        #expect(third.records["orders"] == MergeCounts(read: 4101, inserted: 0, updated: 1))
        let relined = try await env.ownerTexts(lineSQL, [tenant.id])
        #expect(relined.map { $0["product_id"] } == ["100001", "100002", "100004", "100005"])
        #expect(relined.map { $0["quantity"] } == ["2", "1", "1", "3"])
        #expect(try await env.counts(tenant: tenant.id)["order_lines"] == 4104)
    }

    @Test("the same transaction key twice in one file: both kept with distinct keys, a re-import duplicates nothing")
    func duplicateKeysInOneFile() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("idem-dupkeys")
        // The fee row printed twice (two fees with the same 账务流水号), and one more sale.
        var rows = AlipayAccountLayout.rows
        rows.insert(rows[1], at: 2)
        let url = try SampleFiles.write(AlipayAccountLayout.file(rows: rows), name: "alipay-dups.csv", encoding: .gbk)
        let first = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(first.rowsRead == 6)
        #expect(first.records["transactions"] == MergeCounts(read: 6, inserted: 6, updated: 0))
        let keys = try await env.ownerTexts("""
            SELECT source_key, net FROM platform_transactions WHERE tenant_id = $1 AND transaction_no = '20241101000000000002'
            ORDER BY source_key
            """, [tenant.id])
        #expect(keys.map { $0["source_key"] } == ["alipay:20241101000000000002:fee", "alipay:20241101000000000002:fee#2"])
        #expect(keys.map { $0["net"] } == ["-773", "-773"])

        let again = try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        #expect(again.records["transactions"] == MergeCounts(read: 6, inserted: 0, updated: 0))
        #expect(again.records["transactions"]?.unchanged == 6)
        // A later file that carries the pair again (and one new row) adds only the new row.
        let later = rows + ["20241108000000000006\t,2024110811000000000006\t,T300003\t,\t,2024-11-08 08:00:00\t,\t,5.00\t,\t,1267.09\t,支付宝\t,在线支付\t,\t"]
        let third = try await env.importFile(
            ImportRequest(file: try SampleFiles.write(AlipayAccountLayout.file(rows: later), name: "alipay-later.csv", encoding: .gbk),
                          storeCode: "s1"), tenant: tenant)
        #expect(third.records["transactions"] == MergeCounts(read: 7, inserted: 1, updated: 0))
        let count = try await env.ownerScalar(Int.self, "SELECT count(*) FROM platform_transactions WHERE tenant_id = $1", [tenant.id])
        #expect(count == 7)
    }
}
