import PostgresClient
import Tenancy

/// Matches made and removed by people. They have no run, so re-runs leave them alone, and
/// the records in them are out of the automatic stages. Each one is audited (trigger in
/// 0005_reconcile.sql) and needs `match.manual`.
public enum ManualMatcher {
    public struct Match: Sendable, Hashable, Codable {
        public var matchID: Int64
        public var flow: ReconFlow
        public var period: String
        public var shape: String
        public var rule: String
        public var manual: Bool
        public var reason: String?
        public var createdBy: String
        public var left: [ResolvedRecord]
        public var right: [ResolvedRecord]
        public var exceptionsResolved: Int

        enum CodingKeys: String, CodingKey {
            case matchID = "match_id", flow, period, shape, rule, manual, reason, createdBy = "created_by", left, right
            case exceptionsResolved = "exceptions_resolved"
        }
    }

    /// The exceptions a match answers: those saying a record has no counterpart.
    static let unmatchedTypes = ["missing_on_platform", "overdue_receivable", "transaction_without_order", "payout_not_in_bank",
                                 "unexplained_bank_credit", "return_not_received"]

    public static func add(left: [RecordRef], right: [RecordRef], reason: String, context: AccessContext,
                           on tx: isolated PostgresConnection) throws -> Match {
        try context.require("match.manual", to: "match records by hand")
        let tenant = try context.requireTenant()
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw ReconcileError(.invalidInput, "a manual match needs a reason", hint: "pass --reason TEXT") }
        guard !left.isEmpty, !right.isEmpty else {
            throw ReconcileError(.invalidInput, "a match needs records on both sides", hint: "pass --left and --right at least once each")
        }
        let lefts = try left.map { try ResolvedRecord.resolve($0, tenantID: tenant, on: tx) }
        let rights = try right.map { try ResolvedRecord.resolve($0, tenantID: tenant, on: tx) }
        let flow = try flowOf(left: Set(lefts.map(\.type)), right: Set(rights.map(\.type)))
        let currencies = Set((lefts + rights).map(\.currency))
        guard currencies.count == 1 else {
            throw ReconcileError(.invalidInput, "the records are in different currencies (\(currencies.sorted().joined(separator: ", ")))",
                                 hint: "matching never mixes currencies; match records of one currency")
        }
        let all = lefts + rights
        guard Set(all.map { "\($0.type)#\($0.id)" }).count == all.count else {
            throw ReconcileError(.invalidInput, "a record is named twice")
        }
        let taken = try tx.query("""
            SELECT a.record_type || '#' || a.record_id || ' (match ' || m.match_id || ')'
            FROM recon_allocations a JOIN recon_matches m ON m.tenant_id = a.tenant_id AND m.match_id = a.match_id
            WHERE a.tenant_id = $1 AND m.manual AND (a.record_type, a.record_id) IN (SELECT * FROM unnest($2::text[], $3::bigint[]))
            """, [tenant, all.map(\.type.rawValue), all.map(\.id)]).map { try $0.decode(String.self, at: 0) }
        guard taken.isEmpty else {
            throw ReconcileError(.conflict, "already matched by hand: \(taken.joined(separator: ", "))",
                                 hint: "remove that match first with `shoprecon match remove ID`")
        }
        guard let period = lefts.compactMap(\.period).min() ?? rights.compactMap(\.period).min() else {
            throw ReconcileError(.invalidInput, "the records have no date to tell their period")
        }
        try PeriodLock.requireOpen(try ReconPeriod(parsing: period), tenantID: tenant, on: tx)
        let store = lefts.compactMap(\.storeID).first ?? rights.compactMap(\.storeID).first
        let shape = switch (lefts.count, rights.count) {
        case (1, 1): "one_to_one"
        case (1, _): "one_to_many"
        case (_, 1): "many_to_one"
        default: "many_to_many"
        }
        let matchID = try mapClosed {
            try tx.query("""
                INSERT INTO recon_matches (tenant_id, anchor_type, anchor_id, period, flow, store_id, shape, rule, confidence, manual,
                                           reason, created_by)
                VALUES ($1, $7, $8, $2::date, $3, $4, $5, 'manual', 1, true, $6, app_actor()) RETURNING match_id
                """, [tenant, period, flow.rawValue, store, shape, reason, lefts[0].type.rawValue, lefts[0].id])[0].decode(Int64.self, at: 0)
        }
        for (side, records) in [("left", lefts), ("right", rights)] {
            for record in records {
                try tx.query("""
                    INSERT INTO recon_allocations (tenant_id, match_id, side, record_type, record_id, store_id, currency, amount)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """, [tenant, matchID, side, record.type.rawValue, record.id, record.storeID ?? store, record.currency, record.amount])
            }
        }
        let resolved = try mapClosed { try resolveAnswered(records: all, matchID: matchID, tenant: tenant, on: tx) }
        return Match(matchID: matchID, flow: flow, period: String(period.prefix(7)), shape: shape, rule: "manual", manual: true,
                     reason: reason, createdBy: context.actor, left: lefts, right: rights, exceptionsResolved: resolved)
    }

    /// Removes a manual match; the next run matches its records again (or finds them unmatched).
    public static func remove(matchID: Int64, context: AccessContext, on tx: isolated PostgresConnection) throws {
        try context.require("match.manual", to: "remove matches")
        let tenant = try context.requireTenant()
        // A match kept in a set is automatic (sets are never manual).
        let found = try tx.query("""
            SELECT manual, to_char(period, 'YYYY-MM') FROM recon_matches WHERE tenant_id = $1 AND match_id = $2
            UNION ALL
            SELECT false, to_char(period, 'YYYY-MM') FROM recon_match_sets
            WHERE tenant_id = $1 AND $2 BETWEEN first_match_id AND last_match_id AND $2 = ANY (match_ids)
            """, [tenant, matchID])
        guard let row = found.first else { throw ReconcileError(.notFound, "no match \(matchID) (or you may not see it)") }
        try PeriodLock.requireOpen(try ReconPeriod(parsing: try row.decode(String.self, at: 1)), tenantID: tenant, on: tx)
        guard try row.decode(Bool.self, at: 0) else {
            throw ReconcileError(.invalidInput, "match \(matchID) was made by a run, not by hand",
                                 hint: "the next run replaces automatic matches; to override one, add a manual match for its records")
        }
        try mapClosed {
            _ = try tx.query("DELETE FROM recon_allocations WHERE tenant_id = $1 AND match_id = $2", [tenant, matchID])
            _ = try tx.query("DELETE FROM recon_matches WHERE tenant_id = $1 AND match_id = $2", [tenant, matchID])
            // The exceptions this match answered are open questions again.
            let note = "matched by hand (match \(matchID))"
            try tx.query("""
                WITH reopened AS (
                    UPDATE recon_exceptions SET status = 'open', resolution = NULL, updated_at = now()
                    WHERE tenant_id = $1 AND status = 'resolved' AND resolution = $2
                    RETURNING exception_id
                )
                INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, from_status, to_status, note)
                SELECT $1, exception_id, app_actor(), 'reopened', 'resolved', 'open', 'match ' || $3::bigint || ' removed' FROM reopened
                """, [tenant, note, matchID])
        }
    }

    /// Matches of a period, manual ones or all, newest first, with their records: the rows of
    /// `recon_matches` and the elements of the runs' match sets alike (`recon_match_list`).
    public static func list(period: ReconPeriod?, flow: ReconFlow?, manualOnly: Bool, limit: Int, context: AccessContext,
                            on tx: isolated PostgresConnection) throws -> [Match] {
        try context.require("order.view_financial", to: "see matches")
        let tenant = try context.requireTenant()
        let rows = try tx.query("""
            SELECT m.match_id, m.flow, to_char(m.period, 'YYYY-MM'), m.shape, m.rule, m.manual, m.reason, m.created_by
            FROM recon_match_list m
            WHERE m.tenant_id = $1 AND ($2::date IS NULL OR m.period = $2::date) AND ($3::text IS NULL OR m.flow = $3::text)
              AND (m.manual OR NOT $4::boolean)
            ORDER BY m.match_id DESC LIMIT $5
            """, [tenant, period?.firstDay, flow?.rawValue, manualOnly, limit])
        var matches: [Match] = []
        for row in rows {
            let (id, flowText, periodText, shape, rule, manual) = try row.decode((Int64, String, String, String, String, Bool).self)
            matches.append(Match(matchID: id, flow: ReconFlow(rawValue: flowText) ?? .orders, period: periodText, shape: shape, rule: rule,
                                 manual: manual, reason: try row.decode(String?.self, at: 6), createdBy: try row.decode(String.self, at: 7),
                                 left: [], right: [], exceptionsResolved: 0))
        }
        guard !matches.isEmpty else { return [] }
        // The records of the whole page in one statement, reading only the match sets that hold
        // one of its matches (recon_match_records would read every set of the tenant).
        let position = Dictionary(uniqueKeysWithValues: matches.enumerated().map { ($0.element.matchID, $0.offset) })
        for allocation in try tx.query("""
            SELECT match_id, side, record_type, record_id, store_id, currency::text, amount FROM recon_match_records_of($1, $2::bigint[])
            ORDER BY match_id, side, record_type, record_id
            """, [tenant, matches.map(\.matchID)]) {
            let (id, side, type, recordID, store, currency, amount) = try allocation.decode((Int64, String, String, Int64, Int64?, String, Int64).self)
            guard let index = position[id] else { continue }
            let record = ResolvedRecord(type: RecordType(rawValue: type) ?? .order, id: recordID, reference: "",
                                        storeID: store, currency: currency, amount: amount, period: nil)
            if side == "left" { matches[index].left.append(record) } else { matches[index].right.append(record) }
        }
        return matches
    }

    static func flowOf(left: Set<RecordType>, right: Set<RecordType>) throws -> ReconFlow {
        let sides = left.union(right)
        if sides.isSubset(of: [.order, .transaction]), left.contains(.order) || right.contains(.order) { return .orders }
        if sides.isSubset(of: [.payout, .bankLine]), !left.isEmpty, left.isDisjoint(with: right) { return .collections }
        if sides.isSubset(of: [.returnRecord, .courierLine, .transaction, .order]), sides.contains(.returnRecord) { return .returns }
        throw ReconcileError(.invalidInput,
                             "cannot match \(left.map(\.rawValue).sorted().joined(separator: "+")) with \(right.map(\.rawValue).sorted().joined(separator: "+"))",
                             hint: "match orders with transactions, payouts with bank lines, or returns with courier lines and transactions")
    }

    /// Marks the "no counterpart" exceptions of the matched records resolved, with the match in the note.
    static func resolveAnswered(records: [ResolvedRecord], matchID: Int64, tenant: Int64, on tx: isolated PostgresConnection) throws -> Int {
        let note = "matched by hand (match \(matchID))"
        let rows = try tx.query("""
            WITH answered AS (
                SELECT exception_id, status FROM recon_exceptions
                WHERE tenant_id = $1 AND status IN ('open', 'in_review') AND type = ANY ($4::text[])
                  AND (record_type, record_id) IN (SELECT * FROM unnest($2::text[], $3::bigint[]))
            ), updated AS (
                UPDATE recon_exceptions e SET status = 'resolved', resolution = $5, updated_at = now()
                FROM answered a WHERE e.tenant_id = $1 AND e.exception_id = a.exception_id
                RETURNING e.exception_id
            )
            INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, from_status, to_status, note)
            SELECT $1, a.exception_id, app_actor(), 'status', a.status, 'resolved', $5 FROM answered a
            """, [tenant, records.map(\.type.rawValue), records.map(\.id), unmatchedTypes, note])
        return rows.affectedRows
    }

    /// Turns the closed-period refusal of the database into a ``ReconcileError``.
    static func mapClosed<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == ReconcileError.periodClosedSQLState {
            throw ReconcileError(.periodClosed, error.serverInfo?[.message] ?? error.message, hint: error.hint)
        }
    }
}
