import Foundation
import PostgresClient
import Tenancy

extension ExceptionDirectory {
    /// Applies a workflow action to the exceptions the request names, all of them or none, in
    /// the caller's transaction: each changed exception gets one event in its history (actor
    /// from `context`), and the database's audit trigger records the change in `audit_log`.
    ///
    /// Refuses, changing nothing: a status the action cannot start from (naming it), ids that
    /// do not exist or are not visible, a bulk filter that matches nothing (or is empty), a
    /// resolve without a resolution, a write-off without a reason, a hold without a future
    /// date, an assignee who is not an active user of the tenant, and exceptions of a closed
    /// period (``ReconcileError/Kind/periodClosed``).
    public static func perform(_ request: ExceptionActionRequest, context: AccessContext,
                               on tx: isolated PostgresConnection) throws -> ExceptionActionResult {
        let tenant = try context.requireTenant()
        try context.require(Permission.exceptionResolve, to: "work on reconciliation exceptions")
        let inputs = try checkInputs(of: request, tenant: tenant, on: tx)
        let targets = try lockTargets(of: request, tenant: tenant, on: tx)
        try checkTransitions(request.action, targets: targets, filter: request.filter)
        if request.action == .clearHold {
            let notHeld = targets.filter { !$0.held }.map(\.id)
            if !notHeld.isEmpty {
                throw ReconcileError(.conflict, (notHeld.count == 1 ? "exception \(notHeld[0]) is" : "exceptions "
                                        + notHeld.prefix(10).map(String.init).joined(separator: ", ") + " are") + " not on hold; nothing was changed",
                                     hint: "select held ones with --status on_hold")
            }
        }
        let ids = targets.map(\.id)
        var fromStatus: [String: Int] = [:]
        for target in targets { fromStatus[target.status.rawValue, default: 0] += 1 }
        let result = ExceptionActionResult(action: request.action, count: ids.count, ids: ids, fromStatus: fromStatus,
                                           dryRun: request.dryRun)
        if request.dryRun { return result }
        try change(ids: ids, action: request.action, assigneeID: inputs.assigneeID, text: request.note,
                   holdUntil: request.holdUntil, eventNote: inputs.eventNote, tenant: tenant, actor: context.actor, on: tx)
        return result
    }

    struct Target {
        var id: Int64
        var status: ExceptionStatus
        /// Has a hold date (in the future or not).
        var held: Bool
    }

    struct CheckedInputs {
        var assigneeID: Int64?
        var eventNote: String?
    }

    /// The action's own inputs: a text where one is needed, a future date, a real assignee.
    static func checkInputs(of request: ExceptionActionRequest, tenant: Int64,
                            on tx: isolated PostgresConnection) throws -> CheckedInputs {
        var inputs = CheckedInputs(eventNote: request.note)
        switch request.action {
        case .resolve:
            guard request.note != nil else {
                throw ReconcileError(.invalidInput, "resolving needs a resolution: say what was done or found",
                                     hint: "pass --resolution \"refund booked on 2026-11-03\"")
            }
        case .writeOff:
            guard request.note != nil else {
                throw ReconcileError(.invalidInput, "writing off needs a reason", hint: "pass --reason \"below the tolerance agreed with finance\"")
            }
        case .note:
            guard request.note != nil else {
                throw ReconcileError(.invalidInput, "the note is empty", hint: "pass the note's text with --note")
            }
        case .hold:
            guard let date = request.holdUntil else {
                throw ReconcileError(.invalidInput, "holding needs a date to hold until", hint: "pass --until YYYY-MM-DD, a day after today")
            }
            try checkFutureDate(date, tenant: tenant, on: tx)
            inputs.eventNote = "until \(date)" + (request.note.map { ": " + $0 } ?? "")
        case .assign:
            guard let username = request.assignee?.trimmingCharacters(in: .whitespaces), !username.isEmpty else {
                throw ReconcileError(.invalidInput, "assigning needs a user", hint: "pass --to USERNAME")
            }
            guard let row = try tx.query("SELECT user_id, username, status FROM users WHERE tenant_id = $1 AND lower(username) = lower($2)",
                                         [tenant, username]).first else {
                throw ReconcileError(.notFound, "no user \"\(username)\" in this tenant", hint: "`shoprecon user list` shows the users")
            }
            let (userID, name, status) = try row.decode((Int64, String, String).self)
            guard status == "active" else {
                throw ReconcileError(.invalidInput, "user \(name) is disabled and cannot be given exceptions", hint: "assign them to an active user")
            }
            inputs.assigneeID = userID
            inputs.eventNote = "to \(name)" + (request.note.map { ": " + $0 } ?? "")
        case .review, .reopen, .clearHold:
            break
        }
        return inputs
    }

