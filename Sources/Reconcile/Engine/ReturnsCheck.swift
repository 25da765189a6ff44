import PostgresClient

/// Returns: returns of the period against the courier lines that carried them back (by
/// waybill), refunds without goods back, returns that never arrived, and courier lines priced
/// above the tenant's rate card.
enum ReturnsCheck {
    static func run(on tx: isolated PostgresConnection) throws {
        try scope(on: tx)
        try matchByWaybill(on: tx)
        try matchShipments(on: tx)
        try findExceptions(on: tx)
    }

    static func scope(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_returns, pg_temp.r_refunded")
        try tx.query("""
            CREATE TEMP TABLE r_returns ON COMMIT DROP AS
            SELECT r.return_id, r.store_id, r.channel, r.return_no, r.order_no, recon_norm_ref(r.order_no) AS order_ref,
                   recon_norm_ref(r.waybill_no) AS waybill, r.currency, r.refund_amount, coalesce(r.received, false) AS received,
                   r.created_at, m.record_id IS NOT NULL AS manual
            FROM r_scope s JOIN returns r ON r.tenant_id = s.tenant_id AND r.created_at >= s.starts_at AND r.created_at < s.ends_at
                 AND (s.store_id IS NULL OR r.store_id = s.store_id)
            LEFT JOIN r_manual m ON m.record_type = 'return' AND m.record_id = r.return_id
            """)
        // Orders of the period with refunds booked on the platform, whatever their date.
        try tx.query("""
            CREATE TEMP TABLE r_refunded ON COMMIT DROP AS
            SELECT o.order_id, o.store_id, o.channel, o.order_no, recon_norm_ref(o.order_no) AS ref, o.currency,
                   o.shipped_at IS NOT NULL OR o.waybill_no IS NOT NULL AS shipped, -sum(t.gross) AS refunded
            FROM r_scope s
            JOIN orders o ON o.tenant_id = s.tenant_id AND o.created_at >= s.starts_at AND o.created_at < s.ends_at
                         AND (s.store_id IS NULL OR o.store_id = s.store_id)
            JOIN platform_transactions t ON t.tenant_id = s.tenant_id AND t.type = 'refund'
                 AND recon_norm_ref(t.order_ref) = recon_norm_ref(o.order_no) AND t.occurred_at >= s.starts_at - interval '1 day'
            GROUP BY o.tenant_id, o.order_id
            HAVING sum(t.gross) < 0
            """)
        try tx.query("ANALYZE pg_temp.r_returns")
    }

    static func matchByWaybill(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_return_match")
        try tx.query("""
            CREATE TEMP TABLE r_return_match ON COMMIT DROP AS
            SELECT r.return_id, r.store_id, r.currency, coalesce(r.refund_amount, 0) AS amount, array_agg(c.line_id) AS lines,
                   nextval(pg_get_serial_sequence('recon_matches', 'match_id')) AS match_id
            FROM r_returns r CROSS JOIN r_scope s
            JOIN courier_bill_lines c ON c.tenant_id = s.tenant_id AND recon_norm_ref(c.waybill_no) = r.waybill
            WHERE NOT r.manual AND r.waybill IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'courier_line' AND m.record_id = c.line_id)
            GROUP BY r.return_id, r.store_id, r.currency, r.refund_amount
            """)
        try tx.query("""
            INSERT INTO r_match (match_id, anchor_type, anchor_id, flow, store_id, shape, rule, confidence)
            SELECT match_id, 'return', return_id, 'returns', store_id, CASE WHEN cardinality(lines) = 1 THEN 'one_to_one' ELSE 'one_to_many' END,
                   'exact:waybill', 1
            FROM r_return_match
            """)
        try tx.query("""
            INSERT INTO r_alloc (match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT m.match_id, 'left', 'return', m.return_id, m.store_id, m.currency, m.amount FROM r_return_match m
            UNION ALL
            SELECT m.match_id, 'right', 'courier_line', c.line_id, m.store_id, c.currency, c.amount_due
            FROM r_return_match m CROSS JOIN LATERAL unnest(m.lines) AS l(line_id) CROSS JOIN r_scope s
            JOIN courier_bill_lines c ON c.tenant_id = s.tenant_id AND c.line_id = l.line_id
            """)
    }

