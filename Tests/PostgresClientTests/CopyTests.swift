import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("COPY in and out", .freshDatabase(), .timeLimit(.minutes(1)))
struct CopyTests {
    static let rowCount = 100_000

    /// The row every COPY test writes for `i`, so the data can be regenerated for comparison
    /// instead of being kept in memory.
    struct Row: Equatable {
        var id: Int64
        var name: String
        var note: String?
        var unixMicros: Int64

        static let strings = trickyStrings.filter { $0.utf8.count < 200 }

        init(_ i: Int) {
            id = Int64(i) * 3 - 150_000
            name = Self.strings[i % Self.strings.count] + String(i)
            note = i.isMultiple(of: 7) ? nil : Self.strings[(i * 11 + 5) % Self.strings.count]
            unixMicros = 1_600_000_000_000_000 + Int64(i) * 1_234_567 - (i.isMultiple(of: 2) ? 2_000_000_000_000_000 : 0)
        }
    }

    private func createTable(_ connection: PostgresConnection) async throws -> String {
        let table = uniqueName("copy")
        try await connection.query("""
            CREATE TABLE \(table) (
                id bigint PRIMARY KEY, name text NOT NULL, note text,
                at timestamptz NOT NULL DEFAULT '2000-01-01 00:00:00+00')
            """)
        return table
    }

