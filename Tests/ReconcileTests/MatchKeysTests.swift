import Foundation
import PostgresClient
import Reconcile
import Tenancy
import Testing

/// The matching keys of 0007_match_keys.sql: the buyer for sales matched without a reference
/// (`loose_match_buyer`) and the SKU and quantity of returned goods against refunds
/// (`refund_goods_check`), each run with the setting off and on over the same records.
@Suite(.engineDatabase, .serialized)
struct MatchKeysTests {
    static let period = EngineScenarioTests.period

    /// A day of the month with two digits.
    func dd(_ day: Int) -> String { day < 10 ? "0\(day)" : String(day) }

    static func set(_ tenant: EngineTenant, _ changes: [ReconSettings.Change]) async throws {
        let env = try EngineEnvironment.get()
        _ = try await env.withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconSettings.update(changes, context: context, on: tx)
            }
        }
    }

    @Test("settings round trip: defaults, changes, and other settings untouched")
    func settingsRoundTrip() async throws {
        let env = try EngineEnvironment.get()
        let tenant = try await env.createTenant("keys-settings", stores: [("s1", "taobao")])
        func load(_ context: AccessContext) async throws -> ReconSettings {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(context) { tx, context in try ReconSettings.load(context: context, on: tx) }
            }
        }
        let defaults = try await load(tenant.system)
        #expect(!defaults.looseMatchBuyer && !defaults.refundGoodsCheck)
        try await Self.set(tenant, [.looseMatchBuyer(true), .refundGoodsCheck(true), .settlementLagDays(9)])
        let changed = try await load(tenant.system)
        #expect(changed.looseMatchBuyer && changed.refundGoodsCheck && changed.settlementLagDays == 9)
        #expect(changed.amountTolerance == defaults.amountTolerance && changed.feeRates == defaults.feeRates)
        let json = String(decoding: try JSONEncoder().encode(changed), as: UTF8.self)
        #expect(json.contains("\"loose_match_buyer\":true") && json.contains("\"refund_goods_check\":true"))
        try await Self.set(tenant, [.refundGoodsCheck(false)])
        let again = try await load(tenant.system)
        #expect(again.looseMatchBuyer && !again.refundGoodsCheck && again.settlementLagDays == 9)
        // Changing needs settings.manage.
        var clerk = tenant.system
        clerk.permissions.remove("settings.manage")
        let noManage = clerk
        await #expect(throws: TenancyError.self) {
            try await env.withApp { app in
                try await TenantScope(connection: app).with(noManage) { tx, context in
                    try ReconSettings.update([.looseMatchBuyer(false)], context: context, on: tx)
                }
            }
        }
        #expect(try await load(tenant.system).looseMatchBuyer)
    }
}
