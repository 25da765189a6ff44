import Foundation
import Ingest
import PostgresClient
import Reconcile
import ShopReconTestSupport
import Tenancy
import Testing
import ZIPFoundation

/// The Excel round trip: a workbook written by libxlsxwriter, filled in as a user would (cells
/// added to the sheet's XML), read back and applied all-or-nothing.
@Suite("exceptions workbook", .workflowDatabase)
struct ExceptionsWorkbookTests {
    static func scratchFile(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("workflow-\(UUID().uuidString.prefix(8))-\(name)")
    }

    @Test("the export opens as a workbook with the columns, typed amounts, and a help sheet")
    func exportReadsBack() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([
            WorkflowExceptionSpec(period: "2026-09", severity: .high, expected: 1_234_567, actual: 1_200_000),
            WorkflowExceptionSpec(period: "2026-09", type: .feeAnomaly, severity: .medium, store: "jd", expected: 10_000, actual: 9_950),
        ], for: acme)
        let url = Self.scratchFile("export.xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        let count = try await env.asUser(fiona) { tx, context in
            try ExceptionWorkbook.export(filter: ExceptionFilter(period: try ReconPeriod(parsing: "2026-09")), to: url, context: context, on: tx)
        }
        #expect(count == 2)
        let reader = try XLSXReader(url: url)
        #expect(reader.sheetNames == ["exceptions", "help"])
        var rows: [[String]] = []
        try reader.forEachRow(sheet: "exceptions") { row in rows.append(row.fields); return true }
        #expect(rows.first == ExceptionWorkbook.Column.allCases.map(\.rawValue))
        #expect(rows.count == 3)
        let first = rows[1]
        func cell(_ column: ExceptionWorkbook.Column, _ row: [String]) -> String { column.index < row.count ? row[column.index] : "" }
        #expect(cell(.id, first) == String(ids[0]))
        #expect(cell(.period, first) == "2026-09")
        #expect(cell(.type, first) == "amount_mismatch")
        #expect(cell(.store, first) == "tmall")
        #expect(cell(.currency, first) == "CNY")
        #expect(cell(.expected, first) == "12345.67")
        #expect(cell(.actual, first) == "12000")
        #expect(cell(.difference, first) == "-345.67")
        #expect(cell(.action, first).isEmpty && cell(.resolution, first).isEmpty)
        #expect(cell(.id, rows[2]) == String(ids[1]) && cell(.store, rows[2]) == "jd")
        var help: [String] = []
        try reader.forEachRow(sheet: "help") { row in help.append(row[0]); return true }
        #expect(help.contains("hold_until_new") && help.contains("write-off"))

