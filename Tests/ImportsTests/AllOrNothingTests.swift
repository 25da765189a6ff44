import Foundation
import Imports
import Ingest
import PostgresClient
import Synchronization
import Tenancy
import Testing

/// A bad row fails the whole import and leaves nothing behind; `skipBadRows` keeps the good
/// rows and lists the bad ones; a dry run reports and keeps nothing.
@Suite("All-or-nothing imports, skipped bad rows and dry runs", .importsDatabase)
struct AllOrNothingTests {
    /// `count` Taobao orders (numbers 10000001…); `badRows` puts a bad value into a column of some (1-based) data rows.
    static func orders(_ count: Int, badRows: [Int: (column: String, value: String)] = [:]) -> String {
        let rows = (1...count).map { n -> TaobaoRow in
            var row = TaobaoRow(number: String(10_000_000 + n))
            row.buyer = "buyer\(n)"
            row.title = "商品 \(n) 号, 标准款"
            if let bad = badRows[n] {
                switch bad.column {
                case "总金额": row.total = bad.value
                case "订单创建时间": row.created = bad.value
                case "宝贝总数量": row.quantity = bad.value
                default: break
                }
            }
            return row
        }
        return TaobaoLayout.file(rows)
    }

    @Test("a malformed amount fails the import naming file, line, column and value, and leaves nothing behind")
    func malformedRowLeavesNothing() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-fail")
        // 12000 rows: the staging COPY has flushed several 1 MiB buffers before the bad row near the end.
        let url = try SampleFiles.write(Self.orders(12_000, badRows: [11_990: ("总金额", "12,3x")]), name: "orders_bad.csv", encoding: .gbk)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int)
        #expect(size > 2 << 20, "the file should be several times the staging buffer (1 MiB)")

        try await env.withApp { app in
            let error = await expectThrows(IngestError.self) {
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    try await Importer.run(ImportRequest(file: url, storeCode: "s1"), context: context, on: tx)
                }
            }
            #expect(error?.file == "orders_bad.csv")
            #expect(error?.line == 11_991)  // header on line 1
            #expect(error?.column == "总金额")
            #expect(error?.value == "12,3x")
            #expect(error?.code == .badValue)
            #expect(error?.description.hasPrefix("orders_bad.csv line 11991, column 总金额: \"12,3x\" is not an amount") == true,
                    "\(String(describing: error))")
            // No staging tables survive on the connection that ran the import, and it works on.
            #expect(try await app.run { tx in try tx.temporaryTables() } == [])
            let good = try SampleFiles.write(Self.orders(3), name: "orders_good.csv", encoding: .gbk)
            let summary = try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try await Importer.run(ImportRequest(file: good, storeCode: "s1"), context: context, on: tx)
            }
            #expect(summary.records["orders"]?.inserted == 3)
            #expect(try await app.run { tx in try tx.temporaryTables() } == [])
        }
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["imports"] == 1, "only the good import is logged: \(counts)")
        #expect(counts["orders"] == 3)
        #expect(counts["order_financials"] == 3)
        #expect(counts["order_lines"] == 3)
        #expect(counts["import_rejects"] == 0)
        let files = try await env.ownerTexts("SELECT file_name FROM imports WHERE tenant_id = $1", [tenant.id])
        #expect(files.map { $0["file_name"] } == ["orders_good.csv"])
    }

    @Test("a database error while staging stops the parsing thread: the import fails with it and keeps nothing")
    func stagingFailureStopsParser() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-staging-fails")
        let emitted = Mutex(0)
        let request = ImportRequest(file: URL(fileURLWithPath: "broken.csv"), format: .taobao, storeCode: "s1", skipBadRows: true)
        try await env.withApp { app in
            let failure = await expectThrows(PostgresError.self) {
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    try await Importer.load(name: "broken.csv", request: request, context: context, on: tx) { _, _, onReject in
                        // Line numbers beyond `integer`: the first batch of rejects fails to insert.
                        for n in 1...1_000_000 {
                            try onReject(RejectedRow(position: SourcePosition(line: 3_000_000_000 + n),
                                                     error: IngestError(.badValue, "bad"), fields: []))
                            emitted.withLock { $0 += 1 }
                        }
                        return ParseReport(format: .taobao, container: "csv", rowCount: 1_000_000, rejectedCount: 1_000_000)
                    }
                }
            }
            #expect(failure?.sqlState == "22003")
            // No staging tables survive on the connection that ran the import.
            let tables = try await app.run { tx in try tx.temporaryTables() }
            #expect(tables == [])
        }
        #expect(emitted.withLock { $0 } < 1_000_000, "the parser was not stopped")
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["imports"] == 0)
        #expect(counts["import_rejects"] == 0)
    }

    @Test("a failed import inside the caller's transaction rolls back with it; nothing of either is kept")
    func failureRollsBackCallerTransaction() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-caller")
        let good = try SampleFiles.write(Self.orders(4), name: "good.csv", encoding: .gbk)
        let bad = try SampleFiles.write(Self.orders(4, badRows: [2: ("宝贝总数量", "两件")]), name: "bad.csv", encoding: .gbk)
        let error = await expectThrows(IngestError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    _ = try await Importer.run(ImportRequest(file: good, storeCode: "s1"), context: context, on: tx)
                    _ = try await Importer.run(ImportRequest(file: bad, storeCode: "s1"), context: context, on: tx)
                }
            }
        }
        #expect(error?.line == 3)
        #expect(error?.column == "宝贝总数量")
        #expect(error?.value == "两件")
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts.values.allSatisfy { $0 == 0 }, "\(counts)")
    }

    @Test("two imports in one caller transaction both load (staging tables do not collide)")
    func twoImportsInOneTransaction() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-two")
        let orders = try SampleFiles.write(Self.orders(4), name: "a.csv", encoding: .gbk)
        let more = try SampleFiles.write(TaobaoLayout.file((1...3).map { TaobaoLayout.order(day: $0) }), name: "b.csv", encoding: .gbk)
        let alipay = try SampleFiles.write(AlipayAccountLayout.file(), name: "c.csv", encoding: .gbk)
        let summaries = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                var out: [ImportSummary] = []
                for url in [orders, more, alipay] {
                    out.append(try await Importer.run(ImportRequest(file: url, storeCode: "s1"), context: context, on: tx))
                }
                return out
            }
        }
        #expect(summaries.map { $0.inserted } == [4, 3, 6])
        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 7)
        #expect(counts["platform_transactions"] == 5)
        #expect(counts["imports"] == 3)
    }

    @Test("skipBadRows: the good rows load; ImportLog.rejects lists each bad row with line, column, value and reason")
    func skipBadRows() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-skip")
        let text = Self.orders(6, badRows: [2: ("总金额", "12,3x"), 5: ("订单创建时间", "2024-13-45 10:00:00")])
        let url = try SampleFiles.write(text, name: "orders_mixed.csv", encoding: .gbk)
        let summary = try await env.importFile(ImportRequest(file: url, storeCode: "s1", skipBadRows: true), tenant: tenant)
        #expect(summary.rowsRead == 6)
        #expect(summary.rowsRejected == 2)
        #expect(summary.records["orders"] == MergeCounts(read: 4, inserted: 4, updated: 0))
        let importID = try #require(summary.importID)

        let (rejects, entry) = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                (try ImportLog.rejects(importID: importID, context: context, on: tx), try ImportLog.find(id: importID, context: context, on: tx))
            }
        }
        #expect(rejects.count == 2)
        #expect(rejects.map(\.line) == [3, 6])
        #expect(rejects.map(\.column) == ["总金额", "订单创建时间"])
        #expect(rejects.map(\.value) == ["12,3x", "2024-13-45 10:00:00"])
        #expect(rejects[0].reason.contains("is not an amount"), "\(rejects[0].reason)")
        #expect(!rejects[1].reason.isEmpty)
        #expect(entry.rejected == 2)
        #expect(entry.rowsRead == 6)
        #expect(entry.inserted == 4)

        let loaded = try await env.ownerTexts("SELECT order_no FROM orders WHERE tenant_id = $1 ORDER BY order_no", [tenant.id])
        #expect(loaded.map { $0["order_no"] } == ["10000001", "10000003", "10000004", "10000006"])
        let logged = try await env.ownerTexts("SELECT rows_rejected FROM imports WHERE tenant_id = $1", [tenant.id])
        #expect(logged.map { $0["rows_rejected"] } == ["2"])

        // Without skipBadRows the same file fails and adds nothing.
        let before = try await env.counts(tenant: tenant.id)
        let error = await expectThrows(IngestError.self) {
            try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        }
        #expect(error?.line == 3)
        #expect(try await env.counts(tenant: tenant.id) == before)
    }

    @Test("a dry run reports what would change and keeps nothing")
    func dryRun() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("aon-dry")
        let url = try SampleFiles.write(TaobaoLayout.file((1...5).map { TaobaoLayout.order(day: $0) }), name: "orders.csv", encoding: .gbk)

        try await env.withApp { app in
            let dry = try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try await Importer.run(ImportRequest(file: url, storeCode: "s1", dryRun: true), context: context, on: tx)
            }
            #expect(dry.dryRun)
            #expect(dry.importID == nil)
            #expect(dry.rowsRead == 5)
            #expect(dry.records["orders"] == MergeCounts(read: 5, inserted: 5, updated: 0))
            #expect(try await app.run { tx in try tx.temporaryTables() } == [])
        }
        let empty = try await env.counts(tenant: tenant.id)
        #expect(empty.values.allSatisfy { $0 == 0 }, "a dry run kept rows: \(empty)")

        // After a real import, a dry run of a changed file reports the change and keeps it out.
        try await env.importFile(ImportRequest(file: url, storeCode: "s1"), tenant: tenant)
        let before = try await env.snapshot(tenant: tenant.id)
        let changed = (1...6).map { day in TaobaoLayout.order(day: day, status: day == 2 ? "交易关闭" : "交易成功") }
        let changedURL = try SampleFiles.write(TaobaoLayout.file(changed), name: "orders2.csv", encoding: .gbk)
        let dry = try await env.importFile(ImportRequest(file: changedURL, storeCode: "s1", dryRun: true), tenant: tenant)
        #expect(dry.records["orders"] == MergeCounts(read: 6, inserted: 1, updated: 1))
        #expect(dry.records["orders"]?.unchanged == 4)
        #expect(try await env.snapshot(tenant: tenant.id) == before)
    }
}
