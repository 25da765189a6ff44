import Foundation
import PostgresClient
import Reconcile
import ShopReconTestSupport
import Tenancy
import Testing

/// A fresh migrated database for an engine suite, reached through ``EngineEnvironment/get()``.
extension Trait where Self == SuiteDatabaseTrait<EngineEnvironment> {
    static var engineDatabase: Self { SuiteDatabaseTrait() }
}

/// A tenant of an engine test: its id, slug and stores (code → id).
struct EngineTenant: Sendable {
    var id: Int64
    var slug: String
    var stores: [String: Int64]
    var system: AccessContext { .system(tenantID: id, tenantSlug: slug, name: "engine-tests") }
}

final class EngineEnvironment: SuiteEnvironment {
    @TaskLocal static var current: EngineEnvironment?

    static func withCurrent(_ environment: EngineEnvironment, _ body: @Sendable () async throws -> Void) async throws {
        try await $current.withValue(environment) { try await body() }
    }
    let database: TestDatabase

    init(database: TestDatabase) { self.database = database }

    static func get() throws -> EngineEnvironment {
        guard let current else { throw TestFailure("the suite has no database; add @Suite(.engineDatabase)") }
        return current
    }

    func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withOwner(body)
    }

    func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withApp(body)
    }


    func createTenant(_ slug: String, stores: [(code: String, channel: String)]) async throws -> EngineTenant {
        try await withOwner { owner in
            _ = try await TenantScope(connection: owner).asOperator(name: "engine-tests", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: "Tenant \(slug)", on: tx)
            }
            return try await TenantScope(connection: owner).asOperator(name: "engine-tests", tenant: slug) { tx, context in
                var ids: [String: Int64] = [:]
                for store in stores {
                    ids[store.code] = try StoreDirectory.add(code: store.code, name: "Store \(store.code)", channel: store.channel,
                                                             context: context, on: tx).id
                }
                return EngineTenant(id: try context.requireTenant(), slug: slug, stores: ids)
            }
        }
    }

    /// Runs SQL as the owner (records are inserted this way, as if imported).
    func owner(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws {
        try await withOwner { owner in
            try await owner.engineRun { tx in _ = try tx.query(sql, binds) }
        }
    }

    func ownerRows(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> [[String?]] {
        try await withOwner { owner in
            try await owner.engineRun { tx in
                let result = try tx.query(sql, binds)
                let width = result.columnNames.count
                return try result.map { row in try (0..<width).map { try row.decode(String?.self, at: $0) } }
            }
        }
    }

    /// Runs a reconciliation as the tenant's system context (what a `reconcile_run` job does).
    @discardableResult
    func run(_ tenant: EngineTenant, _ request: RunRequest) async throws -> RunResult {
        try await withApp { app in
            try await TenantScope(connection: app).with(tenant.system) { tx, context in
                try ReconRunner.run(request, context: context, on: tx)
            }
        }
    }

    /// The exceptions of a tenant as `type reference` strings, sorted.
    func exceptions(_ tenant: EngineTenant) async throws -> [String] {
        try await ownerRows("SELECT type || ' ' || coalesce(reference, '?') FROM recon_exceptions WHERE tenant_id = $1 ORDER BY 1",
                            [tenant.id]).map { $0[0] ?? "" }
    }
}

extension PostgresConnection {
    /// Runs a synchronous block with the connection's isolated API.
    func engineRun<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }
}
