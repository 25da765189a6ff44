import PostgresClient

/// Moves staged records into the real tables, one set-based statement per table.
///
/// Each record has a key from the source's own identity (order number; provider, transaction
/// number and type; bank entry details; waybill ...). When a file holds the same key twice, the
/// later ones get `#2`, `#3` in file order, so loading a file again, or a file that overlaps an
/// earlier one, finds the same keys: rows are updated when they changed and left alone when not.
/// `(xmax = 0)` in RETURNING tells an insert from an update.
enum RecordMerger {
    /// Runs the merge of one kind for tenant `$1`, store `$2` (may be NULL for bank files) and
    /// import `$3`.
    static func merge(_ kind: RecordKind, tenant: Int64, store: Int64?, importID: Int64,
                      on tx: isolated PostgresConnection) throws -> MergeCounts {
        switch kind {
        case .orders: return try mergeOrders(tenant: tenant, store: store, importID: importID, on: tx)
        case .bankLines: return try mergeBankLines(tenant: tenant, importID: importID, on: tx)
        default:
            guard let sql = statements[kind] else { return MergeCounts() }
            let row = try tx.query(sql, [tenant, store, importID])[0]
            let (read, inserted, updated) = try row.decode((Int, Int, Int).self)
            return MergeCounts(read: read, inserted: inserted, updated: updated)
        }
    }

    /// Drops the staging tables of `kinds` and the merge's own temporary tables.
    static func dropWorkTables(kinds: [RecordKind], on tx: isolated PostgresConnection) throws {
        var tables = kinds.map(\.stagingTable)
        if kinds.contains(.orders) { tables += ["stage_order_heads", "stage_order_ids", "stage_changed", "stage_line_rows", "stage_lines_changed"] }
        guard !tables.isEmpty else { return }
        try tx.query("DROP TABLE IF EXISTS " + tables.map { "pg_temp." + $0 }.joined(separator: ", "))
    }

    /// Counts from an upsert CTE named `upserted` with a boolean column `inserted`.
    static let counting = """
        SELECT (SELECT count(*) FROM src)::int, count(*) FILTER (WHERE inserted)::int, count(*) FILTER (WHERE NOT inserted)::int
        FROM upserted
        """

