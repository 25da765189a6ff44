import PostgresClient

/// The order check: orders of the period against platform transactions (sales, refunds, fees,
/// commissions). Exact references first, then sales without a usable reference against paid
/// orders of the same store by amount and date; then the order exceptions. See README.md,
/// "What the reconciliation finds", for the definitions these statements implement.
enum OrderCheck {
    static func run(on tx: isolated PostgresConnection) throws {
        try scope(on: tx)
        try matchLooseSales(on: tx)
        try writeMatches(on: tx)
        try findExceptions(on: tx)
        try noteBuyerMismatches(on: tx)
    }

    /// The period's orders, each with the sums of the transactions that carry its number
    /// (`ref_key`, from one day before the period on, since a sale never precedes its order). One
    /// table of orders with their sums is what every later statement reads: no table of the
    /// transactions, no per-pair table of a million rows, no second join. The references that no
    /// order of the run carries come out of the same join, into `r_orphan_refs`: the sales that
    /// carry them are the free sales.
    static func scope(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_orders, pg_temp.r_orphan_refs")
        // The bounds go in as parameters rather than through a join with `r_scope`: the planner
        // then sees how many rows they select (a month: all of them) and hashes the narrow side
        // of each join, where through the join it guessed a tenth and hashed a million orders.
        let (tenant, startsAt, endsAt, store) = try tx.query("SELECT tenant_id, starts_at::text, ends_at::text, store_id FROM r_scope")[0]
            .decode((Int64, String, String, Int64?).self)
        // Sums per reference (minor units: bigint, so that every later comparison is integer
        // arithmetic, not numeric), fully joined to the orders by their normalized number. Transactions
        // and orders matched by hand take no part (such an order's sums stay NULL, and its
        // number joins nothing); `has_transactions` tells "nothing refers to it". Grouped by
        // sorting, in byte order: a million references, each with ten aggregate states, overflow
        // a hash table and spill, and a byte-order sort is the cheapest there is. The least and
        // greatest provider and currency compare bytes too ("C"): they are ASCII codes, which
        // sort the same in every collation, and a million locale comparisons cost a fifth of a second.
        try tx.query("SET LOCAL enable_hashagg = off")
        _ = try withSortMemory(on: tx) { tx in try tx.query("""
            CREATE TEMP TABLE r_orders ON COMMIT DROP AS
            WITH sums AS (
                SELECT t.ref_key AS ref,
                       count(*) FILTER (WHERE t.type = 'sale') AS sales,
                       count(*) FILTER (WHERE t.type = 'refund') AS refunds,
                       (sum(t.gross) FILTER (WHERE t.type = 'sale'))::bigint AS sale_gross,
                       (sum(t.gross) FILTER (WHERE t.type = 'refund'))::bigint AS refund_gross,
                       (coalesce(sum(t.fee) FILTER (WHERE t.type = 'sale'), 0)
                           - coalesce(sum(t.gross) FILTER (WHERE t.type IN ('fee', 'commission')), 0))::bigint AS fees,
                       min(t.provider COLLATE "C") FILTER (WHERE t.type = 'sale') AS provider,
                       min(t.txn_id) FILTER (WHERE t.type = 'sale') AS sale_txn,
                       min(t.currency COLLATE "C") AS currency_low, max(t.currency COLLATE "C") AS currency_high
                FROM platform_transactions t
                WHERE t.tenant_id = $1 AND t.ref_key IS NOT NULL AND t.type IN ('sale', 'refund', 'fee', 'commission')
                  AND (t.occurred_at >= $2::timestamptz - interval '1 day' OR t.occurred_at IS NULL)
                  \(try RunTables.unlessMatchedByHand(transaction: "t", on: tx))
                GROUP BY 1
            )
            SELECT o.order_id, o.store_id, o.channel, o.order_no, coalesce(o.ref, x.ref) AS ref, o.status, o.created_at, o.paid_at,
                   o.shipped_at, o.completed_at, o.waybill_no, o.currency, o.paid_amount, o.order_amount, o.manual,
                   x.ref IS NOT NULL AS has_transactions, coalesce(x.sales, 0) AS sales, coalesce(x.refunds, 0) AS refunds,
                   x.sale_gross, x.refund_gross, x.fees, x.provider, x.sale_txn,
                   CASE WHEN x.currency_low = x.currency_high THEN ARRAY[x.currency_low] ELSE ARRAY[x.currency_low, x.currency_high] END
                       AS currencies,
                   coalesce(x.currency_low <> o.currency OR x.currency_high <> o.currency, false) AS foreign_currency
            FROM (
                SELECT o.order_id, o.store_id, o.channel, o.order_no, o.ref_key AS ref, o.status, o.created_at,
                       o.paid_at, o.shipped_at, o.completed_at, o.waybill_no, o.currency, f.paid_amount, f.order_amount,
                       m.record_id IS NOT NULL AS manual, CASE WHEN m.record_id IS NULL THEN o.ref_key END AS join_ref
                FROM orders o
                LEFT JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
                LEFT JOIN r_manual m ON m.record_type = 'order' AND m.record_id = o.order_id
                WHERE o.tenant_id = $1 AND o.created_at >= $2::timestamptz AND o.created_at < $3::timestamptz
                  AND ($4::bigint IS NULL OR o.store_id = $4)
            ) o
            FULL JOIN sums x ON x.ref = o.join_ref
            """, [tenant, startsAt, endsAt, store]) }
        try tx.query("SET LOCAL enable_hashagg TO DEFAULT")
        try tx.query("CREATE TEMP TABLE r_orphan_refs (ref text COLLATE \"C\" PRIMARY KEY) ON COMMIT DROP")
        try tx.query("""
            WITH orphans AS (DELETE FROM r_orders WHERE order_id IS NULL RETURNING ref)
            INSERT INTO r_orphan_refs SELECT ref FROM orphans
            """)
        try tx.query("ANALYZE pg_temp.r_orphan_refs")
    }

