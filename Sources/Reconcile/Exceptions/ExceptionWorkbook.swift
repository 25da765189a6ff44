import CXLSXWriter
import Foundation

/// The Excel round trip of exceptions: ``write(_:to:)`` exports them to a workbook with three
/// empty columns for the user to fill in (`action`, `resolution`, `hold_until_new`), and
/// ``read(_:)`` plus ``apply(_:dryRun:context:on:)`` take the filled-in workbook back, all
/// rows or none.
///
/// Writing goes through libxlsxwriter (typed cells, number formats, frozen header, autofilter,
/// a drop-down list of actions); reading through Ingest's streaming ``Ingest/XLSXReader``, so a
/// workbook the user saved again in Excel, WPS or LibreOffice reads the same way.
public enum ExceptionWorkbook {
    public static let sheetName = "exceptions"
    public static let helpSheetName = "help"

    /// The columns of the `exceptions` sheet, in order.
    public enum Column: String, CaseIterable, Sendable {
        case id, period, flow, type, severity, status, store, reference, currency, expected, actual, difference,
             assignee, holdUntil = "hold_until", action, resolution, holdUntilNew = "hold_until_new"

        /// The columns the user fills in; everything before them is read-only information.
        public var isInput: Bool { self == .action || self == .resolution || self == .holdUntilNew }

        public var index: Int { Self.allCases.firstIndex(of: self)! }

        /// `A`, `B`, … as Excel names the column.
        public var letter: String { ExceptionWorkbook.columnLetter(index) }

        var width: Double {
            switch self {
            case .id, .period, .currency, .severity: 10
            case .flow, .status, .store, .action: 12
            case .type: 24
            case .reference: 22
            case .expected, .actual, .difference: 14
            case .assignee, .holdUntil, .holdUntilNew: 14
            case .resolution: 40
            }
        }

        var help: String {
            switch self {
            case .id: "The exception's number. Do not change it: it says which exception a row is about."
            case .period: "The reconciliation period (YYYY-MM) the exception belongs to."
            case .flow: "orders (orders against platform transactions), collections (payouts against bank credits) or returns."
            case .type: "What was found: amount_mismatch, missing_on_platform, payout_not_in_bank, … or rule:NAME for custom rules."
            case .severity: "low, medium, high or critical."
            case .status: "open, in_review, resolved or written_off, when exported."
            case .store: "The store's code; empty for bank-level exceptions."
            case .reference: "The order, transaction, payout, bank or waybill reference of the record."
            case .currency: "The currency of the amounts in this row."
            case .expected: "The amount the record should have had, in the row's currency."
            case .actual: "The amount found, in the row's currency."
            case .difference: "Actual minus expected (or the unexplained amount), in the row's currency."
            case .assignee: "Who works on it."
            case .holdUntil: "The date the exception is on hold until, if any."
            case .action: "FILL IN: resolve, write-off, hold, review, reopen or note. Leave empty to skip the row."
            case .resolution: "FILL IN: the resolution (resolve), the reason (write-off) or a note (hold, note, review, reopen)."
            case .holdUntilNew: "FILL IN for hold: the date (YYYY-MM-DD, after today) to hold the exception until."
            }
        }
    }

    /// The actions a sheet row may ask for (assigning is done with `shoprecon exceptions assign`).
    public static let sheetActions: [ExceptionAction] = [.resolve, .writeOff, .hold, .review, .reopen, .note]

