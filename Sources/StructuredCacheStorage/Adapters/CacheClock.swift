// Time as the adapters see it: an injected Duration clock turned into plain numbers, so types that keep
// TTLs need not be generic over the clock and tests can move time instead of sleeping.

import Foundation

/// Elapsed time since creation, read from any `Clock<Duration>`, plus a wall-clock anchor.
///
/// Monotonic readings order in-process deadlines (AutoCache). Wall-clock readings (the system time at
/// creation plus the clock's elapsed time) give expiries that mean the same in every process (DiskCache).
struct CacheClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let wallAnchorMilliseconds: Int64

    /// Creates a reading of `clock`, starting now.
    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let start = clock.now
        elapsed = { start.duration(to: clock.now) }
        wallAnchorMilliseconds = Int64((Date().timeIntervalSince1970 * 1_000).rounded())
    }

    /// Nanoseconds since this reading was created.
    func nanoseconds() -> Int64 {
        elapsed().saturatingNanoseconds
    }

    /// Milliseconds since the Unix epoch: the system time at creation moved by the clock's elapsed time.
    func wallMilliseconds() -> Int64 {
        let (sum, overflow) = wallAnchorMilliseconds.addingReportingOverflow(
            elapsed().saturatingMilliseconds(roundingUp: false))
        return overflow ? .max : sum
    }
}

extension Duration {
    /// This duration in whole nanoseconds, clamped to `Int64`'s range.
    var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }

    /// This duration in whole milliseconds, clamped to `Int64`'s range.
    ///
    /// - Parameter roundingUp: Rounds a partial millisecond up (so a TTL never ends early) instead of down.
    func saturatingMilliseconds(roundingUp: Bool) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return seconds < 0 ? .min : .max }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        var millis = attoseconds / perMillisecond
        if roundingUp, attoseconds % perMillisecond > 0 { millis += 1 }
        let (sum, overflow2) = scaled.addingReportingOverflow(millis)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}

extension Int64 {
    /// `self + other`, clamped to `Int64`'s range.
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        if overflow { return other > 0 ? .max : .min }
        return sum
    }
}
