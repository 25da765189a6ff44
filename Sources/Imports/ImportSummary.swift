import Foundation

/// What an import did: the `--json` output of `shoprecon import` and the body of `import show`.
public struct ImportSummary: Sendable, Codable, Equatable {
    /// `nil` for a dry run, which keeps nothing.
    public var importID: Int64?
    public var file: String
    public var sha256: String
    public var format: String
    public var store: String?
    public var dryRun: Bool
    public var rowsRead: Int
    public var rowsRejected: Int
    public var records: [String: MergeCounts]
    /// Earlier imports of a file with the same content, which this one found unchanged.
    public var previousImports: [Int64]
    public var seconds: Double

    public var inserted: Int { records.values.reduce(0) { $0 + $1.inserted } }
    public var updated: Int { records.values.reduce(0) { $0 + $1.updated } }
    public var unchanged: Int { records.values.reduce(0) { $0 + $1.unchanged } }
}

/// A row left out by a `--skip-bad-rows` import.
public struct ImportReject: Sendable, Codable, Equatable {
    public var line: Int
    public var column: String?
    public var value: String?
    public var reason: String
}

/// One row of `shoprecon import list`.
public struct ImportEntry: Sendable, Codable, Equatable {
    public var id: Int64
    public var file: String
    public var format: String
    public var store: String?
    public var rowsRead: Int
    public var inserted: Int
    public var updated: Int
    public var unchanged: Int
    public var rejected: Int
    public var actor: String
    public var at: Date
    public var sha256: String
}
