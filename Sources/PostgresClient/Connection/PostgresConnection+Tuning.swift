extension PostgresConnection {
    /// Gives the current transaction more memory for bulk work (large imports and reconciliation
    /// runs, whose temporary tables and sorts hold millions of rows): `temp_buffers` for
    /// temporary tables and `work_mem` for sorts and hashes, with `SET LOCAL`, so they end with
    /// the transaction. PostgreSQL accepts a new `temp_buffers` only before the session's first
    /// temporary table; on a connection that had one, that setting stays as it is.
    public func useBulkMemory(tempBuffers: String = "256MB", workMemory: String = "64MB") throws {
        try query("SELECT set_config('work_mem', $1, true)", [workMemory])
        try query("SAVEPOINT shoprecon_temp_buffers")
        do {
            try query("SELECT set_config('temp_buffers', $1, true)", [tempBuffers])
            try query("RELEASE SAVEPOINT shoprecon_temp_buffers")
        } catch let error as PostgresError where error.sqlState != nil {
            try query("ROLLBACK TO SAVEPOINT shoprecon_temp_buffers")
            try query("RELEASE SAVEPOINT shoprecon_temp_buffers")
        }
    }
}
