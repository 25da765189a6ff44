import PostgresClient
import Tenancy

/// A courier's price for one zone: a fixed fee up to the first weight, then a price per started
/// kilogram. Courier lines priced above it are `courier_overcharge` exceptions.
public struct RateCard: Sendable, Hashable, Codable {
    public var courier: String
    public var zone: String
    public var firstWeightGrams: Int
    public var firstFee: Int64
    public var extraPerKg: Int64
    public var currency: String

    public init(courier: String, zone: String, firstWeightGrams: Int = 1000, firstFee: Int64, extraPerKg: Int64, currency: String = "CNY") {
        self.courier = courier
        self.zone = zone
        self.firstWeightGrams = firstWeightGrams
        self.firstFee = firstFee
        self.extraPerKg = extraPerKg
        self.currency = currency
    }

    /// The price of a parcel of `grams`.
    public func price(grams: Int) -> Int64 {
        let extra = max(0, grams - firstWeightGrams)
        return firstFee + Int64((extra + 999) / 1000) * extraPerKg
    }

    enum CodingKeys: String, CodingKey {
        case courier, zone, currency
        case firstWeightGrams = "first_weight_g", firstFee = "first_fee", extraPerKg = "extra_per_kg"
    }
}

/// The tenant's rate cards (settings.manage to change, order.view_financial to read).
public enum RateCardDirectory {
    /// Inserts or replaces the given cards; with `replaceAll`, cards not given are removed.
    public static func save(_ cards: [RateCard], replaceAll: Bool, context: AccessContext,
                            on tx: isolated PostgresConnection) throws -> Int {
        try context.require("settings.manage", to: "change courier rate cards")
        let tenant = try context.requireTenant()
        if replaceAll { try tx.query("DELETE FROM courier_rate_cards WHERE tenant_id = $1", [tenant]) }
        for card in cards {
            try tx.query("""
                INSERT INTO courier_rate_cards (tenant_id, courier, zone, first_weight_g, first_fee, extra_per_kg, currency)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (tenant_id, courier, zone) DO UPDATE SET first_weight_g = EXCLUDED.first_weight_g,
                    first_fee = EXCLUDED.first_fee, extra_per_kg = EXCLUDED.extra_per_kg, currency = EXCLUDED.currency
                """, [tenant, card.courier, card.zone, card.firstWeightGrams, card.firstFee, card.extraPerKg, card.currency])
        }
        return cards.count
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [RateCard] {
        try context.require("order.view_financial", to: "see courier rate cards")
        let tenant = try context.requireTenant()
        return try tx.query("""
            SELECT courier, zone, first_weight_g, first_fee, extra_per_kg, currency::text FROM courier_rate_cards
            WHERE tenant_id = $1 ORDER BY courier, zone
            """, [tenant]).map { row in
            let (courier, zone, weight, fee, extra, currency) = try row.decode((String, String, Int, Int64, Int64, String).self)
            return RateCard(courier: courier, zone: zone, firstWeightGrams: weight, firstFee: fee, extraPerKg: extra, currency: currency)
        }
    }
}
