import Foundation

/// The three reconciliations a run can do. Raw values are the CLI's `--flow` words and the
/// `flow` column of matches and exceptions.
public enum ReconFlow: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Orders against platform transactions: paid amount against sale, fees, refunds.
    case orders
    /// Platform payouts against bank credits.
    case collections
    /// Returns against courier bills and refunds.
    case returns

    public var description: String { rawValue }

    /// `all` or one flow name, as typed on the command line.
    public static func parseList(_ text: String) throws -> [ReconFlow] {
        let words = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if words == ["all"] || words.isEmpty { return allCases }
        return try words.map { word in
            guard let flow = ReconFlow(rawValue: word) else {
                throw ReconcileError(.invalidInput, "unknown flow '\(word)'", hint: "use orders, collections, returns or all")
            }
            return flow
        }
    }
}
