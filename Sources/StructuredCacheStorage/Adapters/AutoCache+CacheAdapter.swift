// AutoCache's CacheAdapter conformance: the async protocol over the synchronous, non-blocking API.

public import Foundation

extension AutoCache: ExpiryReportingCacheAdapter {
    /// Returns the value stored under `key`, or `nil` when it is missing or expired.
    ///
    /// - Parameter key: The key, compared by Unicode scalars.
    /// - Returns: The value, or `nil` on a miss.
    /// - Complexity: O(1) on average.
    nonisolated(nonsending) public func get(_ key: String) async throws -> Data? {
        read(key)
    }

    /// Stores `value` under `key`, as the synchronous `set` does.
    ///
    /// - Parameters:
    ///   - key: The key, compared by Unicode scalars.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` for ``Configuration/defaultTTL``.
    /// - Complexity: O(1) on average.
    public func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        write(value, forKey: key, ttl: ttl)
    }

    /// Removes the value stored under `key`, if any.
    ///
    /// - Parameter key: The key to remove.
    /// - Complexity: O(1) on average.
    public func remove(_ key: String) async throws {
        drop(key)
    }

    /// Removes every value.
    ///
    /// - Complexity: O(*n*).
    public func removeAll() async throws {
        dropAll()
    }

    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        entry(forKey: key)
    }
}

extension AutoCache: StaleReadingCacheAdapter {
    /// Returns the value stored under `key` if it expired no longer ago than `maxStaleness` and is still
    /// within ``Configuration/staleGrace``, as the synchronous `getStale` does.
    ///
    /// - Parameters:
    ///   - key: The key, compared by Unicode scalars.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil`; always `nil` without a grace.
    /// - Complexity: O(1) on average.
    public func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        staleEntry(forKey: key, maxStaleness: maxStaleness)
    }
}
