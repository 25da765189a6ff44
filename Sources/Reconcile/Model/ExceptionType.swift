/// The exceptions the engine raises on its own; custom rules add `rule:<name>` types.
/// Their meaning is documented in README.md (Reconciliation) and decided in Sources/Reconcile/Engine.
public enum ExceptionType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case duplicateOrder = "duplicate_order"
    case missingOnPlatform = "missing_on_platform"
    case transactionWithoutOrder = "transaction_without_order"
    case unpaid
    case amountMismatch = "amount_mismatch"
    case feeAnomaly = "fee_anomaly"
    case refundWithoutReturn = "refund_without_return"
    case returnNotReceived = "return_not_received"
    case courierOvercharge = "courier_overcharge"
    case payoutNotInBank = "payout_not_in_bank"
    case unexplainedBankCredit = "unexplained_bank_credit"
    case overdueReceivable = "overdue_receivable"

    public var description: String { rawValue }

    /// The flow that finds it.
    public var flow: ReconFlow {
        switch self {
        case .duplicateOrder, .missingOnPlatform, .transactionWithoutOrder, .unpaid, .amountMismatch, .feeAnomaly,
             .overdueReceivable: .orders
        case .payoutNotInBank, .unexplainedBankCredit: .collections
        case .refundWithoutReturn, .returnNotReceived, .courierOvercharge: .returns
        }
    }

    /// The record an exception of this type is about.
    public var recordType: RecordType {
        switch self {
        case .duplicateOrder, .missingOnPlatform, .unpaid, .amountMismatch, .feeAnomaly, .overdueReceivable,
             .refundWithoutReturn: .order
        case .transactionWithoutOrder: .transaction
        case .payoutNotInBank: .payout
        case .unexplainedBankCredit: .bankLine
        case .returnNotReceived: .returnRecord
        case .courierOvercharge: .courierLine
        }
    }
}

/// How urgent an exception is; raw values are the `severity` column.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case low, medium, high, critical

    public var description: String { rawValue }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
