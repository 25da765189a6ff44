import Foundation
import PostgresClient
import Reconcile
import ShopReconTestSupport
import Tenancy
import Testing

// MARK: - One database per suite

/// Gives a suite of the exception-workflow tests a fresh migrated database of its own, then
/// drops it. Attach with `@Suite(.workflowDatabase)`; tests reach it through
/// ``WorkflowEnvironment/get()``.
extension Trait where Self == SuiteDatabaseTrait<WorkflowEnvironment> {
    /// A fresh database, cloned from the migrated template, for the whole suite.
    static var workflowDatabase: Self { SuiteDatabaseTrait() }
}

/// The merchant every workflow suite works with: two stores and one user per kind of access.
///
/// - `fiona`: finance, every store;  `tom`: finance, store `tmall` only;
/// - `sam`: sales (order.view_basic only);  `ada`: auditor (reads, changes nothing);
/// - `mia`: finance_manager, every store.
struct WorkflowMerchant: Sendable {
    var id: Int64
    var slug: String
    /// code → store_id
    var stores: [String: Int64]
    /// username → user_id
    var users: [String: Int64]
    /// username → session token
    var tokens: [String: String]
    var importID: Int64
    var bankAccountID: Int64

    func store(_ code: String) throws -> Int64 {
        guard let id = stores[code] else { throw TestFailure("no store \(code)") }
        return id
    }

    func token(_ username: String) throws -> String {
        guard let token = tokens[username] else { throw TestFailure("no session for \(username)") }
        return token
    }
}

/// An exception to plant, as the engine would have written it (with its record and a `found` event).
struct WorkflowExceptionSpec: Sendable {
    var period = "2026-10"
    var type: ExceptionType = .amountMismatch
    var severity: Severity = .high
    /// nil: a bank-level exception about a bank line (no store).
    var store: String? = "tmall"
    var expected: Int64 = 129_900
    var actual: Int64 = 119_900
    var currency = "CNY"
    var foundDaysAgo = 1
}

/// The suite's database plus its merchant, built once per suite.
final class WorkflowEnvironment: SuiteEnvironment {
    @TaskLocal static var current: WorkflowEnvironment?

    static func withCurrent(_ environment: WorkflowEnvironment, _ body: @Sendable () async throws -> Void) async throws {
        try await $current.withValue(environment) { try await body() }
    }

    let database: TestDatabase
    private let cache = WorkflowFixtureCache()
    static let password = "correct-horse-7"

    init(database: TestDatabase) { self.database = database }

    static func get() throws -> WorkflowEnvironment {
        guard let current else { throw TestFailure("the suite has no database; add @Suite(.workflowDatabase)") }
        return current
    }

    // MARK: Connections

