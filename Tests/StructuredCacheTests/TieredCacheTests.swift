// Tests of TieredCache: read-through with promotion that keeps the remaining TTL, write-through, removal
// from every tier, and how tier failures are reported.

import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

/// A plain adapter that cannot report remaining TTLs, records the TTLs it was given, and can be told to fail.
private final class ScriptedTier: CacheAdapter {
    private let state = Mutex<(values: [String: Data], ttls: [CacheTTL], failing: Bool)>(([:], [], false))

    var ttls: [CacheTTL] { state.withLock { $0.ttls } }
    func fail(_ failing: Bool) { state.withLock { $0.failing = failing } }
    func contains(_ key: String) -> Bool { state.withLock { $0.values[key] != nil } }

    private func check() throws {
        if state.withLock({ $0.failing }) { throw CacheError.ioFailure("tier down") }
    }

    func get(_ key: String) async throws -> Data? {
        try check()
        return state.withLock { $0.values[key] }
    }

    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        try check()
        state.withLock {
            $0.values[key] = value
            $0.ttls.append(ttl)
        }
    }

    func remove(_ key: String) async throws {
        try check()
        _ = state.withLock { $0.values.removeValue(forKey: key) }
    }

    func removeAll() async throws {
        try check()
        state.withLock { $0.values.removeAll() }
    }
}

@Suite struct TieredCacheTests {
    private static func data(_ text: String) -> Data { Data(text.utf8) }

    private static func withFolder<T>(_ body: (URL) async throws -> T) async rethrows -> T {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("TieredCacheTests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    @Test func rejectsInvalidConfiguration() {
        let empty = #expect(throws: CacheError.self) { try TieredCache([]) }
        #expect(empty?.code == .invalidConfiguration)
        let ttl = #expect(throws: CacheError.self) { try TieredCache([try AutoCache()], promotionTTL: .after(.zero)) }
        #expect(ttl?.code == .invalidConfiguration)
    }

    @Test func conformsToTheAdapterContract() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 1_000, configuration: .init(clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(clock: clock))
            let cache = try TieredCache([memory, disk])
            try await CacheAdapterConformance.check(cache, advance: { clock.advance(by: $0) })
        }
    }

    @Test func promotesAHitToFasterTiersWithItsRemainingTTL() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(clock: clock))
            let cache = try TieredCache([memory, disk])
            try disk.sync.set("k", Self.data("from disk"), ttl: .seconds(10))
            try disk.sync.set("forever", Self.data("forever"))
            clock.advance(by: .seconds(4))
            #expect(memory.sync.get("k") == nil)
            #expect(try await cache.get("k") == Self.data("from disk"))
            let promoted = try #require(memory.entry(forKey: "k"))
            #expect(promoted.value == Self.data("from disk"))
            let remaining = try #require(promoted.remaining)
            #expect(remaining <= .seconds(6) && remaining > .seconds(5), "\(remaining)")
            #expect(try await cache.get("forever") == Self.data("forever"))
            #expect(memory.entry(forKey: "forever").map { $0.remaining == nil } == true)
            // The copy expires with the original.
            clock.advance(by: .milliseconds(6_100))
            #expect(memory.sync.get("k") == nil)
            #expect(try await cache.get("k") == nil)
        }
    }

    @Test func keepsEachTTLSpellingApart() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(
                maxSize: 10, configuration: .init(defaultTTL: .milliseconds(1_500), clock: clock))
            let disk = try DiskCache(
                directory: folder, configuration: .init(defaultTTL: .milliseconds(1_500), clock: clock))
            try await CacheAdapterConformance.checkDefaultTTL(
                TieredCache([memory, disk]), advance: { clock.advance(by: $0) })
        }
    }

    /// A value that never expires in the slower tier must not be cut short by a faster tier's default.
    @Test func promotesALastingValueAsLasting() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 10, configuration: .init(defaultTTL: .seconds(1), clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(clock: clock))
            let cache = try TieredCache([memory, disk])
            try disk.sync.set("k", Self.data("forever"), ttl: .never)
            #expect(try await cache.get("k") == Self.data("forever"))
            #expect(memory.sync.get("k") == Self.data("forever"))
            clock.advance(by: .seconds(5))
            #expect(memory.sync.get("k") == Self.data("forever"))
        }
    }

    @Test func promotesFromUnknownAdaptersWithPromotionTTL() async throws {
        let clock = ManualClock()
        let memory = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        let middle = ScriptedTier()
        let slow = ScriptedTier()
        let cache = try TieredCache([memory, middle, slow], promotionTTL: .seconds(30))
        try await slow.set("k", Self.data("slow"), ttl: .never)
        #expect(try await cache.get("k") == Self.data("slow"))
        #expect(memory.entry(forKey: "k")?.remaining == .seconds(30))
        #expect(middle.ttls == [.seconds(30)])
        clock.advance(by: .seconds(31))
        #expect(memory.sync.get("k") == nil)
        // Served from the middle tier now, and promoted again from there.
        #expect(try await cache.get("k") == Self.data("slow"))
        #expect(memory.sync.get("k") == Self.data("slow"))
    }

    @Test func writesAndRemovesThroughEveryTier() async throws {
        let memory = try AutoCache(maxSize: 10)
        let slow = ScriptedTier()
        let cache = try TieredCache([memory, slow])
        try await cache.set("k", Self.data("v"), ttl: .seconds(3_600))
        #expect(memory.sync.get("k") == Self.data("v"))
        #expect(slow.contains("k"))
        #expect(slow.ttls == [.seconds(3_600)])
        try await cache.remove("k")
        #expect(memory.sync.get("k") == nil)
        #expect(!slow.contains("k"))
        try await cache.set("a", Self.data("v"), ttl: .never)
        try await cache.removeAll()
        #expect(memory.count == 0)
        #expect(!slow.contains("a"))
    }

    @Test func skipsAFailingTierAndReportsFailureOnlyWithoutAnAnswer() async throws {
        let broken = ScriptedTier()
        let slow = ScriptedTier()
        let cache = try TieredCache([broken, slow])
        try await slow.set("k", Self.data("v"), ttl: .never)
        broken.fail(true)
        #expect(try await cache.get("k") == Self.data("v"), "a failed promotion does not fail the read")
        let error = await #expect(throws: CacheError.self) { try await cache.get("missing") }
        #expect(error?.code == .ioFailure)
        // A write reaches the healthy tier even though another fails, then reports the failure.
        await #expect(throws: CacheError.self) { try await cache.set("new", Self.data("n"), ttl: .never) }
        #expect(slow.contains("new"))
    }
}
