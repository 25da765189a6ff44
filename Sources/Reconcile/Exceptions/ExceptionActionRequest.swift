/// One workflow action on some exceptions: the ids a person picked, or (``bulk``) every
/// exception matching a filter, in one transaction.
public struct ExceptionActionRequest: Sendable, Hashable, Codable {
    public var action: ExceptionAction
    /// The exceptions: `filter.ids` for picked ones, any criteria with ``bulk``.
    public var filter: ExceptionFilter
    /// True for "every exception matching the filter"; false for "exactly these ids", where an
    /// id that does not exist (or is not visible) is an error.
    public var bulk: Bool
    /// The user to assign to (``ExceptionAction/assign``).
    public var assignee: String?
    /// The resolution (resolve), the reason (write-off) or the note (hold, note and the others).
    public var text: String?
    /// `YYYY-MM-DD` after today in the tenant's time zone (``ExceptionAction/hold``).
    public var holdUntil: String?
    /// Check everything and count, change nothing.
    public var dryRun: Bool

    public init(action: ExceptionAction, filter: ExceptionFilter, bulk: Bool = false, assignee: String? = nil,
                text: String? = nil, holdUntil: String? = nil, dryRun: Bool = false) {
        self.action = action
        self.filter = filter
        self.bulk = bulk
        self.assignee = assignee
        self.text = text
        self.holdUntil = holdUntil
        self.dryRun = dryRun
    }

    /// The action on exactly these exceptions.
    public static func ids(_ ids: [Int64], _ action: ExceptionAction, assignee: String? = nil, text: String? = nil,
                           holdUntil: String? = nil, dryRun: Bool = false) -> ExceptionActionRequest {
        ExceptionActionRequest(action: action, filter: .ids(ids), assignee: assignee, text: text, holdUntil: holdUntil, dryRun: dryRun)
    }

    /// The trimmed text, nil when blank.
    var note: String? {
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
