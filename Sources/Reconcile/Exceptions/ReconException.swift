import Foundation

/// One exception as a listing shows it: what was found, about which record, for how much, and
/// where it is in its workflow. Amounts are minor units of ``currency``.
public struct ReconException: Sendable, Codable, Equatable {
    public var id: Int64
    public var period: ReconPeriod
    public var flow: String
    public var type: String
    public var severity: Severity
    public var status: ExceptionStatus
    /// Open or in review with a `hold_until` after today.
    public var onHold: Bool
    public var recordType: String
    public var recordID: Int64
    /// The store's code; nil for bank-level exceptions.
    public var store: String?
    public var channel: String?
    public var reference: String?
    public var currency: String?
    public var expected: Int64?
    public var actual: Int64?
    public var difference: Int64?
    /// The assignee's user name.
    public var assignee: String?
    /// `YYYY-MM-DD`.
    public var holdUntil: String?
    public var resolution: String?
    /// The run that last found it.
    public var runID: Int64?
    public var foundAt: Date
    public var updatedAt: Date

    /// The amount a person looks at first: the difference, else the expected or actual amount.
    public var amount: Int64? { difference ?? expected ?? actual }
}

/// One step in an exception's history (`recon_exception_events`).
public struct ExceptionEvent: Sendable, Codable, Equatable {
    public var id: Int64
    public var at: Date
    public var actor: String
    /// found, assigned, status, hold, reopened, note.
    public var action: String
    public var fromStatus: String?
    public var toStatus: String?
    public var note: String?
}

/// A named fact about the record an exception is about (`order_no`, `paid_amount`), as text.
public struct RecordFact: Sendable, Codable, Equatable {
    public var name: String
    public var value: String
}

/// Everything `exceptions show` prints: the exception, its record's key facts and its history.
public struct ExceptionDetail: Sendable, Codable, Equatable {
    public var exception: ReconException
    /// Empty when the record is gone or outside what the user may see.
    public var record: [RecordFact]
    /// What the engine stored about the finding (`detail` column), as JSON text.
    public var detail: String
    /// Oldest first.
    public var history: [ExceptionEvent]
}

/// What an action did (or, with a dry run, would do).
public struct ExceptionActionResult: Sendable, Codable, Equatable {
    public var action: ExceptionAction
    /// How many exceptions it changed (or would change).
    public var count: Int
    public var ids: [Int64]
    /// How many of them were in each status before.
    public var fromStatus: [String: Int]
    public var dryRun: Bool
}

extension ReconException {
    /// An amount of this exception in its currency's decimals (`-345.67`), empty for nil.
    public func amountText(_ minor: Int64?) -> String {
        MinorUnits.text(minor, currency: currency)
    }
}
