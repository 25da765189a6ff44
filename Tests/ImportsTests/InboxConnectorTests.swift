import Foundation
import Imports
import Ingest
import Logging
import PostgresClient
import Tenancy
import Testing

/// Files dropped into a store's inbox folder are imported and moved to done/, failures to
/// failed/ with the error beside them.
@Suite("Inbox connector", .importsDatabase)
struct InboxConnectorTests {
    static let logger: Logger = {
        var logger = Logger(label: "imports-tests.inbox")
        logger.logLevel = .critical
        return logger
    }()

    static func regularFiles(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { (try $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false }
            .map(\.lastPathComponent).sorted()
    }

    @Test("imports the files, moves them to done/ and a bad one to failed/ with .error.txt; a second run imports nothing")
    func inbox() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("inbox")
        let inbox = try SampleFiles.directory("imports-inbox")
        defer { try? FileManager.default.removeItem(at: inbox) }
        let orders = (1...4).map { TaobaoLayout.order(day: $0) }
        try SampleFiles.write(TaobaoLayout.file(orders), name: "a-taobao-orders.csv", encoding: .gbk, in: inbox)
        try SampleFiles.write(AlipayAccountLayout.file(), name: "b-alipay-account.csv", encoding: .gbk, in: inbox)
        var bad = TaobaoLayout.order(day: 9)
        bad.total = "12,3x"
        try SampleFiles.write(TaobaoLayout.file([TaobaoLayout.order(day: 8), bad]), name: "c-bad-orders.csv", encoding: .gbk, in: inbox)
        try SampleFiles.write("partial upload", name: ".d-uploading.csv", in: inbox)

        let connector = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ConnectorDirectory.save(store: "s1", inbox: StoreConnector.Inbox(path: inbox.path), context: context, on: tx)
            }
        }
        #expect(connector.kind == .inbox)
        let config = try #require(connector.inbox)

        let outcome = try await env.withAppPool { pool in
            try await InboxConnector(store: "s1", inbox: config).run(pool: pool, context: tenant.system, logger: Self.logger)
        }
        #expect(outcome.imported == ["a-taobao-orders.csv", "b-alipay-account.csv"])
        #expect(outcome.failed == ["c-bad-orders.csv"])

        #expect(try Self.regularFiles(in: inbox) == [".d-uploading.csv"])
        #expect(try Self.regularFiles(in: inbox.appendingPathComponent("done")) == ["a-taobao-orders.csv", "b-alipay-account.csv"])
        #expect(try Self.regularFiles(in: inbox.appendingPathComponent("failed")) == ["c-bad-orders.csv", "c-bad-orders.csv.error.txt"])
        let message = try String(contentsOf: inbox.appendingPathComponent("failed/c-bad-orders.csv.error.txt"), encoding: .utf8)
        #expect(message.contains("c-bad-orders.csv line 3, column 总金额: \"12,3x\" is not an amount"), "\(message)")

        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["imports"] == 2)
        #expect(counts["orders"] == 4, "nothing of the failed file may be kept")
        #expect(counts["platform_transactions"] == 5)
        #expect(counts["payouts"] == 1)
        let files = try await env.ownerTexts("SELECT file_name, actor FROM imports WHERE tenant_id = $1 ORDER BY import_id", [tenant.id])
        #expect(files.map { $0["file_name"] } == ["a-taobao-orders.csv", "b-alipay-account.csv"])
        #expect(files.allSatisfy { $0["actor"] == "system:imports-tests" })

        // Nothing new: nothing imported, nothing moved.
        let again = try await env.withAppPool { pool in
            try await InboxConnector(store: "s1", inbox: config).run(pool: pool, context: tenant.system, logger: Self.logger)
        }
        #expect(again.imported.isEmpty)
        #expect(again.failed.isEmpty)
        #expect(try await env.counts(tenant: tenant.id) == counts)

        // The same file dropped again is imported (unchanged) and kept beside the first in done/.
        try FileManager.default.copyItem(at: inbox.appendingPathComponent("done/a-taobao-orders.csv"),
                                         to: inbox.appendingPathComponent("a-taobao-orders.csv"))
        let third = try await env.withAppPool { pool in
            try await InboxConnector(store: "s1", inbox: config).run(pool: pool, context: tenant.system, logger: Self.logger)
        }
        #expect(third.imported == ["a-taobao-orders.csv"])
        #expect(try Self.regularFiles(in: inbox.appendingPathComponent("done")).count == 3)
        let after = try await env.counts(tenant: tenant.id)
        #expect(after["orders"] == 4)
        #expect(after["imports"] == 3)
        let last = try await env.ownerTexts("""
            SELECT rows_inserted, rows_unchanged FROM imports WHERE tenant_id = $1 ORDER BY import_id DESC LIMIT 1
            """, [tenant.id])
        #expect(last.first?["rows_inserted"] == "0")
        #expect(last.first?["rows_unchanged"] == "4")
    }

    @Test("an inbox with a fixed format and a saved mapping imports mapped files")
    func inboxWithMapping() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("inbox-mapped", channel: "own")
        let inbox = try SampleFiles.directory("imports-inbox")
        defer { try? FileManager.default.removeItem(at: inbox) }
        try SampleFiles.write(MappedLayout.file, name: "export.csv", in: inbox)
        let config = StoreConnector.Inbox(path: inbox.path, format: "mapped", mapping: "own-shop-orders")
        try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                _ = try MappingDirectory.create(MappedLayout.mapping, context: context, on: tx)
                _ = try ConnectorDirectory.save(store: "s1", inbox: config, context: context, on: tx)
            }
        }
        let outcome = try await env.withAppPool { pool in
            try await InboxConnector(store: "s1", inbox: config).run(pool: pool, context: tenant.system, logger: Self.logger)
        }
        #expect(outcome.imported == ["export.csv"])
        #expect(outcome.failed.isEmpty)
        #expect(try await env.counts(tenant: tenant.id, ["orders", "order_lines"]) == ["orders": 2, "order_lines": 3])
    }
}
