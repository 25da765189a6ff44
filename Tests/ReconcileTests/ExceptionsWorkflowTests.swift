import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// The exception workflow as finance staff use it, against the real database: every action and
/// its history, refused transitions, bulk actions by filter, filters, and closed periods.
/// Each test works in a period of its own, so tests can run side by side on one merchant.
@Suite("exception workflow", .workflowDatabase)
struct ExceptionsWorkflowTests {
    @Test("every action moves the status it should and appends its event, with the actor")
    func transitionsAndHistory() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2026-01"), WorkflowExceptionSpec(period: "2026-01")], for: acme)
        let (a, b) = (ids[0], ids[1])

        func act(_ request: ExceptionActionRequest) async throws -> ExceptionActionResult {
            try await env.asUser(fiona) { tx, context in try ExceptionDirectory.perform(request, context: context, on: tx) }
        }

        // a: assign (open → in_review), note, hold, resolve, reopen, write-off.
        let assigned = try await act(.ids([a], .assign, assignee: "TOM"))
        #expect(assigned.count == 1 && assigned.fromStatus == ["open": 1])
        #expect(try await env.stored(a) == WorkflowStoredException(status: "in_review", assignee: "tom"))
        _ = try await act(.ids([a], .note, text: "asked Tmall support, ticket 88213"))
        _ = try await act(.ids([a], .hold, text: "waiting for the platform's correction", holdUntil: "2099-01-15"))
        #expect(try await env.stored(a).holdUntil == "2099-01-15")
        _ = try await act(.ids([a], .resolve, text: "platform corrected the settlement on 2026-11-03"))
        #expect(try await env.stored(a) == WorkflowStoredException(status: "resolved", assignee: "tom",
                                                                      resolution: "platform corrected the settlement on 2026-11-03"))
        _ = try await act(.ids([a], .reopen, text: "correction reversed"))
        #expect(try await env.stored(a) == WorkflowStoredException(status: "open", assignee: "tom"))
        _ = try await act(.ids([a], .writeOff, text: "below the agreed tolerance"))
        #expect(try await env.stored(a).status == "written_off")
        #expect(try await env.stored(a).resolution == "below the agreed tolerance")

        // b: review (open → in_review), then resolve.
        _ = try await act(.ids([b], .review))
        #expect(try await env.stored(b).status == "in_review")
        _ = try await act(.ids([b], .resolve, text: "duplicate settlement line"))

        #expect(try await env.events(a) == [
            "found ->open system:recon",
            "assigned open>in_review user:fiona",
            "note in_review>in_review user:fiona",
            "hold in_review>in_review user:fiona",
            "status in_review>resolved user:fiona",
            "reopened resolved>open user:fiona",
            "status open>written_off user:fiona",
        ])
        #expect(try await env.events(b) == ["found ->open system:recon", "status open>in_review user:fiona",
                                            "status in_review>resolved user:fiona"])

        // show returns the history and the record's facts, as the user sees them.
        let detail = try await env.asUser(fiona) { tx, context in try ExceptionDirectory.show(id: a, context: context, on: tx) }
        #expect(detail.history.map(\.action) == ["found", "assigned", "note", "hold", "status", "reopened", "status"])
        #expect(detail.history[1].note == "to tom")
        #expect(detail.history[3].note == "until 2099-01-15: waiting for the platform's correction")
        #expect(detail.exception.status == .writtenOff)
        #expect(detail.record.first { $0.name == "paid_amount" }?.value == "1299.00")
        #expect(detail.record.first { $0.name == "order_no" }?.value == detail.exception.reference)

        // Every change of status, assignee, hold or resolution is in the audit log, by fiona.
        let audited = try await env.ownerScalar(Int.self, """
            SELECT count(*)::int FROM audit_log WHERE action = 'recon_exceptions.update' AND actor = 'user:fiona'
            AND (after ->> 'exception_id')::bigint = $1
            """, [a])
        #expect(audited == 5)  // assign, hold, resolve, reopen, write-off (a note changes none of them)
    }

    @Test("actions a status does not allow are refused with the current status named, and change nothing")
    func badTransitions() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2026-02"), WorkflowExceptionSpec(period: "2026-02")], for: acme)
        let (open, done) = (ids[0], ids[1])
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([done], .resolve, text: "refund booked"), context: context, on: tx)
        }
        let cases: [(Int64, ExceptionActionRequest, String)] = [
            (open, .ids([open], .reopen), "is open"),
            (done, .ids([done], .resolve, text: "again"), "is resolved"),
            (done, .ids([done], .writeOff, text: "small"), "is resolved"),
            (done, .ids([done], .hold, holdUntil: "2099-01-01"), "is resolved"),
            (done, .ids([done], .assign, assignee: "tom"), "is resolved"),
            (done, .ids([done], .review), "is resolved"),
        ]
        for (id, request, words) in cases {
            let before = try await env.events(id)
            let error = await #expect(throws: ReconcileError.self) {
                try await env.asUser(fiona) { tx, context in try ExceptionDirectory.perform(request, context: context, on: tx) }
            }
            #expect(error?.kind == .conflict)
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
            #expect(try await env.events(id) == before)
        }
        // Inputs an action needs.
        let missing: [ExceptionActionRequest] = [
            .ids([open], .resolve), .ids([open], .resolve, text: "   "), .ids([open], .writeOff), .ids([open], .note),
            .ids([open], .hold), .ids([open], .hold, holdUntil: "2020-01-01"), .ids([open], .hold, holdUntil: "2026-02-30"),
            .ids([open], .assign), .ids([open], .assign, assignee: "nobody"),
        ]
        for request in missing {
            await #expect(throws: ReconcileError.self) {
                try await env.asUser(fiona) { tx, context in try ExceptionDirectory.perform(request, context: context, on: tx) }
            }
        }
        #expect(try await env.stored(open) == WorkflowStoredException(status: "open"))
        // An id that does not exist is named.
        let unknown = await #expect(throws: ReconcileError.self) {
            try await env.asUser(fiona) { tx, context in
                try ExceptionDirectory.perform(.ids([open, 987_654], .review), context: context, on: tx)
            }
        }
        #expect(unknown?.kind == .notFound)
        #expect(unknown?.message.contains("987654") == true)
        #expect(try await env.stored(open).status == "open")
    }

    @Test("a hold can be taken off before its day; taking off a hold that is not there is refused")
    func clearHold() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let id = try await env.plant([WorkflowExceptionSpec(period: "2026-02", type: .overdueReceivable, severity: .medium)], for: acme)[0]
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([id], .hold, text: "buyer promised to pay", holdUntil: "2099-02-01"), context: context, on: tx)
        }
        let held = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.list(filter: ExceptionFilter(statuses: [.onHold], ids: [id]), context: context, on: tx).count
        }
        #expect(held == 1)
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([id], .clearHold, text: "paid"), context: context, on: tx)
        }
        #expect(try await env.stored(id) == WorkflowStoredException(status: "open"))
        #expect(try await env.events(id).suffix(2) == ["hold open>open user:fiona", "cleared open>open user:fiona"])
        let again = await #expect(throws: ReconcileError.self) {
            try await env.asUser(fiona) { tx, context in try ExceptionDirectory.perform(.ids([id], .clearHold), context: context, on: tx) }
        }
        #expect(again?.message.contains("not on hold") == true)
    }

    @Test("a bulk action by filter changes every match in one go, counts them, and previews with a dry run")
    func bulkByFilter() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        var specs = (0..<6).map { WorkflowExceptionSpec(period: "2026-03", type: .feeAnomaly, severity: .medium, expected: 10_000 + Int64($0)) }
        specs += [WorkflowExceptionSpec(period: "2026-03", type: .feeAnomaly, severity: .medium, store: "jd"),
                  WorkflowExceptionSpec(period: "2026-03", type: .amountMismatch)]
        let ids = try await env.plant(specs, for: acme)
        let tmallFees = Array(ids[0..<6])
        let filter = ExceptionFilter(period: try ReconPeriod(parsing: "2026-03"), types: ["fee_anomaly"], statuses: [.open],
                                     storeCodes: ["tmall"])

        let preview = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(ExceptionActionRequest(action: .writeOff, filter: filter, bulk: true, text: "rounding", dryRun: true),
                                           context: context, on: tx)
        }
        #expect(preview.count == 6 && preview.dryRun && preview.ids == tmallFees)
        #expect(try await env.stored(ids[0]).status == "open")

        let done = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(ExceptionActionRequest(action: .writeOff, filter: filter, bulk: true,
                                                                  text: "fee rounding under 0.01 CNY"), context: context, on: tx)
        }
        #expect(done.count == 6 && done.fromStatus == ["open": 6] && !done.dryRun)
        for id in tmallFees {
            #expect(try await env.stored(id).status == "written_off")
            #expect(try await env.events(id).last == "status open>written_off user:fiona")
        }
        #expect(try await env.stored(ids[6]).status == "open")  // other store
        #expect(try await env.stored(ids[7]).status == "open")  // other type
        #expect(try await env.auditCount(tmallFees) == 6)

        // The same filter now matches nothing: refused with a message, not a silent 0.
        let none = await #expect(throws: ReconcileError.self) {
            try await env.asUser(fiona) { tx, context in
                try ExceptionDirectory.perform(ExceptionActionRequest(action: .writeOff, filter: filter, bulk: true, text: "x"),
                                               context: context, on: tx)
            }
        }
        #expect(none?.kind == .notFound)
        #expect(none?.message.contains("no exception matches") == true)
        // A bulk action without any filter is refused.
        await #expect(throws: ReconcileError.self) {
            try await env.asUser(fiona) { tx, context in
                try ExceptionDirectory.perform(ExceptionActionRequest(action: .review, filter: ExceptionFilter(), bulk: true),
                                               context: context, on: tx)
            }
        }
    }

    @Test("a bulk action is all or nothing: one exception in a wrong status stops it for all")
    func bulkAllOrNothing() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant((0..<5).map { _ in WorkflowExceptionSpec(period: "2026-04", type: .unpaid) }, for: acme)
        _ = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(.ids([ids[2]], .resolve, text: "paid late, confirmed"), context: context, on: tx)
        }
        let filter = ExceptionFilter(period: try ReconPeriod(parsing: "2026-04"), types: ["unpaid"])
        let error = await #expect(throws: ReconcileError.self) {
            try await env.asUser(fiona) { tx, context in
                try ExceptionDirectory.perform(ExceptionActionRequest(action: .assign, filter: filter, bulk: true, assignee: "tom"),
                                               context: context, on: tx)
            }
        }
        #expect(error?.kind == .conflict)
        #expect(error?.message.contains("1 of the 5") == true && error?.message.contains("resolved (\(ids[2]))") == true,
                "\(error?.message ?? "")")
        for id in ids where id != ids[2] {
            #expect(try await env.stored(id) == WorkflowStoredException(status: "open"))
            #expect(try await env.events(id).count == 1)
        }
        // Narrowed to the open ones it works, for exactly those four.
        var narrowed = filter
        narrowed.statuses = [.open]
        let open = narrowed
        let result = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.perform(ExceptionActionRequest(action: .assign, filter: open, bulk: true, assignee: "tom"),
                                           context: context, on: tx)
        }
        #expect(result.count == 4)
        #expect(try await env.stored(ids[0]) == WorkflowStoredException(status: "in_review", assignee: "tom"))
    }

    @Test("filters select by severity, amount, store, assignee, age, hold and id, and list sorts by severity then amount")
    func filtersAndOrder() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([
            WorkflowExceptionSpec(period: "2026-05", type: .amountMismatch, severity: .high, expected: 100_000, actual: 80_000),   // diff 200.00
            WorkflowExceptionSpec(period: "2026-05", type: .amountMismatch, severity: .high, expected: 100_000, actual: 40_000),   // diff 600.00
            WorkflowExceptionSpec(period: "2026-05", type: .feeAnomaly, severity: .medium, expected: 10_000, actual: 9_990),       // diff 0.10
            WorkflowExceptionSpec(period: "2026-05", type: .duplicateOrder, severity: .low, store: "jd", expected: 5_000, actual: 5_000,
                                  foundDaysAgo: 40),
            WorkflowExceptionSpec(period: "2026-05", type: .unexplainedBankCredit, severity: .critical, store: nil, expected: 0,
                                  actual: 250_000),
        ], for: acme)
        _ = try await env.asUser(fiona) { tx, context in
            _ = try ExceptionDirectory.perform(.ids([ids[2]], .assign, assignee: "tom"), context: context, on: tx)
            return try ExceptionDirectory.perform(.ids([ids[1]], .hold, holdUntil: "2099-06-30"), context: context, on: tx)
        }
        let period = try ReconPeriod(parsing: "2026-05")
        func list(_ filter: ExceptionFilter) async throws -> [Int64] {
            try await env.asUser(fiona) { tx, context in
                try ExceptionDirectory.list(filter: filter, context: context, on: tx).map(\.id)
            }
        }
        #expect(try await list(ExceptionFilter(period: period)) == [ids[4], ids[1], ids[0], ids[2], ids[3]])
        #expect(try await list(ExceptionFilter(period: period, minimumSeverity: .high)) == [ids[4], ids[1], ids[0]])
        #expect(try await list(ExceptionFilter(period: period, minimumAmount: "300")) == [ids[4], ids[1]])
        #expect(try await list(ExceptionFilter(period: period, minimumAmount: "0.10")) == [ids[4], ids[1], ids[0], ids[2]])
        #expect(try await list(ExceptionFilter(period: period, storeCodes: ["jd"])) == [ids[3]])
        #expect(try await list(ExceptionFilter(period: period, assignees: ["tom"])) == [ids[2]])
        #expect(try await list(ExceptionFilter(period: period, statuses: [.onHold])) == [ids[1]])
        #expect(try await list(ExceptionFilter(period: period, statuses: [.inReview])) == [ids[2]])
        #expect(try await list(ExceptionFilter(period: period, olderThanDays: 30)) == [ids[3]])
        #expect(try await list(ExceptionFilter(period: period, flows: [.collections])) == [ids[4]])
        #expect(try await list(ExceptionFilter(ids: [ids[0], ids[3]])) == [ids[0], ids[3]])
        #expect(try await list(ExceptionFilter(period: period, unassigned: true)).count == 4)
        let paged = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.list(filter: ExceptionFilter(period: period), limit: 2, offset: 2, context: context, on: tx).map(\.id)
        }
        #expect(paged == [ids[0], ids[2]])
        let held = try await env.asUser(fiona) { tx, context in
            try ExceptionDirectory.list(filter: ExceptionFilter(ids: [ids[1]]), context: context, on: tx)
        }
        #expect(held.first?.onHold == true && held.first?.holdUntil == "2099-06-30" && held.first?.difference == -60_000)
        // Names that do not exist are reported, not silently matched by nothing.
        await #expect(throws: ReconcileError.self) { try await list(ExceptionFilter(storeCodes: ["nosuch"])) }
        await #expect(throws: ReconcileError.self) { try await list(ExceptionFilter(types: ["amount_mismach"])) }
        await #expect(throws: ReconcileError.self) { try await list(ExceptionFilter(minimumAmount: "1e5")) }
    }

    @Test("the filter puts every value in a parameter, never in the SQL text")
    func filterIsParameterized() throws {
        let hostile = "x'); DROP TABLE recon_exceptions; --"
        let filter = ExceptionFilter(period: try ReconPeriod(parsing: "2026-10"), flows: [.orders], types: [hostile],
                                     statuses: [.open, .onHold], minimumSeverity: .medium, storeCodes: [hostile], assignees: [hostile],
                                     ids: [1, 2], minimumAmount: "10.5", olderThanDays: 3)
        var binds: [any PostgresEncodable] = [Int64(1)]
        let sql = filter.compile(binds: &binds)
        #expect(!sql.contains("DROP") && !sql.contains("2026") && !sql.contains("10.5"))
        #expect(binds.count == 13)
        #expect(sql.contains("$13") && !sql.contains("$14"))
    }

    @Test("changing an exception of a closed period fails with periodClosed, and nothing changes")
    func closedPeriod() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let fiona = try acme.token("fiona")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2025-06"), WorkflowExceptionSpec(period: "2025-06")], for: acme)
        try await env.closePeriod("2025-06", for: acme)
        for request: ExceptionActionRequest in [.ids([ids[0]], .resolve, text: "late"), .ids([ids[0]], .note, text: "n"),
                                                ExceptionActionRequest(action: .review, filter: ExceptionFilter(period: try ReconPeriod(parsing: "2025-06")),
                                                                       bulk: true)] {
            let error = await #expect(throws: ReconcileError.self) {
                try await env.asUser(fiona) { tx, context in try ExceptionDirectory.perform(request, context: context, on: tx) }
            }
            #expect(error?.kind == .periodClosed)
            #expect(error?.message.contains("2025-06") == true)
            #expect(error?.hint?.contains("reopen") == true)
        }
        #expect(try await env.stored(ids[0]).status == "open")
        #expect(try await env.events(ids[0]).count == 1)
        #expect(try await env.events(ids[1]).count == 1)
    }
}
