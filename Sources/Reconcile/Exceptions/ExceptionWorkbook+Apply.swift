import Foundation
import PostgresClient
import Tenancy

extension ExceptionWorkbook {
    /// Writes the exceptions matching `filter` (all of them, most severe first) to `url`;
    /// returns how many. Needs `order.view_financial`, like listing them.
    @discardableResult
    public static func export(filter: ExceptionFilter, to url: URL, context: AccessContext,
                              on tx: isolated PostgresConnection) throws -> Int {
        let exceptions = try ExceptionDirectory.list(filter: filter, limit: nil, context: context, on: tx)
        try write(exceptions, to: url)
        return exceptions.count
    }

    /// Checks every row of a filled-in workbook against the database, then applies all of them
    /// in the caller's transaction, or none: with any problem it throws
    /// ``ExceptionWorkbookError`` listing every problem with its row and column. Rows with an
    /// empty action are skipped. Each applied row is one workflow action (one event; audited).
    public static func apply(_ sheet: ExceptionSheet, dryRun: Bool = false, context: AccessContext,
                             on tx: isolated PostgresConnection) throws -> ExceptionApplyReport {
        let tenant = try context.requireTenant()
        try context.require(Permission.exceptionResolve, to: "work on reconciliation exceptions")
        var problems = sheet.problems
        let actionable = sheet.instructions.filter { $0.action != nil }
        let ids = actionable.map(\.id)
        var found: [Int64: (status: ExceptionStatus, period: String, closed: Bool)] = [:]
        if !ids.isEmpty {
            for row in try tx.query("""
                SELECT e.exception_id, e.status, to_char(e.period, 'YYYY-MM'),
                       EXISTS (SELECT FROM recon_periods p WHERE p.tenant_id = e.tenant_id AND p.period = e.period)
                FROM recon_exceptions e WHERE e.tenant_id = $1 AND e.exception_id = ANY($2::bigint[])
                ORDER BY e.exception_id FOR UPDATE OF e
                """, [tenant, ids]) {
                let (id, status, period, closed) = try row.decode((Int64, String, String, Bool).self)
                if let value = ExceptionStatus(rawValue: status) { found[id] = (value, period, closed) }
            }
        }
        let today = try tx.query("SELECT recon_tenant_today($1)::text", [tenant])[0].decode(String.self, at: 0)
        func problem(_ code: ExceptionSheetProblem.Code, _ instruction: ExceptionSheet.Instruction, _ column: Column, _ message: String) {
            problems.append(ExceptionSheetProblem(code: code, sheet: sheetName, row: instruction.row, column: column.rawValue,
                                                  columnLetter: column.letter, message: message))
        }
        for instruction in actionable {
            guard let action = instruction.action else { continue }
            guard let current = found[instruction.id] else {
                problem(.unknownID, instruction, .id, "no exception \(instruction.id), or it is outside the stores you may see")
                continue
            }
            if !action.allowedFrom.contains(current.status) {
                let allowed = ExceptionStatus.allCases.filter(action.allowedFrom.contains).map(\.rawValue).joined(separator: " or ")
                problem(.transition, instruction, .action, "exception \(instruction.id) is \(current.status), so it cannot be \(action.pastTense) (\(action) needs \(allowed))")
            }
            if current.closed {
                problem(.periodClosed, instruction, .action, "exception \(instruction.id) belongs to the closed period \(current.period) and cannot change")
            }
            if action == .hold, let date = instruction.holdUntil, date <= today {
                problem(.badDate, instruction, .holdUntilNew, "\(date) is not after today (\(today)); hold until a later day")
            }
        }
        if !problems.isEmpty {
            problems.sort { ($0.row, Column(rawValue: $0.column)?.index ?? 99) < ($1.row, Column(rawValue: $1.column)?.index ?? 99) }
            throw ExceptionWorkbookError(file: sheet.file, problems: problems)
        }
        var applied: [String: Int] = [:]
        for instruction in actionable {
            guard let action = instruction.action else { continue }
            applied[action.rawValue, default: 0] += 1
            if dryRun { continue }
            _ = try ExceptionDirectory.perform(.ids([instruction.id], action, text: instruction.text, holdUntil: instruction.holdUntil),
                                               context: context, on: tx)
        }
        return ExceptionApplyReport(file: sheet.file, rows: sheet.instructions.count,
                                    skipped: sheet.instructions.count - actionable.count, applied: applied, dryRun: dryRun)
    }
}
