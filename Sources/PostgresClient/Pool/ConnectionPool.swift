import Logging

/// A bounded set of connections shared by the tasks of one process.
///
/// Connections are opened on demand up to ``Options/maxConnections``; a caller that finds all
/// of them busy waits up to ``Options/acquireTimeout`` and then gets a `poolTimeout` error
/// rather than hanging. A connection that broke (server restart, terminated backend) is closed
/// and replaced, never handed out again.
public actor ConnectionPool {
    public struct Options: Sendable {
        public var maxConnections: Int
        public var acquireTimeout: Duration
        public init(maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10)) {
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
        }
    }

    /// A snapshot for metrics and tests.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var waiting: Int
    }

    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let options: Options
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiterID = 0
    private var isClosed = false

    public init(configuration: PostgresConfiguration, options: Options = Options(),
                logger: Logger = Logger(label: "shoprecon.postgres.pool")) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    public var statistics: Statistics { Statistics(open: open, idle: idle.count, waiting: waiters.count) }

    /// Lends a connection to `body` and takes it back afterwards, whatever happens.
    public nonisolated func withConnection<T: Sendable>(
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Runs `body` in a transaction on a pooled connection.
    public nonisolated func transaction<T: Sendable>(
        isolation: IsolationLevel? = nil,
        _ body: @Sendable (isolated PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.transaction(isolation: isolation, body)
        }
    }

    /// Runs `body` in a transaction and runs it again on serialization failures and deadlocks.
    public nonisolated func retryingTransaction<T: Sendable>(
        isolation: IsolationLevel? = nil,
        maxAttempts: Int = 5,
        _ body: @Sendable (isolated PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection { connection in
            try await connection.retryingTransaction(isolation: isolation, maxAttempts: maxAttempts, body)
        }
    }

    /// Closes idle connections and fails waiting callers; connections still lent out are
    /// closed when they come back.
    public func shutdown() async {
        isClosed = true
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting {
            waiter.continuation.resume(throwing: PostgresError(code: .poolClosed, message: "the connection pool was shut down"))
        }
        let connections = idle
        idle.removeAll()
        open -= connections.count
        for connection in connections { await connection.close() }
    }

    // MARK: - Lending

    func acquire() async throws -> PostgresConnection {
        try checkOpen()
        while let candidate = idle.popLast() {
            if await candidate.prepareForReuse() { return candidate }
            logger.debug("discarding a broken pooled connection")
            open -= 1
            await candidate.close()
        }
        if open < options.maxConnections {
            open += 1
            do {
                return try await PostgresConnection.connect(configuration, logger: logger)
            } catch {
                open -= 1
                throw error
            }
        }
        return try await waitForConnection()
    }

    private func waitForConnection() async throws -> PostgresConnection {
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = options.acquireTimeout
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.expireWaiter(id)
                }
            }
        } onCancel: {
            Task { [weak self] in await self?.cancelWaiter(id) }
        }
    }

    private func expireWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(throwing: PostgresError(
            code: .poolTimeout,
            message: "timed out after \(options.acquireTimeout) waiting for a database connection: all \(options.maxConnections) connections of the pool are in use",
            hint: "raise the pool size or find the work that holds connections for long"))
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    func release(_ connection: PostgresConnection) async {
        let reusable = await connection.prepareForReuse()
        if isClosed || !reusable {
            open -= 1
            await connection.close()
            if !isClosed, !reusable { replaceForWaiter() }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    /// A broken connection freed a slot: open a fresh one for the longest waiter.
    private func replaceForWaiter() {
        guard !waiters.isEmpty, open < options.maxConnections else { return }
        let waiter = waiters.removeFirst()
        open += 1
        let configuration = self.configuration
        let logger = self.logger
        Task {
            do {
                let fresh = try await PostgresConnection.connect(configuration, logger: logger)
                waiter.continuation.resume(returning: fresh)
            } catch {
                self.connectFailed()
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    private func connectFailed() { open -= 1 }

    private func checkOpen() throws {
        if isClosed { throw PostgresError(code: .poolClosed, message: "the connection pool was shut down") }
    }
}
