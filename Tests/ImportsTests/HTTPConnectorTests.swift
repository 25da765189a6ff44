import Foundation
import Imports
import Ingest
import Logging
import PostgresClient
import Tenancy
import Testing

/// The HTTP connector against a platform API served on loopback by Hummingbird.
@Suite("HTTP connector against a mock platform API", .importsDatabase)
struct HTTPConnectorTests {
    static let logger: Logger = {
        var logger = Logger(label: "imports-tests.http")
        logger.logLevel = .critical
        return logger
    }()

    static let tokenVariable = "SHOPRECON_TEST_API_TOKEN"

    /// An order item as the API sends it: amounts as JSON numbers in major units.
    static func item(_ n: Int, amount: String, status: String = "paid") -> String {
        """
        {"order_number":"API-\(n)","status":"\(status)","created_at":"2024-11-20T10:0\(n):00+08:00","paid_amount":\(amount),\
        "order_amount":\(amount),"buyer_name":"客户\(n)","sku":"SKU-\(n)","quantity":1,"unit_price":\(amount),\
        "gift_wrap":false,"tags":["a"],"note":null}
        """
    }

    /// Saves the store's HTTP connector and returns its configuration.
    static func connect(_ tenant: TenantRef, url: String, pageSize: Int = 2, maxRetries: Int = 3) async throws -> StoreConnector.HTTP {
        let saved = try await ImportsEnvironment.get().withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ConnectorDirectory.save(store: "s1", http: StoreConnector.HTTP(url: url, resource: "orders", tokenEnv: tokenVariable,
                                                                                   pageSize: pageSize, maxRetries: maxRetries),
                                            context: context, on: tx)
            }
        }
        return try #require(saved.http)
    }

    static func storedCursor(_ tenant: TenantRef) async throws -> String? {
        try await ImportsEnvironment.get().withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ConnectorDirectory.list(store: "s1", context: context, on: tx).first?.cursor
            }
        }
    }

    @Test("pages by cursor through 429 and 503, saves the cursor with each page, resumes after a failure without duplicates")
    func pagingRetriesAndResume() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("http-sync", channel: "own")
        let api = MockPlatformAPI()
        await api.set(cursor: nil, [MockPlatformAPI.Reply(status: 429, headers: ["Retry-After": "1"], body: "{\"error\":\"slow down\"}"),
                                    .page([Self.item(1, amount: "19.99"), Self.item(2, amount: "0.1")], next: "c1", hasMore: true)])
        await api.set(cursor: "c1", [MockPlatformAPI.Reply(status: 503, body: "busy"),
                                     .page([Self.item(3, amount: "1"), Self.item(4, amount: "1234.5")], next: "c2", hasMore: true)])
        // Page 3 fails for good: the sync stops as if it had crashed after page 2.
        await api.set(cursor: "c2", [MockPlatformAPI.Reply(status: 400, body: "{\"error\":\"maintenance\"}")])
        let tenantID = tenant.id
        await api.observe {
            try? await env.ownerScalar(String?.self, "SELECT cursor FROM store_connectors WHERE tenant_id = $1", [tenantID])
        }

        try await MockPlatformServer.with(api) { url in
            let config = try await Self.connect(tenant, url: url)
            let connector = HTTPConnector(store: "s1", config: config, environment: [Self.tokenVariable: "tok-123"], maxDelay: 5)
            let failure = await expectThrows(ImportError.self) {
                try await env.withAppPool { pool in
                    _ = try await connector.run(pool: pool, context: tenant.system, startCursor: try await Self.storedCursor(tenant),
                                                logger: Self.logger)
                }
            }
            #expect(failure?.description.contains("HTTP 400") == true, "\(String(describing: failure))")

            let seen = await api.seen
            #expect(seen.map(\.cursor) == [nil, nil, "c1", "c1", "c2"])
            #expect(seen.map(\.status) == [429, 200, 503, 200, 400])
            #expect(seen.allSatisfy { $0.authorization == "Bearer tok-123" }, "\(seen.map(\.authorization))")
            #expect(seen.allSatisfy { $0.limit == "2" })
            // Retry-After: 1 was honoured.
            let waited = (seen[1].at - seen[0].at)
            #expect(waited >= .milliseconds(990), "retried after \(waited)")
            #expect(waited < .seconds(5))
            // The stored cursor advanced with each committed page, before the next page was asked for.
            #expect(seen.map(\.observed) == [nil, nil, "c1", "c1", "c2"])
            #expect(try await Self.storedCursor(tenant) == "c2")
            #expect(try await env.counts(tenant: tenant.id, ["orders", "imports"]) == ["orders": 4, "imports": 2])

            // The platform is back: a new sync resumes at the stored cursor and finishes.
            await api.set(cursor: "c2", [.page([Self.item(4, amount: "1234.5", status: "shipped"), Self.item(5, amount: "88.88")],
                                               next: "c3", hasMore: false)])
            let outcome = try await env.withAppPool { pool in
                try await connector.run(pool: pool, context: tenant.system, startCursor: try await Self.storedCursor(tenant),
                                        logger: Self.logger)
            }
            #expect(outcome.pages == 1)
            #expect(outcome.items == 2)
            #expect(outcome.cursor == "c3")
            let resumed = await api.seen.dropFirst(seen.count)
            #expect(resumed.map(\.cursor) == ["c2"], "the resumed sync asked for \(resumed.map(\.cursor))")
            #expect(try await Self.storedCursor(tenant) == "c3")
        }

        let counts = try await env.counts(tenant: tenant.id)
        #expect(counts["orders"] == 5, "\(counts)")
        #expect(counts["order_financials"] == 5)
        #expect(counts["order_lines"] == 5)
        #expect(counts["imports"] == 3)
        let orders = try await env.ownerTexts("""
            SELECT o.order_no, o.status, o.channel, f.paid_amount, a.unit_price, l.quantity, c.buyer_name,
                   to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS created
            FROM orders o JOIN order_financials f USING (tenant_id, order_id) JOIN order_contacts c USING (tenant_id, order_id)
            JOIN order_lines l USING (tenant_id, order_id) JOIN order_line_amounts a USING (tenant_id, order_id, line_no)
            WHERE o.tenant_id = $1 ORDER BY o.order_no
            """, [tenant.id])
        #expect(orders.map { $0["order_no"] } == ["API-1", "API-2", "API-3", "API-4", "API-5"])
        #expect(orders.map { $0["paid_amount"] } == ["1999", "10", "100", "123450", "8888"])
        #expect(orders.map { $0["unit_price"] } == ["1999", "10", "100", "123450", "8888"])
        #expect(orders.map { $0["quantity"] } == ["1", "1", "1", "1", "1"])
        #expect(orders.map { $0["status"] } == ["paid", "paid", "paid", "shipped", "paid"])
        #expect(orders[0]["buyer_name"] == "客户1")
        #expect(orders[0]["created"] == "2024-11-20 10:01")
        let logged = try await env.ownerTexts("SELECT format, rows_read FROM imports WHERE tenant_id = $1 ORDER BY import_id", [tenant.id])
        #expect(logged.map { $0["format"] } == ["mapped", "mapped", "mapped"])
        #expect(logged.map { $0["rows_read"] } == ["2", "2", "2"])
    }

    @Test("without the token in the environment nothing is requested")
    func missingToken() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("http-token", channel: "own")
        let api = MockPlatformAPI()
        await api.set(cursor: nil, [.page([Self.item(1, amount: "1.00")], next: nil, hasMore: false)])
        try await MockPlatformServer.with(api) { url in
            let config = try await Self.connect(tenant, url: url)
            let error = await expectThrows(ImportError.self) {
                try await env.withAppPool { pool in
                    _ = try await HTTPConnector(store: "s1", config: config, environment: [:], maxDelay: 1)
                        .run(pool: pool, context: tenant.system, startCursor: nil, logger: Self.logger)
                }
            }
            #expect(error?.description.contains(Self.tokenVariable) == true)
            #expect(await api.seen.isEmpty)
        }
        #expect(try await env.counts(tenant: tenant.id, ["orders"]) == ["orders": 0])
    }

    @Test("a platform that stays unavailable fails after maxRetries and keeps the cursor")
    func retriesExhausted() async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant("http-down", channel: "own")
        let api = MockPlatformAPI()
        await api.set(cursor: nil, [.page([Self.item(1, amount: "1.00")], next: "p1", hasMore: true)])
        await api.set(cursor: "p1", [MockPlatformAPI.Reply(status: 503, headers: ["Retry-After": "0"], body: "down")])
        try await MockPlatformServer.with(api) { url in
            let config = try await Self.connect(tenant, url: url, maxRetries: 2)
            let error = await expectThrows(ImportError.self) {
                try await env.withAppPool { pool in
                    _ = try await HTTPConnector(store: "s1", config: config, environment: [Self.tokenVariable: "t"], maxDelay: 1)
                        .run(pool: pool, context: tenant.system, startCursor: nil, logger: Self.logger)
                }
            }
            #expect(error?.description.contains("still failing after 3 attempts") == true, "\(String(describing: error))")
            #expect(await api.seen.map(\.status) == [200, 503, 503, 503])
            #expect(try await Self.storedCursor(tenant) == "p1")
        }
        #expect(try await env.counts(tenant: tenant.id, ["orders"]) == ["orders": 1])
    }
}
