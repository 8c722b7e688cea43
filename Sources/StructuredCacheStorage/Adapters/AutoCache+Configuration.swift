// AutoCache's options: byte budget, default TTL and the clock.

extension AutoCache {
    /// How an ``AutoCache`` bounds and expires its entries. Every property has a default.
    public struct Configuration: Sendable {
        /// The most bytes to hold, counting each value's bytes plus its key's UTF-8 bytes; `nil` (the
        /// default) for no byte limit. A single value over this limit is not stored.
        public var maxBytes: Int?
        /// How long values stored with ``CacheTTL/adapterDefault`` live; `nil` (the default) for no
        /// expiry.
        public var defaultTTL: Duration?
        /// The clock TTLs are measured with; the continuous clock by default; tests pass one they can
        /// move.
        public var clock: any Clock<Duration>

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - maxBytes: The byte budget; `nil` for none.
        ///   - defaultTTL: The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` for no expiry.
        ///   - clock: The clock TTLs are measured with.
        public init(maxBytes: Int? = nil, defaultTTL: Duration? = nil, clock: any Clock<Duration> = ContinuousClock()) {
            self.maxBytes = maxBytes
            self.defaultTTL = defaultTTL
            self.clock = clock
        }
    }
}
