// Lets a caller fall back on a value that has just expired (the provider behind the cache failed), without
// ever making an expired value a normal hit.

public import Foundation

/// A ``CacheAdapter`` that keeps an entry for a grace period past its expiry and can read it then.
///
/// During the grace an expired entry stays stored (and counts against the adapter's bounds, such as a byte
/// budget), but ``CacheAdapter/get(_:)`` never returns it: the contract that `get` never returns an
/// expired value holds. Only ``getStale(_:maxStaleness:)`` reads it, for a caller that would rather answer
/// with a value that expired a moment ago than fail (`StructuredClient`'s `staleIfError`). After the grace
/// the entry is gone, as an expired entry is without one. Entries stored without an expiry are never stale.
///
/// ``AutoCache``, ``DiskCache``, ``RedisCache`` and ``TieredCache`` adopt it; each keeps no grace (and
/// reads nothing stale) unless its configuration's `staleGrace` is set. A custom adapter may adopt it too.
public protocol StaleReadingCacheAdapter: CacheAdapter {
    /// Returns the value stored under `key` if it has expired, but no longer ago than `maxStaleness` and
    /// than the adapter's grace period.
    ///
    /// A value that has not expired is not stale: it is `nil` here (``CacheAdapter/get(_:)`` returns it).
    /// Reading a stale value neither renews it nor makes it a hit for later reads.
    ///
    /// - Parameters:
    ///   - key: The key the value was stored under.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The stored bytes and how long ago they expired (their staleness), or `nil` when there is
    ///   no such value: missing, not expired, expired longer ago than `maxStaleness`, or past the grace.
    /// - Throws: ``CacheError`` when the backend cannot be read.
    func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)?
}
