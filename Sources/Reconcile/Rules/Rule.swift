import Foundation
import PostgresClient

/// What a custom rule does with the records its condition matches.
public enum RuleAction: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Raise an exception `rule:<name>` of the rule's severity.
    case exception
    /// Hold the record until someone with the rule's approver role approves it.
    case approval
    /// Post a JSON notification to the rule's webhook (through the outbox and the `notify` job).
    case notify

    public var description: String { rawValue }
}

/// A custom rule of a tenant, as stored in `recon_rules`.
public struct Rule: Sendable, Hashable, Codable {
    public var id: Int64
    public var name: String
    public var recordType: RecordType
    /// The condition as the user wrote it.
    public var condition: String
    /// The parsed condition the engine compiles.
    public var conditionTree: RuleCondition
    public var action: RuleAction
    public var severity: Severity?
    public var approverRole: String?
    public var webhookURL: String?
    public var enabled: Bool
    public var createdBy: String
    public var createdAt: Date

    /// The flow whose runs apply the rule.
    public var flow: ReconFlow { Self.flow(of: recordType) }

    /// The exception type a rule raises: `rule:<name>`.
    public var exceptionType: String { "rule:" + name }

    public static func flow(of type: RecordType) -> ReconFlow {
        switch type {
        case .order, .transaction: .orders
        case .payout, .bankLine: .collections
        case .returnRecord, .courierLine: .returns
        }
    }

    static let columns = """
        rule_id, name, record_type, condition, condition_ast::text, action, severity, approver_role, webhook_url, enabled,
        created_by, created_at
        """

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, at: 0)
        name = try row.decode(String.self, at: 1)
        let type = try row.decode(String.self, at: 2)
        guard let recordType = RecordType(rawValue: type) else {
            throw ReconcileError(.invalidInput, "rule \(name) has an unknown record type \(type)")
        }
        self.recordType = recordType
        condition = try row.decode(String.self, at: 3)
        do {
            conditionTree = try JSONDecoder().decode(RuleCondition.self, from: Data(try row.decode(String.self, at: 4).utf8))
        } catch {
            throw ReconcileError(.invalidInput, "the stored condition of rule \(name) cannot be read: \(error)",
                                 hint: "remove the rule and add it again")
        }
        let actionText = try row.decode(String.self, at: 5)
        guard let action = RuleAction(rawValue: actionText) else {
            throw ReconcileError(.invalidInput, "rule \(name) has an unknown action \(actionText)")
        }
        self.action = action
        severity = try row.decode(String?.self, at: 6).flatMap(Severity.init(rawValue:))
        approverRole = try row.decode(String?.self, at: 7)
        webhookURL = try row.decode(String?.self, at: 8)
        enabled = try row.decode(Bool.self, at: 9)
        createdBy = try row.decode(String.self, at: 10)
        createdAt = try row.decode(Date.self, at: 11)
    }
}
