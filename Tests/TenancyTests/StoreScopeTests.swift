import Foundation
import PostgresClient
import Tenancy
import Testing

/// Groups limited to some stores: their members see only those stores, in the stores table and
/// in store-filtered tables (the probe table), and the union over all their grants.
@Suite("Store scope", .tenancyDatabase)
struct StoreScopeTests {
    struct World: Sendable {
        var tenant: TenantFixture
        var tokens: [String: String]
    }

    static let password = "store-scope-password"

    func world() async throws -> World {
        try await TenancyEnvironment.get().fixture("scope") { env in
            try await env.createProbeTable()
            let users = [
                UserSpec(username: "nora", password: Self.password, groups: ["north-team"]),
                UserSpec(username: "una", password: Self.password, groups: ["north-team", "south-team"]),
                UserSpec(username: "ali", password: Self.password, roles: ["finance"]),
                UserSpec(username: "gus", password: Self.password, groups: ["north-team", "everyone"]),
                UserSpec(username: "moe", password: Self.password, groups: ["mobile-team"]),
            ]
            let tenant = try await env.createTenant(
                slug: "scoped", stores: ["north", "south", "east"],
                groups: [GroupSpec(name: "north-team", roles: ["finance"], stores: ["north"]),
                         GroupSpec(name: "south-team", roles: ["finance"], stores: ["south"]),
                         GroupSpec(name: "everyone", roles: ["sales"]),
                         GroupSpec(name: "mobile-team", roles: ["finance"], stores: ["north"])],
                users: users)
            try await env.insertProbeRows(for: tenant)
            var tokens: [String: String] = [:]
            for user in users {
                tokens[user.username] = try await env.login(tenant: "scoped", username: user.username, password: Self.password)
            }
            return World(tenant: tenant, tokens: tokens)
        }
    }

    /// What a user sees in one transaction.
    struct Sight: Sendable, Equatable {
        var context: AccessContext
        /// Store codes from StoreDirectory.list (the stores table through RLS).
        var storeCodes: [String]
        /// Store ids of the probe rows the user can read.
        var probeStores: [Int64]
        /// Rows of the stores table counted without any filter of our own.
        var rawStoreCount: Int
    }

    static func look(_ tx: isolated PostgresConnection, _ context: AccessContext) throws -> Sight {
        Sight(context: context,
              storeCodes: try StoreDirectory.list(context: context, on: tx).map(\.code),
              probeStores: try tx.query("SELECT store_id FROM probe_amounts ORDER BY store_id").map { try $0.decode(Int64.self, at: 0) },
              rawStoreCount: try tx.scalar(Int.self, "SELECT count(*) FROM stores"))
    }

    func sight(of username: String, world: World) async throws -> Sight {
        let token = try #require(world.tokens[username])
        return try await TenancyEnvironment.get().asUser(token: token) { tx, context in try Self.look(tx, context) }
    }

    @Test("members see exactly the stores their grants cover", arguments: [
        // A store-scoped group: its store only.
        ("nora", ["north"], false),
        // Two scoped groups: the union.
        ("una", ["north", "south"], false),
        // A direct (unscoped) role: every store.
        ("ali", ["east", "north", "south"], true),
        // A scoped group plus an unscoped group: every store.
        ("gus", ["east", "north", "south"], true),
    ])
    func scopedVisibility(username: String, expected: [String], allStores: Bool) async throws {
        let world = try await world()
        let sight = try await sight(of: username, world: world)
        let expectedIDs = try expected.map { try world.tenant.store($0) }.sorted()
        #expect(sight.context.allStores == allStores)
        if !allStores {
            #expect(sight.context.storeIDs.sorted() == expectedIDs)
        }
        #expect(sight.storeCodes == expected)
        #expect(sight.rawStoreCount == expected.count)
        #expect(sight.probeStores == expectedIDs, "probe rows are filtered by store like the stores table")
        #expect(sight.context.has(Permission.orderViewFinancial), "every one of them has finance somewhere")
    }

    @Test("a store outside the scope cannot be found by code or by id")
    func outsideStoreIsInvisible() async throws {
        let world = try await world()
        let token = try #require(world.tokens["nora"])
        let south = try world.tenant.store("south")
        let (byID, probe) = try await TenancyEnvironment.get().asUser(token: token) { tx, _ in
            (try tx.scalar(Int.self, "SELECT count(*) FROM stores WHERE store_id = $1", [south]),
             try tx.scalar(Int.self, "SELECT count(*) FROM probe_amounts WHERE store_id = $1", [south]))
        }
        #expect(byID == 0)
        #expect(probe == 0)
        await expectTenancyError(.notFound) {
            _ = try await TenancyEnvironment.get().asUser(token: token) { tx, context in
                try StoreDirectory.find(code: "south", context: context, on: tx)
            }
        }
    }

    @Test("changing a group's scope takes effect with the member's next transaction")
    func scopeChangeTakesEffectNextTransaction() async throws {
        let env = try TenancyEnvironment.get()
        let world = try await world()
        let token = try #require(world.tokens["moe"])
        let (north, east) = (try world.tenant.store("north"), try world.tenant.store("east"))

        // Inside one transaction the context is fixed: the operator's change commits meanwhile,
        // but this transaction keeps the scope it started with.
        let (first, during) = try await env.asUser(token: token) { tx, context in
            let first = try Self.look(tx, context)
            _ = try await env.asOperator("scoper", tenant: "scoped") { op, opContext in
                try GroupDirectory.scope(group: "mobile-team", storeCodes: ["east"], context: opContext, on: op)
            }
            return (first, try Self.look(tx, context))
        }
        #expect(first.storeCodes == ["north"])
        #expect(first.probeStores == [north])
        #expect(during.storeCodes == ["north"])

        let next = try await sight(of: "moe", world: world)
        #expect(next.storeCodes == ["east"])
        #expect(next.probeStores == [east])
        #expect(next.context.storeIDs == [east])

        // Lifting the limit (no stores) gives every store.
        _ = try await env.asOperator("scoper", tenant: "scoped") { op, opContext in
            try GroupDirectory.scope(group: "mobile-team", storeCodes: [], context: opContext, on: op)
        }
        let unscoped = try await sight(of: "moe", world: world)
        #expect(unscoped.context.allStores)
        #expect(unscoped.storeCodes == ["east", "north", "south"])
        #expect(unscoped.probeStores.count == 3)
    }
}
