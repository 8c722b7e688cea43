// The one way the package turns a Duration into a whole number of nanoseconds or milliseconds: for
// deadlines, TTLs on disk and in Redis, socket and timer waits.

extension Duration {
    /// This duration in whole nanoseconds, clamped to `Int64`'s range.
    ///
    /// - Parameter roundingUp: Rounds a partial nanosecond up instead of down.
    package func nanoseconds(roundingUp: Bool = false) -> Int64 {
        wholeUnits(perSecond: 1_000_000_000, roundingUp: roundingUp)
    }

    /// This duration in whole milliseconds, clamped to `Int64`'s range.
    ///
    /// - Parameter roundingUp: Rounds a partial millisecond up instead of down, so that a TTL or a
    ///   wait never ends early.
    package func milliseconds(roundingUp: Bool = false) -> Int64 {
        wholeUnits(perSecond: 1_000, roundingUp: roundingUp)
    }

    private func wholeUnits(perSecond: Int64, roundingUp: Bool) -> Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: perSecond)
        if overflow { return seconds < 0 ? .min : .max }
        let perUnit = 1_000_000_000_000_000_000 / perSecond
        // `components` keeps both parts of one sign; division rounds toward zero.
        var units = attoseconds / perUnit
        if roundingUp, attoseconds % perUnit > 0 { units += 1 }
        let (sum, overflow2) = scaled.addingReportingOverflow(units)
        if overflow2 { return seconds < 0 ? .min : .max }
        return sum
    }
}
