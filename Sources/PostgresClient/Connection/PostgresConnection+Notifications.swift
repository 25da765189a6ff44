import CLibPQ
import Glibc

extension PostgresConnection {
    /// Subscribes this connection to a channel. Use a connection of its own for listening
    /// (see ``PostgresListener``): pooled connections are shared and would lose notifications.
    public func listen(_ channel: String) throws {
        try query("LISTEN " + quoteIdentifier(channel))
    }

    public func unlisten(_ channel: String) throws {
        try query("UNLISTEN " + quoteIdentifier(channel))
    }

    /// Sends a notification; delivered when the current transaction commits.
    public func notify(_ channel: String, payload: String = "") throws {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Waits for the next notification, or returns `nil` once `timeout` has passed.
    ///
    /// It sleeps in `poll()` on the connection's socket (and a wake-up pipe that task
    /// cancellation writes to), so an idle listener costs no CPU and a cancelled wait returns
    /// at once by throwing `CancellationError`.
    public func nextNotification(timeout: Duration) async throws -> PostgresNotification? {
        if let ready = try takeNotification() { return ready }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let wakeup = self.wakeup
        return try await withTaskCancellationHandler {
            try waitForNotification(until: deadline)
        } onCancel: {
            wakeup.signal()
        }
    }

    private func waitForNotification(until deadline: ContinuousClock.Instant) throws -> PostgresNotification? {
        let conn = try connectionPointer()
        while true {
            try Task.checkCancellation()
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero { return nil }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var fds = [pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeup.readFD, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, milliseconds)
            if ready < 0 && errno != EINTR { throw connectionError(sql: nil) }
            if fds[1].revents != 0 { wakeup.drain() }
            if fds[0].revents != 0 {
                guard PQconsumeInput(conn) == 1 else { throw connectionError(sql: nil) }
                if let notification = try takeNotification() { return notification }
            }
        }
    }

    /// Returns a notification libpq has already read, without waiting.
    private func takeNotification() throws -> PostgresNotification? {
        let conn = try connectionPointer()
        guard let raw = PQnotifies(conn) else { return nil }
        defer { PQfreemem(raw) }
        return PostgresNotification(channel: String(cString: raw.pointee.relname),
                                    payload: String(cString: raw.pointee.extra),
                                    senderPID: raw.pointee.be_pid)
    }

    /// Whether the connection can be handed to the next user: open, not in a transaction,
    /// and without an unread error from the server (a terminated backend announces itself on
    /// the socket, which this notices; only then does it cost a round trip).
    func prepareForReuse() -> Bool {
        guard !isBroken, let conn = handle?.pointer, PQstatus(conn) == CONNECTION_OK else { return false }
        var fd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        var unsolicitedInput = false
        if poll(&fd, 1, 0) > 0 {
            if PQconsumeInput(conn) != 1 || PQstatus(conn) != CONNECTION_OK {
                isBroken = true
                return false
            }
            while let raw = PQnotifies(conn) { PQfreemem(raw) }
            unsolicitedInput = true
        }
        switch PQtransactionStatus(conn) {
        case PQTRANS_IDLE:
            // A terminated backend first sends its FATAL message and only then closes the
            // socket; PQconsumeInput returns after reading the message, without an error, so
            // unsolicited input is confirmed with a round trip before the connection is lent.
            guard unsolicitedInput else { return true }
            if ping() { return true }
            isBroken = true
            return false
        case PQTRANS_INTRANS, PQTRANS_INERROR:
            return (try? query("ROLLBACK")) != nil
        default:
            return false
        }
    }

    /// Sends `SELECT 1`; false if the server does not answer.
    public func ping() -> Bool {
        (try? query("SELECT 1")) != nil
    }
}
