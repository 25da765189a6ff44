import DemoData
import Foundation
import Imports
import Ingest
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// A generated month in the real file layouts, imported through the importer the CLI uses and
/// reconciled: every planted exception must be found, and nothing else (no false exceptions on
/// the clean records and the noise: split payouts, missing references, partial refunds, ...).
@Suite(.engineDatabase, .serialized)
struct GroundTruthTests {
    /// Creates the merchant of `truth`, saves its mappings and rate card, imports every file.
    static func load(_ truth: DemoTruth, from folder: URL, slug: String) async throws -> EngineTenant {
        let env = try EngineEnvironment.get()
        let tenant = try await env.withOwner { owner in
            _ = try await TenantScope(connection: owner).asOperator(name: "truth-tests", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: truth.merchant, timeZone: truth.timeZone, currency: truth.currency, on: tx)
            }
            return try await TenantScope(connection: owner).asOperator(name: "truth-tests", tenant: slug) { tx, context in
                var ids: [String: Int64] = [:]
                for store in truth.stores {
                    ids[store.code] = try StoreDirectory.add(code: store.code, name: store.name, channel: store.channel,
                                                             currency: store.currency, context: context, on: tx).id
                }
                return EngineTenant(id: try context.requireTenant(), slug: slug, stores: ids)
            }
        }
        try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                for file in truth.files where file.role == "mapping" {
                    let data = try Data(contentsOf: folder.appendingPathComponent(file.name))
                    _ = try MappingDirectory.create(try JSONDecoder().decode(ColumnMapping.self, from: data), context: context, on: tx)
                }
                for file in truth.files where file.role == "rate_card" {
                    _ = try RateCardDirectory.save(try RateCardFile.read(path: folder.appendingPathComponent(file.name).path),
                                                   replaceAll: true, context: context, on: tx)
                }
            }
        }
        for file in truth.files where file.role == "import" {
            let request = ImportRequest(file: folder.appendingPathComponent(file.name), format: file.format.flatMap(FileFormat.init(rawValue:)),
                                        storeCode: file.store, mappingName: file.mapping)
            try await env.withApp { app in
                try await TenantScope(connection: app).with(tenant.system) { tx, context in
                    _ = try await Importer.run(request, context: context, on: tx)
                }
            }
        }
        return tenant
    }

    static func generate(orders: Int, seed: UInt64, period: String) throws -> (DemoTruth, URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("shoprecon-truth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let truth = try DemoGenerator(DemoOptions(orders: orders, seed: seed, period: try DemoPeriod(parsing: period))).write(to: folder)
        return (truth, folder)
    }

    /// `type reference` of every exception the run found, and of every planted one.
    static func compare(_ tenant: EngineTenant, _ truth: DemoTruth) async throws -> (found: [String], planted: [String]) {
        let found = try await EngineEnvironment.get().exceptions(tenant)
        let planted = truth.planted.map { "\($0.type) \($0.reference)" }.sorted()
        return (found, planted)
    }

    @Test("every planted exception is found and nothing else, across all three flows", arguments: [
        (1200, UInt64(7), "2026-10"), (700, UInt64(42), "2026-02"),
    ])
    func groundTruth(orders: Int, seed: UInt64, period: String) async throws {
        let (truth, folder) = try Self.generate(orders: orders, seed: seed, period: period)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tenant = try await Self.load(truth, from: folder, slug: "truth-\(seed)")
        let env = try EngineEnvironment.get()
        let result = try await env.run(tenant, RunRequest(period: try ReconPeriod(parsing: truth.period), asOf: truth.asOf))
        let (found, planted) = try await Self.compare(tenant, truth)
        let missed = Set(planted).subtracting(found).sorted()
        let extra = Set(found).subtracting(planted).sorted()
        #expect(missed.isEmpty, "planted but not found: \(missed)")
        #expect(extra.isEmpty, "found but not planted: \(extra)")
        #expect(found.count == planted.count)
        // Every type of the contract was planted and found.
        #expect(Set(truth.planted.map(\.type)) == Set(ExceptionType.allCases.map(\.rawValue)))
        #expect(result.exceptionsFound == truth.planted.count)
        // The noise was matched, not excepted: split payouts and unreferenced sales make matches of their own.
        #expect((result.matches["collections sum:day"] ?? 0) > 0)
        #expect((result.matches["collections split:day"] ?? 0) > 0)
        #expect((result.matches["orders amount+date"] ?? 0) > 0)

        // Exception amounts are those of the records.
        let amounts = try await env.ownerRows("""
            SELECT type || ' ' || reference, expected::text FROM recon_exceptions WHERE tenant_id = $1
            """, [tenant.id])
        var byKey: [String: String] = [:]
        for row in amounts { byKey[row[0] ?? ""] = row[1] }
        for item in truth.planted where ["missing_on_platform", "payout_not_in_bank"].contains(item.type) {
            #expect(byKey["\(item.type) \(item.reference)"] == String(item.amount), "\(item.type) \(item.reference)")
        }

        // A second run finds the same and adds nothing.
        let again = try await env.run(tenant, RunRequest(period: try ReconPeriod(parsing: truth.period), asOf: truth.asOf))
        #expect(again.exceptionsNew == 0)
        #expect(try await Self.compare(tenant, truth).found == found)
    }

    @Test("with the buyer rule and the goods check on, the same exceptions and nothing else")
    func groundTruthWithMatchKeys() async throws {
        let (truth, folder) = try Self.generate(orders: 1200, seed: 11, period: "2026-10")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tenant = try await Self.load(truth, from: folder, slug: "truth-keys")
        let env = try EngineEnvironment.get()
        _ = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconSettings.update([.looseMatchBuyer(true), .refundGoodsCheck(true)], context: context, on: tx)
            }
        }
        let result = try await env.run(tenant, RunRequest(period: try ReconPeriod(parsing: truth.period), asOf: truth.asOf))
        let (found, planted) = try await Self.compare(tenant, truth)
        #expect(Set(planted).subtracting(found).sorted() == [], "planted but not found")
        #expect(Set(found).subtracting(planted).sorted() == [], "found but not planted")
        // Every sale without a reference names its payer, who is the order's buyer.
        #expect((result.matches["orders amount+date+buyer"] ?? 0) > 0)
        #expect(result.matches["orders amount+date"] == nil)
        // The partial returns were judged by their goods, not skipped: one refunded twice over is found.
        let partial = try await env.ownerRows("""
            SELECT o.order_no
            FROM returns r JOIN orders o ON o.tenant_id = r.tenant_id AND recon_norm_ref(o.order_no) = recon_norm_ref(r.order_no)
            JOIN order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
            WHERE r.tenant_id = $1 AND r.received AND r.sku IS NOT NULL AND r.quantity < l.quantity
            ORDER BY o.order_no LIMIT 1
            """, [tenant.id])
        let order = try #require(partial.first?[0])
        try await env.owner("""
            UPDATE platform_transactions SET gross = 2 * gross, net = net + gross
            WHERE tenant_id = $1 AND type = 'refund' AND recon_norm_ref(order_ref) = recon_norm_ref($2)
            """, [tenant.id, order])
        try await env.run(tenant, RunRequest(period: try ReconPeriod(parsing: truth.period), asOf: truth.asOf))
        #expect(try await Self.compare(tenant, truth).found == (planted + ["refund_without_return \(order)"]).sorted())
    }
}
