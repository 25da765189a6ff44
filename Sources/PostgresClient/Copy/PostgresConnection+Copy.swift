import CLibPQ

extension PostgresConnection {
    /// Runs a `COPY ... FROM STDIN` statement and streams the data `body` writes.
    ///
    /// When `body` throws, the COPY is aborted with the error's text, nothing it wrote is kept,
    /// and the error is rethrown; the connection stays usable. Returns the rows copied.
    @discardableResult
    public func copyIn(_ sql: String, _ binds: [any PostgresEncodable] = [],
                       body: (PostgresCopyWriter) throws -> Void) throws -> Int {
        let conn = try connectionPointer()
        lastUsed = .now
        let start = try query(sql, binds)
        guard PQresultStatus(start.handle) == PGRES_COPY_IN else {
            throw PostgresError(code: .protocolViolation, message: "statement did not start COPY FROM STDIN", query: sql)
        }
        let writer = PostgresCopyWriter(connection: conn)
        do {
            try body(writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(conn, "aborted by client: \(error)".prefix(200).description)
            drainResults(sql: sql)
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw connectionError(sql: sql) }
        return try finishCopy(sql: sql)
    }

    /// Runs a `COPY ... TO STDOUT` statement and hands each chunk (one row in text and CSV
    /// formats) to `body`. Returns the rows copied.
    @discardableResult
    public func copyOut(_ sql: String, _ binds: [any PostgresEncodable] = [],
                        body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let conn = try connectionPointer()
        lastUsed = .now
        let start = try query(sql, binds)
        guard PQresultStatus(start.handle) == PGRES_COPY_OUT else {
            throw PostgresError(code: .protocolViolation, message: "statement did not start COPY TO STDOUT", query: sql)
        }
        var failure: (any Error)?
        while true {
            var chunk: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(conn, &chunk, 0)
            if length == -1 { break }
            if length == -2 { throw connectionError(sql: sql) }
            guard let chunk else { continue }
            defer { PQfreemem(chunk) }
            if failure == nil {
                do {
                    try body(UnsafeRawBufferPointer(start: chunk, count: Int(length)))
                } catch {
                    // Ask the server to stop, then drain what is already on its way.
                    failure = error
                    if let cancel = PQgetCancel(conn) {
                        var message = [CChar](repeating: 0, count: 256)
                        _ = PQcancel(cancel, &message, Int32(message.count))
                        PQfreeCancel(cancel)
                    }
                }
            }
        }
        if let failure {
            drainResults(sql: sql)
            throw failure
        }
        return try finishCopy(sql: sql)
    }

    private func finishCopy(sql: String) throws -> Int {
        let conn = try connectionPointer()
        var rows = 0
        var firstError: (any Error)?
        while let result = PQgetResult(conn) {
            do {
                let checked = try checkResult(result, sql: sql)
                rows = max(rows, checked.affectedRows)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return rows
    }

    private func drainResults(sql: String) {
        guard let conn = handle?.pointer else { return }
        while let result = PQgetResult(conn) { PQclear(result) }
        if PQstatus(conn) == CONNECTION_BAD { isBroken = true }
    }
}
