import PostgresClient

/// The records of one type in a run's scope, as one query with a column per rule field
/// (`f_<field>`) and the columns every action writes (record_id, store_id, store_code, channel,
/// reference, currency, amount). Rule predicates filter it as `src`.
///
/// Parameters: `$1` tenant, `$2` first day of the period, `$3` first day of the next period,
/// `$4` store id or NULL, `$5` the as-of date. Period bounds are days in the tenant's time zone.
/// Costly fields (an order's SKUs, quantity and fee rate) are joined only when a rule uses them.
/// A transaction's fee rate is the rate its source printed (`fee_rate`, stored in percent), else
/// fee / gross.
enum RuleSource {
    /// The number of parameters the source query takes; predicates number theirs after it.
    static let parameterCount = 5

    /// Values of `$1`…`$5` for a scope.
    static func binds(for scope: RunScope) -> [any PostgresEncodable] {
        [scope.tenantID, scope.period.firstDay, scope.period.endDay, scope.storeID, scope.asOf]
    }

    static func sql(for type: RecordType, fields: Set<String>) -> String {
        let zone = "CROSS JOIN (SELECT time_zone AS tz FROM tenants WHERE tenant_id = $1) z"
        func between(_ column: String) -> String {
            "\(column) >= ($2::date::timestamp AT TIME ZONE z.tz) AND \(column) < ($3::date::timestamp AT TIME ZONE z.tz)"
        }
        func age(_ column: String) -> String { "($5::date - (\(column) AT TIME ZONE z.tz)::date)" }
        switch type {
        case .order:
            let lines = fields.contains("sku") || fields.contains("quantity")
            let fees = fields.contains("fee_rate")
            return """
                SELECT o.order_id AS record_id, o.store_id, s.code AS store_code, o.channel, o.order_no AS reference,
                       o.currency::text AS currency, f.paid_amount AS amount,
                       f.paid_amount AS f_amount, f.order_amount AS f_order_amount, o.currency::text AS f_currency,
                       o.channel AS f_channel, s.code AS f_store, o.status AS f_status, \(age("o.created_at")) AS f_age\
                \(lines ? ", ln.skus AS f_sku, ln.quantity AS f_quantity" : "")\
                \(fees ? ", fr.fee_rate AS f_fee_rate" : "")
                FROM orders o
                \(zone)
                JOIN stores s ON s.tenant_id = o.tenant_id AND s.store_id = o.store_id
                LEFT JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
                \(lines ? """
                LEFT JOIN LATERAL (SELECT array_agg(l.sku) FILTER (WHERE l.sku IS NOT NULL) AS skus, sum(l.quantity)::bigint AS quantity
                                   FROM order_lines l WHERE l.tenant_id = o.tenant_id AND l.order_id = o.order_id) ln ON true
                """ : "")
                \(fees ? """
                LEFT JOIN (SELECT recon_norm_ref(t.order_ref) AS ref,
                                  (coalesce(sum(t.fee) FILTER (WHERE t.type = 'sale'), 0)
                                   - coalesce(sum(t.gross) FILTER (WHERE t.type IN ('fee', 'commission')), 0))::numeric
                                  / nullif(sum(t.gross) FILTER (WHERE t.type = 'sale'), 0) AS fee_rate
                           FROM platform_transactions t
                           WHERE t.tenant_id = $1 AND t.order_ref IS NOT NULL
                           GROUP BY 1) fr ON fr.ref = recon_norm_ref(o.order_no)
                """ : "")
                WHERE o.tenant_id = $1 AND \(between("o.created_at")) AND ($4::bigint IS NULL OR o.store_id = $4)
                """
        case .transaction:
            return """
                SELECT t.txn_id AS record_id, t.store_id, s.code AS store_code, s.channel, t.transaction_no AS reference,
                       t.currency::text AS currency, t.gross AS amount,
                       t.gross AS f_amount, t.fee AS f_fee,
                       coalesce(t.fee_rate / 100, abs(t.fee)::numeric / nullif(abs(t.gross), 0)) AS f_fee_rate,
                       t.type AS f_type, t.provider AS f_provider, s.code AS f_store, t.currency::text AS f_currency,
                       \(age("t.occurred_at")) AS f_age
                FROM platform_transactions t
                \(zone)
                JOIN stores s ON s.tenant_id = t.tenant_id AND s.store_id = t.store_id
                WHERE t.tenant_id = $1 AND \(between("t.occurred_at")) AND ($4::bigint IS NULL OR t.store_id = $4)
                """
        case .payout:
            return """
                SELECT p.payout_id AS record_id, p.store_id, s.code AS store_code, s.channel, p.payout_ref AS reference,
                       p.currency::text AS currency, p.amount,
                       p.amount AS f_amount, p.provider AS f_provider, s.code AS f_store, p.currency::text AS f_currency,
                       ($5::date - p.payout_date) AS f_age
                FROM payouts p
                JOIN stores s ON s.tenant_id = p.tenant_id AND s.store_id = p.store_id
                WHERE p.tenant_id = $1 AND p.payout_date >= $2::date AND p.payout_date < $3::date
                  AND ($4::bigint IS NULL OR p.store_id = $4)
                """
        case .bankLine:
            // Bank lines belong to no store: a store-scoped run has none of them.
            return """
                SELECT b.line_id AS record_id, NULL::bigint AS store_id, NULL::text AS store_code, NULL::text AS channel,
                       coalesce(b.reference, b.customer_reference, b.end_to_end_id) AS reference,
                       b.currency::text AS currency, b.amount,
                       b.amount AS f_amount, b.currency::text AS f_currency, b.counterparty_name AS f_counterparty,
                       coalesce(b.reference, b.customer_reference, b.end_to_end_id) AS f_reference,
                       ($5::date - coalesce(b.value_date, b.booking_date)) AS f_age
                FROM bank_statement_lines b
                WHERE b.tenant_id = $1 AND coalesce(b.value_date, b.booking_date) >= $2::date
                  AND coalesce(b.value_date, b.booking_date) < $3::date AND $4::bigint IS NULL
                """
        case .returnRecord:
            return """
                SELECT r.return_id AS record_id, r.store_id, s.code AS store_code, r.channel,
                       coalesce(r.return_no, r.order_no) AS reference, r.currency::text AS currency, r.refund_amount AS amount,
                       r.refund_amount AS f_amount, s.code AS f_store,
                       CASE WHEN r.sku IS NULL THEN NULL ELSE ARRAY[r.sku] END AS f_sku,
                       r.quantity::bigint AS f_quantity, r.received AS f_received, \(age("r.created_at")) AS f_age
                FROM returns r
                \(zone)
                JOIN stores s ON s.tenant_id = r.tenant_id AND s.store_id = r.store_id
                WHERE r.tenant_id = $1 AND \(between("r.created_at")) AND ($4::bigint IS NULL OR r.store_id = $4)
                """
        case .courierLine:
            return """
                SELECT c.line_id AS record_id, c.store_id, s.code AS store_code, s.channel, c.waybill_no AS reference,
                       c.currency::text AS currency, c.amount_due AS amount,
                       c.amount_due AS f_amount, c.billed_weight_g::bigint AS f_weight, c.zone AS f_zone, c.courier AS f_courier,
                       s.code AS f_store, ($5::date - c.ship_date) AS f_age
                FROM courier_bill_lines c
                JOIN stores s ON s.tenant_id = c.tenant_id AND s.store_id = c.store_id
                WHERE c.tenant_id = $1 AND c.ship_date >= $2::date AND c.ship_date < $3::date
                  AND ($4::bigint IS NULL OR c.store_id = $4)
                """
        }
    }
}
