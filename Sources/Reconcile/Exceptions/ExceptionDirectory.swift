import Foundation
import PostgresClient
import Tenancy

/// The exceptions of a tenant as people work on them: listing, showing and the workflow
/// actions (``perform(_:context:on:)``). The engine creates exceptions; everything here comes
/// after. Row-level security decides what a user sees and may change (amounts need
/// `order.view_financial`, changes `exception.resolve`, store-scoped users only their stores);
/// the permission checks up front only explain a refusal the database would make anyway.
public enum ExceptionDirectory {
    /// Listing order: most severe first, then the largest amount, then the oldest.
    static let order = """
        CASE e.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
        abs(coalesce(e.difference, e.expected, e.actual)) DESC NULLS LAST, e.exception_id
        """

    static let columns = """
        SELECT e.exception_id, to_char(e.period, 'YYYY-MM'), e.flow, e.type, e.severity, e.status,
               (e.status IN ('open', 'in_review') AND coalesce(e.hold_until > recon_tenant_today($1), false)),
               e.record_type, e.record_id, s.code, e.channel, e.reference, e.currency::text, e.expected, e.actual, e.difference,
               u.username, to_char(e.hold_until, 'YYYY-MM-DD'), e.resolution, e.run_id, e.found_at, e.updated_at
        FROM recon_exceptions e
        LEFT JOIN stores s ON s.tenant_id = e.tenant_id AND s.store_id = e.store_id
        LEFT JOIN users u ON u.tenant_id = e.tenant_id AND u.user_id = e.assignee_id
        """

    /// The exceptions matching `filter`, most severe and largest first; `limit` and `offset`
    /// page through long lists.
    public static func list(filter: ExceptionFilter = ExceptionFilter(), limit: Int? = 100, offset: Int = 0,
                            context: AccessContext, on tx: isolated PostgresConnection) throws -> [ReconException] {
        let tenant = try context.requireTenant()
        try context.require(Permission.orderViewFinancial, to: "see reconciliation exceptions")
        try filter.validate()
        try checkNames(in: filter, tenant: tenant, on: tx)
        var binds: [any PostgresEncodable] = [tenant]
        let conditions = filter.compile(binds: &binds)
        var sql = columns + "\nWHERE " + conditions + "\nORDER BY " + order
        if let limit {
            guard limit > 0 else { throw ReconcileError(.invalidInput, "--limit must be at least 1") }
            binds.append(limit)
            sql += "\nLIMIT $\(binds.count)"
        }
        if offset > 0 {
            binds.append(offset)
            sql += " OFFSET $\(binds.count)"
        }
        return try tx.query(sql, binds).map(decode)
    }

    /// How many exceptions match `filter`.
    public static func count(filter: ExceptionFilter = ExceptionFilter(),
                             context: AccessContext, on tx: isolated PostgresConnection) throws -> Int {
        let tenant = try context.requireTenant()
        try context.require(Permission.orderViewFinancial, to: "see reconciliation exceptions")
        try filter.validate()
        try checkNames(in: filter, tenant: tenant, on: tx)
        var binds: [any PostgresEncodable] = [tenant]
        let conditions = filter.compile(binds: &binds)
        return try tx.query("SELECT count(*) FROM recon_exceptions e WHERE " + conditions, binds)[0].decode(Int.self, at: 0)
    }

