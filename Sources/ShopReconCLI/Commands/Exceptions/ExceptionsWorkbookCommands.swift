import ArgumentParser
import Foundation
import Reconcile

/// `shoprecon exceptions export --xlsx FILE`: the exceptions as a workbook to fill in.
struct ExceptionsExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the exceptions matching the filters to an Excel workbook to fill in.",
        discussion: """
            The sheet `exceptions` has one row per exception and three columns to fill in: action \
            (resolve, write-off, hold, review, reopen or note), resolution (the resolution, reason or \
            note) and hold_until_new (for hold). The sheet `help` explains every column. Then run \
            `shoprecon exceptions apply FILE`.

            Example: shoprecon exceptions export --xlsx october.xlsx --period 2026-10 --status open
            """
    )
    @Option(help: ArgumentHelp("The workbook to write (.xlsx).", valueName: "file"), completion: .file(extensions: ["xlsx"]))
    var xlsx: String
    @OptionGroup var filters: ExceptionFilterOptions
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    struct Written: Encodable, Sendable {
        var file: String
        var exceptions: Int
    }

    func run() async throws {
        try await runCommand {
            let filter = try filters.filter(ids: [])
            let url = URL(fileURLWithPath: xlsx)
            guard url.pathExtension.lowercased() == "xlsx" else {
                throw CLIFailure.badInput("\(xlsx) does not end in .xlsx", hint: "Excel opens the workbook by its extension; name it e.g. exceptions.xlsx")
            }
            let exceptions = try await access.run { tx, context in
                try ExceptionDirectory.list(filter: filter, limit: nil, context: context, on: tx)
            }
            guard !exceptions.isEmpty else {
                throw CLIFailure.notFound("no exception matches \(filter.summary); no workbook was written")
            }
            try ExceptionWorkbook.write(exceptions, to: url)
            let written = Written(file: url.path, exceptions: exceptions.count)
            try emit(written, json: output.json) {
                "Wrote \(written.exceptions) exception\(written.exceptions == 1 ? "" : "s") to \(xlsx). Fill in action, resolution and "
                    + "hold_until_new, then run `shoprecon exceptions apply \(xlsx)`."
            }
        }
    }
}

/// `shoprecon exceptions apply FILE`: the filled-in workbook, checked and applied all or nothing.
struct ExceptionsApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a filled-in exceptions workbook: every row checked first, then all applied or none.",
        discussion: """
            Rows with an empty action are skipped. Problems (an unknown or invisible id, an unknown \
            action, resolve or write-off without text, hold without a later date, an action the \
            exception's status does not allow, a closed period) are all listed with their cell, and \
            then nothing is applied. Otherwise every row becomes one workflow action, in one \
            transaction, recorded in each exception's history and the audit log.

            Examples:
              shoprecon exceptions apply october.xlsx --dry-run
              shoprecon exceptions apply october.xlsx --json
            """
    )
    @Argument(help: "The workbook written by `exceptions export` and filled in.", completion: .file(extensions: ["xlsx"]))
    var file: String
    @Flag(help: "Check every row and count the actions; change nothing.") var dryRun = false
    @OptionGroup var access: TenantAccessOptions
    @OptionGroup var output: OutputOptions

    struct Problems: Encodable {
        var file: String
        var problems: [ExceptionSheetProblem]
    }

    func run() async throws {
        try await runCommand {
            let url = URL(fileURLWithPath: file)
            guard FileManager.default.isReadableFile(atPath: url.path) else {
                throw CLIFailure.badInput("cannot read \(file)", hint: "check the path and its permissions")
            }
            let sheet = try ExceptionSheet.read(url)
            let dryRun = self.dryRun
            let report: ExceptionApplyReport
            do {
                report = try await access.run { tx, context in try ExceptionWorkbook.apply(sheet, dryRun: dryRun, context: context, on: tx) }
            } catch let error as ExceptionWorkbookError {
                if output.json { try printJSON(Problems(file: error.file, problems: error.problems)) }
                throw error.reconcileError
            }
            try emit(report, json: output.json) {
                var table = TextTable("ACTION", "ROWS")
                for action in ExceptionWorkbook.sheetActions {
                    if let count = report.applied[action.rawValue] { table.append([action.rawValue, String(count)]) }
                }
                let total = report.applied.values.reduce(0, +)
                var text = (report.dryRun ? "Would apply" : "Applied") + " \(total) row\(total == 1 ? "" : "s") of \(report.file)"
                    + " (\(report.skipped) without an action skipped)."
                if total > 0 { text += "\n" + table.render() }
                if report.dryRun { text += "\nNothing was changed (--dry-run)." }
                return text
            }
        }
    }
}
