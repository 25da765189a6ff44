import Foundation
import PostgresClient
import Reconcile
import ShopReconTestSupport
import Tenancy
import Testing

// MARK: - One database per suite

/// Gives a suite of the rules tests a fresh migrated database, dropped afterwards.
/// Attach with `@Suite(.rulesDatabase)`; tests reach it through ``RulesEnvironment/get()``.
extension Trait where Self == SuiteDatabaseTrait<RulesEnvironment> {
    static var rulesDatabase: Self { SuiteDatabaseTrait() }
}

/// A tenant made by ``RulesEnvironment/createTenant(_:stores:)``.
struct RulesTenant: Sendable {
    var id: Int64
    var slug: String
    /// code → store_id
    var stores: [String: Int64]

    func store(_ code: String) throws -> Int64 {
        guard let id = stores[code] else { throw TestFailure("tenant \(slug) has no store \(code)") }
        return id
    }

    /// What a `reconcile_run` job runs with.
    var system: AccessContext { .system(tenantID: id, tenantSlug: slug, name: "rules-tests") }

    func scope(run: Int64, period: String = "2026-10", flows: [ReconFlow] = ReconFlow.allCases, store: Int64? = nil,
               asOf: String = "2026-11-30") throws -> RunScope {
        RunScope(runID: run, tenantID: id, period: try ReconPeriod(parsing: period), flows: flows, storeID: store, asOf: asOf)
    }
}

/// The suite's database and helpers to act in it.
final class RulesEnvironment: SuiteEnvironment {
    @TaskLocal static var current: RulesEnvironment?

    static func withCurrent(_ environment: RulesEnvironment, _ body: @Sendable () async throws -> Void) async throws {
        try await $current.withValue(environment) { try await body() }
    }
    let database: TestDatabase

    init(database: TestDatabase) { self.database = database }

    static func get() throws -> RulesEnvironment {
        guard let current else { throw TestFailure("the suite has no database; add @Suite(.rulesDatabase)") }
        return current
    }

