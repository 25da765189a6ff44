import Logging

/// A dedicated connection that listens on channels and survives reconnects.
///
/// Job workers wait here for `pg_notify` wake-ups. After the connection drops, the next call
/// reconnects and re-issues every `LISTEN`; notifications sent while it was down are lost,
/// which is why callers also poll on a timer.
public actor PostgresListener {
    public nonisolated let configuration: PostgresConfiguration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var channels: Set<String> = []

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "shoprecon.postgres.listener")) {
        self.configuration = configuration
        self.logger = logger
    }

    public func listen(_ channel: String) async throws {
        channels.insert(channel)
        if let connection, await !connection.isBroken {
            do {
                try await connection.listen(channel)
                return
            } catch let error as PostgresError where error.isConnectionLost {
                logger.warning("listener connection lost; reconnecting", metadata: ["error": "\(error)"])
                self.connection = nil
            }
        }
        _ = try await connected()
    }

    /// The next notification, or `nil` after `timeout`. A lost connection is reopened (with
    /// its `LISTEN`s) and reported as `nil`, so a polling caller simply goes round again.
    public func next(timeout: Duration) async throws -> PostgresNotification? {
        let connection = try await connected()
        do {
            return try await connection.nextNotification(timeout: timeout)
        } catch let error as PostgresError where error.isConnectionLost {
            logger.warning("listener connection lost; reconnecting", metadata: ["error": "\(error)"])
            self.connection = nil
            return nil
        }
    }

    public func close() async {
        await connection?.close()
        connection = nil
    }

    private func connected() async throws -> PostgresConnection {
        if let connection, await !connection.isBroken { return connection }
        let fresh = try await PostgresConnection.connect(configuration, logger: logger)
        for channel in channels.sorted() { try await fresh.listen(channel) }
        connection = fresh
        return fresh
    }
}
