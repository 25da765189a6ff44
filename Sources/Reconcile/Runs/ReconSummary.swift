import PostgresClient
import Tenancy

/// Counts and amounts per flow, store, channel and currency for a period: matched, in
/// exception (open or in review), resolved or written off, and still unmatched; orders held
/// back by a pending approval; and the exceptions by type. Read live from the tables, so manual
/// matches and resolutions show at once.
public struct ReconSummary: Sendable, Codable {
    public struct Row: Sendable, Codable, Hashable {
        public var flow: String
        public var subject: String
        public var store: String?
        public var channel: String?
        public var currency: String
        public var records: Int
        public var amount: Int64
        public var matched: Int
        public var matchedAmount: Int64
        public var exceptions: Int
        public var exceptionAmount: Int64
        public var settled: Int
        public var unmatched: Int
        public var unmatchedAmount: Int64
        public var awaitingApproval: Int

        enum CodingKeys: String, CodingKey {
            case flow, subject, store, channel, currency, records, amount, matched, exceptions, settled, unmatched
            case matchedAmount = "matched_amount", exceptionAmount = "exception_amount", unmatchedAmount = "unmatched_amount"
            case awaitingApproval = "awaiting_approval"
        }
    }

    public struct ExceptionCount: Sendable, Codable, Hashable {
        public var flow: String
        public var type: String
        public var severity: String
        public var status: String
        public var count: Int
        public var currency: String?
        public var amount: Int64
    }

    public var period: ReconPeriod
    public var closed: Bool
    public var lastRun: String?
    public var rows: [Row]
    public var exceptions: [ExceptionCount]

    enum CodingKeys: String, CodingKey { case period, closed, lastRun = "last_run", rows, exceptions }

    public static func load(period: ReconPeriod, store: String?, context: AccessContext,
                            on tx: isolated PostgresConnection) throws -> ReconSummary {
        try context.require("order.view_financial", to: "see the reconciliation summary")
        let tenant = try context.requireTenant()
        let storeID = try store.map { try StoreDirectory.find(code: $0, context: context, on: tx).id }
        let binds: [any PostgresEncodable] = [tenant, period.firstDay, period.endDay, storeID]
        let rows = try tx.query(summarySQL, binds).map { row in
            Row(flow: try row.decode(String.self, at: 0), subject: try row.decode(String.self, at: 1),
                store: try row.decode(String?.self, at: 2), channel: try row.decode(String?.self, at: 3),
                currency: try row.decode(String.self, at: 4), records: Int(try row.decode(Int64.self, at: 5)),
                amount: try row.decode(Int64.self, at: 6), matched: Int(try row.decode(Int64.self, at: 7)),
                matchedAmount: try row.decode(Int64.self, at: 8), exceptions: Int(try row.decode(Int64.self, at: 9)),
                exceptionAmount: try row.decode(Int64.self, at: 10), settled: Int(try row.decode(Int64.self, at: 11)),
                unmatched: Int(try row.decode(Int64.self, at: 12)), unmatchedAmount: try row.decode(Int64.self, at: 13),
                awaitingApproval: Int(try row.decode(Int64.self, at: 14)))
        }
        let exceptions = try tx.query("""
            SELECT e.flow, e.type, e.severity, e.status, count(*)::bigint, min(e.currency),
                   coalesce(sum(abs(coalesce(e.difference, e.actual, e.expected, 0))), 0)::bigint
            FROM recon_exceptions e LEFT JOIN stores st ON st.tenant_id = e.tenant_id AND st.store_id = e.store_id
            WHERE e.tenant_id = $1 AND e.period = $2::date AND ($4::bigint IS NULL OR e.store_id = $4)
              AND $3::date IS NOT NULL
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4
            """, binds).map { row in
            ExceptionCount(flow: try row.decode(String.self, at: 0), type: try row.decode(String.self, at: 1),
                           severity: try row.decode(String.self, at: 2), status: try row.decode(String.self, at: 3),
                           count: Int(try row.decode(Int64.self, at: 4)), currency: try row.decode(String?.self, at: 5),
                           amount: try row.decode(Int64.self, at: 6))
        }
        let closed = try tx.query("SELECT 1 FROM recon_periods WHERE tenant_id = $1 AND period = $2::date",
                                  [tenant, period.firstDay]).count == 1
        let lastRun = try tx.query("""
            SELECT 'run ' || run_id || ' at ' || to_char(finished_at, 'YYYY-MM-DD HH24:MI') || ' by ' || actor
            FROM recon_runs WHERE tenant_id = $1 AND period = $2::date AND status = 'succeeded'
            ORDER BY run_id DESC LIMIT 1
            """, [tenant, period.firstDay]).first?.decode(String.self, at: 0)
        return ReconSummary(period: period, closed: closed, lastRun: lastRun, rows: rows, exceptions: exceptions)
    }

