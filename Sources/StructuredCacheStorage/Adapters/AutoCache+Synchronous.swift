// AutoCache's operations as synchronous calls, which never wait for anything but a short lock.

public import Foundation

extension AutoCache {
    /// The cache's operations as synchronous calls: ``AutoCache/sync``.
    ///
    /// Each takes one short lock and never waits for anything else, so they are safe to call from any
    /// thread or task.
    public struct Synchronous: Sendable {
        @usableFromInline let cache: AutoCache

        @inlinable init(cache: AutoCache) { self.cache = cache }

        /// Returns the value stored under `key` and makes it the most recently used.
        ///
        /// - Parameter key: The key, compared by Unicode scalars.
        /// - Returns: The value, or `nil` when it is missing or expired (an expired entry is dropped).
        /// - Complexity: O(1) on average.
        public func get(_ key: String) -> Data? {
            cache.read(key)
        }

        /// Stores `value` under `key` as the most recently used entry, evicting least recently used
        /// entries as the size and byte limits require.
        ///
        /// - Parameters:
        ///   - key: The key, compared by Unicode scalars.
        ///   - value: The bytes to store.
        ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` (the default) for
        ///     ``Configuration/defaultTTL``. A TTL of zero or less removes the key.
        /// - Complexity: O(1) on average (O(*k*) when *k* entries must go to fit the byte budget).
        public func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) {
            cache.write(value, forKey: key, ttl: ttl)
        }

        /// Removes the value stored under `key`, if any.
        ///
        /// - Parameter key: The key, compared by Unicode scalars.
        /// - Complexity: O(1) on average.
        public func remove(_ key: String) {
            cache.drop(key)
        }

        /// Removes every value.
        ///
        /// - Complexity: O(*n*).
        public func removeAll() {
            cache.dropAll()
        }

        /// Drops every expired entry now, instead of when each is next read or evicted.
        ///
        /// - Returns: The number of entries dropped.
        /// - Complexity: O(*n*).
        @discardableResult
        public func sweep() -> Int {
            cache.dropExpired()
        }
    }

    /// The cache's operations as synchronous calls.
    ///
    /// ```swift
    /// cache.sync.set(key, data)
    /// let hit = cache.sync.get(key)
    /// ```
    @inlinable public var sync: Synchronous { Synchronous(cache: self) }
}
