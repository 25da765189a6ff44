import Crypto
import Foundation

/// A stream of byte chunks; `nil` at the end. Every reader in Ingest consumes one of these, so no
/// file is ever held in memory whole.
public protocol ByteSource {
    /// The next chunk (never empty), or `nil` at the end of the input.
    mutating func nextChunk() throws -> [UInt8]?
}

/// The default chunk size for file reads: 64 KiB.
public let defaultChunkSize = 64 * 1024

/// Reads a file in fixed-size chunks through `FileHandle`, hashing the bytes (SHA-256) as they
/// pass when asked to.
public final class FileByteSource: ByteSource {
    private let handle: FileHandle
    private let chunkSize: Int
    private var hasher: SHA256?
    private var finished = false
    /// Bytes read so far.
    public private(set) var byteCount: Int64 = 0
    let name: String

    /// Opens `url` for reading.
    public init(url: URL, chunkSize: Int = defaultChunkSize, computeDigest: Bool = false) throws {
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw IngestError(.io, "cannot be opened: \(error.localizedDescription)", file: url.lastPathComponent,
                              hint: "check the path and the file's permissions")
        }
        self.chunkSize = max(1, chunkSize)
        self.hasher = computeDigest ? SHA256() : nil
        self.name = url.lastPathComponent
    }

    deinit {
        try? handle.close()
    }

    public func nextChunk() throws -> [UInt8]? {
        guard !finished else { return nil }
        let data: Data?
        do {
            data = try handle.read(upToCount: chunkSize)
        } catch {
            throw IngestError(.io, "could not be read: \(error.localizedDescription)", file: name)
        }
        guard let data, !data.isEmpty else {
            finished = true
            return nil
        }
        hasher?.update(data: data)
        byteCount += Int64(data.count)
        return [UInt8](data)
    }

    /// The SHA-256 of the bytes read so far as lower-case hex (the whole file once read to the
    /// end), or `nil` if digests were not requested.
    public var sha256Hex: String? {
        hasher.map { FileDigest.hex($0.finalize()) }
    }
}

/// Serves an in-memory buffer in chunks (tests use tiny chunk sizes to hit every boundary).
public struct DataByteSource: ByteSource {
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var offset = 0

    public init(_ bytes: [UInt8], chunkSize: Int = defaultChunkSize) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    public init(_ data: Data, chunkSize: Int = defaultChunkSize) {
        self.init([UInt8](data), chunkSize: chunkSize)
    }

    public mutating func nextChunk() throws -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let end = min(bytes.count, offset + chunkSize)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// SHA-256 of files, streamed (the loader records it to recognise re-imports).
public enum FileDigest {
    /// The SHA-256 of the file at `url` as lower-case hex, read in 64 KiB chunks.
    public static func sha256(of url: URL) throws -> String {
        let source = try FileByteSource(url: url, computeDigest: true)
        while try source.nextChunk() != nil {}
        return source.sha256Hex ?? ""
    }

    /// The SHA-256 of `data` as lower-case hex.
    public static func sha256(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
