import Foundation

/// One generated row of `bench_pg`, in table column order.
struct PgBenchRow: Sendable, Equatable {
    var id: Int64
    var orderNo: String
    var storeID: Int32
    var buyer: String
    var amountFen: Int64
    var currency: String
    /// `created_at` as microseconds since the Unix epoch (UTC).
    var createdAtMicros: Int64
    var note: String?
}

/// The table every `pg` case loads; the same definition for all of them.
enum PgBenchTable {
    static let columns = "id, order_no, store_id, buyer, amount_fen, currency, created_at, note"
    static let columnCount = 8

    static func createSQL(_ table: String) -> String {
        """
        CREATE TABLE \(table) (
            id         bigint      NOT NULL,
            order_no   text        NOT NULL,
            store_id   integer     NOT NULL,
            buyer      text        NOT NULL,
            amount_fen bigint      NOT NULL,
            currency   text        NOT NULL,
            created_at timestamptz NOT NULL,
            note       text
        )
        """
    }
}

/// SplitMix64: tiny, fast and fully specified, so a seed means the same rows everywhere.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (the modulo bias is irrelevant here).
    mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }
}

/// Deterministic order-like rows: Chinese buyer names, refunds, NULL and empty notes, and notes
/// with every character the text and CSV formats must escape (tab, newline, CR, quote, comma,
/// backslash, a literal `\N`).
enum PgBenchData {
    /// 2026-11-01 00:00:00 UTC; `created_at` falls in the 30 days from here.
    static let baseUnixSeconds: Int64 = 1_793_491_200
    static let spanMicros: Int64 = 30 * 86_400 * 1_000_000

