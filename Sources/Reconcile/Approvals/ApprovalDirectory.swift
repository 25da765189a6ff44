import Foundation
import PostgresClient
import Tenancy

/// Approvals that rules request: listing them and deciding them.
///
/// Deciding needs the permission exception.approve (the database checks it too) and the rule's
/// approver role among the user's roles, held directly or through a group; the operator and
/// system jobs may decide any. Decisions are audited by the trigger on `recon_approvals`.
public enum ApprovalDirectory {
    /// Which approvals to list.
    public struct Filter: Sendable {
        /// Empty: every status.
        public var statuses: [Approval.Status]
        public var rule: String?
        public var period: ReconPeriod?
        public var recordType: RecordType?
        public var store: String?
        public var limit: Int

        public init(statuses: [Approval.Status] = [.pending], rule: String? = nil, period: ReconPeriod? = nil,
                    recordType: RecordType? = nil, store: String? = nil, limit: Int = 500) {
            self.statuses = statuses
            self.rule = rule
            self.period = period
            self.recordType = recordType
            self.store = store
            self.limit = limit
        }
    }

    public enum Decision: String, Sendable, Codable {
        case approve, reject

        var status: Approval.Status { self == .approve ? .approved : .rejected }
    }

    public static func list(_ filter: Filter = Filter(), context: AccessContext, on tx: isolated PostgresConnection) throws -> [Approval] {
        let tenant = try context.requireTenant()
        return try tx.query("SELECT " + Approval.columns + " " + Approval.from + """
             WHERE a.tenant_id = $1
               AND (cardinality($2::text[]) = 0 OR a.status = ANY ($2::text[]))
               AND ($3::text IS NULL OR r.name = $3)
               AND ($4::date IS NULL OR a.period = $4::date)
               AND ($5::text IS NULL OR a.record_type = $5)
               AND ($6::text IS NULL OR s.code = $6)
             ORDER BY a.approval_id LIMIT $7
            """, [tenant, filter.statuses.map(\.rawValue), filter.rule, filter.period?.firstDay, filter.recordType?.rawValue,
                  filter.store, max(0, filter.limit)]).map(Approval.init(row:))
    }

    /// Approves or rejects pending approvals, all or none. Rejecting needs a note.
    @discardableResult
    public static func decide(ids: [Int64], _ decision: Decision, note: String?, context: AccessContext,
                              on tx: isolated PostgresConnection) throws -> [Approval] {
        let tenant = try context.requireTenant()
        try context.require(Permission.exceptionApprove, to: "\(decision.rawValue) approvals")
        let ids = Array(Set(ids)).sorted()
        guard !ids.isEmpty else {
            throw ReconcileError(.invalidInput, "which approvals?", hint: "pass their ids; `shoprecon approvals list` shows them")
        }
        let note = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        if decision == .reject, note?.isEmpty ?? true {
            throw ReconcileError(.invalidInput, "a rejection needs a reason", hint: "add --note \"why it is rejected\"")
        }
        let found = try tx.query("SELECT " + Approval.columns + " " + Approval.from + " WHERE a.tenant_id = $1 AND a.approval_id = ANY ($2::bigint[]) ORDER BY a.approval_id",
                                 [tenant, ids]).map(Approval.init(row:))
        let missing = Set(ids).subtracting(found.map(\.id))
        guard missing.isEmpty else {
            throw ReconcileError(.notFound, "no approval " + missing.sorted().map(String.init).joined(separator: ", ") + " (or it is outside your stores)",
                                 hint: "`shoprecon approvals list --status all` shows the approvals you can see")
        }
        if let decided = found.first(where: { $0.status != .pending }) {
            throw ReconcileError(.conflict, "approval \(decided.id) was \(decided.status.rawValue) already"
                                 + (decided.decidedBy.map { " by \($0)" } ?? ""),
                                 hint: "only pending approvals can be decided; nothing was changed")
        }
        if context.kind == .user {
            let roles = try userRoles(context: context, on: tx)
            if let refused = found.first(where: { !roles.contains($0.approverRole) }) {
                throw ReconcileError(.permissionDenied,
                                     "approval \(refused.id) (rule \(refused.rule)) needs the role \(refused.approverRole); you have "
                                     + (roles.isEmpty ? "no roles" : roles.sorted().joined(separator: ", ")),
                                     hint: "ask someone with the role \(refused.approverRole) to decide it; nothing was changed")
            }
        }
        let updated = try tx.query("""
            UPDATE recon_approvals SET status = $3, decided_by = $4, decided_at = now(), note = $5
            WHERE tenant_id = $1 AND approval_id = ANY ($2::bigint[]) AND status = 'pending'
            """, [tenant, ids, decision.status.rawValue, context.actor, note])
        guard updated.affectedRows == ids.count else {
            throw ReconcileError(.conflict, "some of the approvals changed meanwhile or may not be decided by you (\(updated.affectedRows) of \(ids.count))",
                                 hint: "list them again and retry")
        }
        return try tx.query("SELECT " + Approval.columns + " " + Approval.from + " WHERE a.tenant_id = $1 AND a.approval_id = ANY ($2::bigint[]) ORDER BY a.approval_id",
                            [tenant, ids]).map(Approval.init(row:))
    }

