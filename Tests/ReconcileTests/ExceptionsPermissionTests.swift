import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// Who may see and change exceptions: the library's checks explain, row-level security decides,
/// also for raw SQL through the application role.
@Suite("exception permissions", .workflowDatabase)
struct ExceptionsPermissionTests {
    @Test("sales (order.view_basic only) can neither see nor resolve exceptions, not even with raw SQL")
    func salesCannotSeeOrResolve() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let sam = try acme.token("sam")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2026-07")], for: acme)

        let listing = await #expect(throws: TenancyError.self) {
            try await env.asUser(sam) { tx, context in try ExceptionDirectory.list(context: context, on: tx) }
        }
        #expect(listing?.kind == .permissionDenied)
        #expect(listing?.message.contains("order.view_financial") == true)
        let resolving = await #expect(throws: TenancyError.self) {
            try await env.asUser(sam) { tx, context in
                try ExceptionDirectory.perform(.ids(ids, .resolve, text: "looks fine to me"), context: context, on: tx)
            }
        }
        #expect(resolving?.message.contains("exception.resolve") == true)

        // The database agrees: nothing visible, nothing changeable, no events insertable.
        let (seen, updated, eventRefused) = try await env.asUser(sam) { tx, _ in
            let seen = try tx.query("SELECT count(*)::int FROM recon_exceptions").first!.decode(Int.self, at: 0)
            let updated = try tx.query("UPDATE recon_exceptions SET status = 'resolved' WHERE exception_id = $1", [ids[0]]).affectedRows
            var refused = false
            do {
                _ = try await tx.transaction { sp in
                    try sp.query("INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action) VALUES ($1, $2, 'user:sam', 'note')",
                                 [acme.id, ids[0]])
                }
            } catch let error as PostgresError where error.sqlState == SQLState.insufficientPrivilege {
                refused = true
            }
            return (seen, updated, refused)
        }
        #expect(seen == 0 && updated == 0 && eventRefused)
        #expect(try await env.stored(ids[0]).status == "open")
    }

    @Test("the auditor reads exceptions and their history but cannot change them")
    func auditorReadsOnly() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let ada = try acme.token("ada")
        let ids = try await env.plant([WorkflowExceptionSpec(period: "2026-07", type: .missingOnPlatform)], for: acme)
        let detail = try await env.asUser(ada) { tx, context in try ExceptionDirectory.show(id: ids[0], context: context, on: tx) }
        #expect(detail.history.count == 1)
        await #expect(throws: TenancyError.self) {
            try await env.asUser(ada) { tx, context in
                try ExceptionDirectory.perform(.ids(ids, .note, text: "checked"), context: context, on: tx)
            }
        }
        let updated = try await env.asUser(ada) { tx, _ in
            try tx.query("UPDATE recon_exceptions SET status = 'resolved' WHERE exception_id = $1", [ids[0]]).affectedRows
        }
        #expect(updated == 0)
    }

    @Test("a finance user scoped to one store sees and changes only that store's exceptions")
    func storeScope() async throws {
        let env = try WorkflowEnvironment.get()
        let acme = try await env.merchant()
        let tom = try acme.token("tom")
        let ids = try await env.plant([
            WorkflowExceptionSpec(period: "2026-08", store: "tmall"),
            WorkflowExceptionSpec(period: "2026-08", store: "jd"),
            WorkflowExceptionSpec(period: "2026-08", type: .unexplainedBankCredit, store: nil),
        ], for: acme)
        let (tmall, jd, bank) = (ids[0], ids[1], ids[2])
        let period = try ReconPeriod(parsing: "2026-08")

        let visible = try await env.asUser(tom) { tx, context in
            try ExceptionDirectory.list(filter: ExceptionFilter(period: period), context: context, on: tx).map(\.id)
        }
        #expect(visible == [tmall])
        for hidden in [jd, bank] {
            let error = await #expect(throws: ReconcileError.self) {
                try await env.asUser(tom) { tx, context in try ExceptionDirectory.show(id: hidden, context: context, on: tx) }
            }
            #expect(error?.kind == .notFound)
            let change = await #expect(throws: ReconcileError.self) {
                try await env.asUser(tom) { tx, context in
                    try ExceptionDirectory.perform(.ids([hidden], .resolve, text: "not mine"), context: context, on: tx)
                }
            }
            #expect(change?.kind == .notFound)
        }
        // A bulk action over the whole period touches only his store's exception.
        let result = try await env.asUser(tom) { tx, context in
            try ExceptionDirectory.perform(ExceptionActionRequest(action: .review, filter: ExceptionFilter(period: period), bulk: true),
                                           context: context, on: tx)
        }
        #expect(result.ids == [tmall])
        #expect(try await env.stored(jd).status == "open")
        #expect(try await env.stored(bank).status == "open")
        // Raw SQL cannot reach the other store's row either.
        let updated = try await env.asUser(tom) { tx, _ in
            try tx.query("UPDATE recon_exceptions SET status = 'resolved', resolution = 'x' WHERE exception_id = ANY($1::bigint[])",
                         [[jd, bank]]).affectedRows
        }
        #expect(updated == 0)
        #expect(try await env.stored(jd).status == "open")
        // Moving his exception to another store is refused by the policy's check.
        await #expect(throws: PostgresError.self) {
            try await env.asUser(tom) { tx, _ in
                try tx.query("UPDATE recon_exceptions SET store_id = $2 WHERE exception_id = $1", [tmall, try acme.store("jd")])
            }
        }
    }
}
