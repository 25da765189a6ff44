import ArgumentParser
import Foundation
import Logging
import PostgresClient

/// Options every benchmark takes.
struct BenchOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: ArgumentHelp("PostgreSQL URL or libpq conninfo.",
                               discussion: "Default: $DATABASE_URL, else the local development cluster.",
                               valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("rows"), help: "Rows per case (default: 1,000,000; ingest: 2,000,000).")
    var rowsOption: Int?

    @Option(name: .customLong("repeat"),
            help: "Run every case this many times (default: per benchmark; pg reports the fastest run, rls the median).")
    var repeatOption: Int?

    @Option(name: .customLong("seed"), help: "Seed for the generated data (same seed, same data).")
    var seed: UInt64 = 20_261_101

    /// Rows per case.
    var rows: Int { rowsOption ?? 1_000_000 }

    /// Runs per case, `defaultCount` unless `--repeat` says otherwise.
    func repeatCount(default defaultCount: Int) -> Int { repeatOption ?? defaultCount }

    func validate() throws {
        if let rowsOption, rowsOption <= 0 { throw ValidationError("--rows must be at least 1") }
        if let repeatOption, repeatOption <= 0 { throw ValidationError("--repeat must be at least 1") }
    }

    /// The database to benchmark against.
    func configuration() throws -> PostgresConfiguration {
        if let databaseURL, !databaseURL.isEmpty {
            return try PostgresConfiguration(databaseURL, applicationName: "shoprecon-bench")
        }
        return try PostgresConfiguration.fromEnvironment(applicationName: "shoprecon-bench")
    }

    /// Opens a connection whose log output (warnings and worse) goes to stderr.
    func connect() async throws -> PostgresConnection {
        BenchLog.bootstrap()
        let configuration = try configuration()
        BenchLog.progress("connecting to \(configuration)")
        var logger = Logger(label: "shoprecon.bench")
        logger.logLevel = .warning
        return try await PostgresConnection.connect(configuration, logger: logger)
    }
}

/// Human-readable progress on stderr; stdout is reserved for results.
enum BenchLog {
    private static let bootstrapped: Bool = {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        return true
    }()
    private static let start = ContinuousClock.now

    /// Routes swift-log output to stderr. Idempotent.
    static func bootstrap() {
        _ = bootstrapped
        _ = start
    }

    static func progress(_ message: String) {
        let elapsed = (ContinuousClock.now - start).seconds
        writeStderr(String(format: "[%7.2fs] ", elapsed) + message + "\n")
    }

    static func writeStderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// A failure a benchmark reports as its reason to stop, without a stack of wrappers.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
