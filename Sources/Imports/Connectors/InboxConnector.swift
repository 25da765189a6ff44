import Foundation
import Ingest
import Logging
import PostgresClient
import Tenancy

/// Imports every file waiting in a store's inbox folder, oldest name first, each in its own
/// transaction; moves it to `done/` after its import committed, or to `failed/` with a
/// `.error.txt` beside it. A crash between commit and move imports the file again next time,
/// which changes nothing (imports are idempotent).
public struct InboxConnector: Sendable {
    public let store: String
    public let inbox: StoreConnector.Inbox

    public init(store: String, inbox: StoreConnector.Inbox) {
        self.store = store
        self.inbox = inbox
    }

    public struct Outcome: Sendable, Equatable {
        public var imported: [String] = []
        public var failed: [String] = []
    }

    public func run(pool: ConnectionPool, context: AccessContext, logger: Logger) async throws -> Outcome {
        let folder = URL(fileURLWithPath: inbox.path)
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
            .filter { !$0.lastPathComponent.hasPrefix(".") && ((try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) ?? false) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        var outcome = Outcome()
        let format = try inbox.format.flatMap { name -> FileFormat? in
            guard name != "auto" else { return nil }
            guard let format = FileFormat(rawValue: name) else { throw ImportError.unreadable("unknown format \(name) in the inbox connector") }
            return format
        }
        for file in files {
            let request = ImportRequest(file: file, format: format, storeCode: format?.isBankStatement == true ? nil : store,
                                        mappingName: inbox.mapping)
            do {
                let summary = try await pool.withConnection { connection in
                    try await TenantScope(connection: connection).with(context) { tx, context in
                        try await Importer.run(request, context: context, on: tx)
                    }
                }
                try move(file, to: "done")
                outcome.imported.append(file.lastPathComponent)
                logger.info("inbox file imported", metadata: ["file": "\(file.lastPathComponent)", "import": "\(summary.importID ?? 0)"])
            } catch {
                let target = try move(file, to: "failed")
                try? Data("\(error)\n".utf8).write(to: target.appendingPathExtension("error.txt"))
                outcome.failed.append(file.lastPathComponent)
                logger.warning("inbox file failed", metadata: ["file": "\(file.lastPathComponent)", "error": "\(error)"])
            }
        }
        return outcome
    }

    @discardableResult
    private func move(_ file: URL, to subfolder: String) throws -> URL {
        let folder = file.deletingLastPathComponent().appendingPathComponent(subfolder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var target = folder.appendingPathComponent(file.lastPathComponent)
        if FileManager.default.fileExists(atPath: target.path) {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            target = folder.appendingPathComponent(stamp + "-" + file.lastPathComponent)
        }
        try FileManager.default.moveItem(at: file, to: target)
        return target
    }
}
