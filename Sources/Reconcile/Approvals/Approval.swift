import Foundation
import PostgresClient

/// A record a rule holds back until someone with the rule's approver role decides, as stored in
/// `recon_approvals`.
public struct Approval: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case pending, approved, rejected
    }

    public var id: Int64
    public var rule: String
    public var approverRole: String
    public var period: ReconPeriod
    public var recordType: RecordType
    public var recordID: Int64
    public var store: String?
    public var reference: String?
    public var currency: String?
    /// Minor units.
    public var amount: Int64?
    public var status: Status
    public var requestedAt: Date
    public var decidedBy: String?
    public var decidedAt: Date?
    public var note: String?

    static let columns = """
        a.approval_id, r.name, r.approver_role, to_char(a.period, 'YYYY-MM'), a.record_type, a.record_id, s.code, a.reference,
        a.currency::text, a.amount, a.status, a.requested_at, a.decided_by, a.decided_at, a.note
        """
    static let from = """
        FROM recon_approvals a
        JOIN recon_rules r ON r.tenant_id = a.tenant_id AND r.rule_id = a.rule_id
        LEFT JOIN stores s ON s.tenant_id = a.tenant_id AND s.store_id = a.store_id
        """

    init(row: PostgresRow) throws {
        id = try row.decode(Int64.self, at: 0)
        rule = try row.decode(String.self, at: 1)
        approverRole = try row.decode(String?.self, at: 2) ?? ""
        period = try ReconPeriod(parsing: try row.decode(String.self, at: 3))
        let type = try row.decode(String.self, at: 4)
        guard let recordType = RecordType(rawValue: type) else {
            throw ReconcileError(.invalidInput, "approval \(id) has an unknown record type \(type)")
        }
        self.recordType = recordType
        recordID = try row.decode(Int64.self, at: 5)
        store = try row.decode(String?.self, at: 6)
        reference = try row.decode(String?.self, at: 7)
        currency = try row.decode(String?.self, at: 8)
        amount = try row.decode(Int64?.self, at: 9)
        let statusText = try row.decode(String.self, at: 10)
        guard let status = Status(rawValue: statusText) else {
            throw ReconcileError(.invalidInput, "approval \(id) has an unknown status \(statusText)")
        }
        self.status = status
        requestedAt = try row.decode(Date.self, at: 11)
        decidedBy = try row.decode(String?.self, at: 12)
        decidedAt = try row.decode(Date?.self, at: 13)
        note = try row.decode(String?.self, at: 14)
    }
}