    /// Sales that name no known order (or nothing) against paid orders of the same store that
    /// have no sale: same currency, amount within the tolerance, booked between the payment and
    /// the settlement lag after completion; only pairs that are each other's only candidate.
    /// With the tenant's `loose_match_buyer`, pairs whose buyers disagree are no candidates, and a
    /// pair that agrees on the buyer also wins when it is the only agreeing one of its order and of
    /// its sale (`amount+date+buyer`, confidence 0.9).
    static func matchLooseSales(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_free_sales, pg_temp.r_loose, pg_temp.r_loose_pairs")
        try tx.query("""
            CREATE TEMP TABLE r_free_sales ON COMMIT DROP AS
            SELECT t.txn_id, t.store_id, t.provider, t.type, t.transaction_no, t.ref_key AS ref, t.currency, t.gross, t.fee, t.occurred_at
            FROM r_scope s JOIN platform_transactions t ON t.tenant_id = s.tenant_id
            WHERE t.type = 'sale' AND (s.store_id IS NULL OR t.store_id = s.store_id)
              AND t.occurred_at >= s.starts_at AND t.occurred_at < s.ends_at + make_interval(days => s.settlement_lag_days)
              AND (t.ref_key IS NULL OR t.ref_key IN (SELECT ref FROM r_orphan_refs))
              \(try RunTables.unlessMatchedByHand(transaction: "t", on: tx))
            """)
        // A reference to an order outside this run (another month, another store) is not free.
        try tx.query("""
            DELETE FROM r_free_sales f USING r_scope s, stores st, orders o
            WHERE f.ref IS NOT NULL AND st.tenant_id = s.tenant_id
              AND o.tenant_id = st.tenant_id AND o.store_id = st.store_id AND o.order_no = f.ref
            """)
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_open_orders")
        try tx.query("""
            CREATE TEMP TABLE r_open_orders ON COMMIT DROP AS
            SELECT o.* FROM r_orders o
            WHERE NOT o.manual AND o.paid_at IS NOT NULL AND o.paid_amount IS NOT NULL
              AND o.status NOT IN ('cancelled', 'pending_payment') AND o.sales = 0
            """)
        try tx.query("CREATE INDEX ON r_open_orders (store_id, currency, paid_amount)")
        try tx.query("ANALYZE pg_temp.r_open_orders")
        try tx.query("ANALYZE pg_temp.r_free_sales")
        // Candidates come from an index range on the amount, so each free sale looks at the few
        // orders of its store near its amount, never at all of them. The lateral subquery (kept
        // apart with OFFSET 0) makes that the plan: as a plain join the planner may hash the
        // orders on store and currency and test every order of the store against every sale.
        try tx.query("""
            CREATE TEMP TABLE r_loose_pairs ON COMMIT DROP AS
            SELECT o.order_id, f.txn_id, o.store_id, f.currency, f.gross, o.paid_amount, NULL::boolean AS buyer
            FROM r_free_sales f CROSS JOIN r_scope s
            CROSS JOIN LATERAL (SELECT greatest(s.amount_tolerance, ceil(abs(f.gross) * s.amount_tolerance_pct / 100 * 1.01))::bigint AS band) b
            CROSS JOIN LATERAL (
                SELECT o.* FROM r_open_orders o
                WHERE o.store_id = f.store_id AND o.currency = f.currency AND o.paid_amount BETWEEN f.gross - b.band AND f.gross + b.band
                OFFSET 0
            ) o
            WHERE abs(f.gross - o.paid_amount) <= greatest(s.amount_tolerance, abs(o.paid_amount) * s.amount_tolerance_pct / 100)
              AND f.occurred_at >= o.paid_at - interval '1 hour'
              AND f.occurred_at <= coalesce(o.completed_at, o.paid_at) + make_interval(days => s.settlement_lag_days)
            """)
        if try tx.query("SELECT loose_match_buyer FROM r_scope")[0].decode(Bool.self, at: 0) {
            try matchBuyers(on: tx)
        }
        // Pairs whose buyers disagree are no candidates; the rest match when each is the other's
        // only candidate, or when they agree on the buyer and no other candidate of either does.
        try tx.query("""
            CREATE TEMP TABLE r_loose ON COMMIT DROP AS
            WITH counted AS (
                SELECT p.*, count(*) OVER (PARTITION BY p.order_id) AS per_order, count(*) OVER (PARTITION BY p.txn_id) AS per_sale,
                       count(*) FILTER (WHERE p.buyer) OVER (PARTITION BY p.order_id) AS agreeing_per_order,
                       count(*) FILTER (WHERE p.buyer) OVER (PARTITION BY p.txn_id) AS agreeing_per_sale
                FROM r_loose_pairs p WHERE p.buyer IS NOT FALSE
            )
            SELECT order_id, txn_id, store_id, currency, gross, paid_amount,
                   CASE WHEN buyer THEN 'amount+date+buyer' ELSE 'amount+date' END AS rule,
                   (CASE WHEN buyer THEN 0.9 ELSE 0.8 END)::numeric(3, 2) AS confidence
            FROM counted
            WHERE (per_order = 1 AND per_sale = 1) OR (buyer AND agreeing_per_order = 1 AND agreeing_per_sale = 1)
            """)
    }

