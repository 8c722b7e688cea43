// Tests of the one conversion from Duration to whole nanoseconds and milliseconds: rounding either way,
// negative durations, and saturation instead of overflow.

import Testing

@testable import StructuredCacheSupport

@Suite struct DurationWholeUnitsTests {
    @Test func roundsDownOrUp() {
        #expect(Duration.nanoseconds(1_000_001).milliseconds() == 1)
        #expect(Duration.nanoseconds(1_000_001).milliseconds(roundingUp: true) == 2)
        #expect(Duration.milliseconds(1_500).milliseconds(roundingUp: true) == 1_500)
        #expect(Duration.seconds(2).nanoseconds() == 2_000_000_000)
        #expect((Duration.nanoseconds(1) / 2).nanoseconds() == 0)
        #expect((Duration.nanoseconds(1) / 2).nanoseconds(roundingUp: true) == 1)
        #expect(Duration.zero.milliseconds(roundingUp: true) == 0)
    }

    @Test func keepsTheSignOfNegativeDurations() {
        #expect(Duration.milliseconds(-1_500).milliseconds() == -1_500)
        #expect(Duration.nanoseconds(-1_000_001).milliseconds() == -1)
    }

    @Test func saturatesInsteadOfOverflowing() {
        #expect(Duration.seconds(Int64.max).nanoseconds() == .max)
        #expect(Duration.seconds(Int64.min).milliseconds() == .min)
        #expect(Duration.seconds(Int64.max / 1_000).milliseconds(roundingUp: true) == Int64.max / 1_000 * 1_000)
    }
}