    /// One row per flow's subject (orders; payouts and bank credits; returns and courier lines),
    /// store, channel and currency. A record with an open or in-review exception counts as "in
    /// exception" even when matched; one whose exceptions are all resolved or written off as
    /// "settled"; one a rule holds back for an approval (pending or rejected) as "awaiting
    /// approval", not as reconciled; a matched one as "matched"; the rest as "unmatched".
    /// Of the match sets (automatic one-to-one order matches, a million a month for a large
    /// merchant) only the period's anchors are read: an order belongs to the sets of the month
    /// it was created in, and their counters are transactions, which no row here counts.
    private static let summarySQL = """
        WITH bounds AS (
            SELECT $1::bigint AS tenant_id, $2::date AS period, $3::date AS period_end, $4::bigint AS store_id,
                   ($2::date)::timestamp AT TIME ZONE t.time_zone AS starts_at, ($3::date)::timestamp AT TIME ZONE t.time_zone AS ends_at
            FROM tenants t WHERE t.tenant_id = $1
        ), records AS (
            SELECT 'orders' AS flow, 'orders' AS subject, 'order' AS record_type, o.order_id AS record_id, o.store_id, o.channel,
                   o.currency, coalesce(f.paid_amount, 0) AS amount
            FROM bounds b JOIN orders o ON o.tenant_id = b.tenant_id AND o.created_at >= b.starts_at AND o.created_at < b.ends_at
            LEFT JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
            WHERE (b.store_id IS NULL OR o.store_id = b.store_id) AND o.status NOT IN ('cancelled', 'pending_payment')
            UNION ALL
            SELECT 'collections', 'payouts', 'payout', p.payout_id, p.store_id, p.provider, p.currency, p.amount
            FROM bounds b JOIN payouts p ON p.tenant_id = b.tenant_id AND p.payout_date >= b.period AND p.payout_date < b.period_end
            WHERE b.store_id IS NULL OR p.store_id = b.store_id
            UNION ALL
            SELECT 'collections', 'bank credits', 'bank_line', l.line_id, NULL, NULL, l.currency, l.amount
            FROM bounds b JOIN bank_statement_lines l ON l.tenant_id = b.tenant_id
                 AND coalesce(l.value_date, l.booking_date) >= b.period AND coalesce(l.value_date, l.booking_date) < b.period_end
            WHERE b.store_id IS NULL AND l.direction = 'credit' AND NOT l.is_reversal
            UNION ALL
            SELECT 'returns', 'returns', 'return', r.return_id, r.store_id, r.channel, r.currency, coalesce(r.refund_amount, 0)
            FROM bounds b JOIN returns r ON r.tenant_id = b.tenant_id AND r.created_at >= b.starts_at AND r.created_at < b.ends_at
            WHERE b.store_id IS NULL OR r.store_id = b.store_id
            UNION ALL
            SELECT 'returns', 'courier lines', 'courier_line', c.line_id, c.store_id, c.courier, c.currency, c.amount_due
            FROM bounds b JOIN courier_bill_lines c ON c.tenant_id = b.tenant_id AND c.ship_date >= b.period AND c.ship_date < b.period_end
            WHERE b.store_id IS NULL OR c.store_id = b.store_id
        ), matched AS (
            SELECT m.flow, a.record_type, a.record_id
            FROM bounds b JOIN recon_matches m ON m.tenant_id = b.tenant_id
            JOIN recon_allocations a ON a.tenant_id = m.tenant_id AND a.match_id = m.match_id
            UNION
            SELECT m.flow, m.anchor_type, m.anchor_id FROM bounds b JOIN recon_matches m ON m.tenant_id = b.tenant_id
            WHERE m.counter_id IS NOT NULL
            UNION
            SELECT m.flow, m.counter_type, m.counter_id FROM bounds b JOIN recon_matches m ON m.tenant_id = b.tenant_id
            WHERE m.counter_id IS NOT NULL
            UNION
            SELECT s.flow, s.anchor_type, unnest(s.anchor_ids)
            FROM bounds b JOIN recon_match_sets s ON s.tenant_id = b.tenant_id AND s.period = b.period
        ), excepted AS (
            SELECT e.record_type, e.record_id, bool_or(e.status IN ('open', 'in_review')) AS open
            FROM bounds b JOIN recon_exceptions e ON e.tenant_id = b.tenant_id AND e.period = b.period
            GROUP BY 1, 2
        ), approvals AS (
            SELECT DISTINCT p.record_type, p.record_id
            FROM bounds b JOIN recon_approvals p ON p.tenant_id = b.tenant_id AND p.status IN ('pending', 'rejected')
        ), judged AS (
            SELECT r.*, CASE WHEN x.open THEN 'exception' WHEN x.open = false THEN 'settled'
                             WHEN p.record_id IS NOT NULL THEN 'awaiting'
                             WHEN m.record_id IS NOT NULL THEN 'matched' ELSE 'unmatched' END AS state,
                   p.record_id IS NOT NULL AS awaiting
            FROM records r
            LEFT JOIN matched m ON m.flow = r.flow AND m.record_type = r.record_type AND m.record_id = r.record_id
            LEFT JOIN excepted x ON x.record_type = r.record_type AND x.record_id = r.record_id
            LEFT JOIN approvals p ON p.record_type = r.record_type AND p.record_id = r.record_id
        )
        SELECT j.flow, j.subject, st.code, j.channel, j.currency, count(*)::bigint, sum(j.amount)::bigint,
               count(*) FILTER (WHERE state = 'matched')::bigint, coalesce(sum(j.amount) FILTER (WHERE state = 'matched'), 0)::bigint,
               count(*) FILTER (WHERE state = 'exception')::bigint, coalesce(sum(j.amount) FILTER (WHERE state = 'exception'), 0)::bigint,
               count(*) FILTER (WHERE state = 'settled')::bigint,
               count(*) FILTER (WHERE state = 'unmatched')::bigint, coalesce(sum(j.amount) FILTER (WHERE state = 'unmatched'), 0)::bigint,
               count(*) FILTER (WHERE state = 'awaiting')::bigint
        FROM judged j LEFT JOIN stores st ON st.tenant_id = $1 AND st.store_id = j.store_id
        GROUP BY j.flow, j.subject, st.code, j.channel, j.currency
        ORDER BY array_position(ARRAY['orders', 'collections', 'returns'], j.flow), j.subject, st.code NULLS LAST, j.channel, j.currency
        """
}
