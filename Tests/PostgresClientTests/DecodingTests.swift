import Foundation
import PostgresClient
import ShopReconTestSupport
import Testing

@Suite("Decoding results", .freshDatabase(), .timeLimit(.minutes(1)))
struct DecodingTests {
    @Test("NULL decodes as nil into Optionals")
    func nullIntoOptionals() async throws {
        try await withConnection { connection in
            let row = try await connection.query("""
                SELECT NULL::bigint AS i, NULL::text AS t, NULL::bool AS b, NULL::timestamptz AS d,
                       NULL::uuid AS u, NULL::bytea AS x, NULL::float8 AS f, NULL::text[] AS a, NULL::jsonb AS j
                """)[0]
            #expect(try row.decode(Int?.self, "i") == nil)
            #expect(try row.decode(String?.self, "t") == nil)
            #expect(try row.decode(Bool?.self, "b") == nil)
            #expect(try row.decode(Date?.self, "d") == nil)
            #expect(try row.decode(UUID?.self, "u") == nil)
            #expect(try row.decode(Data?.self, "x") == nil)
            #expect(try row.decode(Double?.self, "f") == nil)
            #expect(try row.decode([String]?.self, "a") == nil)
            #expect(try row.decode(PostgresJSON<[String: Int]>?.self, "j") == nil)
            for column in 0..<row.result.columnNames.count {
                #expect(row.isNull(at: column))
            }
            // Present values still decode through an Optional.
            let present = try await connection.query("SELECT 5::bigint AS i, 'x'::text AS t")[0]
            #expect(try present.decode(Int?.self, "i") == 5)
            #expect(try present.decode(String?.self, "t") == "x")
            #expect(!present.isNull(at: 0))
        }
    }

    @Test("NULL into a non-optional type throws a decoding error that names the column")
    func nullIntoNonOptional() async throws {
        try await withConnection { connection in
            let result = try await connection.query("""
                SELECT 1 AS id, NULL::text AS customer_note
                UNION ALL SELECT 2, 'x'
                ORDER BY id
                """)
            let byName = #expect(throws: PostgresError.self) { try result[0].decode(String.self, "customer_note") }
            #expect(byName?.code == .decoding)
            #expect(byName?.message.contains("\"customer_note\"") == true)
            #expect(byName?.message.contains("row 1") == true)
            #expect(byName?.message.contains("Optional") == true)

            let byIndex = #expect(throws: PostgresError.self) { try result[0].decode(Date.self, at: 1) }
            #expect(byIndex?.code == .decoding)
            #expect(byIndex?.message.contains("\"customer_note\"") == true)

            let inTuple = #expect(throws: PostgresError.self) { try result[0].decode((Int, String).self) }
            #expect(inTuple?.message.contains("\"customer_note\"") == true)

            // The second row has a value, so the same decode works there.
            #expect(try result[1].decode((Int, String).self) == (2, "x"))
        }
    }

    @Test("tuples decode the leading columns in order")
    func tuples() async throws {
        try await withConnection { connection in
            let uuid = UUID()
            let row = try await connection.query(
                "SELECT 7::bigint, 'seven'::text, true, NULL::text, $1::uuid, 2.5::float8, 'extra'",
                [uuid])[0]
            let (number, word, flag, missing, id, ratio) = try row.decode((Int64, String, Bool, String?, UUID, Double).self)
            #expect(number == 7)
            #expect(word == "seven")
            #expect(flag)
            #expect(missing == nil)
            #expect(id == uuid)
            #expect(ratio == 2.5)
            let (first, second) = try row.decode((Int, String).self)
            #expect(first == 7 && second == "seven")
        }
    }

    @Test("unknown columns and out-of-range indexes are decoding errors that list what exists")
    func missingColumns() async throws {
        try await withConnection { connection in
            let row = try await connection.query("SELECT 1 AS alpha, 2 AS beta")[0]
            let unknown = #expect(throws: PostgresError.self) { try row.decode(Int.self, "gamma") }
            #expect(unknown?.code == .decoding)
            #expect(unknown?.message.contains("gamma") == true)
            #expect(unknown?.message.contains("alpha, beta") == true)

            let outOfRange = #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 2) }
            #expect(outOfRange?.code == .decoding)
            #expect(outOfRange?.message.contains("2 columns") == true)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, at: -1) }

            let tooMany = #expect(throws: PostgresError.self) { try row.decode((Int, Int, Int).self) }
            #expect(tooMany?.code == .decoding)
        }
    }

    @Test("values of the wrong type are decoding errors, never garbage")
    func typeMismatches() async throws {
        try await withConnection { connection in
            let row = try await connection.query("""
                SELECT 'abc'::text AS word, 3000000000::bigint AS big, 40000::int AS mid, 1.5::float8 AS fraction,
                       'maybe'::text AS flag, 'not-a-uuid'::text AS id, 'nope'::text AS stamp, '{{1,2},{3,4}}'::int[] AS grid,
                       '{1,NULL,3}'::int[] AS holes
                """)[0]
            let cases: [(String, @Sendable (PostgresRow) throws -> Void)] = [
                ("word", { _ = try $0.decode(Int.self, "word") }),
                ("big", { _ = try $0.decode(Int32.self, "big") }),
                ("mid", { _ = try $0.decode(Int16.self, "mid") }),
                ("fraction", { _ = try $0.decode(Int.self, "fraction") }),
                ("flag", { _ = try $0.decode(Bool.self, "flag") }),
                ("id", { _ = try $0.decode(UUID.self, "id") }),
                ("stamp", { _ = try $0.decode(Date.self, "stamp") }),
                ("word", { _ = try $0.decode(Data.self, "word") }),
                ("grid", { _ = try $0.decode([Int].self, "grid") }),
                ("holes", { _ = try $0.decode([Int].self, "holes") }),
            ]
            for (column, decode) in cases {
                let error = #expect(throws: PostgresError.self, "decoding \(column)") { try decode(row) }
                #expect(error?.code == .decoding)
                #expect(error?.message.contains("\"\(column)\"") == true, "\(error?.message ?? "")")
            }
            // Within range, the narrower types work.
            #expect(try row.decode(Int64.self, "big") == 3_000_000_000)
            #expect(try row.decode(Int32.self, "mid") == 40_000)
        }
    }

    @Test("a result can be read after its connection is closed and from another task")
    func resultOutlivesConnection() async throws {
        let connection = try await SuiteDatabase.get().connect()
        let result = try await connection.query("SELECT g, repeat('x', g) FROM generate_series(1, 50) g")
        await connection.close()
        let total = try await Task.detached {
            try result.reduce(0) { sum, row in
                let (n, text) = try row.decode((Int, String).self)
                #expect(text.count == n)
                return sum + n
            }
        }.value
        #expect(total == 1275)
    }
}