    /// Whether each candidate pair agrees on the buyer (`recon_buyer_agrees`: the sale's payer
    /// against the order's buyer id or account; NULL when a side has none). Each pair looks its
    /// records up by primary key (subqueries, never a join the planner could turn into a scan of
    /// all transactions or contacts): a few lookups per free sale.
    static func matchBuyers(on tx: isolated PostgresConnection) throws {
        try tx.query("""
            UPDATE r_loose_pairs p SET buyer = recon_buyer_agrees(
                (SELECT t.counterparty FROM platform_transactions t WHERE t.tenant_id = (SELECT tenant_id FROM r_scope) AND t.txn_id = p.txn_id),
                (SELECT c.buyer_id FROM order_contacts c WHERE c.tenant_id = (SELECT tenant_id FROM r_scope) AND c.order_id = p.order_id),
                (SELECT c.buyer_account FROM order_contacts c WHERE c.tenant_id = (SELECT tenant_id FROM r_scope) AND c.order_id = p.order_id))
            """)
    }

    /// The "no counterpart" exceptions of sales and orders that fit each other by amount and date
    /// but not by buyer name those counterparts in their detail (`buyer_mismatch`), so that
    /// whoever works on them sees why they were not matched. Order numbers and transaction
    /// numbers only: the buyers themselves are contact data. The notes are keyed by exception
    /// type and record, the keys of `r_exc`, so that the update hashes the few notes and scans
    /// the exceptions once.
    static func noteBuyerMismatches(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_buyer_mismatch")
        let found = try tx.query("""
            CREATE TEMP TABLE r_buyer_mismatch ON COMMIT DROP AS
            SELECT 'transaction_without_order'::text AS type, 'transaction'::text AS record_type, p.txn_id AS record_id,
                   jsonb_agg((SELECT o.order_no FROM orders o WHERE o.tenant_id = (SELECT tenant_id FROM r_scope) AND o.order_id = p.order_id)
                             ORDER BY p.order_id) AS refs
            FROM r_loose_pairs p WHERE p.buyer = false GROUP BY p.txn_id
            UNION ALL
            SELECT k.type, 'order', p.order_id,
                   jsonb_agg((SELECT t.transaction_no FROM platform_transactions t
                              WHERE t.tenant_id = (SELECT tenant_id FROM r_scope) AND t.txn_id = p.txn_id) ORDER BY p.txn_id)
            FROM r_loose_pairs p CROSS JOIN (VALUES ('missing_on_platform'), ('overdue_receivable')) k (type)
            WHERE p.buyer = false GROUP BY k.type, p.order_id
            """).affectedRows
        guard found > 0 else { return }
        try tx.query("ANALYZE pg_temp.r_buyer_mismatch")
        try tx.query("""
            UPDATE r_exc e SET detail = e.detail || jsonb_build_object('buyer_mismatch', m.refs)
            FROM r_buyer_mismatch m
            WHERE e.type = m.type AND e.record_type = m.record_type AND e.record_id = m.record_id
            """)
    }

