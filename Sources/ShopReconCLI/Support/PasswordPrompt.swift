import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a password without echoing it, from the terminal or, with `--password-stdin`, from the
/// first line of standard input.
enum PasswordPrompt {
    static func read(prompt: String, fromStdin: Bool) throws -> String {
        if fromStdin {
            guard let line = readLine(strippingNewline: true) else {
                throw CLIFailure.badInput("--password-stdin: no password on standard input")
            }
            return line
        }
        guard isatty(STDIN_FILENO) != 0 else {
            throw CLIFailure.badInput("no terminal to ask for the password", hint: "pass --password-stdin and pipe the password in")
        }
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true) ?? ""
    }

    /// Asks twice when setting a new password interactively.
    static func readNew(fromStdin: Bool) throws -> String {
        let first = try read(prompt: "New password: ", fromStdin: fromStdin)
        if fromStdin { return first }
        let second = try read(prompt: "Repeat it: ", fromStdin: false)
        guard first == second else { throw CLIFailure.badInput("the two passwords differ") }
        return first
    }
}