    /// `0` → `A`, `25` → `Z`, `26` → `AA`.
    static func columnLetter(_ index: Int) -> String {
        var n = index + 1
        var letters = ""
        while n > 0 {
            let remainder = (n - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + remainder))) + letters
            n = (n - 1) / 26
        }
        return letters
    }

    /// Writes `exceptions` to a new workbook at `url` (replacing a file there).
    public static func write(_ exceptions: [ReconException], to url: URL) throws {
        guard let workbook = workbook_new(url.path) else {
            throw ReconcileError(.invalidInput, "cannot create the workbook \(url.path)",
                                 hint: "check that the folder exists and is writable")
        }
        let writer = SheetWriter(workbook: workbook)
        do {
            try writer.writeExceptions(exceptions)
            try writer.writeHelp()
        } catch {
            _ = workbook_close(workbook)
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        let closed = workbook_close(workbook)
        guard closed == LXW_NO_ERROR else {
            try? FileManager.default.removeItem(at: url)
            throw ReconcileError(.invalidInput, "could not write the workbook \(url.path): " + String(cString: lxw_strerror(closed)),
                                 hint: "check that the folder is writable and has space")
        }
    }

    /// The calls into libxlsxwriter, with every cell's result checked.
    private struct SheetWriter {
        let workbook: UnsafeMutablePointer<lxw_workbook>
        let header: UnsafeMutablePointer<lxw_format>
        let inputHeader: UnsafeMutablePointer<lxw_format>
        let input: UnsafeMutablePointer<lxw_format>
        let dateInput: UnsafeMutablePointer<lxw_format>
        let wrap: UnsafeMutablePointer<lxw_format>
        /// Number formats by the currency's minor-unit digits.
        let money: [Int: UnsafeMutablePointer<lxw_format>]

        init(workbook: UnsafeMutablePointer<lxw_workbook>) {
            self.workbook = workbook
            header = workbook_add_format(workbook)
            format_set_bold(header)
            format_set_bg_color(header, 0xD9E1F2)
            inputHeader = workbook_add_format(workbook)
            format_set_bold(inputHeader)
            format_set_bg_color(inputHeader, 0xFFE699)
            input = workbook_add_format(workbook)
            format_set_bg_color(input, 0xFFF2CC)
            dateInput = workbook_add_format(workbook)
            format_set_bg_color(dateInput, 0xFFF2CC)
            format_set_num_format(dateInput, "yyyy-mm-dd")
            wrap = workbook_add_format(workbook)
            format_set_text_wrap(wrap)
            var money: [Int: UnsafeMutablePointer<lxw_format>] = [:]
            for (digits, pattern) in [(0, "#,##0"), (2, "#,##0.00"), (3, "#,##0.000")] {
                let format = workbook_add_format(workbook)!
                format_set_num_format(format, pattern)
                money[digits] = format
            }
            self.money = money
        }

        func check(_ result: lxw_error, _ what: String) throws {
            guard result == LXW_NO_ERROR else {
                throw ReconcileError(.invalidInput, "could not write \(what) of the workbook: " + String(cString: lxw_strerror(result)))
            }
        }

        func sheet(_ name: String) throws -> UnsafeMutablePointer<lxw_worksheet> {
            guard let sheet = workbook_add_worksheet(workbook, name) else {
                throw ReconcileError(.invalidInput, "could not add the sheet \(name) to the workbook")
            }
            return sheet
        }

        func writeExceptions(_ exceptions: [ReconException]) throws {
            let sheet = try sheet(ExceptionWorkbook.sheetName)
            let columns = Column.allCases
            for column in columns {
                let format = column.isInput ? (column == .holdUntilNew ? dateInput : input) : nil
                try check(worksheet_set_column(sheet, lxw_col_t(column.index), lxw_col_t(column.index), column.width, format), "column widths")
                try check(worksheet_write_string(sheet, 0, lxw_col_t(column.index), column.rawValue,
                                                 column.isInput ? inputHeader : header), "the header")
            }
            for (offset, e) in exceptions.enumerated() {
                let row = lxw_row_t(offset + 1)
                func text(_ column: Column, _ value: String?) throws {
                    guard let value, !value.isEmpty else { return }
                    try check(worksheet_write_string(sheet, row, lxw_col_t(column.index), value, nil), "row \(row + 1)")
                }
                func amount(_ column: Column, _ minor: Int64?) throws {
                    guard let minor else { return }
                    let digits = e.currency.map { SheetMoney.digits($0) } ?? 2
                    try check(worksheet_write_number(sheet, row, lxw_col_t(column.index),
                                                     MinorUnits.spreadsheetValue(minor, currency: e.currency), money[digits] ?? money[2]!),
                              "row \(row + 1)")
                }
                try check(worksheet_write_number(sheet, row, lxw_col_t(Column.id.index), Double(e.id), nil), "row \(row + 1)")
                try text(.period, e.period.description)
                try text(.flow, e.flow)
                try text(.type, e.type)
                try text(.severity, e.severity.rawValue)
                try text(.status, e.onHold ? e.status.rawValue + " (on hold)" : e.status.rawValue)
                try text(.store, e.store)
                try text(.reference, e.reference)
                try text(.currency, e.currency)
                try amount(.expected, e.expected)
                try amount(.actual, e.actual)
                try amount(.difference, e.difference)
                try text(.assignee, e.assignee)
                try text(.holdUntil, e.holdUntil)
            }
            let lastRow = lxw_row_t(max(exceptions.count, 1))
            let lastColumn = lxw_col_t(columns.count - 1)
            worksheet_freeze_panes(sheet, 1, 1)
            try check(worksheet_autofilter(sheet, 0, 0, lastRow, lastColumn), "the autofilter")
            try addActionList(to: sheet, lastRow: lastRow)
        }

        /// A drop-down of the allowed actions on the action column (typing is still possible;
        /// `apply` validates every row anyway).
        func addActionList(to sheet: UnsafeMutablePointer<lxw_worksheet>, lastRow: lxw_row_t) throws {
            let words = ExceptionWorkbook.sheetActions.map { strdup($0.rawValue) }
            defer { words.forEach { free($0) } }
            var list: [UnsafeMutablePointer<CChar>?] = words + [nil]
            try list.withUnsafeMutableBufferPointer { buffer in
                var validation = lxw_data_validation()
                validation.validate = UInt8(LXW_VALIDATION_TYPE_LIST.rawValue)
                validation.value_list = buffer.baseAddress
                validation.ignore_blank = UInt8(LXW_VALIDATION_ON.rawValue)
                validation.error_type = UInt8(LXW_VALIDATION_ERROR_TYPE_WARNING.rawValue)
                let column = lxw_col_t(Column.action.index)
                try check(worksheet_data_validation_range(sheet, 1, column, max(lastRow, 1000), column, &validation), "the action list")
            }
        }

        func writeHelp() throws {
            let sheet = try sheet(ExceptionWorkbook.helpSheetName)
            try check(worksheet_set_column(sheet, 0, 0, 18, nil), "column widths")
            try check(worksheet_set_column(sheet, 1, 1, 100, wrap), "column widths")
            try check(worksheet_write_string(sheet, 0, 0, "column", header), "the help")
            try check(worksheet_write_string(sheet, 0, 1, "meaning", header), "the help")
            var row: lxw_row_t = 1
            for column in Column.allCases {
                try check(worksheet_write_string(sheet, row, 0, column.rawValue, column.isInput ? inputHeader : nil), "the help")
                try check(worksheet_write_string(sheet, row, 1, column.help, wrap), "the help")
                row += 1
            }
            row += 1
            let notes = [
                ("resolve", "Marks it resolved. Needs the resolution text. Allowed when open or in_review."),
                ("write-off", "Accepts the difference. Needs the reason in resolution. Allowed when open or in_review."),
                ("hold", "Puts it on hold until hold_until_new (a day after today); resolution is kept as a note. Allowed when open or in_review."),
                ("review", "Starts working on it: open → in_review."),
                ("reopen", "Opens a resolved or written-off exception again; resolution is kept as the reason."),
                ("note", "Adds the text in resolution to the exception's history."),
                ("apply", "`shoprecon exceptions apply FILE` checks every row first and lists every problem with its row and column; then it applies all rows in one go, or none."),
            ]
            for (word, meaning) in notes {
                try check(worksheet_write_string(sheet, row, 0, word, header), "the help")
                try check(worksheet_write_string(sheet, row, 1, meaning, wrap), "the help")
                row += 1
            }
        }
    }
}

private enum SheetMoney {
    /// The number format to use: 0, 2 or 3 decimals, as the currency's minor unit.
    static func digits(_ code: String) -> Int {
        if ExceptionFilter.zeroDecimalCurrencies.contains(code) { return 0 }
        if ExceptionFilter.threeDecimalCurrencies.contains(code) { return 3 }
        return 2
    }
}