    static let statements: [RecordKind: String] = [
        .transactions: """
            WITH keyed AS (
                SELECT s.*, row_number() OVER (PARTITION BY provider, transaction_no, type ORDER BY seq) AS occurrence
                FROM stage_transactions s
            ), src AS (
                SELECT *, provider || ':' || transaction_no || ':' || type
                          || CASE WHEN occurrence > 1 THEN '#' || occurrence ELSE '' END AS source_key
                FROM keyed
            ), upserted AS (
                INSERT INTO platform_transactions AS t (tenant_id, store_id, provider, source_key, transaction_no, order_ref,
                    related_no, type, type_raw, currency, gross, fee, fee_exact, net, fee_rate, occurred_at, counterparty,
                    memo, balance, payout_ref, status, import_id)
                SELECT $1, $2, provider, source_key, transaction_no, order_ref, related_no, type, coalesce(type_raw, ''),
                       currency, gross, fee, fee_exact::numeric, net, fee_rate::numeric, occurred_at, counterparty, memo,
                       balance, payout_ref, status, $3
                FROM src
                ON CONFLICT (tenant_id, store_id, source_key) DO UPDATE SET
                    order_ref = EXCLUDED.order_ref, related_no = EXCLUDED.related_no, type_raw = EXCLUDED.type_raw,
                    currency = EXCLUDED.currency, gross = EXCLUDED.gross, fee = EXCLUDED.fee, fee_exact = EXCLUDED.fee_exact,
                    net = EXCLUDED.net, fee_rate = EXCLUDED.fee_rate, occurred_at = EXCLUDED.occurred_at,
                    counterparty = EXCLUDED.counterparty, memo = EXCLUDED.memo, balance = EXCLUDED.balance,
                    payout_ref = EXCLUDED.payout_ref, status = EXCLUDED.status, import_id = EXCLUDED.import_id
                WHERE (t.order_ref, t.related_no, t.currency, t.gross, t.fee, t.fee_exact, t.net, t.fee_rate, t.occurred_at,
                       t.counterparty, t.memo, t.balance, t.payout_ref, t.status)
                      IS DISTINCT FROM
                      (EXCLUDED.order_ref, EXCLUDED.related_no, EXCLUDED.currency, EXCLUDED.gross, EXCLUDED.fee,
                       EXCLUDED.fee_exact, EXCLUDED.net, EXCLUDED.fee_rate, EXCLUDED.occurred_at, EXCLUDED.counterparty,
                       EXCLUDED.memo, EXCLUDED.balance, EXCLUDED.payout_ref, EXCLUDED.status)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting,
        .payouts: """
            WITH src AS (
                SELECT DISTINCT ON (provider, payout_ref) *, provider || ':' || payout_ref AS source_key
                FROM stage_payouts ORDER BY provider, payout_ref, seq DESC
            ), upserted AS (
                INSERT INTO payouts AS p (tenant_id, store_id, provider, source_key, payout_ref, currency, amount, payout_date,
                    status, period_start, period_end, import_id)
                SELECT $1, $2, provider, source_key, payout_ref, currency, amount, payout_date, status, period_start,
                       period_end, $3
                FROM src
                ON CONFLICT (tenant_id, store_id, source_key) DO UPDATE SET
                    currency = EXCLUDED.currency, amount = EXCLUDED.amount, payout_date = EXCLUDED.payout_date,
                    status = EXCLUDED.status, period_start = EXCLUDED.period_start, period_end = EXCLUDED.period_end,
                    import_id = EXCLUDED.import_id
                WHERE (p.currency, p.amount, p.payout_date, p.status, p.period_start, p.period_end)
                      IS DISTINCT FROM (EXCLUDED.currency, EXCLUDED.amount, EXCLUDED.payout_date, EXCLUDED.status,
                                        EXCLUDED.period_start, EXCLUDED.period_end)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting,
        .courierLines: """
            WITH keyed AS (
                SELECT s.*, row_number() OVER (PARTITION BY courier, waybill_no ORDER BY seq) AS occurrence
                FROM stage_courier_lines s
            ), src AS (
                SELECT *, coalesce(courier, '') || ':' || waybill_no
                          || CASE WHEN occurrence > 1 THEN '#' || occurrence ELSE '' END AS source_key
                FROM keyed
            ), upserted AS (
                INSERT INTO courier_bill_lines AS c (tenant_id, store_id, source_key, courier, waybill_no, reference, ship_date,
                    origin, destination, zone, billed_weight_g, currency, fee, discount, amount_due, memo, import_id)
                SELECT $1, $2, source_key, courier, waybill_no, reference, ship_date, origin, destination, zone,
                       billed_weight_g, currency, fee, discount, amount_due, memo, $3
                FROM src
                ON CONFLICT (tenant_id, store_id, source_key) DO UPDATE SET
                    reference = EXCLUDED.reference, ship_date = EXCLUDED.ship_date, origin = EXCLUDED.origin,
                    destination = EXCLUDED.destination, zone = EXCLUDED.zone, billed_weight_g = EXCLUDED.billed_weight_g,
                    currency = EXCLUDED.currency, fee = EXCLUDED.fee, discount = EXCLUDED.discount,
                    amount_due = EXCLUDED.amount_due, memo = EXCLUDED.memo, import_id = EXCLUDED.import_id
                WHERE (c.reference, c.ship_date, c.origin, c.destination, c.zone, c.billed_weight_g, c.currency, c.fee,
                       c.discount, c.amount_due, c.memo)
                      IS DISTINCT FROM
                      (EXCLUDED.reference, EXCLUDED.ship_date, EXCLUDED.origin, EXCLUDED.destination, EXCLUDED.zone,
                       EXCLUDED.billed_weight_g, EXCLUDED.currency, EXCLUDED.fee, EXCLUDED.discount, EXCLUDED.amount_due,
                       EXCLUDED.memo)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting,
        .returns: """
            WITH keyed AS (
                SELECT s.*, coalesce(return_no, order_no || ':' || coalesce(sku, '')) AS base_key FROM stage_returns s
            ), numbered AS (
                SELECT *, row_number() OVER (PARTITION BY base_key ORDER BY seq) AS occurrence FROM keyed
            ), src AS (
                SELECT *, base_key || CASE WHEN occurrence > 1 THEN '#' || occurrence ELSE '' END AS source_key FROM numbered
            ), upserted AS (
                INSERT INTO returns AS r (tenant_id, store_id, source_key, channel, return_no, order_no, waybill_no, sku,
                    quantity, currency, refund_amount, received_status, received, created_at, import_id)
                SELECT $1, $2, source_key, channel, return_no, order_no, waybill_no, sku, quantity, currency, refund_amount,
                       received_status, received, created_at, $3
                FROM src
                ON CONFLICT (tenant_id, store_id, source_key) DO UPDATE SET
                    waybill_no = EXCLUDED.waybill_no, quantity = EXCLUDED.quantity, currency = EXCLUDED.currency,
                    refund_amount = EXCLUDED.refund_amount, received_status = EXCLUDED.received_status,
                    received = EXCLUDED.received, created_at = EXCLUDED.created_at, import_id = EXCLUDED.import_id
                WHERE (r.waybill_no, r.quantity, r.currency, r.refund_amount, r.received_status, r.received, r.created_at)
                      IS DISTINCT FROM (EXCLUDED.waybill_no, EXCLUDED.quantity, EXCLUDED.currency, EXCLUDED.refund_amount,
                                        EXCLUDED.received_status, EXCLUDED.received, EXCLUDED.created_at)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting,
        .skuCosts: """
            WITH src AS (
                SELECT DISTINCT ON (sku, coalesce(effective_from, '2000-01-01'))
                       sku, coalesce(effective_from, '2000-01-01') AS effective_from, currency, unit_cost, title
                FROM stage_sku_costs ORDER BY sku, coalesce(effective_from, '2000-01-01'), seq DESC
            ), upserted AS (
                INSERT INTO sku_costs AS k (tenant_id, sku, effective_from, currency, unit_cost, title, import_id)
                SELECT $1, sku, effective_from, currency, unit_cost, title, $3 FROM src
                ON CONFLICT (tenant_id, sku, effective_from) DO UPDATE SET
                    currency = EXCLUDED.currency, unit_cost = EXCLUDED.unit_cost, title = EXCLUDED.title,
                    import_id = EXCLUDED.import_id
                WHERE (k.currency, k.unit_cost, k.title) IS DISTINCT FROM (EXCLUDED.currency, EXCLUDED.unit_cost, EXCLUDED.title)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting,
    ]

    /// Orders are three tables (basic facts, amounts, buyer contact) plus their lines; an order
    /// counts as updated when any of them changed.
    static func mergeOrders(tenant: Int64, store: Int64?, importID: Int64, on tx: isolated PostgresConnection) throws -> MergeCounts {
        guard let store else { throw ImportError.needsStore("order files") }
        try tx.query("CREATE TEMP TABLE stage_changed (order_id bigint, inserted boolean) ON COMMIT DROP")
        // Temporary tables get no statistics unless asked; without them the planner misjudges
        // every join of a large import.
        try tx.query("ANALYZE pg_temp.stage_orders")
        // One row per order: the order-level fields of its first (non-continuation) row.
        try tx.query("""
            CREATE TEMP TABLE stage_order_heads ON COMMIT DROP AS
            SELECT DISTINCT ON (order_no) * FROM stage_orders ORDER BY order_no, is_continuation, seq
            """)
        try tx.query("ANALYZE pg_temp.stage_order_heads")
        try tx.query("""
            WITH upserted AS (
                INSERT INTO orders AS o (tenant_id, store_id, channel, order_no, status, status_raw, created_at, paid_at,
                    shipped_at, completed_at, refund_status, waybill_no, courier, currency, import_id)
                SELECT $1, $2, channel, order_no, status, coalesce(status_raw, ''), created_at, paid_at, shipped_at,
                       completed_at, refund_status, waybill_no, courier, coalesce(currency, 'CNY'), $3
                FROM stage_order_heads
                ON CONFLICT (tenant_id, store_id, order_no) DO UPDATE SET
                    channel = EXCLUDED.channel, status = EXCLUDED.status, status_raw = EXCLUDED.status_raw,
                    created_at = coalesce(EXCLUDED.created_at, o.created_at), paid_at = coalesce(EXCLUDED.paid_at, o.paid_at),
                    shipped_at = coalesce(EXCLUDED.shipped_at, o.shipped_at),
                    completed_at = coalesce(EXCLUDED.completed_at, o.completed_at),
                    refund_status = EXCLUDED.refund_status, waybill_no = coalesce(EXCLUDED.waybill_no, o.waybill_no),
                    courier = coalesce(EXCLUDED.courier, o.courier), currency = EXCLUDED.currency,
                    import_id = EXCLUDED.import_id, updated_at = now()
                WHERE (o.channel, o.status, o.status_raw, o.created_at, o.paid_at, o.shipped_at, o.completed_at,
                       o.refund_status, o.waybill_no, o.courier, o.currency)
                      IS DISTINCT FROM
                      (EXCLUDED.channel, EXCLUDED.status, EXCLUDED.status_raw, coalesce(EXCLUDED.created_at, o.created_at),
                       coalesce(EXCLUDED.paid_at, o.paid_at), coalesce(EXCLUDED.shipped_at, o.shipped_at),
                       coalesce(EXCLUDED.completed_at, o.completed_at), EXCLUDED.refund_status,
                       coalesce(EXCLUDED.waybill_no, o.waybill_no), coalesce(EXCLUDED.courier, o.courier), EXCLUDED.currency)
                RETURNING order_id, (xmax = 0) AS inserted
            )
            INSERT INTO stage_changed SELECT order_id, inserted FROM upserted
            """, [tenant, store, importID])
        // The order id of every head, looked up once and joined below instead of `orders`.
        try tx.query("""
            CREATE TEMP TABLE stage_order_ids ON COMMIT DROP AS
            SELECT o.order_no, o.order_id
            FROM stage_order_heads h JOIN orders o ON o.tenant_id = $1 AND o.store_id = $2 AND o.order_no = h.order_no
            """, [tenant, store])
        try tx.query("ANALYZE pg_temp.stage_order_ids")
        try tx.query("""
            WITH upserted AS (
                INSERT INTO order_financials AS f (tenant_id, order_id, store_id, currency, goods_amount, order_amount,
                    paid_amount, discount_amount, platform_discount, shipping_amount, merchant_receivable, fee_amount,
                    refund_amount)
                SELECT $1, o.order_id, $2, coalesce(h.currency, 'CNY'), h.goods_amount, h.order_amount, h.paid_amount,
                       h.discount_amount, h.platform_discount, h.shipping_amount, h.merchant_receivable, h.fee_amount,
                       h.refund_amount
                FROM stage_order_heads h JOIN stage_order_ids o ON o.order_no = h.order_no
                ON CONFLICT (tenant_id, order_id) DO UPDATE SET
                    currency = EXCLUDED.currency, goods_amount = EXCLUDED.goods_amount, order_amount = EXCLUDED.order_amount,
                    paid_amount = EXCLUDED.paid_amount, discount_amount = EXCLUDED.discount_amount,
                    platform_discount = EXCLUDED.platform_discount, shipping_amount = EXCLUDED.shipping_amount,
                    merchant_receivable = EXCLUDED.merchant_receivable, fee_amount = EXCLUDED.fee_amount,
                    refund_amount = EXCLUDED.refund_amount
                WHERE (f.currency, f.goods_amount, f.order_amount, f.paid_amount, f.discount_amount, f.platform_discount,
                       f.shipping_amount, f.merchant_receivable, f.fee_amount, f.refund_amount)
                      IS DISTINCT FROM
                      (EXCLUDED.currency, EXCLUDED.goods_amount, EXCLUDED.order_amount, EXCLUDED.paid_amount,
                       EXCLUDED.discount_amount, EXCLUDED.platform_discount, EXCLUDED.shipping_amount,
                       EXCLUDED.merchant_receivable, EXCLUDED.fee_amount, EXCLUDED.refund_amount)
                RETURNING order_id
            )
            INSERT INTO stage_changed SELECT order_id, false FROM upserted
            """, [tenant, store])
        try tx.query("""
            WITH upserted AS (
                INSERT INTO order_contacts AS c (tenant_id, order_id, store_id, buyer_id, buyer_account, buyer_name,
                    buyer_phone, buyer_address)
                SELECT $1, o.order_id, $2, h.buyer_id, h.buyer_account, h.buyer_name, h.buyer_phone, h.buyer_address
                FROM stage_order_heads h JOIN stage_order_ids o ON o.order_no = h.order_no
                WHERE h.buyer_id IS NOT NULL OR h.buyer_account IS NOT NULL OR h.buyer_name IS NOT NULL
                   OR h.buyer_phone IS NOT NULL OR h.buyer_address IS NOT NULL
                ON CONFLICT (tenant_id, order_id) DO UPDATE SET
                    buyer_id = EXCLUDED.buyer_id, buyer_account = EXCLUDED.buyer_account, buyer_name = EXCLUDED.buyer_name,
                    buyer_phone = EXCLUDED.buyer_phone, buyer_address = EXCLUDED.buyer_address
                WHERE (c.buyer_id, c.buyer_account, c.buyer_name, c.buyer_phone, c.buyer_address)
                      IS DISTINCT FROM (EXCLUDED.buyer_id, EXCLUDED.buyer_account, EXCLUDED.buyer_name,
                                        EXCLUDED.buyer_phone, EXCLUDED.buyer_address)
                RETURNING order_id
            )
            INSERT INTO stage_changed SELECT order_id, false FROM upserted
            """, [tenant, store])
        // Lines: an order's lines are replaced as a whole when any of them differs. They are the
        // lines of its head record and of its continuation records; a second full record of the
        // same order (the order printed twice) repeats the head's lines and is left out.
        try tx.query("""
            CREATE TEMP TABLE stage_line_rows ON COMMIT DROP AS
            SELECT o.order_id, row_number() OVER (PARTITION BY s.order_no ORDER BY s.seq, s.line_no)::int AS line_no, s.line_sku, s.line_product_id, s.line_sub_order_no, s.line_title, s.line_variant,
                   s.line_quantity, s.line_unit_price, s.line_amount, coalesce(s.currency, 'CNY') AS currency
            FROM stage_orders s JOIN stage_order_heads h ON h.order_no = s.order_no
            JOIN stage_order_ids o ON o.order_no = s.order_no
            WHERE s.line_no IS NOT NULL AND (s.seq = h.seq OR s.is_continuation)
            """)
        try tx.query("ANALYZE pg_temp.stage_line_rows")
        try tx.query("""
            CREATE TEMP TABLE stage_lines_changed ON COMMIT DROP AS
            SELECT DISTINCT order_id FROM (
                (SELECT s.order_id, s.line_no, s.line_sku, s.line_title, s.line_quantity, s.line_unit_price, s.line_amount
                 FROM stage_line_rows s
                 EXCEPT
                 SELECT l.order_id, l.line_no, l.sku, l.title, l.quantity, a.unit_price, a.line_amount
                 FROM order_lines l LEFT JOIN order_line_amounts a USING (tenant_id, order_id, line_no)
                 WHERE l.tenant_id = $1 AND l.order_id IN (SELECT order_id FROM stage_line_rows))
                UNION ALL
                (SELECT l.order_id, l.line_no, l.sku, l.title, l.quantity, a.unit_price, a.line_amount
                 FROM order_lines l LEFT JOIN order_line_amounts a USING (tenant_id, order_id, line_no)
                 WHERE l.tenant_id = $1 AND l.order_id IN (SELECT order_id FROM stage_line_rows)
                 EXCEPT
                 SELECT s.order_id, s.line_no, s.line_sku, s.line_title, s.line_quantity, s.line_unit_price, s.line_amount
                 FROM stage_line_rows s)
            ) d
            """, [tenant])
        try tx.query("""
            DELETE FROM order_lines WHERE tenant_id = $1 AND order_id IN (SELECT order_id FROM stage_lines_changed)
            """, [tenant])
        try tx.query("""
            INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, product_id, sub_order_no, title, variant, quantity)
            SELECT $1, order_id, line_no, $2, line_sku, line_product_id, line_sub_order_no, line_title, line_variant, line_quantity
            FROM stage_line_rows WHERE order_id IN (SELECT order_id FROM stage_lines_changed)
            """, [tenant, store])
        try tx.query("""
            INSERT INTO order_line_amounts (tenant_id, order_id, line_no, store_id, currency, unit_price, line_amount)
            SELECT $1, order_id, line_no, $2, currency, line_unit_price, line_amount
            FROM stage_line_rows
            WHERE order_id IN (SELECT order_id FROM stage_lines_changed) AND (line_unit_price IS NOT NULL OR line_amount IS NOT NULL)
            """, [tenant, store])
        try tx.query("INSERT INTO stage_changed SELECT order_id, false FROM stage_lines_changed")
        let row = try tx.query("""
            SELECT (SELECT count(*) FROM stage_order_heads)::int,
                   count(*) FILTER (WHERE ins)::int, count(*) FILTER (WHERE NOT ins)::int
            FROM (SELECT order_id, bool_or(inserted) AS ins FROM stage_changed GROUP BY order_id) x
            """)[0]
        let (read, inserted, updated) = try row.decode((Int, Int, Int).self)
        return MergeCounts(read: read, inserted: inserted, updated: updated)
    }

    /// Bank lines belong to an account, not a store; accounts are created on first sight.
    static func mergeBankLines(tenant: Int64, importID: Int64, on tx: isolated PostgresConnection) throws -> MergeCounts {
        try tx.query("""
            INSERT INTO bank_accounts (tenant_id, account_no, currency)
            SELECT DISTINCT ON (account) $1, account, currency FROM stage_bank_lines ORDER BY account, seq
            ON CONFLICT (tenant_id, account_no) DO NOTHING
            """, [tenant])
        let row = try tx.query("""
            WITH keyed AS (
                SELECT s.*, md5(concat_ws('|', booking_date, value_date, amount, amount_exact, direction, is_reversal,
                                          reference, customer_reference, end_to_end_id, counterparty_account, memo)) AS base_key
                FROM stage_bank_lines s
            ), numbered AS (
                SELECT *, row_number() OVER (PARTITION BY account, base_key ORDER BY seq) AS occurrence FROM keyed
            ), src AS (
                SELECT n.*, a.bank_account_id,
                       base_key || CASE WHEN occurrence > 1 THEN '#' || occurrence ELSE '' END AS source_key
                FROM numbered n JOIN bank_accounts a ON a.tenant_id = $1 AND a.account_no = n.account
            ), upserted AS (
                INSERT INTO bank_statement_lines AS b (tenant_id, bank_account_id, source_key, statement_ref, booking_date,
                    value_date, currency, amount, amount_exact, direction, is_reversal, counterparty_name,
                    counterparty_account, reference, customer_reference, end_to_end_id, memo, balance, transaction_code,
                    import_id)
                SELECT $1, bank_account_id, source_key, statement_ref, booking_date, value_date, currency, amount,
                       amount_exact::numeric, direction, coalesce(is_reversal, false), counterparty_name,
                       counterparty_account, reference, customer_reference, end_to_end_id, memo, balance, transaction_code, $2
                FROM src
                ON CONFLICT (tenant_id, bank_account_id, source_key) DO UPDATE SET
                    statement_ref = EXCLUDED.statement_ref, counterparty_name = EXCLUDED.counterparty_name,
                    balance = EXCLUDED.balance, transaction_code = EXCLUDED.transaction_code, import_id = EXCLUDED.import_id
                WHERE (b.statement_ref, b.counterparty_name, b.balance, b.transaction_code)
                      IS DISTINCT FROM (EXCLUDED.statement_ref, EXCLUDED.counterparty_name, EXCLUDED.balance,
                                        EXCLUDED.transaction_code)
                RETURNING (xmax = 0) AS inserted
            )
            """ + counting, [tenant, importID])[0]
        let (read, inserted, updated) = try row.decode((Int, Int, Int).self)
        return MergeCounts(read: read, inserted: inserted, updated: updated)
    }
}