        // Amounts are numbers with a 2-decimal number format, the header frozen and filtered.
        let sheetXML = try Self.member("xl/worksheets/sheet1.xml", of: url)
        let styles = try Self.member("xl/styles.xml", of: url)
        #expect(sheetXML.contains("<pane ySplit=\"1\"") || sheetXML.contains("ySplit=\"1\""))
        #expect(sheetXML.contains("<autoFilter ref=\"A1:Q3\""))
        #expect(sheetXML.contains("<dataValidation"))
        #expect(styles.contains("formatCode=\"#,##0.00\""))
    }

    @Test("apply checks every row, lists every problem with row and column, and applies nothing")
    func applyRefusesBadFile() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant((0..<6).map { _ in WorkflowExceptionSpec(period: "2026-11") } + [WorkflowExceptionSpec(period: "2026-11", store: "jd")],
                                      for: acme)
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([ids[4]], .resolve, text: "done before"), context: context, on: tx)
        }
        let url = Self.scratchFile("bad.xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        let exported = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.list(filter: ExceptionFilter(ids: Array(ids[0..<6])), context: context, on: tx)
        }
        try ExceptionWorkbook.write(exported, to: url)
        let rowOf = try Self.rowsByID(url)
        try Self.fill(url, [
            rowOf[ids[0]]!: ["O": "resolve", "P": "refund booked on 2026-12-02"],   // fine
            rowOf[ids[1]]!: ["O": "resolve"],                                       // no resolution
            rowOf[ids[2]]!: ["O": "fix it", "P": "?"],                              // unknown action
            rowOf[ids[3]]!: ["O": "hold", "P": "waiting", "Q": "2020-01-01"],       // not in the future
            rowOf[ids[4]]!: ["O": "write-off", "P": "small"],                       // resolved already
            rowOf[ids[5]]!: ["O": "hold", "P": "waiting"],                          // no date
            20: ["A": "999999", "O": "note", "P": "who is this?"],                  // unknown id
            21: ["A": String(ids[6]), "O": "review"],                               // ok, but not fiona's problem
        ])
        let sheet = try ExceptionSheet.read(url)
        let error = await #expect(throws: ExceptionWorkbookError.self) {
            try await env.asUser(fiona) { tx, context in try ExceptionWorkbook.apply(sheet, context: context, on: tx) }
        }
        let problems = error?.problems.map { "\($0.columnLetter)\($0.row) \($0.column)" } ?? []
        #expect(problems == [
            "P\(rowOf[ids[1]]!) resolution",
            "O\(rowOf[ids[2]]!) action",
            "Q\(rowOf[ids[3]]!) hold_until_new",
            "O\(rowOf[ids[4]]!) action",
            "Q\(rowOf[ids[5]]!) hold_until_new",
            "A20 id",
        ].sorted { Int($0.dropFirst().prefix { $0.isNumber })! < Int($1.dropFirst().prefix { $0.isNumber })! })
        #expect(error?.problems.map(\.code) == [.missingText, .unknownAction, .badDate, .transition, .badDate, .unknownID])
        #expect(error?.reconcileError.kind == .invalidInput)
        #expect(error?.description.contains("exceptions!O\(rowOf[ids[4]]!) (action): exception \(ids[4]) is resolved") == true,
                "\(error?.description ?? "")")
        for id in ids where id != ids[4] {
            #expect(try await env.stored(id).status == "open")
            #expect(try await env.events(id).count == 1)
        }

        // A store-scoped user applying the same rows sees the other store's id as unknown.
        let tomSheet = ExceptionSheet(file: "tom.xlsx", instructions: [.init(row: 2, id: ids[6], action: .review)], problems: [])
        let tomError = await #expect(throws: ExceptionWorkbookError.self) {
            try await env.asUser(try acme.token("tom")) { tx, context in try ExceptionWorkbook.apply(tomSheet, context: context, on: tx) }
        }
        #expect(tomError?.problems.map(\.column) == ["id"])
    }

    @Test("a good file is applied whole, in one transaction, with events and audit rows; empty actions are skipped")
    func applyGoodFile() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant((0..<5).map { _ in WorkflowExceptionSpec(period: "2026-12", type: .courierOvercharge) }, for: acme)
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([ids[3]], .writeOff, text: "too small"), context: context, on: tx)
        }
        let url = Self.scratchFile("good.xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionWorkbook.export(filter: ExceptionFilter(period: try ReconPeriod(parsing: "2026-12")), to: url, context: context, on: tx)
        }
        let rowOf = try Self.rowsByID(url)
        try Self.fill(url, [
            rowOf[ids[0]]!: ["O": "resolve", "P": "courier credited 3.50 on the next bill"],
            rowOf[ids[1]]!: ["O": "Write-Off", "P": "under the dispute threshold"],
            rowOf[ids[2]]!: ["O": "hold", "P": "dispute filed", "Q": "2099/03/01"],
            rowOf[ids[3]]!: ["O": "reopen", "P": "courier refused the credit"],
            // ids[4]: no action, skipped
        ])
        let sheet = try ExceptionSheet.read(url)
        #expect(sheet.problems.isEmpty)
        let preview = try await env.asUser(fiona) { tx, context in try ExceptionWorkbook.apply(sheet, dryRun: true, context: context, on: tx) }
        #expect(preview.dryRun && preview.applied == ["resolve": 1, "write-off": 1, "hold": 1, "reopen": 1])
        #expect(try await env.stored(ids[0]).status == "open")

        let auditBefore = try await env.auditCount(ids)
        let report = try await env.asUser(fiona) { tx, context in try ExceptionWorkbook.apply(sheet, context: context, on: tx) }
        #expect(report.applied == ["resolve": 1, "write-off": 1, "hold": 1, "reopen": 1])
        #expect(report.rows == 5 && report.skipped == 1 && !report.dryRun)
        #expect(try await env.stored(ids[0]) == WorkflowStoredException(status: "resolved", resolution: "courier credited 3.50 on the next bill"))
        #expect(try await env.stored(ids[1]) == WorkflowStoredException(status: "written_off", resolution: "under the dispute threshold"))
        #expect(try await env.stored(ids[2]) == WorkflowStoredException(status: "open", holdUntil: "2099-03-01"))
        #expect(try await env.stored(ids[3]) == WorkflowStoredException(status: "open"))
        #expect(try await env.stored(ids[4]) == WorkflowStoredException(status: "open"))
        #expect(try await env.events(ids[3]).last == "reopened written_off>open user:fiona")
        #expect(try await env.events(ids[4]).count == 1)
        #expect(try await env.auditCount(ids) == auditBefore + 4)
    }

    @Test("a workbook touching a closed period is refused as periodClosed, naming the rows")
    func applyClosedPeriod() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2025-07"), WorkflowExceptionSpec(period: "2026-06")], for: acme)
        try await env.closePeriod("2025-07", for: acme)
        let sheet = ExceptionSheet(file: "closed.xlsx", instructions: [
            .init(row: 2, id: ids[0], action: .resolve, text: "late"), .init(row: 3, id: ids[1], action: .resolve, text: "fine"),
        ])
        let error = await #expect(throws: ExceptionWorkbookError.self) {
            try await env.asUser(fiona) { tx, context in try ExceptionWorkbook.apply(sheet, context: context, on: tx) }
        }
        #expect(error?.problems.map(\.code) == [.periodClosed])
        #expect(error?.problems.first?.row == 2)
        #expect(error?.reconcileError.kind == .periodClosed)
        #expect(try await env.stored(ids[1]).status == "open")
    }

    // MARK: - Workbook helpers

    /// Sheet row → exception id of an exported workbook, read back with Ingest's reader.
    static func rowsByID(_ url: URL) throws -> [Int64: Int] {
        var rows: [Int64: Int] = [:]
        try XLSXReader(url: url).forEachRow(sheet: "exceptions") { row in
            if let id = Int64(row[0]) { rows[id] = row.line }
            return true
        }
        return rows
    }

    static func member(_ path: String, of url: URL) throws -> String {
        let archive = try Archive(url: url, accessMode: .read)
        guard let entry = archive[path] else { throw TestFailure("no \(path) in \(url.lastPathComponent)") }
        var data = Data()
        _ = try archive.extract(entry) { data.append($0) }
        return String(decoding: data, as: UTF8.self)
    }

    /// Types values into cells of the `exceptions` sheet as a user would: inline-string cells
    /// added to the row's XML (new rows appended), the member replaced in the ZIP.
    static func fill(_ url: URL, _ cells: [Int: [String: String]]) throws {
        let path = "xl/worksheets/sheet1.xml"
        var xml = try member(path, of: url)
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        for (row, values) in cells.sorted(by: { $0.key < $1.key }) {
            let markup = values.sorted { $0.key < $1.key }.map { column, value in
                "<c r=\"\(column)\(row)\" t=\"inlineStr\"><is><t>\(escape(value))</t></is></c>"
            }.joined()
            if let start = xml.range(of: "<row r=\"\(row)\""), let end = xml.range(of: "</row>", range: start.upperBound..<xml.endIndex) {
                xml.insert(contentsOf: markup, at: end.lowerBound)
            } else if let end = xml.range(of: "</sheetData>") {
                xml.insert(contentsOf: "<row r=\"\(row)\">\(markup)</row>", at: end.lowerBound)
            } else {
                throw TestFailure("unexpected sheet XML")
            }
        }
        let archive = try Archive(url: url, accessMode: .update)
        guard let entry = archive[path] else { throw TestFailure("no \(path)") }
        try archive.remove(entry)
        let bytes = Data(xml.utf8)
        try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
            bytes.subdata(in: Int(position)..<Int(position) + size)
        }
    }
}
