// A stack of caches, fastest first (memory in front of disk or Redis): reads fall through and promote,
// writes go to every tier.

public import Foundation

/// Combines adapters into tiers, the fastest first.
///
/// ```swift
/// let cache = try TieredCache([try AutoCache(maxSize: 1_000), try DiskCache(directory: folder)])
/// ```
///
/// - ``get(_:)`` asks each tier in order; a hit in a slower tier is copied into every faster tier
///   (promotion) before it is returned. The copy keeps the time the value has left when the tier that
///   answered can tell it (``AutoCache``, ``DiskCache``, and tiered caches of them); for any other
///   adapter the copy lives for `promotionTTL`, which bounds how long a faster tier can serve a value
///   the slower one has since dropped. A value that never expires in the tier that answered is promoted
///   with ``CacheTTL/never``, so a faster tier's default TTL does not cut it short.
/// - ``set(_:_:ttl:)``, ``remove(_:)`` and ``removeAll()`` go to every tier at once.
/// - ``getStale(_:maxStaleness:)`` asks each tier that keeps expired entries for a grace
///   (``StaleReadingCacheAdapter``) in order, and never promotes: a copy would make a stale value fresh.
///
/// Errors: a tier that throws on read is skipped (the next tier may still answer); if no tier answers
/// and one threw, the first error is thrown. A failed promotion is ignored: the value was found. Writes
/// and removals reach every tier even when one fails, then the first error is thrown.
public final class TieredCache: CacheAdapter {
    /// The tiers, fastest first.
    public let tiers: [any CacheAdapter]
    /// How long a value promoted from a tier that cannot report its remaining TTL lives in faster tiers.
    public let promotionTTL: CacheTTL

    /// Creates a tiered cache.
    ///
    /// - Parameters:
    ///   - tiers: The adapters, fastest first; at least one.
    ///   - promotionTTL: The TTL of copies promoted from tiers that cannot tell how long a value has left;
    ///     ``CacheTTL/adapterDefault`` for each faster tier's default TTL. One minute by default.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when `tiers` is empty or `promotionTTL` is a
    ///   duration not longer than zero.
    public init(_ tiers: [any CacheAdapter], promotionTTL: CacheTTL = .seconds(60)) throws {
        guard !tiers.isEmpty else { throw CacheError.invalidConfiguration("TieredCache needs at least one tier") }
        if let promotionTTL = promotionTTL.duration, promotionTTL <= .zero {
            throw CacheError.invalidConfiguration("TieredCache promotionTTL must be > 0, got \(promotionTTL)")
        }
        self.tiers = tiers
        self.promotionTTL = promotionTTL
    }

    /// Returns the value from the fastest tier that has it, promoting it to the faster tiers.
    ///
    /// - Parameter key: The key.
    /// - Returns: The value, or `nil` when no tier has it.
    /// - Throws: The first tier error, only when no tier had the value.
    /// - Complexity: One read per tier up to the hit, plus one write per faster tier.
    nonisolated(nonsending) public func get(_ key: String) async throws -> Data? {
        try await getWithRemainingTTL(key)?.value
    }

    /// Stores `value` in every tier.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` for each tier's default.
    /// - Throws: The first tier error, after every tier was tried.
    /// - Complexity: One write per tier, all at once.
    public func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        try await everyTier { tier in try await tier.set(key, value, ttl: ttl) }
    }

    /// Removes `key` from every tier.
    ///
    /// - Parameter key: The key to remove.
    /// - Throws: The first tier error, after every tier was tried.
    /// - Complexity: One removal per tier, all at once.
    public func remove(_ key: String) async throws {
        try await everyTier { tier in try await tier.remove(key) }
    }

    /// Removes every value from every tier.
    ///
    /// - Throws: The first tier error, after every tier was tried.
    /// - Complexity: One removal per tier, all at once.
    public func removeAll() async throws {
        try await everyTier { tier in try await tier.removeAll() }
    }

    private func everyTier(_ operation: @escaping @Sendable (any CacheAdapter) async throws -> Void) async throws {
        if tiers.count == 1 {
            try await operation(tiers[0])
            return
        }
        let errors = await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for (position, tier) in tiers.enumerated() {
                group.addTask {
                    do {
                        try await operation(tier)
                        return (position, nil)
                    } catch {
                        return (position, error)
                    }
                }
            }
            var errors: [(Int, any Error)] = []
            for await (position, error) in group {
                if let error { errors.append((position, error)) }
            }
            return errors
        }
        // Report the fastest tier's failure, so the same failure is reported whatever the timing.
        if let first = errors.min(by: { $0.0 < $1.0 }) { throw first.1 }
    }
}

