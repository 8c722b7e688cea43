// DiskCache's operations as synchronous calls, which block the calling thread for the file I/O.

public import Foundation

extension DiskCache {
    /// The cache's operations as synchronous calls: ``DiskCache/sync``.
    ///
    /// Each call blocks the calling thread for its file I/O, so use them from threads you own (a
    /// command-line tool's main thread, a worker thread), never from Swift's cooperative pool; async
    /// code calls ``DiskCache/get(_:)`` and the others, which do the I/O on dedicated threads.
    public struct Synchronous: Sendable {
        @usableFromInline let cache: DiskCache

        @inlinable init(cache: DiskCache) { self.cache = cache }

        /// Returns the value stored under `key`.
        ///
        /// - Parameter key: Any string; compared by exact bytes.
        /// - Returns: The value, or `nil` when missing, expired, damaged, foreign or from a later format
        ///   version.
        /// - Throws: ``CacheError`` when the file exists but cannot be read (for example, permissions).
        /// - Complexity: O(*n*) in the entry's size.
        public func get(_ key: String) throws -> Data? {
            try cache.lookup(key)?.value
        }

        /// Stores `value` under `key`.
        ///
        /// - Parameters:
        ///   - key: Any string; compared by exact bytes.
        ///   - value: The bytes to store.
        ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` (the default) for
        ///     ``Configuration/defaultTTL``. A TTL of zero or less removes the key.
        /// - Throws: ``CacheError`` when the entry cannot be written (full disk, permissions), or with
        ///   ``CacheError/Code/valueTooLarge`` when it would exceed ``Configuration/maxEntryBytes``.
        /// - Complexity: O(*n*) in the entry's size, plus O(*k*) for *k* entries evicted by the byte
        ///   budget.
        public func set(_ key: String, _ value: Data, ttl: CacheTTL = .adapterDefault) throws {
            try cache.store(value, forKey: key, ttl: ttl)
        }

        /// Removes the value stored under `key`, if any.
        ///
        /// - Parameter key: The key to remove.
        /// - Throws: ``CacheError`` when the file exists but cannot be removed.
        /// - Complexity: O(1).
        public func remove(_ key: String) throws {
            try cache.removeEntry(forKey: key)
        }

        /// Removes every entry of the cache, the files kept from replaced entries, and the temporary
        /// files of writers that are gone (other files in the folder are left alone, and so are the
        /// temporary files of writes still under way, which land after this).
        ///
        /// - Throws: ``CacheError`` when an entry cannot be removed.
        /// - Complexity: O(*n*) in the number of files.
        public func removeAll() throws {
            try cache.removeAllFiles()
        }

        /// Removes expired, damaged and foreign entries and the temporary files of writers that are gone,
        /// rebuilds the byte-budget index from the folder (picking up entries other processes wrote) and
        /// trims to the budget.
        ///
        /// - Returns: The number of files removed.
        /// - Throws: ``CacheError`` when the folder cannot be read.
        /// - Complexity: O(*n*) in the number of files (each entry's header is read; values are not).
        @discardableResult
        public func sweep() throws -> Int {
            try cache.sweepFolder()
        }
    }

    /// The cache's operations as synchronous calls, which block the calling thread for the file I/O.
    ///
    /// ```swift
    /// try cache.sync.set(key, data)
    /// let hit = try cache.sync.get(key)
    /// ```
    @inlinable public var sync: Synchronous { Synchronous(cache: self) }
}