    @Test("100,000 rows COPY in binary format and COPY out in text format unchanged")
    func binaryRoundTrip() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let copied = try await connection.isolated { connection in
                try connection.copyIn("COPY \(table) (id, name, note, at) FROM STDIN (FORMAT binary)") { writer in
                    var encoder = PostgresBinaryCopyEncoder()
                    for i in 0..<Self.rowCount {
                        let row = Row(i)
                        encoder.beginRow(fieldCount: 4)
                        encoder.append(row.id)
                        encoder.append(row.name)
                        if let note = row.note { encoder.append(note) } else { encoder.appendNull() }
                        encoder.appendTimestamp(unixMicroseconds: row.unixMicros)
                        if i % 5_000 == 4_999 { try writer.write(encoder.take()) }
                    }
                    encoder.finish()
                    try writer.write(encoder.take())
                }
            }
            #expect(copied == Self.rowCount)
            try await verify(table: table, on: connection, withTimestamps: true)
        }
    }

    @Test("100,000 rows COPY in text format and COPY out in text format unchanged")
    func textRoundTrip() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let copied = try await connection.isolated { connection in
                try connection.copyIn("COPY \(table) (id, name, note) FROM STDIN") { writer in
                    var buffer: [UInt8] = []
                    for i in 0..<Self.rowCount {
                        let row = Row(i)
                        PostgresTextCopyEncoder.appendRow([String(row.id), row.name, row.note], to: &buffer)
                        if buffer.count > 64 * 1024 {
                            try writer.write(buffer)
                            buffer.removeAll(keepingCapacity: true)
                        }
                    }
                    try writer.write(buffer)
                }
            }
            #expect(copied == Self.rowCount)
            try await verify(table: table, on: connection, withTimestamps: false)
        }
    }

    /// Reads the whole table back with `COPY ... TO STDOUT` in text format, decodes every field
    /// with the server's escaping rules and compares it with the rows that were sent; then checks
    /// aggregates computed by the server against the same rows.
    private func verify(table: String, on connection: PostgresConnection, withTimestamps: Bool) async throws {
        let (rows, mismatches, firstMismatch) = try await connection.isolated { connection in
            var seen = 0
            var mismatches = 0
            var firstMismatch: String?
            let exported = try connection.copyOut("""
                COPY (SELECT id, name, note, (extract(epoch FROM at) * 1000000)::bigint FROM \(table) ORDER BY id) TO STDOUT
                """) { chunk in
                let fields = CopyText.decodeRow(chunk)
                let expected = Row(seen)
                let expectedFields: [[UInt8]?] = [
                    utf8Bytes(String(expected.id)), utf8Bytes(expected.name), utf8Bytes(expected.note),
                    utf8Bytes(String(withTimestamps ? expected.unixMicros : 946_684_800_000_000)),
                ]
                if fields != expectedFields {
                    mismatches += 1
                    if firstMismatch == nil {
                        firstMismatch = "row \(seen): got \(fields.map { $0.map { String(decoding: $0, as: UTF8.self) } })"
                    }
                }
                seen += 1
            }
            #expect(exported == seen)
            return (seen, mismatches, firstMismatch)
        }
        #expect(rows == Self.rowCount)
        #expect(mismatches == 0, "first mismatch: \(firstMismatch ?? "-")")

        // Independent of the COPY OUT decoding: the server's own view of the data, against the
        // same figures computed here (on the connection's thread, off the cooperative pool).
        let expected = await connection.isolated { _ in
            var figures = (nameBytes: 0, noteBytes: 0, notes: 0, idSum: Int64(0), emptyNotes: 0, backslashN: 0)
            for i in 0..<Self.rowCount {
                let row = Row(i)
                figures.nameBytes += row.name.utf8.count
                figures.idSum += row.id
                if row.name.utf8.starts(with: "\\N".utf8) { figures.backslashN += 1 }
                if let note = row.note {
                    figures.notes += 1
                    figures.noteBytes += note.utf8.count
                    if note.isEmpty { figures.emptyNotes += 1 }
                }
            }
            return figures
        }
        let totals = try await connection.query("""
            SELECT count(*), count(note), sum(octet_length(name))::bigint, coalesce(sum(octet_length(note)), 0)::bigint,
                   sum(id)::bigint, count(*) FILTER (WHERE note = '') , count(*) FILTER (WHERE name LIKE '\\\\N%')
            FROM \(table)
            """)[0]
        let (count, noteCount, nameLength, noteLength, ids, emptyNotes, backslashN) =
            try totals.decode((Int, Int, Int, Int, Int64, Int, Int).self)
        #expect(count == Self.rowCount)
        #expect(noteCount == expected.notes)
        #expect(nameLength == expected.nameBytes)
        #expect(noteLength == expected.noteBytes)
        #expect(ids == expected.idSum)
        #expect(emptyNotes == expected.emptyNotes)
        #expect(emptyNotes > 0, "the data set should contain empty strings next to NULLs")
        #expect(backslashN == expected.backslashN)
        #expect(backslashN > 0, "the data set should contain the literal text \\N")
    }

    @Test("the binary encoder writes every type it supports as the server reads it")
    func binaryEncoderTypes() async throws {
        try await withConnection { connection in
            let table = uniqueName("types")
            try await connection.query("""
                CREATE TABLE \(table) (n int, b bool, i2 smallint, i4 integer, i8 bigint, t text, ts timestamptz, ts2 timestamptz, d date)
                """)
            let dates = [Date(timeIntervalSince1970: 1_700_000_000.123456), Date(timeIntervalSince1970: -1_234_567.000001),
                         Date(timeIntervalSince1970: 946_684_800)]
            let copied = try await connection.isolated { connection in
                try connection.copyIn("COPY \(table) FROM STDIN (FORMAT binary)") { writer in
                    var encoder = PostgresBinaryCopyEncoder()
                    let samples: [(Bool, Int16, Int32, Int64, String, Int32)] = [
                        (true, .min, .min, .min, "淘宝订单，退款！", -10_958),
                        (false, .max, .max, .max, "", 0),
                        (true, -1, -1, -1, "tab\tnl\n\\", 19_675),
                    ]
                    for (n, sample) in samples.enumerated() {
                        encoder.beginRow(fieldCount: 9)
                        encoder.append(Int32(n))
                        encoder.append(sample.0)
                        encoder.append(sample.1)
                        encoder.append(sample.2)
                        encoder.append(sample.3)
                        encoder.append(sample.4)
                        encoder.append(dates[n])
                        encoder.appendTimestamp(unixMicroseconds: microseconds(dates[n]))
                        encoder.appendDate(daysSinceUnixEpoch: sample.5)
                    }
                    encoder.beginRow(fieldCount: 9)
                    encoder.append(Int32(3))
                    for _ in 0..<8 { encoder.appendNull() }
                    encoder.finish()
                    try writer.write(encoder.take())
                }
            }
            #expect(copied == 4)
            let rows = try await connection.query("SELECT b, i2, i4, i8, t, ts, ts2, d::text FROM \(table) ORDER BY n")
            let decoded = try rows.map { try $0.decode((Bool?, Int16?, Int32?, Int64?, String?, Date?, Date?, String?).self) }
            #expect(decoded[0].0 == true && decoded[0].1 == .min && decoded[0].2 == .min && decoded[0].3 == .min)
            #expect(decoded[1].0 == false && decoded[1].1 == .max && decoded[1].2 == .max && decoded[1].3 == .max)
            #expect(decoded[2].1 == -1 && decoded[2].2 == -1 && decoded[2].3 == -1)
            #expect(decoded.prefix(3).map(\.4) == ["淘宝订单，退款！", "", "tab\tnl\n\\"])
            #expect(decoded.prefix(3).map { $0.5.map(microseconds) } == dates.map(microseconds))
            #expect(decoded.prefix(3).map { $0.6.map(microseconds) } == dates.map(microseconds))
            #expect(decoded.prefix(3).map(\.7) == ["1940-01-01", "1970-01-01", "2023-11-14"])
            let last = decoded[3]
            #expect(last.0 == nil && last.1 == nil && last.2 == nil && last.3 == nil)
            #expect(last.4 == nil && last.5 == nil && last.6 == nil && last.7 == nil)
        }
    }

    @Test("a COPY whose body throws leaves no rows behind and the connection usable")
    func copyInBodyThrows() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let error = await #expect(throws: DeliberateFailure.self) {
                try await connection.isolated { connection in
                    try connection.copyIn("COPY \(table) (id, name, note) FROM STDIN") { writer in
                        var buffer: [UInt8] = []
                        for i in 0..<20_000 {  // well over one 256 KiB chunk, so data did reach the server
                            let row = Row(i)
                            PostgresTextCopyEncoder.appendRow([String(row.id), row.name, row.note], to: &buffer)
                        }
                        try writer.write(buffer)
                        #expect(writer.bytesSent > 0)
                        throw DeliberateFailure(tag: "copy-in")
                    }
                }
            }
            #expect(error == DeliberateFailure(tag: "copy-in"))
            #expect(await !connection.isBroken)
            #expect(await !connection.isInTransaction)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 0)
            // Still fully usable, COPY included.
            let copied = try await connection.isolated { connection in
                try connection.copyIn("COPY \(table) (id, name, note) FROM STDIN") { writer in
                    try writer.write("1\tone\t\\N\n2\ttwo\tzwei\n")
                }
            }
            #expect(copied == 2)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 2)
        }
    }

    @Test("a COPY the server rejects throws its error and keeps nothing")
    func copyInServerError() async throws {
        try await withConnection { connection in
            let table = try await createTable(connection)
            let error = await #expect(throws: PostgresError.self) {
                try await connection.isolated { connection in
                    try connection.copyIn("COPY \(table) (id, name, note) FROM STDIN") { writer in
                        try writer.write("1\tfine\t\\N\n")
                        try writer.write("not-a-number\tbad\t\\N\n")
                    }
                }
            }
            #expect(error?.code == .server)
            #expect(error?.sqlState == "22P02")
            #expect(error?.serverInfo?[.context]?.contains("COPY") == true)
            #expect(await !connection.isBroken)
            #expect(try await connection.scalar(Int.self, "SELECT count(*) FROM \(table)") == 0)

            let notCopy = await #expect(throws: PostgresError.self) {
                try await connection.isolated { connection in
                    try connection.copyIn("SELECT 1") { _ in }
                }
            }
            #expect(notCopy?.code == .protocolViolation)
            #expect(try await connection.scalar(Int.self, "SELECT 2") == 2)
        }
    }

    @Test("copyOut whose body throws mid-stream stops and leaves the connection usable")
    func copyOutBodyThrows() async throws {
        try await withConnection { connection in
            let (error, chunksSeen) = await connection.isolated { connection in
                var chunks = 0
                do {
                    try connection.copyOut(
                        "COPY (SELECT g, repeat('x', 200) FROM generate_series(1, 2000000) g) TO STDOUT") { _ in
                        chunks += 1
                        if chunks == 1_000 { throw DeliberateFailure(tag: "copy-out") }
                    }
                    return (nil as DeliberateFailure?, chunks)
                } catch {
                    return (error as? DeliberateFailure, chunks)
                }
            }
            #expect(error == DeliberateFailure(tag: "copy-out"))
            #expect(chunksSeen == 1_000, "the body must not be called again after it threw")
            #expect(await !connection.isBroken)
            #expect(await !connection.isInTransaction)
            // The cancel sent to stop the COPY must not hit the statements that follow.
            for n in 0..<20 {
                #expect(try await connection.scalar(Int.self, "SELECT $1::int + 1", [n]) == n + 1)
            }
            let count = try await connection.isolated { connection in
                try connection.copyOut("COPY (SELECT g FROM generate_series(1, 10) g) TO STDOUT") { _ in }
            }
            #expect(count == 10)
        }
    }
}

