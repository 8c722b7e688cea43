// The contract every CacheAdapter keeps, as one reusable check that each adapter's suite runs.

import Foundation
import StructuredCache
import Testing

/// Checks the ``CacheAdapter`` contract against one adapter.
///
/// Every adapter's test suite calls ``check(_:advance:)`` with a fresh, empty adapter and a way to
/// move time forward: a test clock for adapters that take one, real sleeping for a server.
enum CacheAdapterConformance {
    /// Runs every check of the contract.
    ///
    /// - Parameters:
    ///   - adapter: A fresh adapter, empty, with no default TTL.
    ///   - advance: Moves the adapter's notion of time forward by at least the given duration.
    static func check(
        _ adapter: any CacheAdapter,
        advance: (Duration) async throws -> Void
    ) async throws {
        try await missIsNil(adapter)
        try await roundTripsAndOverwrites(adapter)
        try await keepsKeysApartByScalars(adapter)
        try await storesAnyBytes(adapter)
        try await removes(adapter)
        try await honoursTTL(adapter, advance: advance)
        try await survivesConcurrentUse(adapter)
        try await removesAll(adapter)
    }

    static func missIsNil(_ adapter: any CacheAdapter) async throws {
        #expect(try await adapter.get("conformance-missing") == nil)
    }

    static func roundTripsAndOverwrites(_ adapter: any CacheAdapter) async throws {
        try await adapter.set("conformance-a", Data("first".utf8), ttl: .never)
        #expect(try await adapter.get("conformance-a") == Data("first".utf8))
        try await adapter.set("conformance-a", Data("second".utf8), ttl: .never)
        #expect(try await adapter.get("conformance-a") == Data("second".utf8))
        try await adapter.set("conformance-empty", Data(), ttl: .never)
        #expect(try await adapter.get("conformance-empty") == Data())
    }

    static func keepsKeysApartByScalars(_ adapter: any CacheAdapter) async throws {
        // Swift's String == treats these as equal; a cache must not.
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        try await adapter.set(composed, Data("composed".utf8), ttl: .never)
        try await adapter.set(decomposed, Data("decomposed".utf8), ttl: .never)
        #expect(try await adapter.get(composed) == Data("composed".utf8))
        #expect(try await adapter.get(decomposed) == Data("decomposed".utf8))
        let awkward = "../../etc/passwd\u{0}/\\:*?\"<>| " + String(repeating: "k", count: 2_000)
        try await adapter.set(awkward, Data("awkward".utf8), ttl: .never)
        #expect(try await adapter.get(awkward) == Data("awkward".utf8))
    }

