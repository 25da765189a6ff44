/// What a person does with exceptions. Each action checks the status it starts from, may move
/// the exception to another status, and appends one event to its history.
public enum ExceptionAction: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Gives the exception to a user of the tenant; an open exception goes into review.
    case assign
    /// Starts working on it: open → in review.
    case review
    /// Settles it with a resolution text: open or in review → resolved.
    case resolve
    /// Accepts the difference with a reason: open or in review → written off.
    case writeOff = "write-off"
    /// Parks it until a later date (with a note); the status stays.
    case hold
    /// Takes a hold off before its day (the status stays).
    case clearHold = "clear-hold"
    /// Opens a resolved or written-off exception again.
    case reopen
    /// Adds a note to the history; the status stays.
    case note

    public var description: String { rawValue }

    /// The statuses the action may start from.
    public var allowedFrom: Set<ExceptionStatus> {
        switch self {
        case .assign, .resolve, .writeOff, .hold, .clearHold: [.open, .inReview]
        case .review: [.open]
        case .reopen: [.resolved, .writtenOff]
        case .note: Set(ExceptionStatus.allCases)
        }
    }

    /// The status the action leaves the exception in, given the one it starts from.
    public func targetStatus(from status: ExceptionStatus) -> ExceptionStatus {
        switch self {
        case .assign, .review: .inReview
        case .resolve: .resolved
        case .writeOff: .writtenOff
        case .reopen: .open
        case .hold, .clearHold, .note: status
        }
    }

    /// The `action` word of the event it writes (`recon_exception_events.action`).
    var eventAction: String {
        switch self {
        case .assign: "assigned"
        case .review, .resolve, .writeOff: "status"
        case .hold: "hold"
        case .clearHold: "cleared"
        case .reopen: "reopened"
        case .note: "note"
        }
    }

    /// The refusal for an exception whose status does not allow the action, naming the status
    /// it is in and what would make the action possible.
    func refusal(current: ExceptionStatus, exceptionID: Int64?) -> ReconcileError {
        let which = exceptionID.map { "exception \($0)" } ?? "the exception"
        let allowed = ExceptionStatus.allCases.filter(allowedFrom.contains).map(\.rawValue).joined(separator: " or ")
        let hint: String = switch (self, current) {
        case (.reopen, _): "only resolved or written-off exceptions can be reopened"
        case (.review, .inReview): "it is in review already; nothing to do"
        case (_, .resolved), (_, .writtenOff): "reopen it first with `shoprecon exceptions reopen`"
        default: "\(self) needs an exception that is \(allowed)"
        }
        return ReconcileError(.conflict, "\(which) is \(current), so it cannot be \(pastTense) (\(self) needs \(allowed))", hint: hint)
    }

    var pastTense: String {
        switch self {
        case .assign: "assigned"
        case .review: "put into review"
        case .resolve: "resolved"
        case .writeOff: "written off"
        case .hold: "put on hold"
        case .clearHold: "taken off hold"
        case .reopen: "reopened"
        case .note: "annotated"
        }
    }
}
