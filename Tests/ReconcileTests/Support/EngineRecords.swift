import Foundation
import PostgresClient
import ShopReconTestSupport

/// Inserts records straight into the tables, as an import would have left them, for engine
/// tests that need exact control over every field. Times are text with an offset.
struct EngineRecords {
    let env: EngineEnvironment
    let tenant: EngineTenant

    func order(_ store: String, _ number: String, status: String, created: String, paid: String? = nil, shipped: String? = nil,
               completed: String? = nil, waybill: String? = nil, paidAmount: Int64?, orderAmount: Int64? = nil, buyer: String? = nil,
               buyerAccount: String? = nil, sku: String? = "SKU-1", quantity: Int = 1, lineAmount: Int64? = nil,
               shipping: Int64? = nil, currency: String = "CNY") async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            WITH o AS (
                INSERT INTO orders (tenant_id, store_id, channel, order_no, status, created_at, paid_at, shipped_at, completed_at,
                                    waybill_no, currency, import_id)
                VALUES ($1, $2, 'taobao', $3, $4, $5::timestamptz, $6::timestamptz, $7::timestamptz, $8::timestamptz, $9::text, $13, 0)
                RETURNING order_id
            ), f AS (
                INSERT INTO order_financials (tenant_id, order_id, store_id, currency, order_amount, paid_amount, shipping_amount)
                SELECT $1, order_id, $2, $13, coalesce($11::bigint, $10::bigint), $10::bigint, $18::bigint FROM o
            ), c AS (
                INSERT INTO order_contacts (tenant_id, order_id, store_id, buyer_id, buyer_account)
                SELECT $1, order_id, $2, $12::text, $16::text FROM o WHERE $12::text IS NOT NULL OR $16::text IS NOT NULL
            ), l AS (
                INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, quantity) SELECT $1, order_id, 1, $2, $14::text, $15 FROM o
                RETURNING order_id
            )
            INSERT INTO order_line_amounts (tenant_id, order_id, line_no, store_id, currency, line_amount)
            SELECT $1, order_id, 1, $2, $13, $17::bigint FROM l WHERE $17::bigint IS NOT NULL
            """, [tenant.id, storeID, number, status, created, paid, shipped, completed, waybill, paidAmount, orderAmount, buyer,
                  currency, sku, quantity, buyerAccount, lineAmount, shipping])
    }

    /// Another line of an order: its SKU, quantity and amounts.
    func orderLine(_ store: String, _ number: String, line: Int, sku: String?, quantity: Int?, unitPrice: Int64? = nil,
                   lineAmount: Int64? = nil) async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            WITH l AS (
                INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, quantity)
                SELECT $1, order_id, $4, $2, $5::text, $6::int FROM orders WHERE tenant_id = $1 AND store_id = $2 AND order_no = $3
                RETURNING order_id
            )
            INSERT INTO order_line_amounts (tenant_id, order_id, line_no, store_id, currency, unit_price, line_amount)
            SELECT $1, order_id, $4, $2, 'CNY', $7::bigint, $8::bigint FROM l WHERE $7::bigint IS NOT NULL OR $8::bigint IS NOT NULL
            """, [tenant.id, storeID, number, line, sku, quantity, unitPrice, lineAmount])
    }

    func transaction(_ store: String, _ number: String, ref: String?, type: String, gross: Int64, fee: Int64? = nil,
                     at: String, provider: String = "alipay", currency: String = "CNY", counterparty: String? = nil) async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            INSERT INTO platform_transactions (tenant_id, store_id, provider, source_key, transaction_no, order_ref, type, currency,
                                               gross, fee, net, occurred_at, counterparty, import_id)
            VALUES ($1, $2, $3, $4, $4, $5::text, $6, $9, $7, $8::bigint, $7 - coalesce($8::bigint, 0), $10::timestamptz, $11::text, 0)
            """, [tenant.id, storeID, provider, number, ref, type, gross, fee, currency, at, counterparty])
    }

    func payout(_ store: String, _ reference: String, amount: Int64, date: String, provider: String = "alipay") async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            INSERT INTO payouts (tenant_id, store_id, provider, source_key, payout_ref, currency, amount, payout_date, import_id)
            VALUES ($1, $2, $3, $4, $4, 'CNY', $5, $6::date, 0)
            """, [tenant.id, storeID, provider, reference, amount, date])
    }

    func bankLine(_ key: String, amount: Int64, date: String, reference: String? = nil, counterparty: String? = nil) async throws {
        try await env.owner("""
            INSERT INTO bank_accounts (tenant_id, account_no, currency) VALUES ($1, 'CN-001', 'CNY') ON CONFLICT DO NOTHING
            """, [tenant.id])
        try await env.owner("""
            INSERT INTO bank_statement_lines (tenant_id, bank_account_id, source_key, booking_date, value_date, currency, amount,
                                              direction, counterparty_name, reference, import_id)
            SELECT $1, bank_account_id, $2, $4::date, $4::date, 'CNY', $3, CASE WHEN $3 >= 0 THEN 'credit' ELSE 'debit' END, $6::text, $5::text, 0
            FROM bank_accounts WHERE tenant_id = $1 AND account_no = 'CN-001'
            """, [tenant.id, key, amount, date, reference, counterparty])
    }

    func returnRecord(_ store: String, _ number: String, order: String, waybill: String?, refund: Int64, received: Bool,
                      created: String, sku: String? = nil, quantity: Int? = nil) async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            INSERT INTO returns (tenant_id, store_id, source_key, channel, return_no, order_no, waybill_no, currency, refund_amount,
                                 received, created_at, sku, quantity, import_id)
            VALUES ($1, $2, $3, 'taobao', $3, $4, $5::text, 'CNY', $6, $7, $8::timestamptz, $9::text, $10::int, 0)
            """, [tenant.id, storeID, number, order, waybill, refund, received, created, sku, quantity])
    }

    func courierLine(_ store: String, waybill: String, zone: String, grams: Int, amountDue: Int64, date: String,
                     courier: String = "SF") async throws {
        let storeID = try tenant.stores[store] ?? { throw TestFailure("no store \(store)") }()
        try await env.owner("""
            INSERT INTO courier_bill_lines (tenant_id, store_id, source_key, courier, waybill_no, ship_date, zone, billed_weight_g,
                                            currency, amount_due, import_id)
            VALUES ($1, $2, $3, $4, $3, $5::date, $6, $7, 'CNY', $8, 0)
            """, [tenant.id, storeID, waybill, courier, date, zone, grams, amountDue])
    }

    func rateCard(courier: String, zone: String, firstFee: Int64, extraPerKg: Int64) async throws {
        try await env.owner("""
            INSERT INTO courier_rate_cards (tenant_id, courier, zone, first_fee, extra_per_kg) VALUES ($1, $2, $3, $4, $5)
            """, [tenant.id, courier, zone, firstFee, extraPerKg])
    }
}
