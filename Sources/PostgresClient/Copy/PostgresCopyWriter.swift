import CLibPQ

/// Streams `COPY ... FROM STDIN` data to the server in large chunks.
///
/// Handed to the body of ``PostgresConnection/copyIn(_:_:body:)``; it lives on the connection's
/// thread and must not escape the body. Lengths are UTF-8 bytes, never Characters.
public final class PostgresCopyWriter {
    private let connection: OpaquePointer
    private var buffer: [UInt8] = []
    private let chunkSize: Int
    /// Bytes handed to libpq so far.
    public private(set) var bytesSent = 0

    init(connection: OpaquePointer, chunkSize: Int = 256 * 1024) {
        self.connection = connection
        self.chunkSize = chunkSize
        buffer.reserveCapacity(chunkSize + 4096)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try flush() }
    }

    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= chunkSize { try flush() }
    }

    public func write(_ string: String) throws {
        buffer.append(contentsOf: string.utf8)
        if buffer.count >= chunkSize { try flush() }
    }

    /// Sends what is buffered. Called for you when the buffer fills and at the end.
    public func flush() throws {
        guard !buffer.isEmpty else { return }
        let status = buffer.withUnsafeBytes { raw in
            PQputCopyData(connection, raw.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(raw.count))
        }
        guard status == 1 else {
            throw PostgresError(code: .copyFailed,
                                message: "sending COPY data failed: \(String(cString: PQerrorMessage(connection)))")
        }
        bytesSent += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}
