/// A refusal or a failure in tenant, user, group or session handling, worded for the person
/// at the terminal, with a category the CLI turns into an exit code.
public struct TenancyError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case invalidInput, notFound, conflict, permissionDenied, authenticationFailed
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
}
