import Foundation
@testable import Ingest
import Testing

@Suite("CSV/TSV tokenizer")
struct CSVTokenizerTests {
    func rows(_ text: String, chunk: Int = defaultChunkSize, dialect: CSVDialect = .csv) throws -> [Row] {
        var tokenizer = CSVTokenizer(source: DataByteSource(Array(text.utf8), chunkSize: chunk), dialect: dialect)
        var result: [Row] = []
        while let row = try tokenizer.nextRow() { result.append(row) }
        return result
    }

    static let tricky = [
        "id,name,memo\r\n",
        "1,\"Smith, John\",\"line one\r\n",
        "line two\"\r\n",
        "2,\"He said \"\"hi\"\"\",plain\r\n",
        "\r\n",
        "3,  \"  spaced quote, kept\",after\r\n",
        "4,5\" screen,\"x\"\t\r\n",
        "\"5\",,\r\n",
        "6,\"multi\n",
        "\n",
        "blank\",\"end\"",
    ].joined()

    @Test("quotes, embedded delimiters and line breaks, doubled quotes, CRLF, blank lines")
    func rfc4180() throws {
        let parsed = try rows(Self.tricky)
        #expect(parsed.map(\.fields) == [
            ["id", "name", "memo"],
            ["1", "Smith, John", "line one\r\nline two"],
            ["2", "He said \"hi\"", "plain"],
            ["3", "spaced quote, kept", "after"],
            ["4", "5\" screen", "x"],
            ["5", "", ""],
            ["6", "multi\n\nblank", "end"],
        ])
        // Physical lines where each row starts (the blank line 5 is skipped).
        #expect(parsed.map(\.line) == [1, 2, 4, 6, 7, 8, 9])
    }

    @Test("every chunk size gives the same rows and line numbers")
    func chunkBoundaries() throws {
        let expected = try rows(Self.tricky)
        for chunk in 1...9 {
            #expect(try rows(Self.tricky, chunk: chunk) == expected, "chunk size \(chunk)")
        }
    }

    @Test("lone CR line ends and a last row without newline")
    func lineEnds() throws {
        let parsed = try rows("a,b\rc,d\n\ne,f")
        #expect(parsed.map(\.fields) == [["a", "b"], ["c", "d"], ["e", "f"]])
        #expect(parsed.map(\.line) == [1, 2, 4])
    }

    @Test("Chinese export guards are cleaned: trailing TABs, backticks, =\"…\", leading TABs")
    func guards() throws {
        let parsed = try rows("2019091622001458860515315453\t,service_1568601259302\t,`0.06,`,=\"1234567890123\",\"\t6917926768823643751\",-\n")
        #expect(parsed[0].fields == ["2019091622001458860515315453", "service_1568601259302", "0.06", "", "1234567890123",
                                     "6917926768823643751", "-"])
        var dialect = CSVDialect.csv
        dialect.cleaning.insert(.dashAsEmpty)
        #expect(try rows("a,-,b-\n", dialect: dialect)[0].fields == ["a", "", "b-"])
        dialect.cleaning = []
        #expect(try rows(" a ,`b\n", dialect: dialect)[0].fields == [" a ", "`b"])
    }

    @Test("TSV and other delimiters")
    func delimiters() throws {
        #expect(try rows("a\tb,c\t\"d\te\"\n", dialect: .tsv)[0].fields == ["a", "b,c", "d\te"])
        #expect(try rows("a;b;\"c;d\"\n", dialect: CSVDialect(delimiter: UInt8(ascii: ";")))[0].fields == ["a", "b", "c;d"])
    }

    @Test("an unclosed quote is an error naming the line where the field starts")
    func unterminated() throws {
        #expect(throws: IngestError.self) { try rows("a,b\n1,\"open\n2,3\n") }
        do {
            _ = try rows("a,b\n1,\"open\n2,3\n")
        } catch let error as IngestError {
            #expect(error.code == .unterminatedQuote)
            #expect(error.line == 2)
        }
    }

    @Test("a field longer than the limit is an error, not unbounded memory")
    func fieldLimit() throws {
        var dialect = CSVDialect.csv
        dialect.maxFieldBytes = 100
        let text = "a\n\"" + String(repeating: "x", count: 500)
        #expect(throws: IngestError.self) { try rows(text, chunk: 7, dialect: dialect) }
    }
}
