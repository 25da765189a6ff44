/// Something wrong with one cell of a filled-in exceptions workbook.
public struct ExceptionSheetProblem: Sendable, Codable, Equatable, CustomStringConvertible {
    /// What kind of problem, for scripts.
    public enum Code: String, Sendable, Codable {
        case badID = "bad_id", duplicateID = "duplicate_id", unknownID = "unknown_id", unknownAction = "unknown_action"
        case missingText = "missing_text", badDate = "bad_date", transition, periodClosed = "period_closed"
    }

    public var code: Code
    public var sheet: String
    /// The sheet's row number, as Excel shows it.
    public var row: Int
    /// The column's name in the header (`action`, `resolution`, `hold_until_new`, `id`).
    public var column: String
    /// Its letter (`O`), as Excel shows it.
    public var columnLetter: String
    public var message: String

    /// `exceptions!O7 (action): unknown action 'fix'`.
    public var description: String { "\(sheet)!\(columnLetter)\(row) (\(column)): \(message)" }
}

/// A workbook that cannot be applied: every problem found, with its sheet, row and column.
/// Nothing was changed.
public struct ExceptionWorkbookError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [ExceptionSheetProblem]

    public var description: String {
        let head = problems.count == 1 ? "1 problem in \(file)" : "\(problems.count) problems in \(file)"
        return head + "; nothing was applied:\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }

    /// The same, as the error the CLI reports (bad input, exit code 1).
    /// A closed period makes it a conflict (exit code 5); anything else is bad input.
    public var reconcileError: ReconcileError {
        ReconcileError(problems.contains { $0.code == .periodClosed } ? .periodClosed : .invalidInput, description, hint: "fix these cells (or clear their action) and run `shoprecon exceptions apply` again")
    }
}

/// What applying a workbook did (or, with a dry run, would do).
public struct ExceptionApplyReport: Sendable, Codable, Equatable {
    public var file: String
    /// Rows with an exception id.
    public var rows: Int
    /// Rows with an empty action.
    public var skipped: Int
    /// Rows applied per action (`resolve`, `write-off`, …).
    public var applied: [String: Int]
    public var dryRun: Bool
}
