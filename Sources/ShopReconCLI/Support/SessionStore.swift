import Foundation

/// The session saved by `shoprecon login` for later commands, in a file only its owner can read.
/// `SHOPRECON_TOKEN` takes precedence, for scripts and CI.
struct SavedSession: Codable {
    var tenant: String
    var username: String
    var token: String
    var expiresAt: Date
}

enum SessionStore {
    static var file: URL {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["SHOPRECON_CONFIG_DIR"], !dir.isEmpty {
            return URL(fileURLWithPath: dir).appendingPathComponent("session.json")
        }
        let base = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return base.appendingPathComponent("shoprecon/session.json")
    }

    static func save(_ session: SavedSession) throws {
        let url = file
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(session)
        // Created empty with mode 0600 first, so the token is never readable by others.
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CLIFailure.badInput("cannot write the session file \(url.path)", hint: "set SHOPRECON_CONFIG_DIR to a writable folder")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        let handle = try FileHandle(forWritingTo: url)
        try handle.write(contentsOf: data)
        try handle.close()
    }

    static func load() -> SavedSession? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(SavedSession.self, from: data)
    }

    static func remove() { try? FileManager.default.removeItem(at: file) }

    /// The token to use: `SHOPRECON_TOKEN`, else the saved session.
    static func currentToken() throws -> String {
        if let token = ProcessInfo.processInfo.environment["SHOPRECON_TOKEN"], !token.isEmpty { return token }
        guard let saved = load() else {
            throw CLIFailure(exit: .permissionDenied, message: "not logged in",
                             hint: "run `shoprecon login --tenant TENANT USER`, set SHOPRECON_TOKEN, or (operators) pass --tenant TENANT")
        }
        return saved.token
    }
}
