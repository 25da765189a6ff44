import Foundation
import Ingest
import PostgresClient

/// Parsing and staging side by side: the file is parsed and encoded on a thread of its own
/// while the connection's thread loads the finished chunks into the staging tables with
/// `COPY`, so the server stores one chunk while the next is parsed. A few megabytes sit
/// between the two at most. Rejected rows travel the same way, in file order.
enum StagingPipeline {
    /// What the parsing thread reports at the end.
    struct Parsed: Sendable {
        var report: ParseReport
        var rows: Int
        /// The kinds that received at least one record (their staging tables exist).
        var kinds: [RecordKind]
        var orders: OrderStaging
    }

    typealias Parse = @Sendable (ParseOptions, RecordHandler, RejectHandler) throws -> ParseReport

    /// Parses with `parse` and stages everything it produces on `tx`; rejected rows go to
    /// `rejects`. A failure on either side stops both and is rethrown; either way the parsing
    /// thread has finished with the file (and with `parse`) by the time this returns.
    static func run(options: ParseOptions, parse: @escaping Parse, progress: Importer.Progress?,
                    rejects: inout RejectWriter, on tx: isolated PostgresConnection) throws -> Parsed {
        let pipe = StagingPipe()
        let thread = Thread {
            var encoder = StagingEncoder()
            var rows = 0
            let outcome = Result { () throws -> Parsed in
                let report = try parse(options, { record in
                    try encoder.add(record) { try pipe.put(.chunk($0)) }
                    rows += 1
                    if rows % 20_000 == 0 { progress?(rows) }
                }, { rejected in
                    try pipe.put(.reject(rejected))
                })
                try encoder.finish { try pipe.put(.chunk($0)) }
                return Parsed(report: report, rows: rows, kinds: RecordKind.allCases.filter(encoder.kinds.contains),
                              orders: encoder.orders)
            }
            pipe.close(with: outcome)
        }
        thread.name = "shoprecon-import-parse"
        thread.start()

        var writer = StagingWriter()
        while true {
            let item = pipe.take()
            do {
                switch item {
                case .chunk(let chunk): try writer.write(chunk, on: tx)
                case .reject(let row): try rejects.add(row, on: tx)
                case .end(let outcome):
                    let parsed = try outcome.get()
                    try rejects.flush(on: tx)
                    progress?(parsed.rows)
                    return parsed
                }
            } catch {
                if case .end = item { throw error }
                // Stop the parser and wait for it to end before leaving.
                pipe.cancel()
                while true {
                    if case .end = pipe.take() { break }
                }
                throw error
            }
        }
    }
}

/// The bounded hand-over between the parsing thread and the connection's thread.
final class StagingPipe: @unchecked Sendable {
    enum Item: Sendable {
        case chunk(StagingChunk)
        case reject(RejectedRow)
        case end(Result<StagingPipeline.Parsed, any Error>)

        var size: Int {
            if case .chunk(let chunk) = self { return chunk.bytes.count }
            return 256
        }
    }

    /// The thread that calls `put` waits while this many bytes are waiting to be staged.
    let capacity: Int
    // All state below is guarded by `condition`.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var queued = 0
    private var cancelled = false

    init(capacity: Int = 4 << 20) { self.capacity = capacity }

    /// Parser side: waits for room; throws once the consumer has given up.
    func put(_ item: Item) throws {
        condition.lock()
        defer { condition.unlock() }
        while queued >= capacity && !cancelled { condition.wait() }
        if cancelled { throw CancellationError() }
        append(item)
    }

    /// Parser side, last: the outcome, however full the pipe is.
    func close(with outcome: Result<StagingPipeline.Parsed, any Error>) {
        condition.lock()
        defer { condition.unlock() }
        append(.end(outcome))
    }

    /// Connection side: the next item, waiting for one.
    func take() -> Item {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty { condition.wait() }
        // A handful of items at most: removing the first is cheap.
        let item = items.removeFirst()
        queued -= item.size
        condition.broadcast()
        return item
    }

    /// Connection side: the parser's next `put` throws.
    func cancel() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    private func append(_ item: Item) {
        items.append(item)
        queued += item.size
        condition.broadcast()
    }
}
