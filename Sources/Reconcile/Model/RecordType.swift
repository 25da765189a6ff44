/// The kinds of records a match or an exception refers to; raw values are the `record_type`
/// column and the words of `match add`.
public enum RecordType: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case order
    case transaction
    case payout
    case bankLine = "bank_line"
    case returnRecord = "return"
    case courierLine = "courier_line"

    public var description: String { rawValue }
}
