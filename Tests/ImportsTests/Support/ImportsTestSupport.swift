import Foundation
import Imports
import Ingest
import PostgresClient
import ShopReconTestSupport
import Tenancy
import Testing

// MARK: - One database per suite

/// Gives a suite a fresh migrated database of its own for as long as its tests run, then drops it.
///
/// Attach with `@Suite(.importsDatabase)`; tests reach it through ``ImportsEnvironment/get()``.
extension Trait where Self == SuiteDatabaseTrait<ImportsEnvironment> {
    /// A fresh database, cloned from the migrated template, for the whole suite.
    static var importsDatabase: Self { SuiteDatabaseTrait() }
}

/// A tenant made by ``ImportsEnvironment/createTenant(_:stores:)``.
struct TenantRef: Sendable {
    var id: Int64
    var slug: String
    /// code → store_id
    var stores: [String: Int64]

    func store(_ code: String) throws -> Int64 {
        guard let id = stores[code] else { throw TestFailure("tenant \(slug) has no store \(code)") }
        return id
    }

    /// The context a `channel_sync` job runs imports with.
    var system: AccessContext { .system(tenantID: id, tenantSlug: slug, name: "imports-tests") }
}

/// The suite's database plus helpers to act in it.
final class ImportsEnvironment: SuiteEnvironment {
    @TaskLocal static var current: ImportsEnvironment?

    static func withCurrent(_ environment: ImportsEnvironment, _ body: @Sendable () async throws -> Void) async throws {
        try await $current.withValue(environment) { try await body() }
    }

    let database: TestDatabase
    private let cache = FixtureCache()

    init(database: TestDatabase) { self.database = database }

    /// Builds a fixture once per suite (the first caller builds it, concurrent callers wait for it).
    func fixture<T: Sendable>(_ key: String, _ make: @escaping @Sendable (ImportsEnvironment) async throws -> T) async throws -> T {
        try await cache.value(key) { try await make(self) }
    }

    static func get() throws -> ImportsEnvironment {
        guard let current else { throw TestFailure("the suite has no database; add @Suite(.importsDatabase)") }
        return current
    }

    // MARK: Connections

    /// A connection as the schema owner (the operator), closed after `body`.
    func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withOwner(body)
    }

    /// A connection as `shoprecon_app` (what the CLI and the daemon use), closed after `body`.
    func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withApp(body)
    }


    /// A pool of application-role connections, as the daemon has; shut down after `body`.
    func withAppPool<T: Sendable>(_ body: (ConnectionPool) async throws -> T) async throws -> T {
        try await database.withAppPool(body)
    }

    // MARK: Fixtures

    /// Creates a tenant (time zone Asia/Shanghai, CNY) with stores, as the operator.
    func createTenant(_ slug: String, stores: [String] = ["s1"], channel: String = "tmall") async throws -> TenantRef {
        try await withOwner { owner in
            _ = try await TenantScope(connection: owner).asOperator(name: "imports-tests", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: "Tenant \(slug)", on: tx)
            }
            return try await TenantScope(connection: owner).asOperator(name: "imports-tests", tenant: slug) { tx, context in
                var ids: [String: Int64] = [:]
                for code in stores {
                    ids[code] = try StoreDirectory.add(code: code, name: "Store \(code)", channel: channel, context: context, on: tx).id
                }
                return TenantRef(id: try context.requireTenant(), slug: slug, stores: ids)
            }
        }
    }

    /// Adds users as the operator: `(name, password, roles, groups)`.
    func addUsers(tenant: TenantRef, _ users: [(String, String, [String], [String])],
                  groups: [(name: String, roles: [String], stores: [String])] = []) async throws {
        try await withOwner { owner in
            try await TenantScope(connection: owner).asOperator(name: "imports-tests", tenant: tenant.slug) { tx, context in
                for group in groups {
                    _ = try GroupDirectory.create(name: group.name, context: context, on: tx)
                    for role in group.roles { try GroupDirectory.grant(group: group.name, role: role, context: context, on: tx) }
                    if !group.stores.isEmpty {
                        try GroupDirectory.scope(group: group.name, storeCodes: group.stores, context: context, on: tx)
                    }
                }
                for (name, password, roles, memberOf) in users {
                    _ = try UserDirectory.add(username: name, password: password, roles: roles, groups: memberOf,
                                              context: context, on: tx)
                }
            }
        }
    }

    /// Logs in through the application role outside any transaction; returns the session token.
    func login(tenant: TenantRef, username: String, password: String) async throws -> String {
        try await withApp { app in
            try await app.run { tx in try Authenticator.login(tenant: tenant.slug, username: username, password: password, on: tx).token }
        }
    }

    // MARK: Importing

    /// Imports as the tenant's system context (what a `channel_sync` job does), on an
    /// application-role connection, in one transaction.
    @discardableResult
    func importFile(_ request: ImportRequest, tenant: TenantRef) async throws -> ImportSummary {
        try await importFile(request, context: tenant.system)
    }

    @discardableResult
    func importFile(_ request: ImportRequest, context: AccessContext) async throws -> ImportSummary {
        try await withApp { app in
            try await TenantScope(connection: app).with(context) { tx, context in
                try await Importer.run(request, context: context, on: tx)
            }
        }
    }

    /// Imports as the user of a session token (TenantScope.asUser, as the CLI does).
    @discardableResult
    func importFile(_ request: ImportRequest, token: String) async throws -> ImportSummary {
        try await withApp { app in
            try await TenantScope(connection: app).asUser(token: token) { tx, context in
                try await Importer.run(request, context: context, on: tx)
            }
        }
    }

    // MARK: Owner-side reads (row-level security does not filter the owner)

    /// All rows of a query as the owner, each row decoded by `decode`.
    func ownerRows<T: Sendable>(_ sql: String, _ binds: [any PostgresEncodable] = [],
                                _ decode: @escaping @Sendable (PostgresRow) throws -> T) async throws -> [T] {
        let binds = SendableBinds(binds)
        return try await withOwner { owner in
            try await owner.run { tx in try tx.query(sql, binds.values).map(decode) }
        }
    }

    /// Rows of a query as the owner, every column as text (`nil` for NULL), keyed by column name.
    func ownerTexts(_ sql: String, _ binds: [any PostgresEncodable] = []) async throws -> [TextRow] {
        let binds = SendableBinds(binds)
        return try await withOwner { owner in
            try await owner.run { tx in try TextRow.rows(of: tx.query(sql, binds.values)) }
        }
    }

    /// The first column of the first row, read as the owner.
    func ownerScalar<T: PostgresDecodable & Sendable>(_ type: T.Type, _ sql: String,
                                                      _ binds: [any PostgresEncodable] = []) async throws -> T {
        let binds = SendableBinds(binds)
        return try await withOwner { owner in try await owner.run { tx in try tx.scalar(type, sql, binds.values) } }
    }

    /// `count(*)` of a tenant's rows in each table, as the owner.
    func counts(tenant: Int64, _ tables: [String] = ImportTables.all) async throws -> [String: Int] {
        try await withOwner { owner in
            try await owner.run { tx in
                var result: [String: Int] = [:]
                for table in tables {
                    result[table] = try tx.scalar(Int.self, "SELECT count(*) FROM \(table) WHERE tenant_id = $1", [tenant])
                }
                return result
            }
        }
    }

    /// Every row of one tenant in each table as JSON text (row order fixed), as the owner.
    func snapshot(tenant: Int64, _ tables: [String] = ImportTables.all) async throws -> [String: String] {
        try await withOwner { owner in
            try await owner.run { tx in
                var result: [String: String] = [:]
                for table in tables {
                    result[table] = try tx.scalar(String.self, """
                        SELECT coalesce(jsonb_agg(r ORDER BY r::text), '[]'::jsonb)::text
                        FROM (SELECT to_jsonb(t) AS r FROM \(table) t WHERE t.tenant_id = $1) s
                        """, [tenant])
                }
                return result
            }
        }
    }
}