extension TieredCache: ExpiryReportingCacheAdapter {
    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        var firstError: (any Error)?
        for (position, tier) in tiers.enumerated() {
            let found: (value: Data, remaining: Duration?)?
            // What the faster tiers' copies live for.
            let copyTTL: CacheTTL
            do {
                if let reporting = tier as? any ExpiryReportingCacheAdapter, reporting.reportsRemainingTTL {
                    found = try await reporting.getWithRemainingTTL(key)
                    copyTTL = found?.remaining.map { .after($0) } ?? .never
                } else {
                    found = try await tier.get(key).map { ($0, promotionTTL.resolved(defaultTTL: nil)) }
                    copyTTL = promotionTTL
                }
            } catch {
                if firstError == nil { firstError = error }
                continue
            }
            guard let found else { continue }
            if position > 0 {
                // A copy with (almost) no time left is not worth writing: it would expire on arrival.
                if let remaining = copyTTL.duration, remaining <= .zero { return found }
                for faster in tiers[..<position] {
                    try? await faster.set(key, found.value, ttl: copyTTL)
                }
            }
            return found
        }
        if let firstError { throw firstError }
        return nil
    }
}

extension TieredCache: StaleReadingCacheAdapter {
    /// Returns the stale value from the fastest tier that has one within `maxStaleness`, without copying
    /// it anywhere.
    ///
    /// Only tiers that adopt ``StaleReadingCacheAdapter`` are asked, each within its own grace.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil` when no tier has one.
    /// - Throws: The first tier error, only when no tier had a stale value.
    /// - Complexity: One read per stale-reading tier up to the one that has the value.
    public func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        var firstError: (any Error)?
        for case let tier as any StaleReadingCacheAdapter in tiers {
            do {
                if let found = try await tier.getStale(key, maxStaleness: maxStaleness) { return found }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return nil
    }
}

extension TieredCache: SharedFlightCacheAdapter {
    /// The slowest tier that shares calls across processes (the one the processes share, such as
    /// ``RedisCache`` behind a memory tier), or `nil`.
    private var sharingTier: (position: Int, tier: any SharedFlightCacheAdapter)? {
        for (position, tier) in tiers.enumerated().reversed() {
            if let sharing = tier as? any SharedFlightCacheAdapter, sharing.sharesFlights {
                return (position, sharing)
            }
        }
        return nil
    }

    /// Whether a tier shares calls across processes.
    public var sharesFlights: Bool { sharingTier != nil }

    /// Takes the lease on `key`, or waits for another process's value, through the slowest tier that
    /// shares calls; a value it returns is copied into the faster tiers for ``promotionTTL``.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - lease: How long the lease lasts unless renewed.
    ///   - wait: How long to wait at most.
    ///   - readsStoredValue: Whether a value already stored ends the wait.
    /// - Returns: The lease, another process's value, or ``CacheClaim/timedOut``.
    /// - Throws: ``CacheError/Code/unsupported`` when no tier shares calls; the tier's error.
    public func claim(
        _ key: String, lease: Duration, wait: Duration, readsStoredValue: Bool
    ) async throws
        -> CacheClaim
    {
        let (position, tier) = try requireSharingTier()
        let claim = try await tier.claim(key, lease: lease, wait: wait, readsStoredValue: readsStoredValue)
        if case .stored(let value) = claim {
            for faster in tiers[..<position] { try? await faster.set(key, value, ttl: promotionTTL) }
        }
        return claim
    }

    /// Extends a lease through the tier that gave it.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - duration: How long it lasts from now.
    /// - Returns: Whether the lease was still held.
    /// - Throws: ``CacheError/Code/unsupported`` when no tier shares calls; the tier's error.
    public func renew(_ lease: CacheLease, for duration: Duration) async throws -> Bool {
        try await requireSharingTier().tier.renew(lease, for: duration)
    }

    /// Ends a lease through the tier that gave it.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - stored: Whether a value was stored.
    /// - Throws: ``CacheError/Code/unsupported`` when no tier shares calls; the tier's error.
    public func release(_ lease: CacheLease, stored: Bool) async throws {
        try await requireSharingTier().tier.release(lease, stored: stored)
    }

    private func requireSharingTier() throws(CacheError) -> (position: Int, tier: any SharedFlightCacheAdapter) {
        guard let sharing = sharingTier else {
            throw CacheError.unsupported("no tier of this TieredCache shares calls across processes")
        }
        return sharing
    }
}

extension TieredCache: CacheHealthReporting {
    /// The health of every server behind the tiers that report theirs, fastest tier first.
    public var health: [CacheHealth] {
        tiers.flatMap { ($0 as? any CacheHealthReporting)?.health ?? [] }
    }

    /// Calls `observer` with every change reported by a tier that reports its servers' health.
    ///
    /// - Parameter observer: Called with each change; must return quickly.
    public func observeHealth(_ observer: @escaping @Sendable (CacheHealth) -> Void) {
        for case let reporting as any CacheHealthReporting in tiers { reporting.observeHealth(observer) }
    }
}