    /// The roles of the context's user in its tenant: granted directly or through a group.
    public static func userRoles(context: AccessContext, on tx: isolated PostgresConnection) throws -> Set<String> {
        let tenant = try context.requireTenant()
        guard let user = context.userID else { return [] }
        return Set(try tx.query("""
            SELECT r.name FROM user_roles ur JOIN roles r ON r.tenant_id = ur.tenant_id AND r.role_id = ur.role_id
            WHERE ur.tenant_id = $1 AND ur.user_id = $2
            UNION
            SELECT r.name FROM memberships m
            JOIN group_roles gr ON gr.tenant_id = m.tenant_id AND gr.group_id = m.group_id
            JOIN roles r ON r.tenant_id = gr.tenant_id AND r.role_id = gr.role_id
            WHERE m.tenant_id = $1 AND m.user_id = $2
            """, [tenant, user]).map { try $0.decode(String.self, at: 0) })
    }

    /// A SQL condition, for the summary, that is true when a record has an approval that holds
    /// it back (pending or rejected), e.g. `heldCondition(recordType: .order, tenant: "o.tenant_id",
    /// record: "o.order_id")`. The arguments are column references of the caller's query (letters,
    /// digits, `_` and one `.`), never user input; anything else is refused.
    public static func heldCondition(recordType: RecordType = .order, tenant: String, record: String) throws -> String {
        for column in [tenant, record] where !isColumnReference(column) {
            throw ReconcileError(.invalidInput, "'\(column)' is not a column reference")
        }
        return """
            EXISTS (SELECT 1 FROM recon_approvals ap WHERE ap.tenant_id = \(tenant) AND ap.record_type = '\(recordType.rawValue)' \
            AND ap.record_id = \(record) AND ap.status IN ('pending', 'rejected'))
            """
    }

    /// A SQL expression giving the approval state of a record: `'pending'` or `'rejected'` when any
    /// approval holds it back (rejected first), `'approved'` when all are approved, NULL when none.
    public static func stateExpression(recordType: RecordType = .order, tenant: String, record: String) throws -> String {
        for column in [tenant, record] where !isColumnReference(column) {
            throw ReconcileError(.invalidInput, "'\(column)' is not a column reference")
        }
        return """
            (SELECT CASE WHEN bool_or(ap.status = 'rejected') THEN 'rejected' WHEN bool_or(ap.status = 'pending') THEN 'pending' \
            WHEN count(*) > 0 THEN 'approved' END FROM recon_approvals ap WHERE ap.tenant_id = \(tenant) \
            AND ap.record_type = '\(recordType.rawValue)' AND ap.record_id = \(record))
            """
    }

    static func isColumnReference(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return (1...2).contains(parts.count) && parts.allSatisfy { part in
            guard let first = part.utf8.first, !(first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) else { return false }
            return part.utf8.allSatisfy { b in
                (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "_")
            }
        }
    }
}
