import Foundation
import Imports
import Ingest
import PostgresClient
import Tenancy
import Testing

/// Large files import with bounded memory: the parser streams, staging COPY buffers are flushed
/// at 1 MiB, and the merge runs in the server. Peak RSS of this (test) process, which runs the
/// importer, is measured around the import.
@Suite("Bounded memory on large files", .importsDatabase, .serialized)
struct BoundedMemoryTests {
    static var slowTestsEnabled: Bool { ProcessInfo.processInfo.environment["SHOPRECON_SLOW_TESTS"] == "1" }

    /// Generates a Taobao export of about `megabytes` MB, imports it and checks the growth of the
    /// peak RSS against `limitMB`; returns what it measured.
    static func importLargeFile(megabytes: Int64, limitMB: Int64, slug: String) async throws {
        let env = try ImportsEnvironment.get()
        let tenant = try await env.createTenant(slug)
        let dir = try SampleFiles.directory("imports-bulk")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ExportOrderList-large.csv")
        let rows = try BulkTaobaoFile.write(to: url, targetBytes: megabytes * 1_000_000)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int64)
        #expect(size >= megabytes * 1_000_000)

        let started = ContinuousClock.now
        let (summary, growth, baseline) = try await ProcessMemory.measureGrowth {
            try await env.importFile(ImportRequest(file: url, format: .taobao, storeCode: "s1"), tenant: tenant)
        }
        let seconds = (ContinuousClock.now - started)
        let mb = Double(growth) / 1_048_576
        print("bounded memory: \(size / 1_000_000) MB, \(rows) orders imported in \(seconds); peak RSS growth \(String(format: "%.1f", mb)) MiB over a baseline of \(baseline / 1_048_576) MiB")
        #expect(summary.rowsRead == rows)
        #expect(summary.records["orders"] == MergeCounts(read: rows, inserted: rows, updated: 0))
        #expect(growth < limitMB * 1_048_576, "peak RSS grew by \(mb) MiB importing \(size) bytes")
        let counts = try await env.counts(tenant: tenant.id, ["orders", "order_financials", "order_contacts", "order_lines"])
        #expect(counts == ["orders": rows, "order_financials": rows, "order_contacts": rows, "order_lines": rows])
        let total = try await env.ownerScalar(Int.self, "SELECT count(DISTINCT order_no) FROM orders WHERE tenant_id = $1", [tenant.id])
        #expect(total == rows)
    }

    @Test("a ~50 MB Taobao export imports with peak RSS growth under 150 MiB")
    func fiftyMegabytes() async throws {
        try await Self.importLargeFile(megabytes: 50, limitMB: 150, slug: "bulk-50")
    }

    @Test("a ~1 GB Taobao export imports with peak RSS growth under 300 MiB (SHOPRECON_SLOW_TESTS=1)",
          .enabled(if: slowTestsEnabled), .timeLimit(.minutes(60)))
    func oneGigabyte() async throws {
        try await Self.importLargeFile(megabytes: 1000, limitMB: 300, slug: "bulk-1g")
    }
}