    static func storesAnyBytes(_ adapter: any CacheAdapter) async throws {
        let everyByte = Data((0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) })
        try await adapter.set("conformance-bytes", everyByte, ttl: .never)
        #expect(try await adapter.get("conformance-bytes") == everyByte)
        let large = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try await adapter.set("conformance-large", large, ttl: .never)
        #expect(try await adapter.get("conformance-large") == large)
    }

    static func removes(_ adapter: any CacheAdapter) async throws {
        try await adapter.set("conformance-remove", Data("x".utf8), ttl: .never)
        try await adapter.remove("conformance-remove")
        #expect(try await adapter.get("conformance-remove") == nil)
        try await adapter.remove("conformance-never-set")
    }

    /// Adapters on a real clock (RedisCache) share the wall clock with a loaded test run: a value with a
    /// short TTL is only expected before its expiry if the check really ran before it, and values with
    /// an hour's TTL prove that an expiring value is readable at all.
    static func honoursTTL(_ adapter: any CacheAdapter, advance: (Duration) async throws -> Void) async throws {
        let started = ContinuousClock.now
        try await adapter.set("conformance-ttl", Data("short".utf8), ttl: .milliseconds(1_500))
        let early = try await adapter.get("conformance-ttl")
        if ContinuousClock.now - started < .milliseconds(1_400) {
            #expect(early == Data("short".utf8))
        }
        try await adapter.set("conformance-hour", Data("hour".utf8), ttl: .seconds(3_600))
        try await adapter.set("conformance-no-ttl", Data("long".utf8), ttl: .never)
        #expect(try await adapter.get("conformance-hour") == Data("hour".utf8))
        try await advance(.milliseconds(1_700))
        #expect(try await adapter.get("conformance-ttl") == nil)
        #expect(try await adapter.get("conformance-hour") == Data("hour".utf8))
        #expect(try await adapter.get("conformance-no-ttl") == Data("long".utf8))
        // A later set without TTL replaces an expiring value with a lasting one.
        try await adapter.set("conformance-ttl", Data("short".utf8), ttl: .milliseconds(1_500))
        try await adapter.set("conformance-ttl", Data("lasting".utf8), ttl: .never)
        try await advance(.milliseconds(1_700))
        #expect(try await adapter.get("conformance-ttl") == Data("lasting".utf8))
    }

    /// Checks the three spellings of a TTL against an adapter configured with a default TTL of 1.5 s:
    /// ``CacheTTL/adapterDefault`` takes that default, ``CacheTTL/never`` ignores it, a duration wins
    /// over it.
    ///
    /// - Parameters:
    ///   - adapter: A fresh adapter whose default TTL is 1.5 s.
    ///   - advance: Moves the adapter's notion of time forward by at least the given duration.
    static func checkDefaultTTL(
        _ adapter: any CacheAdapter,
        advance: (Duration) async throws -> Void
    ) async throws {
        try await adapter.set("conformance-default", Data("default".utf8), ttl: .adapterDefault)
        try await adapter.set("conformance-never", Data("never".utf8), ttl: .never)
        try await adapter.set("conformance-hour", Data("hour".utf8), ttl: .seconds(3_600))
        try await advance(.milliseconds(1_700))
        #expect(try await adapter.get("conformance-default") == nil)
        #expect(try await adapter.get("conformance-never") == Data("never".utf8))
        #expect(try await adapter.get("conformance-hour") == Data("hour".utf8))
        try await adapter.removeAll()
    }

    /// Checks the grace of expired entries against an adapter configured with a grace of 3 s: an entry
    /// with a TTL of 1 s is never a hit once expired, reads as stale (with how long ago it expired) within
    /// the grace and within the bound asked for, and is gone after the grace; live entries and entries
    /// without expiry are never stale.
    ///
    /// Adapters on a real clock (RedisCache) may take longer than planned between two steps on a loaded
    /// machine, so the reads that need the entry to be within its grace are checked only when the check
    /// really ran in time.
    ///
    /// - Parameters:
    ///   - adapter: A fresh adapter whose `staleGrace` is 3 s.
    ///   - advance: Moves the adapter's notion of time forward by at least the given duration.
    static func checkStaleGrace(
        _ adapter: any StaleReadingCacheAdapter,
        advance: (Duration) async throws -> Void
    ) async throws {
        let hour = Duration.seconds(3_600)
        let started = ContinuousClock.now
        try await adapter.set("stale-short", Data("old".utf8), ttl: .seconds(1))
        try await adapter.set("stale-hour", Data("hour".utf8), ttl: .seconds(3_600))
        try await adapter.set("stale-never", Data("never".utf8), ttl: .never)
        #expect(try await adapter.getStale("stale-hour", maxStaleness: hour) == nil)
        #expect(try await adapter.getStale("stale-never", maxStaleness: hour) == nil)
        #expect(try await adapter.getStale("stale-missing", maxStaleness: hour) == nil)
        try await advance(.milliseconds(1_500))
        // Expired: never a hit, in its grace or not.
        #expect(try await adapter.get("stale-short") == nil)
        let found = try await adapter.getStale("stale-short", maxStaleness: hour)
        let tooStrict = try await adapter.getStale("stale-short", maxStaleness: .milliseconds(100))
        let elapsed = ContinuousClock.now - started
        if elapsed < .milliseconds(3_800) {
            let found = try #require(found, "an entry in its grace reads as stale")
            #expect(found.value == Data("old".utf8))
            #expect(found.staleness >= .milliseconds(400))
            #expect(found.staleness <= max(elapsed, .milliseconds(1_500)) - .milliseconds(900))
            #expect(tooStrict == nil, "an entry stale for longer than the bound is not returned")
        }
        // Reading it stale neither renews it nor makes it a hit.
        #expect(try await adapter.get("stale-short") == nil)
        #expect(try await adapter.get("stale-hour") == Data("hour".utf8))
        try await advance(.milliseconds(3_000))
        #expect(try await adapter.getStale("stale-short", maxStaleness: hour) == nil, "past its grace it is gone")
        #expect(try await adapter.get("stale-short") == nil)
        #expect(try await adapter.get("stale-hour") == Data("hour".utf8))
        #expect(try await adapter.get("stale-never") == Data("never".utf8))
        #expect(try await adapter.getStale("stale-never", maxStaleness: hour) == nil)
        // A new value replaces one in its grace, and is live.
        try await adapter.set("stale-again", Data("first".utf8), ttl: .seconds(1))
        try await advance(.milliseconds(1_500))
        try await adapter.set("stale-again", Data("second".utf8), ttl: .seconds(3_600))
        #expect(try await adapter.get("stale-again") == Data("second".utf8))
        #expect(try await adapter.getStale("stale-again", maxStaleness: hour) == nil)
        try await adapter.removeAll()
    }

    static func survivesConcurrentUse(_ adapter: any CacheAdapter) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for index in 0..<25 {
                        let key = "conformance-concurrent-\(task)-\(index)"
                        let value = Data("\(task):\(index)".utf8)
                        try await adapter.set(key, value, ttl: .never)
                        #expect(try await adapter.get(key) == value)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    static func removesAll(_ adapter: any CacheAdapter) async throws {
        try await adapter.set("conformance-before-clear", Data("x".utf8), ttl: .never)
        try await adapter.removeAll()
        #expect(try await adapter.get("conformance-before-clear") == nil)
        #expect(try await adapter.get("conformance-a") == nil)
        try await adapter.set("conformance-after-clear", Data("y".utf8), ttl: .never)
        #expect(try await adapter.get("conformance-after-clear") == Data("y".utf8))
    }
}
