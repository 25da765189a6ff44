/// A refusal or a failure in reconciliation work, worded for the person at the terminal, with a
/// category the CLI turns into an exit code (a closed period is a conflict: exit code 5).
public struct ReconcileError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case invalidInput, notFound, conflict, permissionDenied, periodClosed
    }
    public var kind: Kind
    public var message: String
    public var hint: String?

    public init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    public var description: String { message }

    /// The SQLSTATE the closed-period guard in the database raises.
    public static let periodClosedSQLState = "SR005"
}
