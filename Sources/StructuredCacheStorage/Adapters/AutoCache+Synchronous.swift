// AutoCache's operations as synchronous calls, of the same names as the async CacheAdapter ones: they
// never wait for anything but a short lock.

public import Foundation

extension AutoCache {
    /// Returns the value stored under `key` and makes it the most recently used.
    ///
    /// The synchronous twin of the async `get` (synchronous code calls this one, async code the other);
    /// it takes one short lock and never waits for anything else.
    ///
    /// - Parameter key: The key, compared by Unicode scalars.
    /// - Returns: The value, or `nil` when it is missing or expired (an expired entry is dropped).
    /// - Complexity: O(1) on average.
    @inlinable
    public func get(_ key: String) -> Data? {
        read(key)
    }

    /// Returns the value stored under `key` if it has expired, but no longer ago than `maxStaleness` and
    /// than ``Configuration/staleGrace``; the synchronous twin of the async `getStale`.
    ///
    /// The entry's recency is left alone, and a later `get` still misses.
    ///
    /// - Parameters:
    ///   - key: The key, compared by Unicode scalars.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil` when it is missing, has not expired,
    ///   expired longer ago than `maxStaleness`, or is past its grace (then it is dropped); always `nil`
    ///   without a grace.
    /// - Complexity: O(1) on average.
    @inlinable
    public func getStale(_ key: String, maxStaleness: Duration) -> (value: Data, staleness: Duration)? {
        staleEntry(forKey: key, maxStaleness: maxStaleness)
    }

    /// Stores `value` under `key` as the most recently used entry, evicting least recently used entries
    /// as the size and byte limits require; the synchronous twin of the async `set`.
    ///
    /// - Parameters:
    ///   - key: The key, compared by Unicode scalars.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` (the default) for
    ///     ``Configuration/defaultTTL``. A TTL of zero or less removes the key.
    /// - Complexity: O(1) on average (O(*k*) when *k* entries must go to fit the byte budget).
    @inlinable
    public func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) {
        write(value, forKey: key, ttl: ttl)
    }

    /// Removes the value stored under `key`, if any; the synchronous twin of the async `remove`.
    ///
    /// - Parameter key: The key, compared by Unicode scalars.
    /// - Complexity: O(1) on average.
    @inlinable
    public func remove(_ key: String) {
        drop(key)
    }

    /// Removes every value; the synchronous twin of the async `removeAll`.
    ///
    /// - Complexity: O(*n*).
    @inlinable
    public func removeAll() {
        dropAll()
    }

    /// Drops every expired entry now, instead of when each is next read or evicted; with
    /// ``Configuration/staleGrace``, those past their grace.
    ///
    /// - Returns: The number of entries dropped.
    /// - Complexity: O(*n*).
    @inlinable @discardableResult
    public func sweep() -> Int {
        dropExpired()
    }
}

extension AutoCache {
    /// The synchronous calls, for async code that means to make them (tests, benchmarks): there, the
    /// async overloads of the same names would be chosen.
    package struct SynchronousCalls: Sendable {
        let cache: AutoCache
        package func get(_ key: String) -> Data? { cache.get(key) }
        package func getStale(_ key: String, maxStaleness: Duration) -> (value: Data, staleness: Duration)? {
            cache.getStale(key, maxStaleness: maxStaleness)
        }
        package func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) {
            cache.set(key, value, ttl: ttl)
        }
        package func remove(_ key: String) { cache.remove(key) }
        package func removeAll() { cache.removeAll() }
        @discardableResult package func sweep() -> Int { cache.sweep() }
    }

    /// The synchronous calls, from any context.
    package var sync: SynchronousCalls { SynchronousCalls(cache: self) }
}
