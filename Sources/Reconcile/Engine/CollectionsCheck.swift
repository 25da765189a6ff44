import PostgresClient

/// Collections: payouts of the platforms and payment providers against credits on the bank
/// statements. Stages, each on what is still unmatched: the payout's reference in the bank
/// line's texts; the same amount within the date window (mutually nearest); several payouts of
/// one provider and day summed into one credit; one payout split into several credits of one
/// day and counterparty.
enum CollectionsCheck {
    static func run(on tx: isolated PostgresConnection) throws {
        try scope(on: tx)
        try matchByReference(on: tx)
        try matchByAmountAndDate(on: tx)
        try matchDailySums(on: tx)
        try matchSplitCredits(on: tx)
        try findExceptions(on: tx)
    }

    /// Payouts from one window before the period to its end (their credits can fall into the
    /// period), and credits from one window before to one window after it.
    static func scope(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_payouts, pg_temp.r_bank, pg_temp.r_paired")
        try tx.query("""
            CREATE TEMP TABLE r_payouts ON COMMIT DROP AS
            SELECT p.payout_id, p.store_id, p.provider, p.payout_ref, recon_norm_ref(p.payout_ref) AS ref, p.currency, p.amount,
                   p.payout_date, false AS done
            FROM r_scope s JOIN payouts p ON p.tenant_id = s.tenant_id
                 AND p.payout_date >= s.period - s.bank_date_window_days AND p.payout_date < s.period_end
                 AND (s.store_id IS NULL OR p.store_id = s.store_id)
            WHERE NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'payout' AND m.record_id = p.payout_id)
            """)
        try tx.query("""
            CREATE TEMP TABLE r_bank ON COMMIT DROP AS
            SELECT b.line_id, b.currency, b.amount, coalesce(b.value_date, b.booking_date) AS day,
                   upper(regexp_replace(concat_ws(' ', b.reference, b.customer_reference, b.end_to_end_id, b.memo), '[[:space:]]', '', 'g')) AS texts,
                   coalesce(b.reference, b.end_to_end_id, b.customer_reference, b.statement_ref) AS reference,
                   coalesce(b.counterparty_name, '') AS counterparty, false AS done
            FROM r_scope s JOIN bank_statement_lines b ON b.tenant_id = s.tenant_id
                 AND coalesce(b.value_date, b.booking_date) >= s.period - s.bank_date_window_days
                 AND coalesce(b.value_date, b.booking_date) < s.period_end + s.bank_date_window_days
            WHERE b.direction = 'credit' AND NOT b.is_reversal AND b.amount > 0
              AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'bank_line' AND m.record_id = b.line_id)
            """)
        try tx.query("ALTER TABLE r_payouts ADD PRIMARY KEY (payout_id)")
        try tx.query("ALTER TABLE r_bank ADD PRIMARY KEY (line_id)")
        try tx.query("ANALYZE pg_temp.r_payouts")
        try tx.query("ANALYZE pg_temp.r_bank")
        // Pairs found by the one-to-one stages, written as matches at the end of each stage.
        try tx.query("CREATE TEMP TABLE r_paired (payout_id bigint, line_id bigint, rule text, confidence numeric) ON COMMIT DROP")
    }

