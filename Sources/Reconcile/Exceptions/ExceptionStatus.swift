/// Where an exception is in its workflow; raw values are the `status` column.
///
/// `open → in_review → resolved | written_off`, and back to `open` with a reopen. Being on hold
/// is not a status: an open or in-review exception with a `hold_until` date after today is
/// "on hold", which filters can ask for with ``ExceptionFilter/StatusChoice/onHold``.
public enum ExceptionStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case open
    case inReview = "in_review"
    case resolved
    case writtenOff = "written_off"

    public var description: String { rawValue }

    /// Resolved and written-off exceptions are done with until someone reopens them.
    public var isClosed: Bool { self == .resolved || self == .writtenOff }
}
