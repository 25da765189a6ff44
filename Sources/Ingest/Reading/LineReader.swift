/// Splits a UTF-8 byte stream into lines (`\n`, `\r\n` or `\r`), with 1-based line numbers.
/// Used for line-oriented formats (MT940). Memory: one chunk plus one line.
public struct LineReader<Source: ByteSource> {
    private var source: Source
    private var chunk: [UInt8] = []
    private var position = 0
    private var current: [UInt8] = []
    private var exhausted = false
    private var pendingCR = false
    private var nextLineNumber = 1
    /// A line longer than this is an error (a binary file read as text).
    public var maxLineBytes = 1024 * 1024

    public init(source: Source) {
        self.source = source
    }

    /// The next line without its terminator, or `nil` at the end.
    public mutating func nextLine() throws -> (text: String, line: Int)? {
        while true {
            if position >= chunk.count {
                if exhausted { return nil }
                guard let next = try source.nextChunk() else {
                    exhausted = true
                    if current.isEmpty { return nil }
                    return emit()
                }
                chunk = next
                position = 0
            }
            while position < chunk.count {
                let b = chunk[position]
                position += 1
                if pendingCR {
                    pendingCR = false
                    if b == 0x0A { continue }
                }
                if b == 0x0A || b == 0x0D {
                    if b == 0x0D { pendingCR = true }
                    return emit()
                }
                current.append(b)
                if current.count > maxLineBytes {
                    throw IngestError(.malformedRow, "is longer than \(maxLineBytes) bytes; this is not a text statement", line: nextLineNumber)
                }
            }
        }
    }

    private mutating func emit() -> (text: String, line: Int) {
        let text = String(decoding: current, as: UTF8.self)
        current.removeAll(keepingCapacity: true)
        defer { nextLineNumber += 1 }
        return (text, nextLineNumber)
    }
}