    /// The most matches one row of `recon_match_sets` holds (a slice of consecutive match ids):
    /// 2 MB an array, so that reading one match never loads a store's whole month.
    static let matchSetSize = 250_000

    /// One match per order with its sales and refunds: one-to-one for a single sale, one-to-many
    /// for split payments or refunds; the loose pairs one-to-one with a lower confidence.
    ///
    /// The clean one-to-one matches (one sale, no refund, one currency: a million for a large
    /// merchant) go to `recon_match_sets`, a row per store, currency and slice of
    /// ``matchSetSize`` match ids with one match per array position; each still gets its own id
    /// from `recon_matches`' sequence. A million rows of `recon_matches` cost seconds to write
    /// and as much to delete on a re-run; the arrays cost a fraction of a second and nothing to
    /// delete. The rest, a few percent, are rows of `recon_matches`: the loose pairs keep their two
    /// records on their own row (`counter_*`), the others get allocations, written with the match
    /// ids they return.
    static func writeMatches(on tx: isolated PostgresConnection) throws {
        // The sequence is looked up once (an InitPlan), not for each of a million rows.
        let compact = try tx.query("""
            WITH written AS (
                INSERT INTO recon_match_sets (tenant_id, run_id, period, flow, store_id, rule, anchor_type, counter_type, currency,
                                              first_match_id, last_match_id, match_ids, anchor_ids, counter_ids, left_amounts,
                                              right_amounts, created_by)
                SELECT s.tenant_id, s.run_id, s.period, 'orders', g.store_id, 'exact:order_no', 'order', 'transaction', g.currency,
                       g.first_match_id, g.last_match_id, g.match_ids, g.anchor_ids, g.counter_ids, g.left_amounts, g.right_amounts,
                       s.actor
                FROM (
                    SELECT o.store_id, o.currency, min(o.match_id) AS first_match_id, max(o.match_id) AS last_match_id,
                           array_agg(o.match_id) AS match_ids, array_agg(o.order_id) AS anchor_ids,
                           array_agg(o.sale_txn) AS counter_ids, array_agg(o.left_amount) AS left_amounts,
                           array_agg(o.sale_gross) AS right_amounts
                    FROM (
                        SELECT nextval((SELECT pg_get_serial_sequence('recon_matches', 'match_id')::regclass)) AS match_id,
                               o.store_id, o.currency, o.order_id, o.sale_txn, coalesce(o.paid_amount, o.sale_gross, 0) AS left_amount,
                               o.sale_gross
                        FROM r_orders o
                        WHERE NOT o.manual AND o.sales = 1 AND o.refunds = 0 AND NOT o.foreign_currency
                    ) o
                    GROUP BY o.store_id, o.currency, o.match_id / $1
                ) g CROSS JOIN r_scope s
                RETURNING cardinality(match_ids) AS matches
            )
            SELECT coalesce(sum(matches), 0)::bigint FROM written
            """, [Int64(matchSetSize)])[0].decode(Int64.self, at: 0)
        let columns = """
            INSERT INTO recon_matches (tenant_id, run_id, anchor_type, anchor_id, counter_type, counter_id, currency, left_amount,
                                       right_amount, period, flow, store_id, shape, rule, confidence, created_by)
            """
        let loose = try tx.query(columns + """
            SELECT s.tenant_id, s.run_id, 'order', l.order_id, 'transaction', l.txn_id, l.currency, l.paid_amount, l.gross,
                   s.period, 'orders', l.store_id, 'one_to_one', l.rule, l.confidence, s.actor
            FROM r_loose l CROSS JOIN r_scope s
            """).affectedRows
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_order_match")
        try tx.query("CREATE TEMP TABLE r_order_match (match_id bigint, order_id bigint) ON COMMIT DROP")
        let spread = try tx.query("""
            WITH inserted AS (
            """ + columns + """
                SELECT s.tenant_id, s.run_id, 'order', o.order_id, NULL, NULL, NULL, NULL, NULL, s.period, 'orders', o.store_id,
                       CASE WHEN o.sales = 1 AND o.refunds = 0 THEN 'one_to_one' ELSE 'one_to_many' END, 'exact:order_no', 1, s.actor
                FROM r_orders o CROSS JOIN r_scope s
                WHERE NOT o.manual AND o.sales > 0 AND (o.sales > 1 OR o.refunds > 0 OR o.foreign_currency)
                RETURNING match_id, anchor_id
            )
            INSERT INTO r_order_match SELECT * FROM inserted
            """).affectedRows
        try tx.query("""
            INSERT INTO recon_allocations (tenant_id, match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT s.tenant_id, m.match_id, 'left', 'order', o.order_id, o.store_id, o.currency, coalesce(o.paid_amount, o.sale_gross, 0)
            FROM r_order_match m JOIN r_orders o USING (order_id) CROSS JOIN r_scope s
            UNION ALL
            SELECT s.tenant_id, m.match_id, 'right', 'transaction', t.txn_id, t.store_id, t.currency, t.gross
            FROM r_order_match m JOIN r_orders o USING (order_id)
            JOIN r_scope s ON true
            JOIN platform_transactions t ON t.tenant_id = s.tenant_id AND t.ref_key = o.ref AND t.type IN ('sale', 'refund')
                 AND (t.occurred_at >= s.starts_at - interval '1 day' OR t.occurred_at IS NULL)
            WHERE true \(try RunTables.unlessMatchedByHand(transaction: "t", on: tx))
            """)
        try MatchCount.add(flow: "orders", rule: "exact:order_no", count: Int(compact) + spread, on: tx)
        if loose > 0 {
            try tx.query("INSERT INTO r_match_count (flow, rule, matches) SELECT 'orders', rule, count(*) FROM r_loose GROUP BY rule")
        }
    }

