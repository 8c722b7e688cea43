// AutoCache's options: byte budget, default TTL, the grace of expired entries and the clock.

extension AutoCache {
    /// How an ``AutoCache`` bounds and expires its entries. Every property has a default.
    public struct Configuration: Sendable {
        /// The most bytes to hold, counting each value's bytes plus its key's UTF-8 bytes; `nil` (the
        /// default) for no byte limit. A single value over this limit is not stored.
        public var maxBytes: Int?
        /// How long values stored with ``CacheTTL/adapterDefault`` live; `nil` (the default) for no
        /// expiry.
        public var defaultTTL: Duration?
        /// How long an entry is kept past its expiry for `getStale(_:maxStaleness:)`, the read
        /// a caller falls back on when what the cache stands in front of fails; `nil` (the default) for no
        /// grace: an expired entry is dropped when next seen. During the grace an entry counts against
        /// ``maxSize`` and ``maxBytes`` as before, and `get` never returns it.
        public var staleGrace: Duration?
        /// The clock TTLs are measured with; the continuous clock by default; tests pass one they can
        /// move.
        public var clock: any Clock<Duration>

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - maxBytes: The byte budget; `nil` for none.
        ///   - defaultTTL: The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` for no expiry.
        ///   - staleGrace: How long expired entries are kept for stale reads; `nil` for no grace.
        ///   - clock: The clock TTLs are measured with.
        public init(
            maxBytes: Int? = nil, defaultTTL: Duration? = nil, staleGrace: Duration? = nil,
            clock: any Clock<Duration> = ContinuousClock()
        ) {
            self.maxBytes = maxBytes
            self.defaultTTL = defaultTTL
            self.staleGrace = staleGrace
            self.clock = clock
        }
    }
}
