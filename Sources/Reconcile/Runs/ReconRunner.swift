import Foundation
import Logging
import PostgresClient
import Tenancy

/// Runs a reconciliation in the caller's transaction: everything it writes commits together or
/// not at all, so a failed run leaves the previous results as they were.
public enum ReconRunner {
    public static func run(_ request: RunRequest, jobID: Int64? = nil, context: AccessContext,
                           on tx: isolated PostgresConnection, logger: Logger = Logger(label: "shoprecon.reconcile")) throws -> RunResult {
        try context.require("recon.run", to: "run a reconciliation")
        try context.require("order.view_financial", to: "run a reconciliation (it reads amounts)")
        let tenant = try context.requireTenant()
        let started = ContinuousClock.now
        let store = try request.store.map { try StoreDirectory.find(code: $0, context: context, on: tx) }
        let flows = ReconFlow.allCases.filter(request.flows.contains)
        guard !flows.isEmpty else { throw ReconcileError(.invalidInput, "no flow to run", hint: "pass --flow orders, collections, returns or all") }
        // A user limited to some stores sees only part of the records: a run over every store
        // would take the rest for missing, and bank statements (which belong to no store) are
        // invisible to them, so every payout would look unpaid.
        if !context.allStores {
            guard let store else {
                throw ReconcileError(.permissionDenied, "you may see only some stores, so you can reconcile one store at a time",
                                     hint: "pass --store CODE with one of your stores")
            }
            guard context.storeIDs.contains(store.id) else {
                throw ReconcileError(.permissionDenied, "the store \(store.code) is outside the stores you may see")
            }
            guard !flows.contains(.collections) else {
                throw ReconcileError(.permissionDenied, "collections need every store: bank statements belong to no store",
                                     hint: "run --flow orders,returns, or ask a user with access to every store")
            }
        }

        // One run per tenant and period at a time; a second waits for the first.
        try tx.query("SELECT pg_advisory_xact_lock(hashtext('shoprecon.recon:' || $1::text || ':' || $2::text))",
                     [tenant, request.period.firstDay])
        try PeriodLock.requireOpen(request.period, tenantID: tenant, on: tx)
        let asOf = try request.asOf.map(validDate) ?? tx.query(
            "SELECT (now() AT TIME ZONE time_zone)::date::text FROM tenants WHERE tenant_id = $1", [tenant])[0].decode(String.self, at: 0)

        let runID = try tx.query("""
            INSERT INTO recon_runs (tenant_id, period, flows, store_id, as_of, job_id, actor)
            VALUES ($1, $2::date, $3::text[], $4, $5::date, $6, app_actor()) RETURNING run_id
            """, [tenant, request.period.firstDay, flows.map(\.rawValue), store?.id, asOf, jobID])[0].decode(Int64.self, at: 0)
        let scope = RunScope(runID: runID, tenantID: tenant, period: request.period, flows: flows, storeID: store?.id, asOf: asOf)

        try RunContext.create(scope, on: tx)
        try RunTables.create(on: tx)
        try ResultWriter.deletePreviousMatches(flows: flows, on: tx)
        for flow in flows {
            let flowStart = ContinuousClock.now
            switch flow {
            case .orders: try OrderCheck.run(on: tx)
            case .collections: try CollectionsCheck.run(on: tx)
            case .returns: try ReturnsCheck.run(on: tx)
            }
            logger.debug("flow done", metadata: ["flow": "\(flow)", "seconds": "\((ContinuousClock.now - flowStart).seconds)"])
        }
        _ = try ResultWriter.writeMatches(on: tx)
        let written = try ResultWriter.writeExceptions(on: tx)
        // Custom rules after the flows and before stale exceptions are cleared, so that the
        // exceptions they raise count as found by this run.
        let rules = try RuleEngine.apply(scope: scope, context: context, on: tx)
        let ruleHits = rules.rules.filter { $0.action == .exception }.map(\.matched).reduce(0, +)
        let cleared = try ResultWriter.clearStale(flows: flows, on: tx)

        let matches = try MatchCount.all(on: tx)
        var byType: [String: Int] = [:]
        for row in try tx.query("""
            SELECT e.type, count(*)::bigint FROM recon_exceptions e CROSS JOIN r_scope s
            WHERE e.tenant_id = s.tenant_id AND e.run_id = s.run_id GROUP BY 1 ORDER BY 1
            """) {
            let (key, count) = try row.decode((String, Int64).self)
            byType[key] = Int(count)
        }
        let seconds = (ContinuousClock.now - started).seconds
        let result = RunResult(runID: runID, period: request.period, flows: flows, store: store?.code, asOf: asOf, matches: matches,
                               exceptionsByType: byType, exceptionsFound: written.found + ruleHits, exceptionsNew: written.new,
                               exceptionsCleared: cleared, ruleHits: ruleHits, seconds: seconds)
        let stats = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        try tx.query("""
            UPDATE recon_runs SET status = 'succeeded', finished_at = now(), stats = $3::jsonb WHERE tenant_id = $1 AND run_id = $2
            """, [tenant, runID, stats])
        return result
    }

    private static func validDate(_ text: String) throws -> String {
        let parts = text.split(separator: "-")
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              (2000...2999).contains(y), (1...12).contains(m), (1...31).contains(d) else {
            throw ReconcileError(.invalidInput, "'\(text)' is not a date", hint: "write the as-of date as YYYY-MM-DD")
        }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