actor FixtureCache {
    private var entries: [String: Task<any Sendable, any Error>] = [:]

    func value<T: Sendable>(_ key: String, _ make: @escaping @Sendable () async throws -> T) async throws -> T {
        let task: Task<any Sendable, any Error>
        if let existing = entries[key] {
            task = existing
        } else {
            task = Task { try await make() as any Sendable }
            entries[key] = task
        }
        guard let value = try await task.value as? T else { throw TestFailure("fixture \(key) has another type") }
        return value
    }
}

/// A result row with every column as text; `row["name"]` is nil for NULL.
struct TextRow: Sendable, CustomStringConvertible {
    var values: [String: String?]

    subscript(_ column: String) -> String? {
        guard let value = values[column] else { preconditionFailure("no column \(column) in \(values.keys.sorted())") }
        return value
    }

    var description: String { String(describing: values) }

    static func rows(of result: PostgresResult) throws -> [TextRow] {
        try result.map { row in
            var values: [String: String?] = [:]
            for (i, name) in result.columnNames.enumerated() { values[name] = try row.decode(String?.self, at: i) }
            return TextRow(values: values)
        }
    }
}

/// The tables an import writes, for counts and snapshots.
enum ImportTables {
    static let all = ["imports", "import_rejects", "orders", "order_financials", "order_contacts", "order_lines",
                      "order_line_amounts", "platform_transactions", "payouts", "bank_accounts", "bank_statement_lines",
                      "courier_bill_lines", "returns", "sku_costs"]
    /// Everything but the import log itself.
    static let records = all.filter { $0 != "imports" && $0 != "import_rejects" }
}

/// Bind values carried into a `@Sendable` closure (they are immutable values).
struct SendableBinds: @unchecked Sendable {
    let values: [any PostgresEncodable]
    init(_ values: [any PostgresEncodable]) { self.values = values }
}

// MARK: - Connections

extension PostgresConnection {
    /// Runs a synchronous block on the connection with its isolated API, outside any transaction
    /// unless the block opens one.
    func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) throws -> T) rethrows -> T {
        try body(self)
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ binds: [any PostgresEncodable] = []) throws -> T {
        guard let row = try query(sql, binds).first else {
            throw TestFailure("no rows from \(sql)")
        }
        return try row.decode(type, at: 0)
    }

    /// Temporary tables of this session (staging tables an import left behind, if any).
    func temporaryTables() throws -> [String] {
        try query("""
            SELECT c.relname::text FROM pg_class c
            WHERE c.relpersistence = 't' AND c.relnamespace = pg_my_temp_schema() ORDER BY 1
            """).map { try $0.decode(String.self, at: 0) }
    }
}

// MARK: - Expectations

/// Runs `body` and returns the error it throws as `E`, recording an issue when it throws
/// nothing or something else.
func expectThrows<E: Error, R>(_ type: E.Type, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation,
                               _ body: () async throws -> R) async -> E? {
    do {
        _ = try await body()
        Issue.record(Comment(rawValue: "expected \(E.self), but nothing was thrown. \(comment)"), sourceLocation: sourceLocation)
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record(Comment(rawValue: "expected \(E.self), got \(String(reflecting: error)). \(comment)"), sourceLocation: sourceLocation)
        return nil
    }
}

/// Shanghai wall-clock time as an instant.
func shanghai(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    return calendar.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
}
