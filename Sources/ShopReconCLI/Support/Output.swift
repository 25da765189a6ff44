import Foundation

/// Prints `value` as JSON with `--json`, else the human rendering.
func emit<T: Encodable>(_ value: T, json: Bool, human: () -> String) throws {
    if json { try printJSON(value) } else { print(human()) }
}

extension Date {
    /// `2026-11-23 19:18` in the machine's time zone, for tables.
    var shortText: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: self)
    }
}