    static func findExceptions(on tx: isolated PostgresConnection) throws {
        // Each provider's range of fee rates, exact (numeric) and widened a little as floats: the
        // float bounds let an order whose rate is well inside the range (almost all) pass with
        // one multiplication, and only the others are divided out in numeric.
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_fee_ranges")
        try tx.query("""
            CREATE TEMP TABLE r_fee_ranges ON COMMIT DROP AS
            SELECT r.key AS provider, (r.value ->> 0)::numeric AS low, (r.value ->> 1)::numeric AS high, r.value AS range,
                   (r.value ->> 0)::float8 + abs((r.value ->> 0)::float8) * 1e-9 + 1e-12 AS low_approx,
                   (r.value ->> 1)::float8 - abs((r.value ->> 1)::float8) * 1e-9 - 1e-12 AS high_approx
            FROM r_scope s CROSS JOIN LATERAL jsonb_each(s.fee_rates) r
            """)
        let insert = """
            INSERT INTO r_exc (flow, type, severity, record_type, record_id, store_id, channel, reference, currency,
                               expected, actual, difference, detail)
            """
        // The checks of one order against its own sums, in one pass over the orders: each check
        // is a flag, an order with none raised (most of them) stops at the filter, and one with
        // flags yields a row per raised flag.
        //   unpaid: goods out without the money: shipped while awaiting payment, or shipped or
        //     completed with nothing paid.
        //   missing_on_platform: completed (the platform owes the money now) and nothing on the
        //     platform refers to it.
        //   overdue_receivable: shipped long enough ago that the platform should have settled
        //     it, and no sale yet.
        //   amount_mismatch: paid amount against the platform's sale; refunds beyond the
        //     payment; another currency.
        //   fee_anomaly: fees and commissions as a share of the sale, against the provider's
        //     expected range.
        // Orders matched loosely (a sale without their number) are neither missing nor overdue.
        try tx.query(insert + """
            SELECT 'orders', e.type, e.severity, 'order', o.order_id, o.store_id, o.channel, o.order_no, o.currency,
                   e.expected, e.actual, e.difference, e.detail
            FROM r_orders o CROSS JOIN r_scope s
            LEFT JOIN r_fee_ranges f ON f.provider = o.provider
            CROSS JOIN LATERAL (SELECT -coalesce(o.refund_gross, 0) > coalesce(o.paid_amount, 0) + s.amount_tolerance AS over_refunded) r
            CROSS JOIN LATERAL (SELECT
                    CASE WHEN o.foreign_currency THEN 'currency' WHEN r.over_refunded THEN 'refund' ELSE 'sale' END AS kind,
                    CASE WHEN r.over_refunded AND NOT o.foreign_currency THEN -o.refund_gross ELSE o.sale_gross END AS actual) k
            CROSS JOIN LATERAL (SELECT k.actual - coalesce(o.paid_amount, 0) AS diff) d
            CROSS JOIN LATERAL (SELECT
                    (o.status = 'pending_payment' AND (o.shipped_at IS NOT NULL OR o.waybill_no IS NOT NULL))
                        OR (o.status IN ('shipped', 'completed') AND coalesce(o.paid_amount, 0) = 0 AND coalesce(o.order_amount, 0) > 0)
                        AS unpaid,
                    o.status = 'completed' AND coalesce(o.paid_amount, 0) > 0 AND NOT o.has_transactions AS missing,
                    o.status = 'shipped' AND coalesce(o.paid_amount, 0) > 0 AND o.sales = 0
                        AND (coalesce(o.shipped_at, o.paid_at) AT TIME ZONE s.time_zone)::date < s.as_of - s.receivable_terms_days
                        AS overdue,
                    o.sales > 0 AND (o.foreign_currency OR (abs(d.diff) > s.amount_tolerance
                                                            AND abs(d.diff) > abs(coalesce(o.paid_amount, 0)) * s.amount_tolerance_pct / 100))
                        AS mismatch,
                    coalesce(o.sales > 0 AND o.sale_gross > 0
                             AND (o.fees > o.sale_gross * f.high_approx OR o.fees < o.sale_gross * f.low_approx)
                             AND (o.fees::numeric / o.sale_gross > f.high OR o.fees::numeric / o.sale_gross < f.low), false) AS fee) c
            CROSS JOIN LATERAL (
                SELECT 'unpaid', 'high', o.order_amount, coalesce(o.paid_amount, 0), coalesce(o.paid_amount, 0) - o.order_amount,
                       jsonb_build_object('status', o.status, 'waybill', o.waybill_no)
                WHERE c.unpaid
                UNION ALL
                SELECT 'missing_on_platform', 'high', o.paid_amount, 0, -o.paid_amount, jsonb_build_object('status', o.status)
                WHERE c.missing AND o.order_id NOT IN (SELECT l.order_id FROM r_loose l)
                UNION ALL
                SELECT 'overdue_receivable', 'medium', o.paid_amount, 0, -o.paid_amount,
                       jsonb_build_object('since', coalesce(o.shipped_at, o.paid_at),
                                          'days', s.as_of - (coalesce(o.shipped_at, o.paid_at) AT TIME ZONE s.time_zone)::date)
                WHERE c.overdue AND o.order_id NOT IN (SELECT l.order_id FROM r_loose l)
                UNION ALL
                SELECT 'amount_mismatch', CASE WHEN abs(d.diff) >= 10000 OR o.foreign_currency THEN 'high' ELSE 'medium' END,
                       o.paid_amount, k.actual, d.diff,
                       jsonb_build_object('check', k.kind, 'sale', o.sale_gross, 'refunds', o.refund_gross, 'currencies', o.currencies)
                WHERE c.mismatch
                UNION ALL
                SELECT 'fee_anomaly', 'medium', round(o.sale_gross * f.high)::bigint, o.fees, o.fees - round(o.sale_gross * f.high)::bigint,
                       jsonb_build_object('provider', o.provider, 'rate', round(o.fees::numeric / o.sale_gross, 4), 'range', f.range)
                WHERE c.fee
            ) e (type, severity, expected, actual, difference, detail)
            WHERE NOT o.manual AND (c.unpaid OR c.missing OR c.overdue OR c.mismatch OR c.fee)
            """)
        // Sales of the period that belong to no order.
        try tx.query(insert + """
            SELECT 'orders', 'transaction_without_order', 'medium', 'transaction', f.txn_id, f.store_id, f.provider,
                   f.transaction_no, f.currency, NULL, f.gross, f.gross, jsonb_build_object('order_ref', f.ref)
            FROM r_free_sales f CROSS JOIN r_scope s
            WHERE f.occurred_at >= s.starts_at AND f.occurred_at < s.ends_at
              AND NOT EXISTS (SELECT 1 FROM r_loose l WHERE l.txn_id = f.txn_id)
            """)
        // The same buyer ordering the same goods for the same amount again within minutes: each
        // order against the previous one of its store, buyer and amount (one sort, no self-join).
        // The sort is on one 64-bit hash of store, buyer and amount (then the time), so that a
        // month of orders sorts in memory and most comparisons end at the first key; the pairs
        // within the window, a handful, are then checked on the values themselves and go to a
        // table of their own, so that goods and order numbers are looked up for them alone.
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_dup_pairs")
        let tenant = try tx.query("SELECT tenant_id FROM r_scope")[0].decode(Int64.self, at: 0)
        let pairs = try withSortMemory(on: tx) { tx in try tx.query("""
            CREATE TEMP TABLE r_dup_pairs ON COMMIT DROP AS
            WITH ordered AS (
                SELECT o.order_id, o.created_at,
                       lag(o.order_id) OVER w AS first_id, lag(o.created_at) OVER w AS first_at
                FROM r_orders o JOIN order_contacts c ON c.tenant_id = $1 AND c.order_id = o.order_id
                WHERE o.status <> 'cancelled' AND c.buyer_id IS NOT NULL AND NOT o.manual
                WINDOW w AS (PARTITION BY hashtextextended(c.buyer_id || '/' || o.store_id || '/' || coalesce(o.paid_amount, -1), 0)
                             ORDER BY o.created_at, o.order_id)
            )
            SELECT p.first_id, p.order_id AS dup_id
            FROM ordered p CROSS JOIN r_scope s
            WHERE p.first_id IS NOT NULL AND p.created_at - p.first_at <= make_interval(mins => s.duplicate_window_minutes)
            """, [tenant]).affectedRows }
        guard pairs > 0 else { return }
        try tx.query("ANALYZE pg_temp.r_dup_pairs")
        // Two orders whose hashes collide are no pair.
        try tx.query("""
            DELETE FROM r_dup_pairs p
            USING orders a, orders b, order_contacts ca, order_contacts cb, order_financials fa, order_financials fb
            WHERE a.tenant_id = $1 AND a.order_id = p.first_id AND b.tenant_id = $1 AND b.order_id = p.dup_id
              AND ca.tenant_id = $1 AND ca.order_id = p.first_id AND cb.tenant_id = $1 AND cb.order_id = p.dup_id
              AND fa.tenant_id = $1 AND fa.order_id = p.first_id AND fb.tenant_id = $1 AND fb.order_id = p.dup_id
              AND (ca.buyer_id IS DISTINCT FROM cb.buyer_id OR a.store_id <> b.store_id OR fa.paid_amount IS DISTINCT FROM fb.paid_amount)
            """, [tenant])
        try tx.query(insert + """
            WITH sig AS (
                SELECT l.order_id, string_agg(coalesce(l.sku, l.product_id, l.title, '') || '*' || coalesce(l.quantity, 0), '|'
                                              ORDER BY coalesce(l.sku, l.product_id, l.title, ''), l.quantity) AS goods
                FROM order_lines l CROSS JOIN r_scope s
                WHERE l.tenant_id = s.tenant_id AND l.order_id IN (SELECT first_id FROM r_dup_pairs UNION SELECT dup_id FROM r_dup_pairs)
                GROUP BY l.order_id
            )
            SELECT 'orders', 'duplicate_order', 'medium', 'order', o.order_id, o.store_id, o.channel, o.order_no, o.currency,
                   NULL, o.paid_amount, NULL, jsonb_build_object('duplicate_of', f.order_no)
            FROM r_dup_pairs p LEFT JOIN sig a ON a.order_id = p.first_id LEFT JOIN sig b ON b.order_id = p.dup_id
            JOIN r_orders o ON o.order_id = p.dup_id JOIN r_orders f ON f.order_id = p.first_id
            WHERE a.goods IS NOT DISTINCT FROM b.goods
            """)
    }

    /// Runs `body` with a work memory large enough to sort or hash a month of a large merchant's
    /// orders in memory (a million rows of a few keys: about 100 MB), then restores the run's.
    /// Only the two statements that sort all orders get it, so a run's peak stays bounded.
    private static func withSortMemory<T>(on tx: isolated PostgresConnection,
                                          _ body: (isolated PostgresConnection) throws -> T) throws -> T {
        let workMemory = try tx.query("SELECT current_setting('work_mem')")[0].decode(String.self, at: 0)
        try tx.query("SELECT set_config('work_mem', '160MB', true)")
        let result = try body(tx)
        try tx.query("SELECT set_config('work_mem', $1, true)", [workMemory])
        return result
    }
}