    /// Of candidate pairs in `r_candidates` (payout_id, line_id, distance), keeps those that are
    /// each other's nearest, and records them as one-to-one matches.
    private static func pairNearest(rule: String, confidence: String, on tx: isolated PostgresConnection) throws {
        try tx.query("TRUNCATE r_paired")
        try tx.query("""
            INSERT INTO r_paired
            SELECT payout_id, line_id, $1, $2::numeric FROM (
                SELECT c.*, row_number() OVER (PARTITION BY c.payout_id ORDER BY c.distance, c.line_id) AS by_payout,
                            row_number() OVER (PARTITION BY c.line_id ORDER BY c.distance, c.payout_id) AS by_line
                FROM r_candidates c
            ) r WHERE by_payout = 1 AND by_line = 1
            """, [rule, confidence])
        try tx.query("UPDATE r_payouts p SET done = true FROM r_paired x WHERE x.payout_id = p.payout_id")
        try tx.query("UPDATE r_bank b SET done = true FROM r_paired x WHERE x.line_id = b.line_id")
        try tx.query("DROP TABLE r_candidates")
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_pair_ids")
        try tx.query("CREATE TEMP TABLE r_pair_ids ON COMMIT DROP AS SELECT x.*, nextval(pg_get_serial_sequence('recon_matches', 'match_id')) AS match_id FROM r_paired x")
        try tx.query("""
            INSERT INTO r_match (match_id, anchor_type, anchor_id, flow, store_id, shape, rule, confidence)
            SELECT x.match_id, 'payout', x.payout_id, 'collections', p.store_id, 'one_to_one', x.rule, x.confidence
            FROM r_pair_ids x JOIN r_payouts p USING (payout_id)
            """)
        try tx.query("""
            INSERT INTO r_alloc (match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT x.match_id, 'left', 'payout', p.payout_id, p.store_id, p.currency, p.amount
            FROM r_pair_ids x JOIN r_payouts p USING (payout_id)
            UNION ALL
            SELECT x.match_id, 'right', 'bank_line', b.line_id, p.store_id, b.currency, b.amount
            FROM r_pair_ids x JOIN r_payouts p USING (payout_id) JOIN r_bank b USING (line_id)
            """)
    }

    static func matchByReference(on tx: isolated PostgresConnection) throws {
        try tx.query("""
            CREATE TEMP TABLE r_candidates ON COMMIT DROP AS
            SELECT p.payout_id, b.line_id, abs(b.day - p.payout_date) AS distance
            FROM r_payouts p JOIN r_bank b ON b.currency = p.currency AND b.amount = p.amount
            WHERE length(p.ref) >= 6 AND strpos(b.texts, p.ref) > 0
            """)
        try pairNearest(rule: "exact:reference", confidence: "1", on: tx)
    }

    static func matchByAmountAndDate(on tx: isolated PostgresConnection) throws {
        try tx.query("""
            CREATE TEMP TABLE r_candidates ON COMMIT DROP AS
            SELECT p.payout_id, b.line_id, b.day - p.payout_date AS distance
            FROM r_payouts p CROSS JOIN r_scope s
            JOIN r_bank b ON b.currency = p.currency AND b.amount = p.amount
            WHERE NOT p.done AND NOT b.done AND b.day >= p.payout_date AND b.day <= p.payout_date + s.bank_date_window_days
            """)
        try pairNearest(rule: "amount+date", confidence: "0.9", on: tx)
    }

    /// Payouts of one provider, store, currency and day whose sum is one credit in the window.
    static func matchDailySums(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_groups")
        try tx.query("""
            CREATE TEMP TABLE r_groups ON COMMIT DROP AS
            WITH days AS (
                SELECT provider, store_id, currency, payout_date, sum(amount) AS total, array_agg(payout_id) AS ids
                FROM r_payouts WHERE NOT done GROUP BY provider, store_id, currency, payout_date HAVING count(*) > 1
            ), candidates AS (
                SELECT d.*, b.line_id,
                       row_number() OVER (PARTITION BY d.provider, d.store_id, d.currency, d.payout_date ORDER BY b.day, b.line_id) AS by_group,
                       row_number() OVER (PARTITION BY b.line_id ORDER BY b.day - d.payout_date, d.store_id, d.provider) AS by_line
                FROM days d CROSS JOIN r_scope s
                JOIN r_bank b ON b.currency = d.currency AND b.amount = d.total
                WHERE NOT b.done AND b.day >= d.payout_date AND b.day <= d.payout_date + s.bank_date_window_days
            )
            SELECT nextval(pg_get_serial_sequence('recon_matches', 'match_id')) AS match_id, store_id, ids, ARRAY[line_id] AS lines
            FROM candidates WHERE by_group = 1 AND by_line = 1
            """)
        try writeGroups(shape: "many_to_one", rule: "sum:day", confidence: "0.8", on: tx)
    }