    /// One exception with the key facts of its record and its whole history.
    public static func show(id: Int64, context: AccessContext, on tx: isolated PostgresConnection) throws -> ExceptionDetail {
        let tenant = try context.requireTenant()
        try context.require(Permission.orderViewFinancial, to: "see reconciliation exceptions")
        guard let row = try tx.query(columns + "\nWHERE e.tenant_id = $1 AND e.exception_id = $2", [tenant, id]).first else {
            throw notFound([id])
        }
        let exception = try decode(row)
        let detail = try tx.query("SELECT detail::text FROM recon_exceptions WHERE tenant_id = $1 AND exception_id = $2",
                                  [tenant, id]).first.map { try $0.decode(String.self, at: 0) } ?? "{}"
        let history = try tx.query("""
            SELECT event_id, at, actor, action, from_status, to_status, note FROM recon_exception_events
            WHERE tenant_id = $1 AND exception_id = $2 ORDER BY at, event_id
            """, [tenant, id]).map { row in
            let (eventID, at, actor, action, from, to, note) = try row.decode((Int64, Date, String, String, String?, String?, String?).self)
            return ExceptionEvent(id: eventID, at: at, actor: actor, action: action, fromStatus: from, toStatus: to, note: note)
        }
        let facts = try recordFacts(type: exception.recordType, id: exception.recordID, tenant: tenant, on: tx)
        return ExceptionDetail(exception: exception, record: facts, detail: detail, history: history)
    }

    // MARK: - Helpers

    static func notFound(_ ids: [Int64]) -> ReconcileError {
        let list = ids.map(String.init).joined(separator: ", ")
        return ReconcileError(.notFound, ids.count == 1 ? "no exception \(list) (or it is outside the stores you may see)"
                                                       : "no exceptions \(list) (or they are outside the stores you may see)",
                              hint: "`shoprecon exceptions list` shows the exceptions you can work on")
    }

    /// Store codes and user names in a filter that do not exist would silently match nothing;
    /// say so instead.
    static func checkNames(in filter: ExceptionFilter, tenant: Int64, on tx: isolated PostgresConnection) throws {
        if !filter.storeCodes.isEmpty {
            let known = Set(try tx.query("SELECT code FROM stores WHERE tenant_id = $1 AND code = ANY($2::text[])",
                                         [tenant, filter.storeCodes]).map { try $0.decode(String.self, at: 0) })
            if let missing = filter.storeCodes.first(where: { !known.contains($0) }) {
                throw ReconcileError(.notFound, "no store \"\(missing)\" (or it is outside your store scope)",
                                     hint: "`shoprecon store list` shows the stores you can see")
            }
        }
        if !filter.assignees.isEmpty {
            let known = Set(try tx.query("SELECT lower(username) FROM users WHERE tenant_id = $1 AND lower(username) = ANY($2::text[])",
                                         [tenant, filter.assignees.map { $0.lowercased() }]).map { try $0.decode(String.self, at: 0) })
            if let missing = filter.assignees.first(where: { !known.contains($0.lowercased()) }) {
                throw ReconcileError(.notFound, "no user \"\(missing)\" in this tenant", hint: "`shoprecon user list` shows the users")
            }
        }
    }

    static func decode(_ row: PostgresRow) throws -> ReconException {
        let (id, period, flow, type, severity, status, onHold, recordType, recordID, store, channel) =
            try row.decode((Int64, String, String, String, String, String, Bool, String, Int64, String?, String?).self)
        func at<T: PostgresDecodable>(_ column: Int) throws -> T { try row.decode(T.self, at: column) }
        guard let severityValue = Severity(rawValue: severity), let statusValue = ExceptionStatus(rawValue: status) else {
            throw ReconcileError(.invalidInput, "exception \(id) has an unknown severity or status (\(severity), \(status))")
        }
        return ReconException(
            id: id, period: try ReconPeriod(parsing: period), flow: flow, type: type, severity: severityValue, status: statusValue,
            onHold: onHold, recordType: recordType, recordID: recordID, store: store, channel: channel,
            reference: try at(11), currency: try at(12), expected: try at(13), actual: try at(14), difference: try at(15),
            assignee: try at(16), holdUntil: try at(17), resolution: try at(18), runID: try at(19),
            foundAt: try at(20), updatedAt: try at(21))
    }

