import Foundation

/// When to try a failed job again: exponential in the attempt number, capped, with full jitter
/// so that jobs failing together (a platform API down) do not come back together.
public struct Backoff: Sendable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .seconds(5), cap: Duration = .seconds(3600)) {
        self.base = base
        self.cap = cap
    }

    /// The upper bound of the delay after `attempt` (1-based) failures: base × 2^(attempt−1), capped.
    public func ceiling(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let seconds = base.seconds * Double(1 << exponent)
        return .seconds(min(seconds, cap.seconds))
    }

    /// A random delay between half the ceiling and the ceiling.
    public func delay<R: RandomNumberGenerator>(afterAttempt attempt: Int, using generator: inout R) -> Duration {
        let ceiling = self.ceiling(afterAttempt: attempt).seconds
        return .seconds(Double.random(in: (ceiling / 2)...ceiling, using: &generator))
    }

    public func delay(afterAttempt attempt: Int) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, using: &generator)
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
