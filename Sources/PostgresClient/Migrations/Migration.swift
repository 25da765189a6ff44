import Crypto
import Foundation

/// One file of `SQL/migrations`, named `NNNN_description.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var fileName: String
    public var sql: String
    /// Hex SHA-256 of the file's bytes, recorded when applied so later edits are caught.
    public var checksum: String

    public init(version: Int, name: String, fileName: String, contents: Data) throws {
        guard let sql = String(data: contents, encoding: .utf8) else {
            throw PostgresError(code: .migration, message: "migration \(fileName) is not valid UTF-8")
        }
        self.version = version
        self.name = name
        self.fileName = fileName
        self.sql = sql
        self.checksum = SHA256.hash(data: contents).map { String(format: "%02x", $0) }.joined()
    }
}

/// A migration as the database and the files see it.
public struct MigrationStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case applied, pending
        /// Applied, but the file has changed since.
        case changed
        /// Applied, but this build has no such file (the database is newer than the code).
        case unknown
    }
    public var version: Int
    public var name: String
    public var state: State
    public var appliedAt: Date?
}
