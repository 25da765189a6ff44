import PostgresClient

/// A record found for a ``RecordRef``: its id, store, amount (what a match allocates of it),
/// currency and the period its date falls in.
public struct ResolvedRecord: Sendable, Hashable, Codable {
    public var type: RecordType
    public var id: Int64
    public var reference: String
    public var storeID: Int64?
    public var currency: String
    public var amount: Int64
    public var period: String?

    /// One SELECT per record type, each giving id, reference, store, currency, amount and the
    /// first day of the record's month in the tenant's time zone. $1 tenant, $2 id or NULL,
    /// $3 reference or NULL.
    static func lookupSQL(_ type: RecordType) -> String {
        switch type {
        case .order:
            return """
                SELECT o.order_id, o.order_no, o.store_id, o.currency::text, coalesce(f.paid_amount, 0), recon_period_of(o.tenant_id, o.created_at)::text
                FROM orders o LEFT JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
                WHERE o.tenant_id = $1 AND (o.order_id = $2::bigint OR recon_norm_ref(o.order_no) = recon_norm_ref($3::text))
                """
        case .transaction:
            return """
                SELECT t.txn_id, t.transaction_no, t.store_id, t.currency::text, t.gross, recon_period_of(t.tenant_id, t.occurred_at)::text
                FROM platform_transactions t
                WHERE t.tenant_id = $1 AND (t.txn_id = $2::bigint OR recon_norm_ref(t.transaction_no) = recon_norm_ref($3::text))
                """
        case .payout:
            return """
                SELECT p.payout_id, p.payout_ref, p.store_id, p.currency::text, p.amount, date_trunc('month', p.payout_date)::date::text
                FROM payouts p
                WHERE p.tenant_id = $1 AND (p.payout_id = $2::bigint OR recon_norm_ref(p.payout_ref) = recon_norm_ref($3::text))
                """
        case .bankLine:
            return """
                SELECT b.line_id, coalesce(b.reference, b.end_to_end_id, b.source_key), NULL::bigint, b.currency::text, b.amount,
                       date_trunc('month', coalesce(b.value_date, b.booking_date))::date::text
                FROM bank_statement_lines b
                WHERE b.tenant_id = $1 AND (b.line_id = $2::bigint OR recon_norm_ref(b.reference) = recon_norm_ref($3::text)
                                            OR b.end_to_end_id = $3::text OR b.source_key = $3::text)
                """
        case .returnRecord:
            return """
                SELECT r.return_id, coalesce(r.return_no, r.order_no), r.store_id, r.currency::text, coalesce(r.refund_amount, 0),
                       recon_period_of(r.tenant_id, r.created_at)::text
                FROM returns r
                WHERE r.tenant_id = $1 AND (r.return_id = $2::bigint OR recon_norm_ref(r.return_no) = recon_norm_ref($3::text))
                """
        case .courierLine:
            return """
                SELECT c.line_id, c.waybill_no, c.store_id, c.currency::text, c.amount_due, date_trunc('month', c.ship_date)::date::text
                FROM courier_bill_lines c
                WHERE c.tenant_id = $1 AND (c.line_id = $2::bigint OR recon_norm_ref(c.waybill_no) = recon_norm_ref($3::text))
                """
        }
    }

    static func resolve(_ ref: RecordRef, tenantID: Int64, on tx: isolated PostgresConnection) throws -> ResolvedRecord {
        let (id, reference): (Int64?, String?) = switch ref.key {
        case .id(let id): (id, nil)
        case .reference(let text): (nil, text)
        }
        let rows = try tx.query(lookupSQL(ref.type) + " LIMIT 6", [tenantID, id, reference])
        guard !rows.isEmpty else {
            throw ReconcileError(.notFound, "no \(ref.type) \(ref) (or you may not see it)",
                                 hint: "check the reference; records of stores outside your scope are invisible to you")
        }
        guard rows.count == 1 else {
            let ids = try rows.map { "\(ref.type.rawValue)#\(try $0.decode(Int64.self, at: 0))" }
            throw ReconcileError(.invalidInput, "\(ref) names \(rows.count) records: \(ids.joined(separator: ", "))",
                                 hint: "name one by its id, e.g. \(ids[0])")
        }
        let row = rows[0]
        return ResolvedRecord(type: ref.type, id: try row.decode(Int64.self, at: 0), reference: try row.decode(String.self, at: 1),
                              storeID: try row.decode(Int64?.self, at: 2), currency: try row.decode(String.self, at: 3),
                              amount: try row.decode(Int64.self, at: 4), period: try row.decode(String?.self, at: 5))
    }
}
