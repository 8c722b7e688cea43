// Time as the adapters see it: an injected Duration clock turned into plain numbers, so types that keep
// TTLs need not be generic over the clock and tests can move time instead of sleeping.

import Foundation
import StructuredCacheSupport

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
        elapsed().nanoseconds()
    }

    /// Milliseconds since the Unix epoch: the system time at creation moved by the clock's elapsed time.
    func wallMilliseconds() -> Int64 {
        let (sum, overflow) = wallAnchorMilliseconds.addingReportingOverflow(
            elapsed().milliseconds())
        return overflow ? .max : sum
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
