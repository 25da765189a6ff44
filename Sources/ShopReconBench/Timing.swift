import Foundation

/// Timing helpers shared by all benchmarks. Times are wall-clock (`ContinuousClock`), since a
/// load's cost is split between this process, the server and the network.

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

/// Runs `body` and returns its result with the wall-clock seconds it took.
func measure<T>(_ body: () async throws -> T) async rethrows -> (value: T, seconds: Double) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, (ContinuousClock.now - start).seconds)
}

/// Runs `body` and returns the wall-clock seconds it took.
func measureSeconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start).seconds
}

/// Keeps the fastest of several runs of one case.
struct BestOf {
    private(set) var seconds: [Double] = []

    mutating func add(_ value: Double) { seconds.append(value) }

    var best: Double? { seconds.min() }

    /// `1.234s` or, after several runs, `best 1.234s of [1.240, 1.234, 1.251]`.
    var summary: String {
        guard let best else { return "no runs" }
        if seconds.count == 1 { return formatSeconds(best) }
        return "best \(formatSeconds(best)) of [" + seconds.map { formatSeconds($0) }.joined(separator: ", ") + "]"
    }
}

func formatSeconds(_ seconds: Double) -> String {
    String(format: "%.3fs", seconds)
}

func formatRate(_ rowsPerSecond: Double) -> String {
    rowsPerSecond >= 10_000 ? String(format: "%.0fk rows/s", rowsPerSecond / 1000) : String(format: "%.0f rows/s", rowsPerSecond)
}