    /// Courier lines of the period that carried no return: the outbound shipment of the order
    /// with that waybill (`exact:waybill`, order on the left).
    static func matchShipments(on tx: isolated PostgresConnection) throws {
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_shipment_match")
        try tx.query("""
            CREATE TEMP TABLE r_shipment_match ON COMMIT DROP AS
            SELECT DISTINCT ON (c.line_id) c.line_id, c.store_id, c.currency, c.amount_due, o.order_id, o.currency AS order_currency,
                   nextval(pg_get_serial_sequence('recon_matches', 'match_id')) AS match_id
            FROM r_scope s
            JOIN courier_bill_lines c ON c.tenant_id = s.tenant_id AND c.ship_date >= s.period AND c.ship_date < s.period_end
                 AND (s.store_id IS NULL OR c.store_id = s.store_id)
            JOIN orders o ON o.tenant_id = s.tenant_id AND o.store_id = c.store_id AND o.waybill_no = c.waybill_no
            WHERE c.line_id NOT IN (SELECT unnest(m.lines) FROM r_return_match m)
              AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'courier_line' AND m.record_id = c.line_id)
            ORDER BY c.line_id, o.order_id
            """)
        try tx.query("""
            INSERT INTO r_match (match_id, anchor_type, anchor_id, flow, store_id, shape, rule, confidence)
            SELECT match_id, 'order', order_id, 'returns', store_id, 'one_to_one', 'exact:waybill', 1 FROM r_shipment_match
            """)
        try tx.query("""
            INSERT INTO r_alloc (match_id, side, record_type, record_id, store_id, currency, amount)
            SELECT match_id, 'left', 'order', order_id, store_id, order_currency, 0 FROM r_shipment_match
            UNION ALL
            SELECT match_id, 'right', 'courier_line', line_id, store_id, currency, amount_due FROM r_shipment_match
            """)
    }

    static func findExceptions(on tx: isolated PostgresConnection) throws {
        let insert = """
            INSERT INTO r_exc (flow, type, severity, record_type, record_id, store_id, channel, reference, currency,
                               expected, actual, difference, detail)
            """
        // Money back to the buyer for goods that had left, and none of them came back.
        try tx.query(insert + """
            SELECT 'returns', 'refund_without_return', 'high', 'order', f.order_id, f.store_id, f.channel, f.order_no, f.currency,
                   0, f.refunded, f.refunded,
                   jsonb_build_object('returns', (SELECT count(*) FROM returns r WHERE r.tenant_id = s.tenant_id
                                                  AND r.store_id = f.store_id AND recon_norm_ref(r.order_no) = f.ref))
            FROM r_refunded f CROSS JOIN r_scope s
            WHERE f.shipped
              AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'order' AND m.record_id = f.order_id)
              AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.tenant_id = s.tenant_id AND r.store_id = f.store_id
                              AND recon_norm_ref(r.order_no) = f.ref AND r.received)
            """)
        try refundsBeyondGoodsBack(insert: insert, on: tx)
        // A return announced long ago that never arrived, for an order not refunded (refunded
        // ones are refund_without_return above).
        try tx.query(insert + """
            SELECT 'returns', 'return_not_received', 'medium', 'return', r.return_id, r.store_id, r.channel,
                   coalesce(r.return_no, r.order_no), r.currency, r.refund_amount, 0, NULL,
                   jsonb_build_object('order_no', r.order_no, 'created_at', r.created_at,
                                      'days', s.as_of - (r.created_at AT TIME ZONE s.time_zone)::date)
            FROM r_returns r CROSS JOIN r_scope s
            WHERE NOT r.manual AND NOT r.received
              AND (r.created_at AT TIME ZONE s.time_zone)::date < s.as_of - s.return_receive_days
              AND NOT EXISTS (SELECT 1 FROM r_refunded f WHERE f.store_id = r.store_id AND f.ref = r.order_ref)
              AND NOT EXISTS (SELECT 1 FROM platform_transactions t WHERE t.tenant_id = s.tenant_id AND t.type = 'refund'
                              AND recon_norm_ref(t.order_ref) = r.order_ref)
            """)
        // Courier lines of the period priced above the rate card of their courier and zone.
        try tx.query(insert + """
            SELECT 'returns', 'courier_overcharge', 'medium', 'courier_line', c.line_id, c.store_id, c.courier, c.waybill_no,
                   c.currency, p.expected, c.amount_due, c.amount_due - p.expected,
                   jsonb_build_object('zone', c.zone, 'weight_g', c.billed_weight_g)
            FROM r_scope s
            JOIN courier_bill_lines c ON c.tenant_id = s.tenant_id AND c.ship_date >= s.period AND c.ship_date < s.period_end
                 AND (s.store_id IS NULL OR c.store_id = s.store_id)
            JOIN courier_rate_cards k ON k.tenant_id = s.tenant_id AND lower(k.courier) = lower(c.courier) AND k.zone = c.zone
                 AND k.currency = c.currency
            CROSS JOIN LATERAL (SELECT k.first_fee + ceil(greatest(coalesce(c.billed_weight_g, 0) - k.first_weight_g, 0) / 1000.0)::bigint
                                       * k.extra_per_kg AS expected) p
            WHERE c.amount_due > p.expected + s.courier_tolerance
              AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'courier_line' AND m.record_id = c.line_id)
            """)
    }

