import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

/// Values go to the server as parameters and come back unchanged.
@Suite("Parameters", .freshDatabase(), .timeLimit(.minutes(1)))
struct ParameterTests {
    @Test("tricky strings round-trip through SELECT $1::text and the server sees the same bytes")
    func stringsRoundTripThroughSelect() async throws {
        try await withConnection { connection in
            for text in trickyStrings {
                let row = try await connection.query(
                    "SELECT $1::text, octet_length($1::text), $1::text = convert_from($2::bytea, 'UTF8')",
                    [text, Data(text.utf8)])[0]
                let (echo, length, same) = try row.decode((String, Int, Bool).self)
                #expect(utf8Bytes(echo) == utf8Bytes(text), "round trip changed \(text.debugDescription)")
                #expect(length == text.utf8.count, "server saw \(length) bytes for \(text.debugDescription)")
                #expect(same, "server saw different text for \(text.debugDescription)")
            }
        }
    }

    @Test("tricky strings survive a table round trip and an injection attempt leaves the table alone")
    func stringsRoundTripThroughTable() async throws {
        try await withConnection { connection in
            let table = uniqueName("strings")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, v text)")
            let values = trickyStrings + [
                "'; DROP TABLE \(table); --",
                "x'); DROP TABLE \(table); --",
                "\\'; DROP TABLE \(table); --",
            ]
            for (id, value) in values.enumerated() {
                try await connection.query("INSERT INTO \(table) (id, v) VALUES ($1, $2)", [id, value])
            }
            let exists = try await connection.scalar(Bool.self, "SELECT to_regclass($1) IS NOT NULL", [table])
            #expect(exists)

            let rows = try await connection.query("SELECT id, v FROM \(table) ORDER BY id")
            #expect(rows.count == values.count)
            for row in rows {
                let (id, value) = try row.decode((Int, String).self)
                #expect(utf8Bytes(value) == utf8Bytes(values[id]))
            }
            // Looking a value up by parameter finds exactly that row.
            for (id, value) in values.enumerated() {
                let found = try await connection.query("SELECT id FROM \(table) WHERE v = $1", [value])
                #expect(try found.map { try $0.decode(Int.self, at: 0) } == [id], "lookup of \(value.debugDescription)")
            }
        }
    }

    @Test("the empty string and NULL stay different")
    func emptyStringVersusNull() async throws {
        try await withConnection { connection in
            let table = uniqueName("empty_null")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, v text)")
            let none: String? = nil
            try await connection.query("INSERT INTO \(table) VALUES ($1, $2), ($3, $4), ($5, $6)",
                                       [1, "", 2, none, 3, PostgresNull()])
            let rows = try await connection.query("SELECT v, v IS NULL, coalesce(length(v), -1) FROM \(table) ORDER BY id")
            let decoded = try rows.map { try $0.decode((String?, Bool, Int).self) }
            #expect(decoded.map(\.0) == ["", nil, nil])
            #expect(decoded.map(\.1) == [false, true, true])
            #expect(decoded.map(\.2) == [0, -1, -1])

            let echo = try await connection.query("SELECT $1::text, $2::text, $1::text IS NULL, $2::text IS NULL", ["", none])[0]
            #expect(try echo.decode(String?.self, at: 0) == "")
            #expect(try echo.decode(String?.self, at: 1) == nil)
            #expect(try echo.decode(Bool.self, at: 2) == false)
            #expect(try echo.decode(Bool.self, at: 3) == true)
        }
    }

    @Test("integers keep their extremes")
    func integerBounds() async throws {
        try await withConnection { connection in
            for value in [Int.min, Int.min + 1, -1, 0, 1, Int.max - 1, Int.max] {
                let row = try await connection.query("SELECT $1::bigint, $1::bigint::text", [value])[0]
                #expect(try row.decode(Int.self, at: 0) == value)
                #expect(try row.decode(String.self, at: 1) == String(value))
            }
            for value in [Int64.min, Int64(-42), Int64.max] {
                #expect(try await connection.scalar(Int64.self, "SELECT $1::bigint", [value]) == value)
            }
            #expect(try await connection.scalar(Bool.self, "SELECT $1::bigint = -9223372036854775808", [Int64.min]))

            let table = uniqueName("ints")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, i4 integer, i2 smallint, i8 bigint)")
            let samples: [(Int32, Int16, Int64)] = [(.min, .min, .min), (0, 0, 0), (.max, .max, .max), (-1, -1, -1)]
            for (id, sample) in samples.enumerated() {
                try await connection.query("INSERT INTO \(table) VALUES ($1, $2, $3, $4)", [id, sample.0, sample.1, sample.2])
            }
            let rows = try await connection.query("SELECT i4, i2, i8 FROM \(table) ORDER BY id")
            for (row, sample) in zip(rows, samples) {
                let (i4, i2, i8) = try row.decode((Int32, Int16, Int64).self)
                #expect(i4 == sample.0 && i2 == sample.1 && i8 == sample.2)
            }
            // A value that does not fit the column is the server's error, not a silent truncation.
            let overflow = await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO \(table) (id, i4) VALUES (99, $1)", [Int64(Int32.max) + 1])
            }
            #expect(overflow?.sqlState == "22003")
        }
    }

    @Test("booleans and doubles round-trip exactly")
    func boolsAndDoubles() async throws {
        try await withConnection { connection in
            for flag in [true, false] {
                let row = try await connection.query("SELECT $1::bool, NOT $1::bool, $1::bool::text", [flag])[0]
                #expect(try row.decode((Bool, Bool).self) == (flag, !flag))
                #expect(try row.decode(String.self, at: 2) == (flag ? "true" : "false"))
            }
            let doubles: [Double] = [0, -0.0, 0.1, -1.5, .pi, 1e300, -1e-300, 123_456_789.123_456_79,
                                     .greatestFiniteMagnitude, .leastNormalMagnitude, .leastNonzeroMagnitude,
                                     .infinity, -.infinity]
            for value in doubles {
                let echoed = try await connection.scalar(Double.self, "SELECT $1::float8", [value])
                #expect(echoed.bitPattern == value.bitPattern, "\(value) came back as \(echoed)")
            }
            #expect(try await connection.scalar(Double.self, "SELECT $1::float8", [Double.nan]).isNaN)
            #expect(try await connection.scalar(Bool.self, "SELECT $1::float8 = 0.1::float8", [0.1]))
        }
    }

    @Test("timestamps keep their microseconds and instant")
    func dates() async throws {
        try await withConnection { connection in
            let table = uniqueName("times")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, at timestamptz NOT NULL)")
            // Microseconds since the Unix epoch; the expected server-side epoch text alongside.
            let samples: [(micros: Int64, epoch: String)] = [
                (1_700_000_000_123_456, "1700000000.123456"),
                (1_700_000_000_000_001, "1700000000.000001"),
                (0, "0.000000"),
                (-1, "-0.000001"),
                (-1_234_567_654_321, "-1234567.654321"),
                (951_782_400_999_999, "951782400.999999"),  // 2000-02-29 00:00:00.999999 UTC
                (-2_208_988_800_000_000, "-2208988800.000000"),  // 1900-01-01
                (4_102_444_799_999_999, "4102444799.999999"),  // 2099-12-31 23:59:59.999999
            ]
            for (id, sample) in samples.enumerated() {
                let date = Date(timeIntervalSince1970: Double(sample.micros) / 1_000_000)
                let epoch = try await connection.scalar(String.self,
                    "SELECT extract(epoch FROM $1::timestamptz)::numeric(20,6)::text", [date])
                #expect(epoch == sample.epoch, "server read \(date) as \(epoch)")
                try await connection.query("INSERT INTO \(table) VALUES ($1, $2)", [id, date])
            }
            let rows = try await connection.query("SELECT id, at FROM \(table) ORDER BY id")
            #expect(rows.count == samples.count)
            for row in rows {
                let (id, at) = try row.decode((Int, Date).self)
                #expect(microseconds(at) == samples[id].micros, "row \(id) came back as \(at)")
            }
        }
    }

    @Test("timestamps read in another session TimeZone decode to the same instant",
          arguments: ["Asia/Shanghai", "Asia/Kolkata", "America/St_Johns", "UTC"])
    func datesInSessionTimeZone(_ zone: String) async throws {
        try await withConnection { connection in
            let table = uniqueName("tz")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, at timestamptz NOT NULL)")
            let micros: [Int64] = [1_700_000_000_123_456, -2_208_988_800_000_000, 1_719_792_000_000_001, 0]
            for (id, value) in micros.enumerated() {
                try await connection.query("INSERT INTO \(table) VALUES ($1, $2)",
                                           [id, Date(timeIntervalSince1970: Double(value) / 1_000_000)])
            }
            try await connection.query("SET TimeZone = " + (try await connection.quoteLiteral(zone)))
            let rows = try await connection.query("SELECT id, at, at::text FROM \(table) ORDER BY id")
            for row in rows {
                let (id, at, text) = try row.decode((Int, Date, String).self)
                #expect(microseconds(at) == micros[id], "\(text) in \(zone) decoded as \(at)")
            }
            if zone == "Asia/Shanghai" {
                // Proves the session zone applied: 2023-11-14 22:13:20 UTC is 06:13 the next day there,
                // and 1900 used local mean time with a seconds offset.
                #expect(try rows[0].decode(String.self, at: 2) == "2023-11-15 06:13:20.123456+08")
                #expect(try rows[1].decode(String.self, at: 2) == "1900-01-01 08:05:43+08:05:43")
            }
            // Parameters are sent in UTC, so the session zone does not shift them either.
            let date = Date(timeIntervalSince1970: 1_700_000_000.5)
            #expect(microseconds(try await connection.scalar(Date.self, "SELECT $1::timestamptz", [date])) == 1_700_000_000_500_000)
        }
    }

    @Test("UUIDs round-trip")
    func uuids() async throws {
        try await withConnection { connection in
            for uuid in [UUID(), UUID(), UUID(uuidString: "00000000-0000-0000-0000-000000000000")!,
                         UUID(uuidString: "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")!] {
                let row = try await connection.query("SELECT $1::uuid, $1::uuid::text", [uuid])[0]
                #expect(try row.decode(UUID.self, at: 0) == uuid)
                #expect(try row.decode(String.self, at: 1) == uuid.uuidString.lowercased())
            }
            let generated = try await connection.query("SELECT id, id::text FROM (SELECT gen_random_uuid() AS id) x")[0]
            #expect(try generated.decode(UUID.self, at: 0).uuidString.lowercased() == generated.decode(String.self, at: 1))
        }
    }

    @Test("bytea carries every byte value, zero bytes included")
    func bytea() async throws {
        try await withConnection { connection in
            let table = uniqueName("blobs")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, b bytea)")
            let blobs: [Data] = [
                Data(),
                Data([0]),
                Data([0, 0, 0]),
                Data([0, 1, 2, 0, 255, 0, 92, 39, 34]),
                Data((0...255).map { UInt8($0) }),
                Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }),
            ]
            for (id, blob) in blobs.enumerated() {
                try await connection.query("INSERT INTO \(table) VALUES ($1, $2)", [id, blob])
                let row = try await connection.query("SELECT length($1::bytea), encode($1::bytea, 'hex')", [blob])[0]
                #expect(try row.decode(Int.self, at: 0) == blob.count)
                #expect(try row.decode(String.self, at: 1) == hex(blob))
            }
            let rows = try await connection.query("SELECT id, b FROM \(table) ORDER BY id")
            for row in rows {
                let (id, blob) = try row.decode((Int, Data).self)
                #expect(blob == blobs[id], "blob \(id) changed")
            }
        }
    }

    @Test("string arrays keep commas, quotes, braces, backslashes and NULL-looking elements")
    func stringArrays() async throws {
        try await withConnection { connection in
            let arrays: [[String]] = [
                [],
                [""],
                ["a", "b,c", "{d}", "\"e\"", "f\\g", "NULL", "null", " h ", "", "淘宝订单，退款！", "tab\tnew\nline"],
                trickyStrings,
                ["}", "{", ",", "\\", "\"", "\\\"", "{,}"],
            ]
            let table = uniqueName("arrays")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, tags text[] NOT NULL)")
            for (id, array) in arrays.enumerated() {
                // The server sees exactly these elements...
                let elements = try await connection.query(
                    "SELECT u FROM unnest($1::text[]) WITH ORDINALITY AS x(u, n) ORDER BY n", [array])
                #expect(try elements.map { utf8Bytes(try $0.decode(String.self, at: 0)) } == array.map(utf8Bytes))
                #expect(try await connection.scalar(Int.self, "SELECT cardinality($1::text[])", [array]) == array.count)
                // ...and they come back as sent, from a parameter and from a column.
                let echoed = try await connection.scalar([String].self, "SELECT $1::text[]", [array])
                #expect(echoed.map(utf8Bytes) == array.map(utf8Bytes))
                try await connection.query("INSERT INTO \(table) VALUES ($1, $2)", [id, array])
            }
            for row in try await connection.query("SELECT id, tags FROM \(table) ORDER BY id") {
                let (id, tags) = try row.decode((Int, [String]).self)
                #expect(tags.map(utf8Bytes) == arrays[id].map(utf8Bytes), "array \(id)")
            }
        }
    }

    @Test("integer and boolean arrays round-trip")
    func numericArrays() async throws {
        try await withConnection { connection throws in
            let big: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
            #expect(try await connection.scalar([Int64].self, "SELECT $1::bigint[]", [big]) == big)
            #expect(try await connection.scalar(String.self, "SELECT $1::bigint[]::text", [big])
                    == "{-9223372036854775808,-1,0,1,9223372036854775807}")
            #expect(try await connection.scalar([Int64].self, "SELECT $1::bigint[]", [[Int64]()]) == [])

            let ints = Array(1...1000)
            #expect(try await connection.scalar([Int].self, "SELECT $1::bigint[]", [ints]) == ints)
            #expect(try await connection.scalar(Int.self, "SELECT sum(x)::bigint FROM unnest($1::bigint[]) x", [ints]) == 500_500)

            let small: [Int32] = [Int32.min, 7, Int32.max]
            #expect(try await connection.scalar([Int32].self, "SELECT $1::int4[]", [small]) == small)

            let flags = [true, false, true]
            #expect(try await connection.scalar([Bool].self, "SELECT $1::bool[]", [flags]) == flags)
        }
    }

    struct Order: Codable, Equatable, Sendable {
        struct Line: Codable, Equatable, Sendable {
            var sku: String
            var quantity: Int
            var price: Double
        }
        var id: Int
        var customer: String
        var note: String?
        var lines: [Line]
        var tags: [String]
    }

    @Test("Codable values travel as jsonb")
    func json() async throws {
        try await withConnection { connection in
            let table = uniqueName("docs")
            try await connection.query("CREATE TABLE \(table) (id int PRIMARY KEY, doc jsonb NOT NULL)")
            let order = Order(id: 42, customer: "淘宝订单，退款！ \"VIP\" \\ 'quoted'",
                              note: "line1\nline2\t🚀",
                              lines: [.init(sku: "A-1", quantity: 2, price: 9.99), .init(sku: "B;2", quantity: 1, price: 0.1)],
                              tags: ["{x}", "y,z", ""])
            let empty = Order(id: 0, customer: "", note: nil, lines: [], tags: [])
            try await connection.query("INSERT INTO \(table) VALUES (1, $1), (2, $2)", [PostgresJSON(order), PostgresJSON(empty)])

            let fields = try await connection.query(
                "SELECT doc->>'customer', jsonb_array_length(doc->'lines'), doc->'lines'->1->>'sku', doc ? 'note' FROM \(table) WHERE id = 1")[0]
            #expect(try fields.decode(String.self, at: 0) == order.customer)
            #expect(try fields.decode(Int.self, at: 1) == 2)
            #expect(try fields.decode(String.self, at: 2) == "B;2")
            #expect(try fields.decode(Bool.self, at: 3))

            let rows = try await connection.query("SELECT doc FROM \(table) ORDER BY id")
            #expect(try rows[0].decode(PostgresJSON<Order>.self, at: 0).value == order)
            #expect(try rows[1].decode(PostgresJSON<Order>.self, at: 0).value == empty)

            // JSON that does not fit the type is a decoding error naming the column.
            let wrong = try await connection.query("SELECT '{\"id\": \"not a number\"}'::jsonb AS payload")[0]
            let error = #expect(throws: PostgresError.self) { try wrong.decode(PostgresJSON<Order>.self, "payload") }
            #expect(error?.code == .decoding)
            #expect(error?.message.contains("\"payload\"") == true)
        }
    }

    @Test("NULL parameters of every kind arrive as NULL")
    func nullParameters() async throws {
        try await withConnection { connection in
            let int: Int? = nil, text: String? = nil, date: Date? = nil, uuid: UUID? = nil
            let data: Data? = nil, flag: Bool? = nil, list: [String]? = nil
            let row = try await connection.query("""
                SELECT $1::bigint IS NULL, $2::text IS NULL, $3::timestamptz IS NULL, $4::uuid IS NULL,
                       $5::bytea IS NULL, $6::bool IS NULL, $7::text[] IS NULL, $8::int IS NULL
                """, [int, text, date, uuid, data, flag, list, PostgresNull()])[0]
            for column in 0..<8 {
                #expect(try row.decode(Bool.self, at: column), "parameter \(column + 1) was not NULL")
            }
        }
    }

    @Test("a statement first prepared inside a rolled-back transaction still works afterwards")
    func preparedInsideRolledBackTransaction() async throws {
        try await withConnection { connection throws in
            let sql = "SELECT $1::int + 100"
            await #expect(throws: DeliberateFailure.self) {
                try await connection.transaction { tx in
                    #expect(try tx.preparedQuery(sql, [1])[0].decode(Int.self, at: 0) == 101)
                    throw DeliberateFailure(tag: "rollback")
                }
            }
            #expect(try await connection.preparedQuery(sql, [2])[0].decode(Int.self, at: 0) == 102)

            // A statement that failed to prepare (inside an aborted transaction) is not remembered.
            let other = "SELECT $1::text || '?'"
            await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    _ = try? tx.query("SELECT 1 / 0")
                    _ = try tx.preparedQuery(other, ["x"])
                }
            }
            #expect(try await connection.preparedQuery(other, ["y"])[0].decode(String.self, at: 0) == "y?")
        }
    }

    @Test("a prepared statement reused many times gives the right answers")
    func preparedStatementsReused() async throws {
        try await withConnection { connection in
            let table = uniqueName("prepared")
            try await connection.query("CREATE TABLE \(table) (id bigint PRIMARY KEY, name text NOT NULL)")
            let insert = "INSERT INTO \(table) (id, name) VALUES ($1, $2)"
            let select = "SELECT $1::bigint * 2, $2::text || '!', $3::text IS NULL"
            for i in 0..<300 {
                let name = trickyStrings[i % trickyStrings.count] + "#\(i)"
                let inserted = try await connection.preparedQuery(insert, [i, name])
                #expect(inserted.affectedRows == 1)
                let optional: String? = i.isMultiple(of: 3) ? nil : "x"
                let row = try await connection.preparedQuery(select, [i, name, optional])[0]
                let (double, exclaimed, isNull) = try row.decode((Int, String, Bool).self)
                #expect(double == i * 2)
                #expect(utf8Bytes(exclaimed) == utf8Bytes(name + "!"))
                #expect(isNull == i.isMultiple(of: 3))
            }
            // Two statements were prepared, once each.
            let statements = try await connection.query(
                "SELECT statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY prepare_time")
            #expect(try statements.map { try $0.decode(String.self, at: 0) } == [insert, select])

            let rows = try await connection.query("SELECT id, name FROM \(table) ORDER BY id")
            #expect(rows.count == 300)
            for row in rows {
                let (id, name) = try row.decode((Int, String).self)
                #expect(utf8Bytes(name) == utf8Bytes(trickyStrings[id % trickyStrings.count] + "#\(id)"))
            }
            // A server error from a prepared statement does not spoil it.
            let duplicate = await #expect(throws: PostgresError.self) {
                try await connection.preparedQuery(insert, [0, "again"])
            }
            #expect(duplicate?.sqlState == SQLState.uniqueViolation)
            #expect(try await connection.preparedQuery(insert, [1000, "after"]).affectedRows == 1)
        }
    }
}

/// Lower-case hex digits of the bytes.
func hex(_ data: Data) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(data.count * 2)
    for byte in data {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// A date as whole microseconds since the Unix epoch.
func microseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
}
