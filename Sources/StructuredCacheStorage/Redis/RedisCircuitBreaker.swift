// The circuit breaker of one Redis server: counts failures in a row, opens after a threshold, and is
// closed again only by a probe that finds the server answering.

import StructuredCacheSupport
import Synchronization

/// Whether commands to one server are sent, or refused at once because the server stopped answering.
///
/// The breaker counts commands that failed to reach the server (refused or dropped connections) in a
/// row; a command that got any reply resets the count. At
/// ``RedisCache/Configuration/CircuitBreaker/failureThreshold`` it opens, or at once on a timeout (a
/// server that let a command wait that long will let the next one wait too), and stays open until
/// ``close()``, which the pool calls when a probe succeeds. Reading whether it is open, and recording a
/// success while nothing has failed, are single atomic loads, so a healthy server pays nothing for it.
final class RedisCircuitBreaker: Sendable {
    private struct State {
        var failures = 0
        var openedAt: ContinuousClock.Instant?
        var lastError: CacheError?
    }

    /// Failures in a row that open the breaker; 0 for never.
    let threshold: Int
    private let state = Lock(State())
    private let openFlag = Atomic<Bool>(false)
    /// Whether the count is above zero, so that a success has something to reset.
    private let failing = Atomic<Bool>(false)

    /// Creates a closed breaker.
    ///
    /// - Parameter threshold: Failures in a row that open it; 0 for never.
    init(threshold: Int) {
        self.threshold = threshold
    }

    /// Whether commands are refused.
    var isOpen: Bool { openFlag.load(ordering: .relaxed) }

    /// When the breaker opened and the failure that opened it, or `nil` while it is closed.
    var openState: (since: ContinuousClock.Instant, error: CacheError)? {
        state.withLock { state in
            guard let openedAt = state.openedAt, let error = state.lastError else { return nil }
            return (openedAt, error)
        }
    }

    /// Notes a command that got a reply.
    func recordSuccess() {
        guard failing.load(ordering: .relaxed) else { return }
        state.withLock { state in
            guard state.openedAt == nil else { return }
            state.failures = 0
            failing.store(false, ordering: .relaxed)
        }
    }

    /// Notes a command that could not reach the server.
    ///
    /// - Parameter error: What failed.
    /// - Returns: Whether this failure opened the breaker (the caller then starts probing).
    func recordFailure(_ error: CacheError) -> Bool {
        state.withLock { state in
            state.failures += 1
            failing.store(true, ordering: .relaxed)
            // A healthy server answers in well under a millisecond: one that let a command wait out
            // the whole timeout is hung or unreachable, and the next command would wait as long.
            let opens = state.failures >= threshold || error.code == .timeout
            guard threshold > 0, state.openedAt == nil, opens else { return false }
            state.openedAt = .now
            state.lastError = error
            openFlag.store(true, ordering: .releasing)
            return true
        }
    }

    /// Closes the breaker and resets the count.
    ///
    /// - Returns: How long it was open, or `nil` if it was not.
    func close() -> Duration? {
        state.withLock { state in
            let openedAt = state.openedAt
            state = State()
            failing.store(false, ordering: .relaxed)
            openFlag.store(false, ordering: .releasing)
            return openedAt.map { ContinuousClock.now - $0 }
        }
    }
}
