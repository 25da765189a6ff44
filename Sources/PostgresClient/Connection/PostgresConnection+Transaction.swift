import CLibPQ

/// How a transaction sees concurrent changes.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresConnection {
    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    ///
    /// Inside an enclosing transaction it becomes a savepoint, so helpers can open their own
    /// transaction without caring who called them.
    public func transaction<T: Sendable>(
        isolation: IsolationLevel? = nil,
        readOnly: Bool = false,
        _ body: @Sendable (isolated PostgresConnection) async throws -> T
    ) async throws -> T {
        let conn = try connectionPointer()
        if PQtransactionStatus(conn) == PQTRANS_INTRANS {
            return try await savepoint(body)
        }
        var begin = "BEGIN"
        if let isolation { begin += " ISOLATION LEVEL " + isolation.rawValue }
        if readOnly { begin += " READ ONLY" }
        try query(begin)
        let value: T
        do {
            value = try await body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        let commit: PostgresResult
        do {
            commit = try query("COMMIT")
        } catch {
            rollbackQuietly()
            throw error
        }
        // COMMIT of a transaction in which a statement failed (its error caught and ignored by
        // `body`) rolls back instead, reporting success with the tag ROLLBACK.
        if commit.commandTag == "ROLLBACK" {
            let message = "the transaction was rolled back, not committed: a statement in it failed"
            throw PostgresError(code: .server, message: message,
                                hint: "an error inside the transaction was caught and ignored; let it propagate or use a nested transaction (savepoint)",
                                serverInfo: .init(fields: [.severity: "ERROR", .sqlState: "25P02", .message: message]))
        }
        return value
    }

    /// Runs a transaction and, when it fails with a serialization failure (40001) or a
    /// deadlock (40P01), runs it again from the start after a short randomized pause.
    public func retryingTransaction<T: Sendable>(
        isolation: IsolationLevel? = nil,
        maxAttempts: Int = 5,
        _ body: @Sendable (isolated PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction(isolation: isolation, body)
            } catch let error as PostgresError where error.isTransient && attempt < maxAttempts {
                logger.debug("retrying transaction", metadata: ["sqlstate": "\(error.sqlState ?? "")", "attempt": "\(attempt)"])
                let base = 10 << min(attempt, 6)
                try await Task.sleep(for: .milliseconds(Int.random(in: base / 2...base)))
                attempt += 1
            }
        }
    }

    private func savepoint<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        savepointCounter += 1
        let name = "shoprecon_sp_\(savepointCounter)"
        try query("SAVEPOINT " + name)
        do {
            let value = try await body(self)
            try query("RELEASE SAVEPOINT " + name)
            return value
        } catch {
            _ = try? query("ROLLBACK TO SAVEPOINT " + name)
            throw error
        }
    }

    private func rollbackQuietly() {
        guard let conn = handle?.pointer, PQtransactionStatus(conn) != PQTRANS_IDLE else { return }
        _ = try? query("ROLLBACK")
    }

    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool {
        guard let conn = handle?.pointer else { return false }
        let status = PQtransactionStatus(conn)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }
}
