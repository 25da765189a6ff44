import Foundation
import PostgresClient

/// The orders `shoprecon-bench rls` reports on: one measured tenant and a few others, their rows
/// interleaved in time as orders of many merchants arrive, generated from a seed.
struct RlsBenchData: Sendable {
    static let measuredTenant: Int64 = 1
    /// 2026-01-01 00:00:00 UTC; `created_at` falls in the year from here.
    static let baseUnixSeconds: Int64 = 1_767_225_600
    static let spanMicros: Int64 = 365 * 86_400 * 1_000_000
    static let statuses = ["cancelled", "completed", "paid", "refunded", "shipped"]
    /// How often each status occurs, out of 100.
    static let statusWeights = [5, 55, 15, 5, 20]
    private static let buyers = ["王伟", "李芳", "张娜", "刘秀英", "陈敏", "杨静", "赵丽", "黄强", "Alice Chen", "Bob",
                                 "欧阳子涵", "司马军"]

    let measuredRows: Int
    let otherTenants: Int
    let otherRows: Int
    let stores: Int
    let seed: UInt64

    var totalRows: Int { measuredRows + otherTenants * otherRows }

    /// Store ids are unique across tenants: tenant t has stores (t-1)*stores+1 ... t*stores.
    func storeIDs(tenant: Int64) -> [Int64] {
        (1...stores).map { (tenant - 1) * Int64(stores) + Int64($0) }
    }

    var measuredStoreIDs: [Int64] { storeIDs(tenant: Self.measuredTenant) }

    static let createSQL = """
        CREATE TABLE bench_orders (
            tenant_id  bigint      NOT NULL,
            order_id   bigint      NOT NULL,
            store_id   bigint      NOT NULL,
            order_no   text        NOT NULL,
            status     text        NOT NULL,
            amount_fen bigint      NOT NULL,
            buyer      text        NOT NULL,
            created_at timestamptz NOT NULL
        )
        """

    /// Creates `bench_orders` and loads it with binary COPY (before it is protected: COPY FROM
    /// refuses tables with row-level security); returns the measured tenant's expected report.
    func load(_ connection: isolated PostgresConnection) throws -> [RlsReportRow] {
        try connection.query(Self.createSQL)
        var random = SplitMix64(seed: seed)

        // Which tenant each row belongs to, in time order: exact counts, shuffled.
        var owners = [Int32](repeating: Int32(Self.measuredTenant), count: measuredRows)
        owners.reserveCapacity(totalRows)
        for tenant in 0..<otherTenants {
            owners.append(contentsOf: repeatElement(Int32(Self.measuredTenant) + 1 + Int32(tenant), count: otherRows))
        }
        owners.shuffle(using: &random)

        var nextOrder = [Int64](repeating: 0, count: otherTenants + 2)
        var report: [String: RlsReportRow] = [:]
        let step = Self.spanMicros / Int64(max(totalRows, 1))
        let baseMicros = Self.baseUnixSeconds * 1_000_000
        var cumulative: [Int] = []
        var total = 0
        for weight in Self.statusWeights { total += weight; cumulative.append(total) }

        let copied = try connection.copyIn("""
            COPY bench_orders (tenant_id, order_id, store_id, order_no, status, amount_fen, buyer, created_at)
            FROM STDIN (FORMAT binary)
            """) { writer in
            var encoder = PostgresBinaryCopyEncoder()
            for (index, owner) in owners.enumerated() {
                let tenant = Int64(owner)
                nextOrder[Int(owner)] += 1
                let orderID = nextOrder[Int(owner)]
                let storeID = (tenant - 1) * Int64(stores) + 1 + Int64(random.below(UInt64(stores)))
                let pick = Int(random.below(100))
                let status = Self.statuses[cumulative.firstIndex { pick < $0 }!]
                let amount = Int64(100 + random.below(500_000))
                let created = baseMicros + Int64(index) * step + Int64(random.below(UInt64(max(step, 1))))
                let buyer = Self.buyers[Int(random.below(UInt64(Self.buyers.count)))]

                encoder.beginRow(fieldCount: 8)
                encoder.append(tenant)
                encoder.append(orderID)
                encoder.append(storeID)
                encoder.append("T\(tenant)-\(orderID)")
                encoder.append(status)
                encoder.append(amount)
                encoder.append(buyer)
                encoder.appendTimestamp(unixMicroseconds: created)
                if encoder.bytes.count >= 1 << 18 { try writer.write(encoder.take()) }

                if tenant == Self.measuredTenant {
                    var row = report[status] ?? RlsReportRow(status: status, count: 0, sumAmountFen: 0,
                                                             minCreatedMicros: .max, maxCreatedMicros: .min)
                    row.count += 1
                    row.sumAmountFen += amount
                    row.minCreatedMicros = min(row.minCreatedMicros, created)
                    row.maxCreatedMicros = max(row.maxCreatedMicros, created)
                    report[status] = row
                }
            }
            encoder.finish()
            try writer.write(encoder.take())
        }
        guard copied == totalRows else { throw BenchFailure("COPY loaded \(copied) rows, expected \(totalRows)") }
        return report.values.sorted { $0.status < $1.status }
    }
}
