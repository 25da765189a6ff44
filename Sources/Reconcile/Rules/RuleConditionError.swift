/// A condition that does not parse or names something the record type does not have, with the
/// column (1-based, in characters) where the problem starts, so the CLI can point at it.
public struct RuleConditionError: Error, Sendable, CustomStringConvertible, Equatable {
    /// 1-based character column in the condition text.
    public var position: Int
    public var message: String
    public var hint: String?
    /// The condition as written, for the caret display.
    public var text: String

    public init(position: Int, message: String, hint: String? = nil, text: String) {
        self.position = position
        self.message = message
        self.hint = hint
        self.text = text
    }

    public var description: String { "column \(position): \(message)" }

    /// The condition with a caret under the column, for a terminal.
    public var pointer: String {
        text + "\n" + String(repeating: " ", count: max(0, position - 1)) + "^"
    }

    /// The same refusal as the module's error type, which the CLI maps to exit code 1.
    public var reconcileError: ReconcileError {
        ReconcileError(.invalidInput, "the condition does not read at column \(position): \(message)\n  \(pointer.replacingOccurrences(of: "\n", with: "\n  "))",
                       hint: hint ?? "write conditions like: amount > 10000 and channel = taobao")
    }
}
