import Foundation
import PostgresClient
import Tenancy

/// A tenant's tolerances, windows and matching keys for reconciliation (table `recon_settings`;
/// a tenant without a row has the column defaults of 0005_reconcile.sql and 0006_match_keys.sql).
public struct ReconSettings: Sendable, Hashable, Codable {
    public var amountTolerance: Int64
    public var amountTolerancePercent: String
    public var settlementLagDays: Int
    public var bankDateWindowDays: Int
    public var receivableTermsDays: Int
    public var returnReceiveDays: Int
    public var courierTolerance: Int64
    public var duplicateWindowMinutes: Int
    /// provider → [lowest, highest] fee rate as a fraction, as JSON text.
    public var feeRates: [String: [Double]]
    /// Sales matched without a reference must agree with the order on the buyer when both carry one.
    public var looseMatchBuyer: Bool
    /// Refunds of orders with received returns must be covered by the goods that came back.
    public var refundGoodsCheck: Bool

    enum CodingKeys: String, CodingKey {
        case amountTolerance = "amount_tolerance", amountTolerancePercent = "amount_tolerance_pct"
        case settlementLagDays = "settlement_lag_days", bankDateWindowDays = "bank_date_window_days"
        case receivableTermsDays = "receivable_terms_days", returnReceiveDays = "return_receive_days"
        case courierTolerance = "courier_tolerance", duplicateWindowMinutes = "duplicate_window_minutes", feeRates = "fee_rates"
        case looseMatchBuyer = "loose_match_buyer", refundGoodsCheck = "refund_goods_check"
    }

    /// One change to the settings, as `recon settings` options give them.
    public enum Change: Sendable {
        case amountTolerance(Int64)
        case amountTolerancePercent(String)
        case settlementLagDays(Int)
        case bankDateWindowDays(Int)
        case receivableTermsDays(Int)
        case returnReceiveDays(Int)
        case courierTolerance(Int64)
        case duplicateWindowMinutes(Int)
        case feeRate(provider: String, low: String, high: String)
        case looseMatchBuyer(Bool)
        case refundGoodsCheck(Bool)
    }

    public static func load(context: AccessContext, on tx: isolated PostgresConnection) throws -> ReconSettings {
        let tenant = try context.requireTenant()
        try tx.query("DROP TABLE IF EXISTS pg_temp.r_settings_view")
        try tx.query("CREATE TEMP TABLE r_settings_view (LIKE recon_settings INCLUDING DEFAULTS) ON COMMIT DROP")
        if try tx.query("INSERT INTO r_settings_view SELECT * FROM recon_settings WHERE tenant_id = $1", [tenant]).affectedRows == 0 {
            try tx.query("INSERT INTO r_settings_view (tenant_id) VALUES ($1)", [tenant])
        }
        let row = try tx.query("""
            SELECT amount_tolerance, amount_tolerance_pct::text, settlement_lag_days, bank_date_window_days, receivable_terms_days,
                   return_receive_days, courier_tolerance, duplicate_window_minutes, fee_rates::text, loose_match_buyer,
                   refund_goods_check
            FROM r_settings_view
            """)[0]
        let rates = try JSONDecoder().decode([String: [Double]].self, from: Data(try row.decode(String.self, at: 8).utf8))
        try tx.query("DROP TABLE pg_temp.r_settings_view")
        return ReconSettings(amountTolerance: try row.decode(Int64.self, at: 0), amountTolerancePercent: try row.decode(String.self, at: 1),
                             settlementLagDays: try row.decode(Int.self, at: 2), bankDateWindowDays: try row.decode(Int.self, at: 3),
                             receivableTermsDays: try row.decode(Int.self, at: 4), returnReceiveDays: try row.decode(Int.self, at: 5),
                             courierTolerance: try row.decode(Int64.self, at: 6), duplicateWindowMinutes: try row.decode(Int.self, at: 7),
                             feeRates: rates, looseMatchBuyer: try row.decode(Bool.self, at: 9),
                             refundGoodsCheck: try row.decode(Bool.self, at: 10))
    }