    /// A connection as the schema owner, closed after `body`.
    func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withOwner(body)
    }

    /// A connection as `shoprecon_app`, closed after `body`.
    func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withApp(body)
    }


    /// A pool of application-role connections (what the daemon has), shut down after `body`.
    func withAppPool<T: Sendable>(_ body: (ConnectionPool) async throws -> T) async throws -> T {
        try await database.withAppPool(body)
    }

    /// Runs `body` in one transaction under `context` on an application-role connection.
    func asContext<T: Sendable>(_ context: AccessContext,
                                _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
        try await withApp { app in try await TenantScope(connection: app).with(context, body) }
    }

    /// Runs `body` in one transaction as the user of a session token.
    func asUser<T: Sendable>(_ token: String,
                             _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
        try await withApp { app in try await TenantScope(connection: app).asUser(token: token, body) }
    }

    // MARK: Fixtures

    /// A tenant (Asia/Shanghai, CNY) with stores `(code, channel)`, made by the operator.
    func createTenant(_ slug: String, stores: [(String, String)] = [("tmall-1", "tmall"), ("jd-1", "jd")]) async throws -> RulesTenant {
        try await withOwner { owner in
            _ = try await TenantScope(connection: owner).asOperator(name: "rules-tests", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: "Tenant \(slug)", on: tx)
            }
            return try await TenantScope(connection: owner).asOperator(name: "rules-tests", tenant: slug) { tx, context in
                var ids: [String: Int64] = [:]
                for (code, channel) in stores {
                    ids[code] = try StoreDirectory.add(code: code, name: "Store \(code)", channel: channel, context: context, on: tx).id
                }
                return RulesTenant(id: try context.requireTenant(), slug: slug, stores: ids)
            }
        }
    }

    /// Adds users `(name, roles, groups)` with the password `password-123`, and groups
    /// `(name, roles, stores)`, as the operator.
    func addUsers(_ tenant: RulesTenant, _ users: [(String, [String], [String])],
                  groups: [(String, [String], [String])] = []) async throws {
        try await withOwner { owner in
            try await TenantScope(connection: owner).asOperator(name: "rules-tests", tenant: tenant.slug) { tx, context in
                for (name, roles, stores) in groups {
                    _ = try GroupDirectory.create(name: name, context: context, on: tx)
                    for role in roles { _ = try GroupDirectory.grant(group: name, role: role, context: context, on: tx) }
                    if !stores.isEmpty { _ = try GroupDirectory.scope(group: name, storeCodes: stores, context: context, on: tx) }
                }
                for (name, roles, memberOf) in users {
                    _ = try UserDirectory.add(username: name, password: "password-123", roles: roles, groups: memberOf, context: context, on: tx)
                }
            }
        }
    }

    /// Logs a user in; returns the session token.
    func login(_ tenant: RulesTenant, _ username: String) async throws -> String {
        try await withApp { app in
            try await app.rulesRun { tx in try Authenticator.login(tenant: tenant.slug, username: username, password: "password-123", on: tx).token }
        }
    }

    // MARK: Records, inserted directly as the owner

    /// An order with its financials and lines; returns its id.
    @discardableResult
    func insertOrder(_ tenant: RulesTenant, store: String, no: String, createdAt: Date, status: String = "completed",
                     paid: Int64?, orderAmount: Int64? = nil, currency: String = "CNY",
                     lines: [(String, Int)] = [("SKU-1", 1)]) async throws -> Int64 {
        let storeID = try tenant.store(store)
        let channel = try await ownerScalar(String.self, "SELECT channel FROM stores WHERE tenant_id = $1 AND store_id = $2", [tenant.id, storeID])
        let binds = RulesBinds([tenant.id, storeID, channel, no, status, createdAt, currency, paid, orderAmount ?? paid])
        let lineBinds = RulesBinds([lines.map(\.0), lines.map { Int64($0.1) }])
        return try await withOwner { owner in
            try await owner.rulesRun { tx in
                let id = try tx.query("""
                    INSERT INTO orders (tenant_id, store_id, channel, order_no, status, created_at, paid_at, currency, import_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $6, $7, 0) RETURNING order_id
                    """, Array(binds.values[0..<7]))[0].decode(Int64.self, at: 0)
                try tx.query("""
                    INSERT INTO order_financials (tenant_id, order_id, store_id, currency, paid_amount, order_amount)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    """, [binds.values[0], id, binds.values[1], binds.values[6], binds.values[7], binds.values[8]])
                try tx.query("""
                    INSERT INTO order_lines (tenant_id, order_id, line_no, store_id, sku, quantity)
                    SELECT $1, $2, n::integer, $3, sku, qty FROM unnest($4::text[], $5::bigint[]) WITH ORDINALITY AS x(sku, qty, n)
                    """, [binds.values[0], id, binds.values[1], lineBinds.values[0], lineBinds.values[1]])
                return id
            }
        }
    }

    /// A platform transaction; returns its id.
    @discardableResult
    func insertTransaction(_ tenant: RulesTenant, store: String, no: String, orderRef: String?, type: String = "sale",
                           gross: Int64, fee: Int64? = nil, occurredAt: Date, provider: String = "alipay",
                           currency: String = "CNY") async throws -> Int64 {
        let binds = RulesBinds([tenant.id, try tenant.store(store), provider, no, orderRef, type, currency, gross, fee, occurredAt])
        return try await withOwner { owner in
            try await owner.rulesRun { tx in
                try tx.query("""
                    INSERT INTO platform_transactions (tenant_id, store_id, provider, source_key, transaction_no, order_ref, type, currency,
                                                       gross, fee, net, occurred_at, import_id)
                    VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $8 - coalesce($9, 0), $10, 0) RETURNING txn_id
                    """, binds.values)[0].decode(Int64.self, at: 0)
            }
        }
    }

    /// A bank credit; returns its id.
    @discardableResult
    func insertBankLine(_ tenant: RulesTenant, key: String, valueDate: String, amount: Int64, counterparty: String?,
                        reference: String?) async throws -> Int64 {
        let binds = RulesBinds([tenant.id, key, valueDate, amount, counterparty, reference])
        return try await withOwner { owner in
            try await owner.rulesRun { tx in
                try tx.query("""
                    INSERT INTO bank_accounts (tenant_id, account_no) VALUES ($1, 'ACC-1') ON CONFLICT DO NOTHING
                    """, [binds.values[0]])
                return try tx.query("""
                    INSERT INTO bank_statement_lines (tenant_id, bank_account_id, source_key, value_date, currency, amount, direction,
                                                      counterparty_name, reference, import_id)
                    SELECT $1, bank_account_id, $2, $3::date, 'CNY', $4, 'credit', $5, $6, 0 FROM bank_accounts
                    WHERE tenant_id = $1 AND account_no = 'ACC-1' RETURNING line_id
                    """, binds.values)[0].decode(Int64.self, at: 0)
            }
        }
    }

    // MARK: Owner-side reads

    func ownerScalar<T: PostgresDecodable & Sendable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> T {
        let binds = RulesBinds(binds)
        return try await withOwner { owner in
            try await owner.rulesRun { tx in
                guard let row = try tx.query(sql, binds.values).first else { throw TestFailure("no rows from \(sql)") }
                return try row.decode(type, at: 0)
            }
        }
    }

    /// Rows of a query as the owner, every column as text (nil for NULL), by column name.
    func ownerRows(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> [[String: String?]] {
        let binds = RulesBinds(binds)
        return try await withOwner { owner in
            try await owner.rulesRun { tx in
                let result = try tx.query(sql, binds.values)
                return try result.map { row in
                    var values: [String: String?] = [:]
                    for (i, name) in result.columnNames.enumerated() { values[name] = try row.decode(String?.self, at: i) }
                    return values
                }
            }
        }
    }

    /// Runs a statement as the owner.
    func ownerExecute(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws {
        let binds = RulesBinds(binds)
        try await withOwner { owner in try await owner.rulesRun { tx in _ = try tx.query(sql, binds.values) } }
    }
}

/// Bind values carried into a `@Sendable` closure (immutable values).
struct RulesBinds: @unchecked Sendable {
    let values: [any PostgresEncodable]
    init(_ values: [any PostgresEncodable]) { self.values = values }
}

extension PostgresConnection {
    /// Runs a synchronous block on the connection's isolated API.
    func rulesRun<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }
}

/// Shanghai wall-clock time as an instant.
func rulesShanghai(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 12) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    return calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h))!
}

/// Runs `body`, expecting a ``ReconcileError`` of `kind`; returns it.
@discardableResult
func expectRulesError(_ kind: ReconcileError.Kind, sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () async throws -> Void) async -> ReconcileError? {
    do {
        try await body()
        Issue.record("expected ReconcileError.\(kind), nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ReconcileError {
        #expect(error.kind == kind, Comment(rawValue: error.message), sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected ReconcileError.\(kind), got \(String(reflecting: error))", sourceLocation: sourceLocation)
        return nil
    }
}