    /// A `YYYY-MM-DD` date after today in the tenant's time zone.
    static func checkFutureDate(_ text: String, tenant: Int64, on tx: isolated PostgresConnection) throws {
        guard isCalendarDate(text) else {
            throw ReconcileError(.invalidInput, "'\(text)' is not a date", hint: "write it as YYYY-MM-DD, e.g. 2026-12-15")
        }
        let (future, today) = try tx.query("SELECT $2::date > t.today, t.today::text FROM (SELECT recon_tenant_today($1) AS today) t",
                                           [tenant, text])[0].decode((Bool, String).self)
        guard future else {
            throw ReconcileError(.invalidInput, "the hold date \(text) is not in the future (today is \(today))",
                                 hint: "hold until a later day; to take a hold off, resolve or reopen the exception")
        }
    }

    /// A real day of the calendar written `YYYY-MM-DD` (not `2026-02-30`).
    static func isCalendarDate(_ text: String) -> Bool {
        guard let match = text.wholeMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})/),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
              (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    /// Finds and locks the exceptions the request is about; refuses unknown ids and empty
    /// selections.
    static func lockTargets(of request: ExceptionActionRequest, tenant: Int64,
                            on tx: isolated PostgresConnection) throws -> [Target] {
        let filter = request.filter
        try filter.validate()
        if request.bulk {
            guard !filter.isEmpty else {
                throw ReconcileError(.invalidInput, "a bulk action needs at least one filter",
                                     hint: "e.g. --period 2026-10 --type fee_anomaly --status open; to mean every open exception say --status open")
            }
        } else {
            guard !filter.ids.isEmpty else {
                throw ReconcileError(.invalidInput, "name the exceptions by id, or pass --all-matching with filters",
                                     hint: "`shoprecon exceptions list` shows the ids")
            }
        }
        try checkNames(in: filter, tenant: tenant, on: tx)
        var binds: [any PostgresEncodable] = [tenant]
        let conditions = filter.compile(binds: &binds)
        let targets = try tx.query("""
            SELECT e.exception_id, e.status, e.hold_until IS NOT NULL FROM recon_exceptions e WHERE \(conditions)
            ORDER BY e.exception_id FOR UPDATE OF e
            """, binds).map { row in
            let (id, status, held) = try row.decode((Int64, String, Bool).self)
            guard let value = ExceptionStatus(rawValue: status) else {
                throw ReconcileError(.invalidInput, "exception \(id) has an unknown status \(status)")
            }
            return Target(id: id, status: value, held: held)
        }
        if !request.bulk {
            let found = Set(targets.map(\.id))
            let missing = filter.ids.filter { !found.contains($0) }
            if !missing.isEmpty { throw notFound(Array(Set(missing)).sorted()) }
        }
        guard !targets.isEmpty else {
            throw ReconcileError(.notFound, "no exception matches \(filter.summary); nothing was changed",
                                 hint: "check the filter with `shoprecon exceptions list` and the same options")
        }
        return targets
    }

    /// Every target must be in a status the action can start from; otherwise nothing happens.
    static func checkTransitions(_ action: ExceptionAction, targets: [Target], filter: ExceptionFilter) throws {
        let refused = targets.filter { !action.allowedFrom.contains($0.status) }
        guard let first = refused.first else { return }
        if targets.count == 1 { throw action.refusal(current: first.status, exceptionID: first.id) }
        var byStatus: [ExceptionStatus: [Int64]] = [:]
        for target in refused { byStatus[target.status, default: []].append(target.id) }
        let parts = ExceptionStatus.allCases.compactMap { status -> String? in
            guard let ids = byStatus[status] else { return nil }
            let shown = ids.prefix(10).map(String.init).joined(separator: ", ") + (ids.count > 10 ? ", …" : "")
            return "\(ids.count) \(status) (\(shown))"
        }
        let allowed = ExceptionStatus.allCases.filter(action.allowedFrom.contains).map(\.rawValue)
        throw ReconcileError(.conflict,
                             "\(refused.count) of the \(targets.count) exceptions cannot be \(action.pastTense): "
                                + parts.joined(separator: ", ") + "; nothing was changed",
                             hint: "\(action) needs \(allowed.joined(separator: " or ")); narrow the selection, e.g. "
                                + allowed.map { "--status \($0)" }.joined(separator: " "))
    }

    /// One UPDATE of the exceptions and one INSERT of their events, in one statement, so the
    /// history can never disagree with the status.
    static func change(ids: [Int64], action: ExceptionAction, assigneeID: Int64?, text: String?, holdUntil: String?,
                       eventNote: String?, tenant: Int64, actor: String, on tx: isolated PostgresConnection) throws {
        var binds: [any PostgresEncodable] = [tenant, ids, actor, action.eventAction, eventNote]
        func parameter<T: PostgresEncodable>(_ value: T?) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let set: String
        switch action {
        case .assign:
            set = "status = CASE WHEN e.status = 'open' THEN 'in_review' ELSE e.status END, assignee_id = \(parameter(assigneeID))::bigint"
        case .review:
            set = "status = 'in_review'"
        case .resolve:
            set = "status = 'resolved', resolution = \(parameter(text))::text, hold_until = NULL"
        case .writeOff:
            set = "status = 'written_off', resolution = \(parameter(text))::text, hold_until = NULL"
        case .hold:
            set = "hold_until = \(parameter(holdUntil))::date"
        case .clearHold:
            set = "hold_until = NULL"
        case .reopen:
            set = "status = 'open', resolution = NULL, hold_until = NULL"
        case .note:
            set = "updated_at = now()"
        }
        let sql = """
            WITH old AS (
                SELECT exception_id, status FROM recon_exceptions WHERE tenant_id = $1 AND exception_id = ANY($2::bigint[])
            ), changed AS (
                UPDATE recon_exceptions e SET \(set)\(action == .note ? "" : ", updated_at = now()")
                FROM old WHERE e.tenant_id = $1 AND e.exception_id = old.exception_id
                RETURNING e.exception_id, old.status AS from_status, e.status AS to_status
            )
            INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, from_status, to_status, note)
            SELECT $1, exception_id, $3, $4, from_status, to_status, $5::text FROM changed
            """
        let inserted: Int
        do {
            inserted = try tx.query(sql, binds).affectedRows
        } catch let error as PostgresError {
            throw translate(error)
        }
        guard inserted == ids.count else {
            throw ReconcileError(.conflict, "only \(inserted) of \(ids.count) exceptions could be changed; nothing was changed",
                                 hint: "another session changed them at the same time; list them again and retry")
        }
    }

    /// The database's refusals in the workflow's words.
    static func translate(_ error: PostgresError) -> any Error {
        switch error.sqlState {
        case ReconcileError.periodClosedSQLState?:
            return ReconcileError(.periodClosed, error.serverInfo?[.message] ?? error.message,
                                  hint: error.serverInfo?[.hint] ?? "closed periods are locked; ask a finance manager to reopen the period")
        case SQLState.insufficientPrivilege?:
            return ReconcileError(.permissionDenied, "the database refused the change: " + (error.serverInfo?[.message] ?? error.message),
                                  hint: "you need exception.resolve for the exceptions' stores")
        default:
            return error
        }
    }
}
