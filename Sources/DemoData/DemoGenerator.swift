import Foundation

/// Writes one month of a demo merchant's files in the real layouts our parsers read, with
/// exceptions of every type planted at known counts and ordinary noise that must not be
/// flagged, and returns the ground truth (also written as `truth.json`).
///
/// The same options give byte-identical files on every machine: all randomness comes from
/// ``SeededGenerator`` and no clock is read. Rows are streamed to the files; memory holds only
/// the events still in flight (settlements, refunds, withdrawals, bank bookings) and the
/// planned roles of the few planted orders, so a million orders fit comfortably.
public struct DemoGenerator: Sendable {
    public let options: DemoOptions

    public init(_ options: DemoOptions) {
        self.options = options
    }

    /// Generates into `directory` (created if needed; files of the same names are replaced).
    @discardableResult
    public func write(to directory: URL) throws -> DemoTruth {
        guard options.orders >= DemoOptions.minimumOrders else {
            throw DemoError("--orders must be at least \(DemoOptions.minimumOrders) (got \(options.orders))",
                            hint: "every exception type and noise case needs a few orders of its own")
        }
        guard options.orders <= 50_000_000 else {
            throw DemoError("--orders must be at most 50,000,000 (got \(options.orders))")
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let run = try DemoRun(options: options, directory: directory)
        return try run.generate()
    }

    /// The names of the files ``write(to:)`` creates.
    public static let fileNames = [
        DemoRun.Files.tmallOrders, DemoRun.Files.alipay, DemoRun.Files.miniappOrders, DemoRun.Files.miniappMapping,
        DemoRun.Files.wechatTrade, DemoRun.Files.wechatFund, DemoRun.Files.bank, DemoRun.Files.courier,
        DemoRun.Files.rateCard, DemoRun.Files.returns, DemoRun.Files.returnsMapping, DemoRun.Files.truth,
    ]
}