/// Decoding of PostgreSQL's COPY text format, written from the documentation rather than
/// from ``PostgresTextCopyEncoder``, so the round trip checks the server's view.
enum CopyText {
    /// One row (a COPY OUT chunk, ending in a newline) as fields; `nil` is `\N`.
    static func decodeRow(_ chunk: UnsafeRawBufferPointer) -> [[UInt8]?] {
        var bytes = Array(chunk)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        return bytes.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { decodeField(Array($0)) }
    }

    static func decodeField(_ raw: [UInt8]) -> [UInt8]? {
        if raw == [UInt8(ascii: "\\"), UInt8(ascii: "N")] { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\"), i + 1 < raw.count else {
                out.append(byte)
                i += 1
                continue
            }
            let next = raw[i + 1]
            i += 2
            switch next {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(next - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, i < raw.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(raw[i]) {
                    value = value * 8 + Int(raw[i] - UInt8(ascii: "0"))
                    i += 1
                    digits += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                var value = 0
                var digits = 0
                while digits < 2, i < raw.count, let digit = Int(String(UnicodeScalar(raw[i])), radix: 16) {
                    value = value * 16 + digit
                    i += 1
                    digits += 1
                }
                if digits == 0 { out.append(UInt8(ascii: "x")) } else { out.append(UInt8(value)) }
            default:
                out.append(next)
            }
        }
        return out
    }
}
