import Foundation
import PostgresClient
import Tenancy

/// A tenant's custom rules: adding (the condition is parsed and checked here, once), listing,
/// removing, and previewing what a condition matches. Changing rules needs settings.manage;
/// every change is in the audit log (trigger on `recon_rules`).
public enum RuleDirectory {
    /// The definition of a new rule, as `shoprecon rules add` collects it.
    public struct Definition: Sendable {
        public var name: String
        public var recordType: RecordType
        public var condition: String
        public var action: RuleAction
        public var severity: Severity?
        public var approverRole: String?
        public var webhookURL: String?

        public init(name: String, recordType: RecordType, condition: String, action: RuleAction,
                    severity: Severity? = nil, approverRole: String? = nil, webhookURL: String? = nil) {
            self.name = name
            self.recordType = recordType
            self.condition = condition
            self.action = action
            self.severity = severity
            self.approverRole = approverRole
            self.webhookURL = webhookURL
        }
    }

    /// Parses `text` for `type`, turning a syntax error into the module's error (with a caret).
    public static func parseCondition(_ text: String, for type: RecordType) throws -> RuleCondition {
        do {
            return try RuleCondition.parse(text, for: type)
        } catch let error as RuleConditionError {
            throw error.reconcileError
        }
    }

    public static func add(_ definition: Definition, context: AccessContext, on tx: isolated PostgresConnection) throws -> Rule {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "add rules")
        let name = definition.name
        guard isValidName(name) else {
            throw ReconcileError(.invalidInput, "'\(name)' is not a valid rule name",
                                 hint: "use lower-case letters, digits, '_', '.' and '-', starting with a letter or digit (at most 63), e.g. big-orders")
        }
        let tree = try parseCondition(definition.condition, for: definition.recordType)
        var severity: Severity?
        var role: String?
        var url: String?
        switch definition.action {
        case .exception:
            severity = definition.severity ?? .medium
        case .approval:
            guard let wanted = definition.approverRole, !wanted.isEmpty else {
                throw ReconcileError(.invalidInput, "an approval rule needs the role that approves",
                                     hint: "add --role finance_manager (or another role of the tenant: `shoprecon role list`)")
            }
            let found = try tx.query("""
                SELECT bool_or(p.permission = 'exception.approve') FROM roles r
                LEFT JOIN role_permissions p ON p.tenant_id = r.tenant_id AND p.role_id = r.role_id
                WHERE r.tenant_id = $1 AND r.name = $2 GROUP BY r.role_id
                """, [tenant, wanted])
            guard let row = found.first else {
                throw ReconcileError(.notFound, "the tenant has no role '\(wanted)'", hint: "`shoprecon role list` shows the roles")
            }
            guard try row.decode(Bool?.self, at: 0) == true else {
                throw ReconcileError(.invalidInput, "the role '\(wanted)' cannot approve: it lacks the permission exception.approve",
                                     hint: "pick a role with exception.approve (finance_manager has it) or grant it to '\(wanted)'")
            }
            role = wanted
        case .notify:
            guard let wanted = definition.webhookURL, let parsed = URL(string: wanted), let scheme = parsed.scheme?.lowercased(),
                  scheme == "http" || scheme == "https", parsed.host?.isEmpty == false else {
                throw ReconcileError(.invalidInput, "a notify rule needs a webhook URL starting with http:// or https://",
                                     hint: "add --url https://hooks.example.com/shoprecon")
            }
            url = wanted
        }
        let ast = try String(decoding: Self.encoder.encode(tree), as: UTF8.self)
        do {
            let rows = try tx.query("""
                INSERT INTO recon_rules (tenant_id, name, record_type, condition, condition_ast, action, severity, approver_role,
                                         webhook_url, created_by)
                VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)
                RETURNING
                """ + " " + Rule.columns,
                [tenant, name, definition.recordType.rawValue, definition.condition, ast, definition.action.rawValue,
                 severity?.rawValue, role, url, context.actor])
            return try Rule(row: rows[0])
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw ReconcileError(.conflict, "the tenant has a rule named '\(name)' already",
                                 hint: "pick another name, or `shoprecon rules remove \(name)` first")
        }
    }

    public static func list(context: AccessContext, on tx: isolated PostgresConnection) throws -> [Rule] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT " + Rule.columns + " FROM recon_rules WHERE tenant_id = $1 ORDER BY name", [tenant])
            .map(Rule.init(row:))
    }

    public static func find(name: String, context: AccessContext, on tx: isolated PostgresConnection) throws -> Rule {
        let tenant = try context.requireTenant()
        guard let row = try tx.query("SELECT " + Rule.columns + " FROM recon_rules WHERE tenant_id = $1 AND name = $2",
                                     [tenant, name]).first else {
            throw ReconcileError(.notFound, "no rule named '\(name)'", hint: "`shoprecon rules list` shows the rules")
        }
        return try Rule(row: row)
    }

    /// Removes a rule and its approvals (pending and decided). Exceptions it raised stay until
    /// the next run of their scope clears them.
    public static func remove(name: String, context: AccessContext, on tx: isolated PostgresConnection) throws {
        let tenant = try context.requireTenant()
        try context.require(Permission.settingsManage, to: "remove rules")
        let deleted = try tx.query("DELETE FROM recon_rules WHERE tenant_id = $1 AND name = $2", [tenant, name])
        guard deleted.affectedRows == 1 else {
            throw ReconcileError(.notFound, "no rule named '\(name)'", hint: "`shoprecon rules list` shows the rules")
        }
    }

    /// The records `condition` matches in a scope (nothing is changed): their number and the
    /// first `limit` of them by id.
    public static func preview(_ condition: RuleCondition, recordType: RecordType, scope: RunScope, limit: Int = 50,
                               context: AccessContext, on tx: isolated PostgresConnection) throws -> RulePreview {
        _ = try context.requireTenant()
        let predicate = try RuleCompiler.compile(condition, for: recordType, firstParameter: RuleSource.parameterCount + 1)
        let source = RuleSource.sql(for: recordType, fields: predicate.fields)
        let binds = RuleSource.binds(for: scope) + predicate.binds.map(\.encodable)
        let count = try tx.query("SELECT count(*) FROM (\(source)) src WHERE \(predicate.sql)", binds)[0].decode(Int.self, at: 0)
        let rows = try tx.query("""
            SELECT record_id, store_code, channel, reference, currency, amount FROM (
            \(source)
            ) src WHERE \(predicate.sql)
            ORDER BY record_id LIMIT $\(RuleSource.parameterCount + predicate.binds.count + 1)
            """, binds + [max(0, limit)])
        var preview = RulePreview(recordType: recordType, period: scope.period, count: count, records: [])
        for row in rows {
            let (id, store, channel, reference, currency, amount) = try row.decode((Int64, String?, String?, String?, String?, Int64?).self)
            preview.records.append(RuleMatch(recordID: id, store: store, channel: channel, reference: reference,
                                             currency: currency, amount: amount))
        }
        return preview
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
                || (!first && (b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")))
        }
        return bytes.enumerated().allSatisfy { ok($1, first: $0 == 0) }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// What a condition matches in a scope, for `rules test`.
public struct RulePreview: Sendable, Codable, Equatable {
    public var recordType: RecordType
    public var period: ReconPeriod
    /// All matching records.
    public var count: Int
    /// The first ones, by id.
    public var records: [RuleMatch]
}

/// One record a rule matched.
public struct RuleMatch: Sendable, Codable, Equatable {
    public var recordID: Int64
    public var store: String?
    public var channel: String?
    public var reference: String?
    public var currency: String?
    /// Minor units.
    public var amount: Int64?
}