    func withOwner<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withOwner(body)
    }

    func withApp<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await database.withApp(body)
    }


    /// One transaction as the user of a session token through the application role, as the CLI does.
    func asUser<T: Sendable>(_ token: String,
                             _ body: @Sendable @escaping (isolated PostgresConnection, AccessContext) async throws -> T) async throws -> T {
        try await withApp { app in try await TenantScope(connection: app).asUser(token: token, body) }
    }

    /// The first column of the first row, read as the owner (no row-level security).
    func ownerScalar<T: PostgresDecodable & Sendable>(_ type: T.Type, _ sql: String,
                                                      _ binds: [any PostgresEncodable] = []) async throws -> T {
        try await withOwner { owner in
            guard let row = try await owner.query(sql, binds).first else { throw TestFailure("no rows from \(sql)") }
            return try row.decode(type, at: 0)
        }
    }

    // MARK: Fixtures

    func merchant() async throws -> WorkflowMerchant {
        try await cache.value("merchant") { try await self.createMerchant(slug: "acme") }
    }

    private func createMerchant(slug: String) async throws -> WorkflowMerchant {
        try await withOwner { owner in
            let scope = TenantScope(connection: owner)
            _ = try await scope.asOperator(name: "fixtures", tenant: nil) { tx, _ in
                try TenantDirectory.create(slug: slug, name: "Acme Trading 杭州", on: tx)
            }
            try await scope.asOperator(name: "fixtures", tenant: slug) { tx, context in
                for (code, channel) in [("tmall", "tmall"), ("jd", "jd")] {
                    _ = try StoreDirectory.add(code: code, name: "Acme \(code)", channel: channel, context: context, on: tx)
                }
                for (group, role, stores) in [("finance-all", "finance", [String]()), ("finance-tmall", "finance", ["tmall"]),
                                              ("sales", "sales", []), ("auditors", "auditor", []), ("managers", "finance_manager", [])] {
                    _ = try GroupDirectory.create(name: group, context: context, on: tx)
                    _ = try GroupDirectory.grant(group: group, role: role, context: context, on: tx)
                    if !stores.isEmpty { _ = try GroupDirectory.scope(group: group, storeCodes: stores, context: context, on: tx) }
                }
                for (user, group) in [("fiona", "finance-all"), ("tom", "finance-tmall"), ("sam", "sales"), ("ada", "auditors"),
                                      ("mia", "managers")] {
                    _ = try UserDirectory.add(username: user, displayName: user.capitalized, password: Self.password,
                                              groups: [group], context: context, on: tx)
                }
            }
        }
        let (tenantID, stores, users, importID, accountID) = try await withOwner { owner in
            try await owner.transaction { tx in
                let tenantID = try tx.query("SELECT tenant_id FROM tenants WHERE slug = $1", [slug])[0].decode(Int64.self, at: 0)
                var stores: [String: Int64] = [:]
                for row in try tx.query("SELECT code, store_id FROM stores WHERE tenant_id = $1", [tenantID]) {
                    let (code, id) = try row.decode((String, Int64).self)
                    stores[code] = id
                }
                var users: [String: Int64] = [:]
                for row in try tx.query("SELECT username, user_id FROM users WHERE tenant_id = $1", [tenantID]) {
                    let (name, id) = try row.decode((String, Int64).self)
                    users[name] = id
                }
                let importID = try tx.query("""
                    INSERT INTO imports (tenant_id, store_id, file_name, sha256, format, actor)
                    VALUES ($1, $2, 'tmall-orders-2026-10.csv', repeat('ab', 32), 'taobao_orders', 'user:fiona') RETURNING import_id
                    """, [tenantID, stores["tmall"]])[0].decode(Int64.self, at: 0)
                let accountID = try tx.query("""
                    INSERT INTO bank_accounts (tenant_id, account_no, name, currency) VALUES ($1, '6222020200112233', 'ICBC 基本户', 'CNY')
                    RETURNING bank_account_id
                    """, [tenantID])[0].decode(Int64.self, at: 0)
                return (tenantID, stores, users, importID, accountID)
            }
        }
        var tokens: [String: String] = [:]
        for user in ["fiona", "tom", "sam", "ada", "mia"] {
            tokens[user] = try await withApp { app in
                try await app.transaction { tx in
                    try Authenticator.login(tenant: slug, username: user, password: Self.password, on: tx).token
                }
            }
        }
        return WorkflowMerchant(id: tenantID, slug: slug, stores: stores, users: users, tokens: tokens,
                                importID: importID, bankAccountID: accountID)
    }

    /// Plants exceptions as the engine would: the record (an order, or a bank credit for
    /// store-less specs), a run, the exception (status open) and its `found` event. Returns
    /// their ids in order.
    func plant(_ specs: [WorkflowExceptionSpec], for merchant: WorkflowMerchant) async throws -> [Int64] {
        try await withOwner { owner in
            try await owner.transaction { tx in
                var ids: [Int64] = []
                for spec in specs {
                    let period = try ReconPeriod(parsing: spec.period)
                    let runID = try tx.query("""
                        INSERT INTO recon_runs (tenant_id, period, flows, as_of, status, actor, finished_at)
                        VALUES ($1, $2::date, $3::text[], ($2::date + interval '2 months')::date, 'succeeded', 'system:recon', now())
                        RETURNING run_id
                        """, [merchant.id, period.firstDay, [spec.type.flow.rawValue]])[0].decode(Int64.self, at: 0)
                    let recordID: Int64, storeID: Int64?, reference: String, recordType: String
                    if let store = spec.store {
                        storeID = try merchant.store(store)
                        reference = "TB" + String(Int64.random(in: 100_000_000_000...999_999_999_999))
                        recordID = try tx.query("""
                            INSERT INTO orders (tenant_id, store_id, channel, order_no, status, created_at, paid_at, currency, import_id)
                            VALUES ($1, $2, $3, $4, 'completed', $5::date + interval '3 days 10 hours', $5::date + interval '3 days 10 hours 2 minutes', $6, $7)
                            RETURNING order_id
                            """, [merchant.id, storeID, store, reference, period.firstDay, spec.currency, merchant.importID])[0].decode(Int64.self, at: 0)
                        try tx.query("""
                            INSERT INTO order_financials (tenant_id, order_id, store_id, currency, order_amount, paid_amount)
                            VALUES ($1, $2, $3, $4, $5, $5)
                            """, [merchant.id, recordID, storeID, spec.currency, spec.expected])
                        recordType = spec.type.recordType.rawValue
                    } else {
                        storeID = nil
                        reference = "CAMT" + String(Int64.random(in: 10_000_000...99_999_999))
                        recordID = try tx.query("""
                            INSERT INTO bank_statement_lines (tenant_id, bank_account_id, source_key, value_date, booking_date, currency,
                                                              amount, direction, counterparty_name, reference, import_id)
                            VALUES ($1, $2, $3, $4::date + 12, $4::date + 12, $5, $6, 'credit', '支付宝（中国）网络技术有限公司', $3, $7)
                            RETURNING line_id
                            """, [merchant.id, merchant.bankAccountID, reference, period.firstDay, spec.currency, spec.actual,
                                  merchant.importID])[0].decode(Int64.self, at: 0)
                        recordType = RecordType.bankLine.rawValue
                    }
                    let id = try tx.query("""
                        INSERT INTO recon_exceptions (tenant_id, run_id, period, flow, type, severity, record_type, record_id, store_id,
                                                      channel, reference, currency, expected, actual, difference, detail, found_at)
                        VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14 - $13,
                                jsonb_build_object('rule', 'exact:order_no'), now() - make_interval(days => $15::int))
                        RETURNING exception_id
                        """, [merchant.id, runID, period.firstDay, spec.type.flow.rawValue, spec.type.rawValue, spec.severity.rawValue,
                              recordType, recordID, storeID, spec.store, reference, spec.currency, spec.expected, spec.actual,
                              spec.foundDaysAgo])[0].decode(Int64.self, at: 0)
                    try tx.query("""
                        INSERT INTO recon_exception_events (tenant_id, exception_id, actor, action, to_status, at)
                        VALUES ($1, $2, 'system:recon', 'found', 'open', now() - make_interval(days => $3::int))
                        """, [merchant.id, id, spec.foundDaysAgo])
                    ids.append(id)
                }
                return ids
            }
        }
    }

    /// Closes a period as `recon close` will: a row in `recon_periods`.
    func closePeriod(_ period: String, for merchant: WorkflowMerchant) async throws {
        let first = try ReconPeriod(parsing: period).firstDay
        _ = try await withOwner { owner in
            try await owner.query("INSERT INTO recon_periods (tenant_id, period, closed_by) VALUES ($1, $2::date, 'user:mia')",
                                  [merchant.id, first])
        }
    }

    /// Status, assignee, hold and resolution of an exception as stored (read as the owner).
    func stored(_ id: Int64) async throws -> WorkflowStoredException {
        try await withOwner { owner in
            guard let row = try await owner.query("""
                SELECT e.status, u.username, e.hold_until::text, e.resolution FROM recon_exceptions e
                LEFT JOIN users u ON u.tenant_id = e.tenant_id AND u.user_id = e.assignee_id WHERE e.exception_id = $1
                """, [id]).first else { throw TestFailure("no exception \(id)") }
            let (status, assignee, hold, resolution) = try row.decode((String, String?, String?, String?).self)
            return WorkflowStoredException(status: status, assignee: assignee, holdUntil: hold, resolution: resolution)
        }
    }

    /// The events of an exception as `action from→to` strings, oldest first (read as the owner).
    func events(_ id: Int64) async throws -> [String] {
        try await withOwner { owner in
            try await owner.query("""
                SELECT action || ' ' || coalesce(from_status, '-') || '>' || coalesce(to_status, '-') || ' ' || actor
                FROM recon_exception_events WHERE exception_id = $1 ORDER BY event_id
                """, [id]).map { try $0.decode(String.self, at: 0) }
        }
    }

    /// Audit log rows about recon_exceptions for these ids (read as the owner).
    func auditCount(_ ids: [Int64]) async throws -> Int {
        try await ownerScalar(Int.self, """
            SELECT count(*)::int FROM audit_log WHERE action LIKE 'recon_exceptions.%'
            AND (after ->> 'exception_id')::bigint = ANY($1::bigint[])
            """, [ids])
    }
}

struct WorkflowStoredException: Sendable, Equatable {
    var status: String
    var assignee: String?
    var holdUntil: String?
    var resolution: String?
}

actor WorkflowFixtureCache {
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