    /// The facts worth seeing about each kind of record. Columns named `money:NAME` hold minor
    /// units of the record's `currency` and are shown as decimals.
    static func recordFacts(type: String, id: Int64, tenant: Int64, on tx: isolated PostgresConnection) throws -> [RecordFact] {
        let local = { (column: String) in
            "to_char(\(column) AT TIME ZONE (SELECT t.time_zone FROM tenants t WHERE t.tenant_id = $1), 'YYYY-MM-DD HH24:MI')"
        }
        let sql: String
        switch type {
        case RecordType.order.rawValue:
            sql = """
                SELECT o.order_no, o.channel, o.status, \(local("o.created_at")) AS created_at, \(local("o.paid_at")) AS paid_at,
                       \(local("o.shipped_at")) AS shipped_at, o.waybill_no, o.courier, o.currency::text AS currency,
                       f.order_amount::text AS "money:order_amount", f.paid_amount::text AS "money:paid_amount",
                       f.refund_amount::text AS "money:refund_amount"
                FROM orders o LEFT JOIN order_financials f ON f.tenant_id = o.tenant_id AND f.order_id = o.order_id
                WHERE o.tenant_id = $1 AND o.order_id = $2
                """
        case RecordType.transaction.rawValue:
            sql = """
                SELECT t.transaction_no, t.provider, t.type, t.order_ref, \(local("t.occurred_at")) AS occurred_at,
                       t.currency::text AS currency, t.gross::text AS "money:gross", t.fee::text AS "money:fee",
                       t.net::text AS "money:net", t.payout_ref
                FROM platform_transactions t WHERE t.tenant_id = $1 AND t.txn_id = $2
                """
        case RecordType.payout.rawValue:
            sql = """
                SELECT p.payout_ref, p.provider, p.payout_date::text AS payout_date, p.status, p.currency::text AS currency,
                       p.amount::text AS "money:amount"
                FROM payouts p WHERE p.tenant_id = $1 AND p.payout_id = $2
                """
        case RecordType.bankLine.rawValue:
            sql = """
                SELECT a.account_no, l.value_date::text AS value_date, l.booking_date::text AS booking_date, l.direction,
                       l.currency::text AS currency, l.amount::text AS "money:amount", l.counterparty_name, l.reference, l.memo
                FROM bank_statement_lines l
                LEFT JOIN bank_accounts a ON a.tenant_id = l.tenant_id AND a.bank_account_id = l.bank_account_id
                WHERE l.tenant_id = $1 AND l.line_id = $2
                """
        case RecordType.returnRecord.rawValue:
            sql = """
                SELECT r.return_no, r.order_no, r.waybill_no, r.sku, r.quantity::text AS quantity, r.received::text AS received,
                       \(local("r.created_at")) AS created_at, r.currency::text AS currency, r.refund_amount::text AS "money:refund_amount"
                FROM returns r WHERE r.tenant_id = $1 AND r.return_id = $2
                """
        case RecordType.courierLine.rawValue:
            sql = """
                SELECT c.waybill_no, c.courier, c.ship_date::text AS ship_date, c.zone, c.billed_weight_g::text AS billed_weight_g,
                       c.currency::text AS currency, c.fee::text AS "money:fee", c.amount_due::text AS "money:amount_due"
                FROM courier_bill_lines c WHERE c.tenant_id = $1 AND c.line_id = $2
                """
        default:
            return []
        }
        let result = try tx.query(sql, [tenant, id])
        guard let row = result.first else { return [] }
        var values: [(String, String?)] = []
        for (column, name) in result.columnNames.enumerated() {
            values.append((name, try row.decode(String?.self, at: column)))
        }
        let currency = values.first { $0.0 == "currency" }?.1
        return values.compactMap { name, value in
            guard let value else { return nil }
            if name.hasPrefix("money:"), let minor = Int64(value) {
                return RecordFact(name: String(name.dropFirst(6)), value: MinorUnits.text(minor, currency: currency))
            }
            return RecordFact(name: name, value: value)
        }
    }
}
