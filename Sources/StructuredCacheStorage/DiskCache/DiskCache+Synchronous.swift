// DiskCache's operations as synchronous calls, of the same names as the async CacheAdapter ones; they
// block the calling thread for the file I/O.

public import Foundation

extension DiskCache {
    /// Returns the value stored under `key`, blocking the calling thread for the file I/O.
    ///
    /// The synchronous twin of the async `get` (synchronous code calls this one, async code the other,
    /// which does its I/O off Swift's cooperative pool); call it from threads you own.
    ///
    /// - Parameter key: Any string; compared by exact bytes.
    /// - Returns: The value, or `nil` when missing, expired, damaged, foreign or from a later format
    ///   version.
    /// - Throws: ``CacheError`` when the file exists but cannot be read (for example, permissions).
    /// - Complexity: O(*n*) in the entry's size.
    @inlinable
    public func get(_ key: String) throws -> Data? {
        try value(forKey: key)
    }

    /// Returns the value stored under `key` if it has expired, but no longer ago than `maxStaleness` and
    /// than ``Configuration/staleGrace``, blocking the calling thread for the file I/O; the synchronous
    /// twin of the async `getStale`.
    ///
    /// - Parameters:
    ///   - key: Any string; compared by exact bytes.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil`; always `nil` without a grace.
    /// - Throws: ``CacheError`` when the file exists but cannot be read.
    /// - Complexity: O(*n*) in the entry's size.
    @inlinable
    public func getStale(_ key: String, maxStaleness: Duration) throws -> (value: Data, staleness: Duration)? {
        try staleValue(forKey: key, maxStaleness: maxStaleness)
    }

    /// Stores `value` under `key`, blocking the calling thread for the file I/O.
    ///
    /// - Parameters:
    ///   - key: Any string; compared by exact bytes.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` (the default) for
    ///     ``Configuration/defaultTTL``. A TTL of zero or less removes the key.
    /// - Throws: ``CacheError`` when the entry cannot be written (full disk, permissions), or with
    ///   ``CacheError/Code/valueTooLarge`` when it would exceed ``Configuration/maxEntryBytes``.
    /// - Complexity: O(*n*) in the entry's size, plus O(*k*) for *k* entries evicted by the byte budget.
    @inlinable
    public func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) throws {
        try store(value, forKey: key, ttl: ttl)
    }

    /// Removes the value stored under `key`, if any, blocking the calling thread.
    ///
    /// - Parameter key: The key to remove.
    /// - Throws: ``CacheError`` when the file exists but cannot be removed.
    /// - Complexity: O(1).
    @inlinable
    public func remove(_ key: String) throws {
        try removeEntry(forKey: key)
    }

    /// Removes every entry of the cache, the files kept from replaced entries, and the temporary files of
    /// writers that are gone (other files in the folder are left alone, and so are the temporary files
    /// of writes still under way, which land after this), blocking the calling thread.
    ///
    /// - Throws: ``CacheError`` when an entry cannot be removed.
    /// - Complexity: O(*n*) in the number of files.
    @inlinable
    public func removeAll() throws {
        try removeAllFiles()
    }

    /// Removes expired, damaged and foreign entries and the temporary files of writers that are gone,
    /// rebuilds the byte-budget index from the folder (picking up entries other processes wrote) and
    /// trims to the budget, blocking the calling thread.
    ///
    /// - Returns: The number of files removed.
    /// - Throws: ``CacheError`` when the folder cannot be read.
    /// - Complexity: O(*n*) in the number of files (each entry's header is read; values are not).
    @inlinable @discardableResult
    public func sweep() throws -> Int {
        try sweepFolder()
    }
}

extension DiskCache {
    /// The synchronous calls, for async code that means to make them (tests, benchmarks): there, the
    /// async overloads of the same names would be chosen.
    package struct SynchronousCalls: Sendable {
        let cache: DiskCache
        package func get(_ key: String) throws -> Data? { try cache.get(key) }
        package func getStale(_ key: String, maxStaleness: Duration) throws -> (value: Data, staleness: Duration)? {
            try cache.getStale(key, maxStaleness: maxStaleness)
        }
        package func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) throws {
            try cache.set(key, value, ttl: ttl)
        }
        package func remove(_ key: String) throws { try cache.remove(key) }
        package func removeAll() throws { try cache.removeAll() }
        @discardableResult package func sweep() throws -> Int { try cache.sweep() }
    }

    /// The synchronous calls, from any context.
    package var sync: SynchronousCalls { SynchronousCalls(cache: self) }
}
