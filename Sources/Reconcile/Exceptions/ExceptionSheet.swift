import Foundation
import Ingest

/// The instructions in a filled-in exceptions workbook, read without the database: one per row
/// with an id, in sheet order, with the problems that need no database to see.
public struct ExceptionSheet: Sendable {
    public struct Instruction: Sendable, Equatable {
        /// The sheet's row number.
        public var row: Int
        public var id: Int64
        /// nil when the action cell is empty (the row is skipped).
        public var action: ExceptionAction?
        public var text: String?
        /// `YYYY-MM-DD`.
        public var holdUntil: String?

        public init(row: Int, id: Int64, action: ExceptionAction? = nil, text: String? = nil, holdUntil: String? = nil) {
            self.row = row
            self.id = id
            self.action = action
            self.text = text
            self.holdUntil = holdUntil
        }
    }

    public var file: String
    public var instructions: [Instruction]
    /// Problems in single cells (not a number, unknown action, missing text or date).
    public var problems: [ExceptionSheetProblem]

    /// Instructions built elsewhere (another front end, tests); ``read(_:)`` builds them from a file.
    public init(file: String, instructions: [Instruction], problems: [ExceptionSheetProblem] = []) {
        self.file = file
        self.instructions = instructions
        self.problems = problems
    }

    /// Reads the `exceptions` sheet of `url`. The header row names the columns, so their order
    /// may change; `id` and `action` are required, `resolution` and `hold_until_new` when an
    /// action needs them.
    public static func read(_ url: URL) throws -> ExceptionSheet {
        let reader: XLSXReader
        do {
            reader = try XLSXReader(url: url)
        } catch let error as IngestError {
            throw ReconcileError(.invalidInput, "\(url.lastPathComponent) is not a workbook ShopRecon can read: \(error)",
                                 hint: "export one with `shoprecon exceptions export --xlsx FILE`, fill it in and save it as .xlsx")
        }
        let name = ExceptionWorkbook.sheetName
        guard reader.sheetNames.contains(name) else {
            throw ReconcileError(.invalidInput, "\(url.lastPathComponent) has no sheet \"\(name)\" (sheets: \(reader.sheetNames.joined(separator: ", ")))",
                                 hint: "apply the workbook `shoprecon exceptions export --xlsx` wrote, with its sheet names unchanged")
        }
        var sheet = ExceptionSheet(file: url.lastPathComponent, instructions: [], problems: [])
        var columns: [String: Int]?
        var seen: [Int64: Int] = [:]
        try reader.forEachRow(sheet: name, cleaning: [.trim]) { row in
            guard let known = columns else {
                var map: [String: Int] = [:]
                for (index, field) in row.fields.enumerated() where !field.isEmpty {
                    map[field.lowercased()] = map[field.lowercased()] ?? index
                }
                for required in [ExceptionWorkbook.Column.id, .action] where map[required.rawValue] == nil {
                    throw ReconcileError(.invalidInput, "the sheet \(name) of \(url.lastPathComponent) has no column \"\(required.rawValue)\" in its first row",
                                         hint: "keep the header row of the exported workbook")
                }
                columns = map
                return true
            }
            sheet.readRow(row, columns: known, seen: &seen)
            return true
        }
        if columns == nil {
            throw ReconcileError(.invalidInput, "the sheet \(name) of \(url.lastPathComponent) is empty")
        }
        return sheet
    }

    mutating func problem(_ code: ExceptionSheetProblem.Code, _ row: Int, _ column: String, _ columns: [String: Int], _ message: String) {
        let letter = columns[column].map(ExceptionWorkbook.columnLetter) ?? "?"
        problems.append(ExceptionSheetProblem(code: code, sheet: ExceptionWorkbook.sheetName, row: row, column: column, columnLetter: letter, message: message))
    }

    mutating func readRow(_ row: Row, columns: [String: Int], seen: inout [Int64: Int]) {
        func cell(_ column: ExceptionWorkbook.Column) -> String {
            columns[column.rawValue].map { row[$0] } ?? ""
        }
        let idText = cell(.id), actionText = cell(.action)
        if idText.isEmpty {
            if !actionText.isEmpty { problem(.badID, row.line, "id", columns, "the row has an action but no exception id") }
            return
        }
        guard let id = Int64(idText), id > 0 else {
            problem(.badID, row.line, "id", columns, "'\(idText)' is not an exception id")
            return
        }
        if let earlier = seen[id] {
            problem(.duplicateID, row.line, "id", columns, "exception \(id) appears again (first in row \(earlier)); keep one row per exception")
            return
        }
        seen[id] = row.line
        var instruction = Instruction(row: row.line, id: id)
        let text = cell(.resolution)
        instruction.text = text.isEmpty ? nil : text
        guard !actionText.isEmpty else {
            instructions.append(instruction)
            return
        }
        let word = actionText.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
        guard let action = ExceptionAction(rawValue: word == "writeoff" ? "write-off" : word),
              ExceptionWorkbook.sheetActions.contains(action) else {
            problem(.unknownAction, row.line, "action", columns, "unknown action '\(actionText)'; use "
                    + ExceptionWorkbook.sheetActions.map(\.rawValue).joined(separator: ", ") + " or leave it empty")
            return
        }
        instruction.action = action
        switch action {
        case .resolve where instruction.text == nil:
            problem(.missingText, row.line, "resolution", columns, "resolve needs a resolution: say what was done or found")
        case .writeOff where instruction.text == nil:
            problem(.missingText, row.line, "resolution", columns, "write-off needs the reason in the resolution column")
        case .note where instruction.text == nil:
            problem(.missingText, row.line, "resolution", columns, "note needs the note's text in the resolution column")
        case .hold:
            let raw = cell(.holdUntilNew)
            let date = Self.dateText(raw)
            if raw.isEmpty {
                problem(.badDate, row.line, "hold_until_new", columns, "hold needs the date to hold until (YYYY-MM-DD, after today)")
            } else if let date {
                instruction.holdUntil = date
            } else {
                problem(.badDate, row.line, "hold_until_new", columns, "'\(raw)' is not a date; write it as YYYY-MM-DD")
            }
        default:
            break
        }
        instructions.append(instruction)
    }

    /// `2026-12-15`, also from `2026/12/15` and a date cell read as `2026-12-15 00:00:00`.
    static func dateText(_ raw: String) -> String? {
        var text = raw.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ".", with: "-")
        if text.hasSuffix(" 00:00:00") { text = String(text.dropLast(9)) }
        if let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})/),
           let year = Int(match.1), let month = Int(match.2), let day = Int(match.3) {
            text = String(format: "%04d-%02d-%02d", year, month, day)
        }
        return ExceptionDirectory.isCalendarDate(text) ? text : nil
    }
}
