import PostgresClient

/// Moves staged records into the real tables, one set-based statement per table.
///
/// Each record has a key from the source's own identity (order number; provider, transaction
/// number and type; bank entry details; waybill ...). When a file holds the same key twice, the
/// later ones get `#2`, `#3` in file order, so loading a file again, or a file that overlaps an
/// earlier one, finds the same keys: rows are updated when they changed and left alone when not.
/// `(xmax = 0)` in RETURNING tells an insert from an update. Orders, the bulk of most imports,
/// are merged differently (see ``mergeOrders(tenant:store:importID:staged:on:)``): new orders go
/// in with plain INSERTs and only the ones that exist already are compared.
enum RecordMerger {
    /// Runs the merge of one kind for tenant `$1`, store `$2` (may be NULL for bank files) and
    /// import `$3`; `orders` describes the staged order records.
    static func merge(_ kind: RecordKind, tenant: Int64, store: Int64?, importID: Int64, orders: OrderStaging,
                      on tx: isolated PostgresConnection) throws -> MergeCounts {
        switch kind {
        case .orders: return try mergeOrders(tenant: tenant, store: store, importID: importID, staged: orders, on: tx)
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
        if kinds.contains(.orders) { tables += ["stage_order_lines", "stage_changed", "stage_line_rows", "stage_lines_changed"] }
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

    /// Orders are three tables (basic facts, amounts, buyer contact) plus their lines (facts and
    /// amounts); an order counts as updated when any of them changed.
    ///
    /// Staging gave every record an order id from the orders' sequence. The merge first settles
    /// which record is an order's head (its first record that is not a continuation; an order
    /// printed twice keeps its first record, and the later ones, lines included, are left out),
    /// then marks the records of orders the store has already, under a lock that makes imports
    /// into one store take turns. New orders then go into all five tables with plain INSERTs
    /// under their staged ids; only the orders that exist take the comparing update path.
    static func mergeOrders(tenant: Int64, store: Int64?, importID: Int64, staged: OrderStaging,
                            on tx: isolated PostgresConnection) throws -> MergeCounts {
        guard let store else { throw ImportError.needsStore("order files") }
        try tx.query("""
            SELECT pg_advisory_xact_lock(hashtextextended('shoprecon.orders:' || $1::text || ':' || $2::text, 0))
            """, [tenant, store])
        // Temporary tables get no statistics unless asked; without them the planner misjudges
        // every join of a large import.
        try tx.query("ANALYZE pg_temp.stage_orders")
        var heads = staged.heads
        if staged.continuations > 0 {
            // A continuation whose order has no other record before it (its number only hashed
            // like an earlier order's) is that order's head.
            heads += try tx.query("""
                UPDATE stage_orders c SET is_continuation = false
                WHERE c.is_continuation
                  AND NOT EXISTS (SELECT 1 FROM stage_orders h
                                  WHERE h.order_no = c.order_no AND (NOT h.is_continuation OR h.seq < c.seq))
                """).affectedRows
        }
        if staged.possibleRepeats > 0 {
            // An order printed twice: its first record counts. Staging flagged the records whose
            // number may have come before (by hash); only those numbers are looked at.
            heads -= try tx.query("""
                DELETE FROM stage_orders s
                USING (SELECT order_no, min(seq) AS first_seq FROM stage_orders
                       WHERE NOT is_continuation AND order_no IN (SELECT order_no FROM stage_orders WHERE maybe_repeat)
                       GROUP BY order_no) f
                WHERE s.order_no = f.order_no AND NOT s.is_continuation AND s.seq > f.first_seq
                """).affectedRows
        }
        let existing = try tx.query("""
            UPDATE stage_orders s SET order_id = o.order_id, existing = true
            FROM orders o WHERE o.tenant_id = $1 AND o.store_id = $2 AND o.order_no = s.order_no
            """, [tenant, store]).affectedRows
        if staged.continuations > 0 {
            // Continuations take their head's id, and their lines follow those of the records before.
            try tx.query("""
                UPDATE stage_orders s SET order_id = x.head_id, line_offset = x.line_offset
                FROM (SELECT seq, first_value(order_id) OVER (PARTITION BY order_no ORDER BY is_continuation, seq) AS head_id,
                             (sum(line_count) OVER (PARTITION BY order_no ORDER BY seq) - line_count)::int AS line_offset
                      FROM stage_orders
                      WHERE order_no IN (SELECT order_no FROM stage_orders WHERE is_continuation)) x
                WHERE s.seq = x.seq AND (s.order_id, s.line_offset) IS DISTINCT FROM (x.head_id, x.line_offset)
                """)
        }
        let inserted = try insertNewOrders(tenant: tenant, store: store, importID: importID, staged: staged, on: tx)
        var updated = 0
        if existing > 0 {
            updated = try updateExistingOrders(tenant: tenant, store: store, importID: importID, staged: staged, on: tx)
        }
        return MergeCounts(read: heads, inserted: inserted, updated: updated)
    }

    /// Orders whose number the store does not have yet: every table filled by a plain INSERT
    /// (no conflict is possible under the lock). Returns the orders inserted.
    private static func insertNewOrders(tenant: Int64, store: Int64, importID: Int64, staged: OrderStaging,
                                        on tx: isolated PostgresConnection) throws -> Int {
        let inserted = try tx.query("""
            INSERT INTO orders (tenant_id, order_id, store_id, channel, order_no, status, status_raw, created_at, paid_at,
                shipped_at, completed_at, refund_status, waybill_no, courier, currency, import_id)
            OVERRIDING SYSTEM VALUE
            SELECT $1, order_id, $2, channel, order_no, status, coalesce(status_raw, ''), created_at, paid_at, shipped_at,
                   completed_at, refund_status, waybill_no, courier, coalesce(currency, 'CNY'), $3
            FROM stage_orders WHERE NOT existing AND NOT is_continuation
            """, [tenant, store, importID]).affectedRows
        guard inserted > 0 else { return 0 }
        try tx.query("""
            INSERT INTO order_financials (tenant_id, order_id, store_id, currency, goods_amount, order_amount, paid_amount,
                discount_amount, platform_discount, shipping_amount, merchant_receivable, fee_amount, refund_amount)
            SELECT $1, order_id, $2, coalesce(currency, 'CNY'), goods_amount, order_amount, paid_amount, discount_amount,
                   platform_discount, shipping_amount, merchant_receivable, fee_amount, refund_amount
            FROM stage_orders WHERE NOT existing AND NOT is_continuation
            """, [tenant, store])
        try tx.query("""
            INSERT INTO order_contacts (tenant_id, order_id, store_id, buyer_id, buyer_account, buyer_name, buyer_phone,
                buyer_address)
            SELECT $1, order_id, $2, buyer_id, buyer_account, buyer_name, buyer_phone, buyer_address
            FROM stage_orders
            WHERE NOT existing AND NOT is_continuation
              AND (buyer_id IS NOT NULL OR buyer_account IS NOT NULL OR buyer_name IS NOT NULL OR buyer_phone IS NOT NULL
                   OR buyer_address IS NOT NULL)
            """, [tenant, store])
        try tx.query("""
            INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, product_id, sub_order_no, title, variant, quantity)
            SELECT $1, order_id, line_offset + 1, $2, line_sku, line_product_id, line_sub_order_no, line_title, line_variant,
                   line_quantity
            FROM stage_orders WHERE NOT existing AND line_count > 0
            """, [tenant, store])
        try tx.query("""
            INSERT INTO order_line_amounts (tenant_id, order_id, line_no, store_id, currency, unit_price, line_amount)
            SELECT $1, order_id, line_offset + 1, $2, coalesce(currency, 'CNY'), line_unit_price, line_amount
            FROM stage_orders
            WHERE NOT existing AND line_count > 0 AND (line_unit_price IS NOT NULL OR line_amount IS NOT NULL)
            """, [tenant, store])
        if staged.extraLines > 0 {
            try tx.query("""
                INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, product_id, sub_order_no, title, variant,
                    quantity)
                SELECT $1, s.order_id, s.line_offset + l.line_no, $2, l.line_sku, l.line_product_id, l.line_sub_order_no,
                       l.line_title, l.line_variant, l.line_quantity
                FROM stage_order_lines l JOIN stage_orders s USING (seq)
                WHERE NOT s.existing
                """, [tenant, store])
            try tx.query("""
                INSERT INTO order_line_amounts (tenant_id, order_id, line_no, store_id, currency, unit_price, line_amount)
                SELECT $1, s.order_id, s.line_offset + l.line_no, $2, coalesce(s.currency, 'CNY'), l.line_unit_price,
                       l.line_amount
                FROM stage_order_lines l JOIN stage_orders s USING (seq)
                WHERE NOT s.existing AND (l.line_unit_price IS NOT NULL OR l.line_amount IS NOT NULL)
                """, [tenant, store])
        }
        return inserted
    }

    /// Orders the store has already: each table is updated where something differs; an order's
    /// lines are replaced as a whole when any of them differs. Returns the orders that changed.
    private static func updateExistingOrders(tenant: Int64, store: Int64, importID: Int64, staged: OrderStaging,
                                             on tx: isolated PostgresConnection) throws -> Int {
        try tx.query("CREATE TEMP TABLE stage_changed (order_id bigint) ON COMMIT DROP")
        try tx.query("""
            WITH changed AS (
                UPDATE orders o SET
                    channel = s.channel, status = s.status, status_raw = coalesce(s.status_raw, ''),
                    created_at = coalesce(s.created_at, o.created_at), paid_at = coalesce(s.paid_at, o.paid_at),
                    shipped_at = coalesce(s.shipped_at, o.shipped_at), completed_at = coalesce(s.completed_at, o.completed_at),
                    refund_status = s.refund_status, waybill_no = coalesce(s.waybill_no, o.waybill_no),
                    courier = coalesce(s.courier, o.courier), currency = coalesce(s.currency, 'CNY'), import_id = $2,
                    updated_at = now()
                FROM stage_orders s
                WHERE s.existing AND NOT s.is_continuation AND o.tenant_id = $1 AND o.order_id = s.order_id
                  AND (o.channel, o.status, o.status_raw, o.created_at, o.paid_at, o.shipped_at, o.completed_at,
                       o.refund_status, o.waybill_no, o.courier, o.currency)
                      IS DISTINCT FROM
                      (s.channel, s.status, coalesce(s.status_raw, ''), coalesce(s.created_at, o.created_at),
                       coalesce(s.paid_at, o.paid_at), coalesce(s.shipped_at, o.shipped_at),
                       coalesce(s.completed_at, o.completed_at), s.refund_status, coalesce(s.waybill_no, o.waybill_no),
                       coalesce(s.courier, o.courier), coalesce(s.currency, 'CNY'))
                RETURNING o.order_id
            )
            INSERT INTO stage_changed SELECT order_id FROM changed
            """, [tenant, importID])
        try tx.query("""
            WITH upserted AS (
                INSERT INTO order_financials AS f (tenant_id, order_id, store_id, currency, goods_amount, order_amount,
                    paid_amount, discount_amount, platform_discount, shipping_amount, merchant_receivable, fee_amount,
                    refund_amount)
                SELECT $1, order_id, $2, coalesce(currency, 'CNY'), goods_amount, order_amount, paid_amount, discount_amount,
                       platform_discount, shipping_amount, merchant_receivable, fee_amount, refund_amount
                FROM stage_orders WHERE existing AND NOT is_continuation
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
            INSERT INTO stage_changed SELECT order_id FROM upserted
            """, [tenant, store])
        try tx.query("""
            WITH upserted AS (
                INSERT INTO order_contacts AS c (tenant_id, order_id, store_id, buyer_id, buyer_account, buyer_name,
                    buyer_phone, buyer_address)
                SELECT $1, order_id, $2, buyer_id, buyer_account, buyer_name, buyer_phone, buyer_address
                FROM stage_orders
                WHERE existing AND NOT is_continuation
                  AND (buyer_id IS NOT NULL OR buyer_account IS NOT NULL OR buyer_name IS NOT NULL
                       OR buyer_phone IS NOT NULL OR buyer_address IS NOT NULL)
                ON CONFLICT (tenant_id, order_id) DO UPDATE SET
                    buyer_id = EXCLUDED.buyer_id, buyer_account = EXCLUDED.buyer_account, buyer_name = EXCLUDED.buyer_name,
                    buyer_phone = EXCLUDED.buyer_phone, buyer_address = EXCLUDED.buyer_address
                WHERE (c.buyer_id, c.buyer_account, c.buyer_name, c.buyer_phone, c.buyer_address)
                      IS DISTINCT FROM (EXCLUDED.buyer_id, EXCLUDED.buyer_account, EXCLUDED.buyer_name,
                                        EXCLUDED.buyer_phone, EXCLUDED.buyer_address)
                RETURNING order_id
            )
            INSERT INTO stage_changed SELECT order_id FROM upserted
            """, [tenant, store])
        // The lines of the head record and of the continuations, numbered in file order.
        var lineRows = """
            CREATE TEMP TABLE stage_line_rows ON COMMIT DROP AS
            SELECT order_id, line_offset + 1 AS line_no, line_sku, line_product_id, line_sub_order_no, line_title,
                   line_variant, line_quantity, line_unit_price, line_amount, coalesce(currency, 'CNY') AS currency
            FROM stage_orders WHERE existing AND line_count > 0
            """
        if staged.extraLines > 0 {
            lineRows += """

                UNION ALL
                SELECT s.order_id, s.line_offset + l.line_no, l.line_sku, l.line_product_id, l.line_sub_order_no, l.line_title,
                       l.line_variant, l.line_quantity, l.line_unit_price, l.line_amount, coalesce(s.currency, 'CNY')
                FROM stage_order_lines l JOIN stage_orders s USING (seq)
                WHERE s.existing
                """
        }
        try tx.query(lineRows)
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
        return try tx.query("""
            SELECT count(DISTINCT order_id)::int FROM (SELECT order_id FROM stage_changed UNION ALL SELECT order_id FROM stage_lines_changed) c
            """)[0].decode(Int.self, at: 0)
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