    /// With the tenant's `refund_goods_check`: orders refunded after shipping with goods received
    /// back, whose refund exceeds those goods plus the order's shipping by more than the amount
    /// tolerance (also `refund_without_return`, `check: goods`). Received returns are summed per
    /// SKU and valued at the order's lines with that SKU (or product id; a single line without
    /// either stands for any SKU): line amount × min(returned, ordered) / ordered. A SKU not on
    /// the order is worth nothing; an order with a return or a matching line lacking SKU,
    /// quantity or amount is not judged.
    static func refundsBeyondGoodsBack(insert: String, on tx: isolated PostgresConnection) throws {
        try tx.query(insert + """
            WITH refunded AS (
                SELECT f.* FROM r_refunded f
                WHERE (SELECT refund_goods_check FROM r_scope) AND f.shipped
                  AND NOT EXISTS (SELECT 1 FROM r_manual m WHERE m.record_type = 'order' AND m.record_id = f.order_id)
            ), back AS (
                SELECT f.order_id, recon_norm_sku(r.sku) AS sku, sum(r.quantity) AS returned, count(*) AS returns,
                       bool_or(recon_norm_sku(r.sku) IS NULL OR r.quantity IS NULL OR r.quantity <= 0) AS unknown
                FROM refunded f
                JOIN returns r ON r.tenant_id = (SELECT tenant_id FROM r_scope) AND r.store_id = f.store_id
                     AND recon_norm_ref(r.order_no) = f.ref AND r.received
                GROUP BY f.order_id, recon_norm_sku(r.sku)
            ), lines AS (
                SELECT l.order_id, recon_norm_sku(l.sku) AS sku, recon_norm_sku(l.product_id) AS product, l.quantity,
                       coalesce(a.line_amount, a.unit_price * l.quantity) AS amount, count(*) OVER (PARTITION BY l.order_id) AS lines
                FROM (SELECT DISTINCT order_id FROM back) b
                JOIN order_lines l ON l.tenant_id = (SELECT tenant_id FROM r_scope) AND l.order_id = b.order_id
                LEFT JOIN order_line_amounts a ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.line_no = l.line_no
            ), valued AS (
                SELECT b.order_id, b.sku, b.returned, b.returns, b.unknown, sum(l.quantity) AS ordered, sum(l.amount) AS amount,
                       bool_or(l.order_id IS NOT NULL AND (l.quantity IS NULL OR l.quantity <= 0 OR l.amount IS NULL)) AS line_unknown
                FROM back b LEFT JOIN lines l ON l.order_id = b.order_id
                     AND (l.sku = b.sku OR l.product = b.sku OR (l.lines = 1 AND l.sku IS NULL AND l.product IS NULL))
                GROUP BY b.order_id, b.sku, b.returned, b.returns, b.unknown
            ), judged AS MATERIALIZED (
                SELECT v.order_id, sum(v.returns) AS returns, bool_or(v.unknown OR v.line_unknown) AS unknown,
                       coalesce(sum(round(v.amount * least(v.returned, v.ordered)::numeric / v.ordered)), 0)::bigint AS goods_back,
                       coalesce((SELECT x.shipping_amount FROM order_financials x
                                 WHERE x.tenant_id = (SELECT tenant_id FROM r_scope) AND x.order_id = v.order_id), 0) AS shipping,
                       jsonb_agg(jsonb_build_object('sku', v.sku, 'returned', v.returned, 'ordered', coalesce(v.ordered, 0))
                                 ORDER BY v.sku) AS goods
                FROM valued v GROUP BY v.order_id
            )
            SELECT 'returns', 'refund_without_return', 'high', 'order', f.order_id, f.store_id, f.channel, f.order_no, f.currency,
                   j.goods_back + j.shipping, f.refunded, f.refunded - (j.goods_back + j.shipping),
                   jsonb_build_object('check', 'goods', 'returns', j.returns, 'goods_back', j.goods_back, 'shipping', j.shipping,
                                      'goods', j.goods)
            FROM refunded f JOIN judged j USING (order_id)
            WHERE NOT j.unknown
              AND f.refunded - (j.goods_back + j.shipping) > greatest((SELECT amount_tolerance FROM r_scope),
                                                                      abs(j.goods_back + j.shipping) * (SELECT amount_tolerance_pct FROM r_scope) / 100)
            """)
    }
}
