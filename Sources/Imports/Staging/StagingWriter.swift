import PostgresClient

/// The connection's side of staging: creates each staging table before its first chunk and
/// loads every chunk with its own binary `COPY`.
struct StagingWriter {
    private var created: Set<StagingTarget> = []

    mutating func write(_ chunk: StagingChunk, on tx: isolated PostgresConnection) throws {
        if created.insert(chunk.target).inserted {
            try tx.query(chunk.target.createStatement)
        }
        try tx.copyIn(chunk.target.copyStatement) { writer in
            try writer.write(chunk.bytes)
        }
    }
}
