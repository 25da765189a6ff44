import PostgresClient

/// The data of `shoprecon-bench recon`, generated inside PostgreSQL with generate_series (the
/// benchmark times the reconciliation, not the loading): one tenant, four stores, October 2026.
/// Values come from the row number by fixed arithmetic, so every run has the same data, with
/// about one percent of every kind of exception planted.
struct ReconBenchData: Sendable {
    var orders: Int
    var transactions: Int
    var payouts: Int
    var bankLines: Int
    var returns: Int

    /// What a statement's parameters are, in order.
    enum Bind: Sendable {
        case tenant, firstStore
        case value(Int)
    }

    /// Statements run by the schema owner, in order.
    var statements: [(label: String, sql: String, binds: [Bind])] {
        [
            ("orders", """
                INSERT INTO orders (tenant_id, store_id, channel, order_no, status, created_at, paid_at, shipped_at, completed_at,
                                    waybill_no, currency, import_id)
                SELECT $1, $2 + i % 4, 'taobao', (2026100000000000 + i)::text,
                       CASE WHEN i % 97 = 0 THEN 'shipped' WHEN i % 499 = 0 THEN 'pending_payment' ELSE 'completed' END,
                       t, t + interval '2 minutes', t + interval '1 day', CASE WHEN i % 97 = 0 THEN NULL ELSE t + interval '4 days' END,
                       'W' || i, 'CNY', 0
                FROM generate_series(1, $3) i
                CROSS JOIN LATERAL (SELECT timestamptz '2026-10-01 00:00+08' + (i::float8 / $3 * 30.9) * interval '1 day' AS t) x
                """, [.tenant, .firstStore, .value(orders)]),
            ("order_financials", """
                INSERT INTO order_financials (tenant_id, order_id, store_id, currency, order_amount, paid_amount)
                SELECT o.tenant_id, o.order_id, o.store_id, 'CNY', 1000 + (o.order_id * 37) % 50000,
                       CASE WHEN o.status = 'pending_payment' THEN 0 ELSE 1000 + (o.order_id * 37) % 50000 END
                FROM orders o WHERE o.tenant_id = $1
                """, [.tenant]),
            ("order_contacts", """
                INSERT INTO order_contacts (tenant_id, order_id, store_id, buyer_id)
                SELECT o.tenant_id, o.order_id, o.store_id, 'u' || (o.order_id % 200000) FROM orders o WHERE o.tenant_id = $1
                """, [.tenant]),
            ("order_lines", """
                INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, quantity)
                SELECT o.tenant_id, o.order_id, 1, o.store_id, 'SKU' || (o.order_id % 500), 1 + o.order_id % 3 FROM orders o WHERE o.tenant_id = $1
                """, [.tenant]),
            // Sales for completed orders (a few missing, a few with another amount, a few with a
            // high fee), then sales that belong to no order up to the number of transactions.
            ("platform_transactions", """
                INSERT INTO platform_transactions (tenant_id, store_id, provider, source_key, transaction_no, order_ref, type, currency,
                                                   gross, fee, net, occurred_at, import_id)
                SELECT o.tenant_id, o.store_id, 'alipay', 'S' || o.order_id, 'S' || o.order_id, 'T200P' || o.order_no, 'sale', 'CNY',
                       f.paid_amount - CASE WHEN o.order_id % 211 = 0 THEN 100 ELSE 0 END,
                       CASE WHEN o.order_id % 307 = 0 THEN f.paid_amount / 10 ELSE f.paid_amount * 6 / 1000 END,
                       f.paid_amount, o.completed_at, 0
                FROM orders o JOIN order_financials f USING (tenant_id, order_id)
                WHERE o.tenant_id = $1 AND o.status = 'completed' AND o.order_id % 101 <> 0
                """, [.tenant]),
            ("platform_transactions_extra", """
                INSERT INTO platform_transactions (tenant_id, store_id, provider, source_key, transaction_no, order_ref, type, currency,
                                                   gross, fee, net, occurred_at, import_id)
                SELECT $1, $2 + i % 4, 'alipay', 'X' || i, 'X' || i, 'NOORDER' || i, 'sale', 'CNY', 1000 + i % 999, 6, 994 + i % 999,
                       timestamptz '2026-10-02 00:00+08' + (i % 25) * interval '1 day', 0
                FROM generate_series(1, greatest($3 - (SELECT count(*) FROM platform_transactions WHERE tenant_id = $1), 0)) i
                """, [.tenant, .firstStore, .value(transactions)]),
            ("payouts", """
                INSERT INTO payouts (tenant_id, store_id, provider, source_key, payout_ref, currency, amount, payout_date, import_id)
                SELECT $1, $2 + i % 4, 'alipay', 'P' || i, 'PAYOUT' || lpad(i::text, 8, '0'), 'CNY', 100000 + i * 13, date '2026-10-01' + (i % 30)::int, 0
                FROM generate_series(1, $3) i
                """, [.tenant, .firstStore, .value(payouts)]),
            ("bank_accounts", "INSERT INTO bank_accounts (tenant_id, account_no, currency) VALUES ($1, 'BENCH-1', 'CNY')", [.tenant]),
            // One credit per payout (a third with the reference, the rest without, 2% missing),
            // the rest of the lines unexplained credits and debits.
            ("bank_statement_lines", """
                INSERT INTO bank_statement_lines (tenant_id, bank_account_id, source_key, booking_date, value_date, currency, amount,
                                                  direction, counterparty_name, reference, import_id)
                SELECT $1, a.bank_account_id, 'L' || i, d, d, 'CNY', amount, CASE WHEN amount > 0 THEN 'credit' ELSE 'debit' END,
                       'Alipay', CASE WHEN i % 3 = 0 THEN 'ALIPAY PAYOUT' || lpad(i::text, 8, '0') END, 0
                FROM bank_accounts a CROSS JOIN generate_series(1, $2) i
                CROSS JOIN LATERAL (SELECT date '2026-10-01' + (i % 30)::int + 1 AS d,
                                           CASE WHEN i <= $3 AND i % 50 <> 0 THEN 100000 + i * 13
                                                WHEN i % 2 = 0 THEN -(5000 + i) ELSE 7 + i END AS amount) x
                WHERE a.tenant_id = $1
                """, [.tenant, .value(bankLines), .value(payouts)]),
            ("returns", """
                INSERT INTO returns (tenant_id, store_id, source_key, channel, return_no, order_no, waybill_no, currency, refund_amount,
                                     received, created_at, import_id)
                SELECT o.tenant_id, o.store_id, 'R' || o.order_id, 'taobao', 'R' || o.order_id, o.order_no, 'RW' || o.order_id, 'CNY',
                       500, o.order_id % 89 <> 0, o.created_at + interval '5 days', 0
                FROM orders o WHERE o.tenant_id = $1 AND o.order_id % 19 = 0 AND o.status = 'completed'
                ORDER BY o.order_id LIMIT $2
                """, [.tenant, .value(returns)]),
            ("courier_rate_cards", """
                INSERT INTO courier_rate_cards (tenant_id, courier, zone, first_fee, extra_per_kg) VALUES ($1, 'SF', 'east', 1200, 200)
                """, [.tenant]),
            ("courier_bill_lines", """
                INSERT INTO courier_bill_lines (tenant_id, store_id, source_key, courier, waybill_no, ship_date, zone, billed_weight_g,
                                                currency, amount_due, import_id)
                SELECT r.tenant_id, r.store_id, r.waybill_no, 'SF', r.waybill_no, (r.created_at AT TIME ZONE 'Asia/Shanghai')::date,
                       'east', 800 + (r.return_id % 3) * 1000, 'CNY',
                       1200 + (r.return_id % 3) * 200 + CASE WHEN r.return_id % 83 = 0 THEN 300 ELSE 0 END, 0
                FROM returns r WHERE r.tenant_id = $1 AND (r.created_at AT TIME ZONE 'Asia/Shanghai')::date < date '2026-11-01'
                """, [.tenant]),
        ]
    }
}