    private static let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "欧阳", "司马"]
    private static let givenNames = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "子涵"]
    private static let latinBuyers = ["Alice Chen", "Bob", "o'brien", "Zoë", "Li \"Lee\" Wei", "m.zhang@example.com"]
    private static let plainNotes = ["gift wrap", "请尽快发货", "leave at door", "发票抬头：上海某某有限公司", "no plastic",
                                     "周末送货", "call before delivery", "VIP"]
    private static let trickyNotes = [
        "size \"XL\", color red",
        "tab\tseparated\tvalues",
        "line one\nline two",
        "windows\r\nline end",
        "C:\\orders\\2026\\11",
        "\\N",
        "\\.",
        "comma, then \"quotes\", then 中文，全角逗号",
        "trailing backslash \\",
        "'single' and \"double\"",
        "  padded  ",
        "NULL",
    ]

    static func generate(count: Int, seed: UInt64) -> [PgBenchRow] {
        var rng = SplitMix64(seed: seed)
        var rows: [PgBenchRow] = []
        rows.reserveCapacity(count)
        var orderNo: [UInt8] = []
        orderNo.reserveCapacity(32)
        for index in 0..<count {
            let id = Int64(index + 1)
            let createdAt = baseUnixSeconds * 1_000_000 + Int64(rng.below(UInt64(spanMicros)))
            // Order number: T + yyyymmdd of created_at + 8-digit sequence, e.g. T2026110100012345.
            let (year, month, day) = ByteFormat.civil(days: Int(createdAt / 86_400_000_000))
            orderNo.removeAll(keepingCapacity: true)
            orderNo.append(UInt8(ascii: "T"))
            ByteFormat.appendDigits(UInt64(year), width: 4, to: &orderNo)
            ByteFormat.appendDigits(UInt64(month), width: 2, to: &orderNo)
            ByteFormat.appendDigits(UInt64(day), width: 2, to: &orderNo)
            ByteFormat.appendDigits(UInt64(id % 100_000_000), width: 8, to: &orderNo)

            let buyer: String
            switch rng.below(10) {
            case 0: buyer = latinBuyers[Int(rng.below(UInt64(latinBuyers.count)))]
            case 1: buyer = "buyer_\(rng.below(100_000))"
            default:
                buyer = surnames[Int(rng.below(UInt64(surnames.count)))]
                    + givenNames[Int(rng.below(UInt64(givenNames.count)))]
            }

            var amount = Int64(rng.below(1_000_000)) + 1  // up to 10,000.00 yuan
            if rng.below(20) == 0 { amount = -amount }       // 5% refunds

            let note: String?
            switch rng.below(100) {
            case 0..<20: note = nil
            case 20..<25: note = ""
            case 25..<35: note = trickyNotes[Int(rng.below(UInt64(trickyNotes.count)))]
            case 35..<45: note = "备注 #\(rng.below(1000))：客户要求\(rng.below(7) + 1)天内送达"
            default: note = plainNotes[Int(rng.below(UInt64(plainNotes.count)))]
            }

            rows.append(PgBenchRow(id: id,
                                   orderNo: String(decoding: orderNo, as: UTF8.self),
                                   storeID: Int32(rng.below(500) + 1),
                                   buyer: buyer,
                                   amountFen: amount,
                                   currency: "CNY",
                                   createdAtMicros: createdAt,
                                   note: note))
        }
        return rows
    }

    /// Writes the rows as a CSV file (`COPY ... WITH (FORMAT csv)`, no header). Returns its size.
    static func writeCSV(_ rows: [PgBenchRow], to url: URL) throws -> Int {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw BenchFailure("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20 + 4096)
        var total = 0
        for row in rows {
            ByteFormat.appendInteger(row.id, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendCSVField(row.orderNo, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendInteger(row.storeID, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendCSVField(row.buyer, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendInteger(row.amountFen, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendCSVField(row.currency, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendTimestamp(unixMicroseconds: row.createdAtMicros, to: &buffer)
            buffer.append(ByteFormat.comma)
            ByteFormat.appendCSVField(row.note, to: &buffer)
            buffer.append(ByteFormat.newline)
            if buffer.count >= 1 << 20 {
                try handle.write(contentsOf: buffer)
                total += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: buffer)
        total += buffer.count
        return total
    }
}

/// Aggregates that pin down the loaded data: the server computes them from the table, the
/// benchmark from the generated rows, and every case must match exactly.
struct PgBenchChecksums: Equatable, CustomStringConvertible {
    var rows: Int64 = 0
    var notes: Int64 = 0             // count(note): non-NULL notes
    var emptyNotes: Int64 = 0        // notes that are '' (not NULL)
    var sumID: Int64 = 0
    var sumStoreID: Int64 = 0
    var sumAmountFen: Int64 = 0
    var orderNoBytes: Int64 = 0
    var buyerBytes: Int64 = 0
    var buyerChars: Int64 = 0
    var noteBytes: Int64 = 0
    var noteChars: Int64 = 0
    var currencyBytes: Int64 = 0
    var createdAtSeconds: Int64 = 0  // sum of whole seconds since PgBenchData.baseUnixSeconds
    var createdAtMicros: Int64 = 0   // sum of the microsecond parts

    init() {}

    init(rows generated: [PgBenchRow]) {
        for row in generated {
            rows += 1
            sumID += row.id
            sumStoreID += Int64(row.storeID)
            sumAmountFen += row.amountFen
            orderNoBytes += Int64(row.orderNo.utf8.count)
            buyerBytes += Int64(row.buyer.utf8.count)
            buyerChars += Int64(row.buyer.unicodeScalars.count)
            currencyBytes += Int64(row.currency.utf8.count)
            createdAtSeconds += row.createdAtMicros / 1_000_000 - PgBenchData.baseUnixSeconds
            createdAtMicros += row.createdAtMicros % 1_000_000
            if let note = row.note {
                notes += 1
                if note.isEmpty { emptyNotes += 1 }
                noteBytes += Int64(note.utf8.count)
                noteChars += Int64(note.unicodeScalars.count)
            }
        }
    }

    /// The query computing the same aggregates on the server; `$1` is the base Unix second.
    static func sql(table: String) -> String {
        """
        SELECT count(*), count(note), count(*) FILTER (WHERE note = ''),
               coalesce(sum(id), 0), coalesce(sum(store_id), 0), coalesce(sum(amount_fen), 0),
               coalesce(sum(octet_length(order_no)), 0),
               coalesce(sum(octet_length(buyer)), 0), coalesce(sum(char_length(buyer)), 0),
               coalesce(sum(octet_length(note)), 0), coalesce(sum(char_length(note)), 0),
               coalesce(sum(octet_length(currency)), 0),
               coalesce(sum(floor(extract(epoch FROM created_at))::bigint - $1), 0),
               coalesce(sum((extract(epoch FROM created_at) * 1000000)::bigint % 1000000), 0)
        FROM \(table)
        """
    }

    var description: String {
        "rows=\(rows) notes=\(notes) empty_notes=\(emptyNotes) sum(id)=\(sumID) sum(store_id)=\(sumStoreID) "
            + "sum(amount_fen)=\(sumAmountFen) order_no_bytes=\(orderNoBytes) buyer_bytes=\(buyerBytes) "
            + "buyer_chars=\(buyerChars) note_bytes=\(noteBytes) note_chars=\(noteChars) "
            + "currency_bytes=\(currencyBytes) created_at_s=\(createdAtSeconds) created_at_us=\(createdAtMicros)"
    }
}
