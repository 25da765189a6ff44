import Foundation
import Logging

/// One logger for the CLI, on stderr, quiet unless `SHOPRECON_LOG_LEVEL` asks for more.
enum CLILogging {
    static let logger: Logger = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            let level = ProcessInfo.processInfo.environment["SHOPRECON_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
            handler.logLevel = level ?? .warning
            return handler
        }
        return Logger(label: "shoprecon")
    }()
}