    /// Applies the changes (settings.manage) and returns the settings after them.
    public static func update(_ changes: [Change], context: AccessContext, on tx: isolated PostgresConnection) throws -> ReconSettings {
        try context.require("settings.manage", to: "change reconciliation settings")
        let tenant = try context.requireTenant()
        try tx.query("INSERT INTO recon_settings (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING", [tenant])
        for change in changes {
            switch change {
            case .amountTolerance(let v): try set("amount_tolerance", v, tenant, tx)
            case .amountTolerancePercent(let v): try set("amount_tolerance_pct", v, tenant, tx)
            case .settlementLagDays(let v): try set("settlement_lag_days", v, tenant, tx)
            case .bankDateWindowDays(let v): try set("bank_date_window_days", v, tenant, tx)
            case .receivableTermsDays(let v): try set("receivable_terms_days", v, tenant, tx)
            case .returnReceiveDays(let v): try set("return_receive_days", v, tenant, tx)
            case .courierTolerance(let v): try set("courier_tolerance", v, tenant, tx)
            case .duplicateWindowMinutes(let v): try set("duplicate_window_minutes", v, tenant, tx)
            case .looseMatchBuyer(let v): try set("loose_match_buyer", v, tenant, tx)
            case .refundGoodsCheck(let v): try set("refund_goods_check", v, tenant, tx)
            case .feeRate(let provider, let low, let high):
                let updated = try tx.query("""
                    UPDATE recon_settings SET fee_rates = jsonb_set(fee_rates, ARRAY[$2::text], jsonb_build_array($3::numeric, $4::numeric))
                    WHERE tenant_id = $1 AND $3::numeric >= 0 AND $4::numeric >= $3::numeric AND $4::numeric < 1
                    """, [tenant, provider.lowercased(), low, high]).affectedRows
                guard updated == 1 else {
                    throw ReconcileError(.invalidInput, "the fee rate range \(low)..\(high) for \(provider) is not valid",
                                         hint: "give fractions with 0 <= low <= high < 1, e.g. alipay=0:0.06")
                }
            }
        }
        return try load(context: context, on: tx)
    }

    /// One column, by a name from the fixed list above (never user text), to a parameter.
    private static func set(_ column: String, _ value: any PostgresEncodable, _ tenant: Int64, _ tx: isolated PostgresConnection) throws {
        let statements: [String: String] = [
            "amount_tolerance": "UPDATE recon_settings SET amount_tolerance = $2::bigint WHERE tenant_id = $1",
            "amount_tolerance_pct": "UPDATE recon_settings SET amount_tolerance_pct = $2::numeric WHERE tenant_id = $1",
            "settlement_lag_days": "UPDATE recon_settings SET settlement_lag_days = $2::int WHERE tenant_id = $1",
            "bank_date_window_days": "UPDATE recon_settings SET bank_date_window_days = $2::int WHERE tenant_id = $1",
            "receivable_terms_days": "UPDATE recon_settings SET receivable_terms_days = $2::int WHERE tenant_id = $1",
            "return_receive_days": "UPDATE recon_settings SET return_receive_days = $2::int WHERE tenant_id = $1",
            "courier_tolerance": "UPDATE recon_settings SET courier_tolerance = $2::bigint WHERE tenant_id = $1",
            "duplicate_window_minutes": "UPDATE recon_settings SET duplicate_window_minutes = $2::int WHERE tenant_id = $1",
            "loose_match_buyer": "UPDATE recon_settings SET loose_match_buyer = $2::boolean WHERE tenant_id = $1",
            "refund_goods_check": "UPDATE recon_settings SET refund_goods_check = $2::boolean WHERE tenant_id = $1",
        ]
        guard let sql = statements[column] else { return }
        do {
            try tx.query(sql, [tenant, value])
        } catch let error as PostgresError where error.sqlState == "23514" {
            throw ReconcileError(.invalidInput, "\(column) = \(value) is out of range", hint: "see `shoprecon recon settings --help` for the ranges")
        }
    }
}
