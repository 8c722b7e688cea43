// DiskCache's async API: file I/O runs on the I/O thread pool, off the cooperative pool, except reads the
// kernel can answer from memory without waiting.

public import Foundation

extension DiskCache: ExpiryReportingCacheAdapter, StaleReadingCacheAdapter {
    /// Returns the value stored under `key`: on the calling task when the kernel holds the file in
    /// memory, otherwise reading it on an I/O thread.
    ///
    /// - Parameter key: Any string; compared by exact bytes.
    /// - Returns: The value, or `nil` when missing, expired, damaged or from a later format version.
    /// - Throws: ``CacheError`` when the file exists but cannot be read.
    /// - Complexity: O(*n*) in the entry's size.
    nonisolated(nonsending) public func get(_ key: String) async throws -> Data? {
        try await entry(key)?.value
    }

    /// Stores `value` under `key`, writing the file on an I/O thread.
    ///
    /// - Parameters:
    ///   - key: Any string; compared by exact bytes.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` for ``Configuration/defaultTTL``.
    /// - Throws: ``CacheError`` when the entry cannot be written.
    /// - Complexity: O(*n*) in the entry's size.
    public func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        try await io.run { try self.store(value, forKey: key, ttl: ttl) }
    }

    /// Removes the value stored under `key`, if any, on an I/O thread.
    ///
    /// - Parameter key: The key to remove.
    /// - Throws: ``CacheError`` when the file exists but cannot be removed.
    /// - Complexity: O(1).
    public func remove(_ key: String) async throws {
        try await io.run { try self.removeEntry(forKey: key) }
    }

    /// Removes every entry of the cache (as the synchronous `removeAll()` does), on an I/O thread.
    ///
    /// - Throws: ``CacheError`` when an entry cannot be removed.
    /// - Complexity: O(*n*) in the number of files.
    public func removeAll() async throws {
        try await io.run { try self.removeAllFiles() }
    }

    /// Removes expired, damaged and foreign entries and the temporary files of writers that are gone,
    /// rebuilds the byte-budget index from the folder (picking up entries other processes wrote) and
    /// trims to the budget, on an I/O thread.
    ///
    /// - Returns: The number of files removed.
    /// - Throws: ``CacheError`` when the folder cannot be read.
    /// - Complexity: O(*n*) in the number of files (each entry's header is read; values are not).
    @discardableResult
    public func sweep() async throws -> Int {
        try await io.run { try self.sweepFolder() }
    }

    /// Returns the value stored under `key` if it has expired, but no longer ago than `maxStaleness` and
    /// than ``Configuration/staleGrace``: on the calling task when the kernel holds the file in memory,
    /// otherwise reading it on an I/O thread.
    ///
    /// Damaged, foreign and oversized files are a miss and are removed, as for `get`; an entry past its
    /// grace is removed too.
    ///
    /// - Parameters:
    ///   - key: Any string; compared by exact bytes.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil`; always `nil` without a grace.
    /// - Throws: ``CacheError`` when the file exists but cannot be read.
    /// - Complexity: O(*n*) in the entry's size.
    public func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        guard graceMilliseconds > 0 else { return nil }
        if case .read(let entry) = lookupWithoutWaiting(key, stale: true) {
            return staleness(of: entry, maxStaleness: maxStaleness)
        }
        let entry = try await io.run { try self.lookup(key, stale: true) }
        return staleness(of: entry, maxStaleness: maxStaleness)
    }

    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        guard let (value, expiry) = try await entry(key) else { return nil }
        guard expiry != 0 else { return (value, nil) }
        return (value, .milliseconds(max(0, expiry - clock.wallMilliseconds())))
    }

    /// The entry of `key` and its expiry: read on the calling task when the kernel holds it in memory,
    /// otherwise on an I/O thread.
    private func entry(_ key: String) async throws -> (value: Data, expiry: Int64)? {
        if case .read(let entry) = lookupWithoutWaiting(key) { return entry }
        return try await io.run { try self.lookup(key) }
    }
}