    /// Credits of one day, currency and counterparty whose sum is one payout of the window.
    static func matchSplitCredits(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_groups")
        try tx.query("""
            CREATE TEMP TABLE r_groups ON COMMIT DROP AS
            WITH days AS (
                SELECT day, currency, counterparty, sum(amount) AS total, array_agg(line_id) AS lines
                FROM r_bank WHERE NOT done GROUP BY day, currency, counterparty HAVING count(*) > 1
            ), candidates AS (
                SELECT p.payout_id, p.store_id, d.lines,
                       row_number() OVER (PARTITION BY d.day, d.currency, d.counterparty ORDER BY d.day - p.payout_date, p.payout_id) AS by_group,
                       row_number() OVER (PARTITION BY p.payout_id ORDER BY d.day - p.payout_date, d.counterparty) AS by_payout
                FROM days d CROSS JOIN r_scope s
                JOIN r_payouts p ON p.currency = d.currency AND p.amount = d.total
                WHERE NOT p.done AND d.day >= p.payout_date AND d.day <= p.payout_date + s.bank_date_window_days
            )
            SELECT nextval(pg_get_serial_sequence('recon_matches', 'match_id')) AS match_id, store_id, ARRAY[payout_id] AS ids, lines
            FROM candidates WHERE by_group = 1 AND by_payout = 1
            """)
        try writeGroups(shape: "one_to_many", rule: "split:day", confidence: "0.7", on: tx)
    }

    /// Writes `r_groups` (match_id, store_id, ids of payouts, ids of bank lines) as matches.
    private static func writeGroups(shape: String, rule: String, confidence: String, on tx: isolated PostgresConnection) throws {
        try tx.query("""
            INSERT INTO r_match (match_id, anchor_type, anchor_id, flow, store_id, shape, rule, confidence)
            SELECT match_id, 'payout', ids[1], 'collections', store_id, $1, $2, $3::numeric FROM r_groups
            """, [shape, rule, confidence])
        try tx.query("""
            INSERT INTO r_alloc (match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT g.match_id, 'left', 'payout', p.payout_id, p.store_id, p.currency, p.amount
            FROM r_groups g CROSS JOIN LATERAL unnest(g.ids) AS i(payout_id) JOIN r_payouts p ON p.payout_id = i.payout_id
            UNION ALL
            SELECT g.match_id, 'right', 'bank_line', b.line_id, g.store_id, b.currency, b.amount
            FROM r_groups g CROSS JOIN LATERAL unnest(g.lines) AS l(line_id) JOIN r_bank b ON b.line_id = l.line_id
            """)
        try tx.query("UPDATE r_payouts p SET done = true WHERE p.payout_id IN (SELECT unnest(g.ids) FROM r_groups g)")
        try tx.query("UPDATE r_bank b SET done = true WHERE b.line_id IN (SELECT unnest(g.lines) FROM r_groups g)")
    }

    static func findExceptions(on tx: isolated PostgresConnection) throws {
        // A payout the bank should have credited by now.
        try tx.query("""
            INSERT INTO r_exc (flow, type, severity, record_type, record_id, store_id, channel, reference, currency,
                               expected, actual, difference, detail)
            SELECT 'collections', 'payout_not_in_bank', 'high', 'payout', p.payout_id, p.store_id, p.provider, p.payout_ref,
                   p.currency, p.amount, 0, -p.amount, jsonb_build_object('payout_date', p.payout_date)
            FROM r_payouts p CROSS JOIN r_scope s
            WHERE NOT p.done AND p.payout_date >= s.period AND p.payout_date < s.as_of - s.bank_date_window_days
            """)
        // Money in that no payout explains. Bank lines belong to no store: a run for one store
        // cannot tell, so only runs over every store report them.
        try tx.query("""
            INSERT INTO r_exc (flow, type, severity, record_type, record_id, store_id, channel, reference, currency,
                               expected, actual, difference, detail)
            SELECT 'collections', 'unexplained_bank_credit', 'medium', 'bank_line', b.line_id, NULL, NULL, b.reference,
                   b.currency, NULL, b.amount, b.amount, jsonb_build_object('value_date', b.day, 'counterparty', b.counterparty)
            FROM r_bank b CROSS JOIN r_scope s
            WHERE NOT b.done AND s.store_id IS NULL AND b.day >= s.period AND b.day < s.period_end
            """)
    }
}
