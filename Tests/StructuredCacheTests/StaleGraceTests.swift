// The grace of expired entries in AutoCache, DiskCache (real files) and TieredCache, on a clock the tests
// move: kept, counted in the byte budget, never a hit, read only as stale, and gone after the grace.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct AutoCacheStaleGraceTests {
    static let hour = Duration.seconds(3_600)

    @Test func keepsTheGraceContract() async throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 100, configuration: .init(staleGrace: .seconds(3), clock: clock))
        try await CacheAdapterConformance.checkStaleGrace(cache) { clock.advance(by: $0) }
        #expect(cache.isConsistent())
    }

    @Test func withoutAGraceNothingIsStaleAndExpiredEntriesGoAtOnce() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        cache.set("k", Data("v".utf8), ttl: .seconds(1))
        clock.advance(by: .seconds(2))
        #expect(cache.getStale("k", maxStaleness: Self.hour) == nil)
        #expect(cache.count == 1)
        #expect(cache.get("k") == nil)
        #expect(cache.count == 0)
    }

    @Test func aGetMissesAnEntryInItsGraceButKeepsIt() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(60), clock: clock))
        cache.set("k", Data("value".utf8), ttl: .seconds(10))
        clock.advance(by: .seconds(15))
        #expect(cache.get("k") == nil)
        #expect(cache.count == 1 && cache.byteCount == 6)
        let stale = try #require(cache.getStale("k", maxStaleness: .seconds(30)))
        #expect(stale.value == Data("value".utf8) && stale.staleness == .seconds(5))
        #expect(cache.getStale("k", maxStaleness: .seconds(4)) == nil)
        #expect(cache.count == 1)
        clock.advance(by: .seconds(55))
        // Past the grace: a get drops it, as an expired entry without a grace is dropped.
        #expect(cache.get("k") == nil)
        #expect(cache.count == 0 && cache.byteCount == 0)
        #expect(cache.isConsistent())
    }

    @Test func entriesInTheirGraceCountInTheByteBudget() throws {
        let clock = ManualClock()
        let cache = try AutoCache(
            maxSize: 10, configuration: .init(maxBytes: 100, staleGrace: .seconds(60), clock: clock))
        cache.set("a", Data(repeating: 1, count: 49), ttl: .seconds(10))  // costs 50
        clock.advance(by: .seconds(20))
        #expect(cache.get("a") == nil)
        #expect(cache.byteCount == 50)
        cache.set("b", Data(repeating: 2, count: 39), ttl: .never)  // costs 40: 90 fit
        #expect(cache.byteCount == 90)
        #expect(cache.getStale("a", maxStaleness: Self.hour)?.value.count == 49)
        cache.set("c", Data(repeating: 3, count: 19), ttl: .never)  // costs 20: 110 do not fit
        // The entry in its grace was the least recently used, so it went to make room.
        #expect(cache.byteCount == 60)
        #expect(cache.getStale("a", maxStaleness: Self.hour) == nil)
        #expect(cache.get("b") != nil && cache.get("c") != nil)
        #expect(cache.isConsistent())
    }

    @Test func entriesInTheirGraceCountAgainstMaxSize() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 2, configuration: .init(staleGrace: .seconds(60), clock: clock))
        cache.set("a", Data("a".utf8), ttl: .seconds(1))
        cache.set("b", Data("b".utf8), ttl: .never)
        clock.advance(by: .seconds(2))
        #expect(cache.get("a") == nil)
        #expect(cache.count == 2)
        #expect(cache.getStale("a", maxStaleness: Self.hour)?.value == Data("a".utf8))
        // The entry in its grace takes a place like any other, and goes first as the least recently used.
        cache.set("c", Data("c".utf8), ttl: .never)
        #expect(cache.getStale("a", maxStaleness: Self.hour) == nil)
        #expect(cache.count == 2)
    }

    @Test func sweepKeepsEntriesInTheirGrace() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(60), clock: clock))
        cache.set("a", Data("a".utf8), ttl: .seconds(1))
        cache.set("b", Data("b".utf8), ttl: .seconds(100))
        clock.advance(by: .seconds(30))
        #expect(cache.sweep() == 0)
        #expect(cache.getStale("a", maxStaleness: Self.hour)?.staleness == .seconds(29))
        clock.advance(by: .seconds(40))
        #expect(cache.sweep() == 1)
        #expect(cache.count == 1 && cache.get("b") == Data("b".utf8))
    }

    @Test func aGraceMustBePositive() {
        for grace in [Duration.zero, .seconds(-1)] {
            #expect(throws: CacheError.self) { try AutoCache(configuration: .init(staleGrace: grace)) }
        }
    }
}

struct DiskCacheStaleGraceTests {
    static let hour = Duration.seconds(3_600)

    @Test func keepsTheGraceContract() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(3), clock: clock))
            try await CacheAdapterConformance.checkStaleGrace(cache) { clock.advance(by: $0) }
        }
    }

    @Test func aGetLeavesTheFileOfAnEntryInItsGrace() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(60), clock: clock))
            try await cache.set("k", Data("value".utf8), ttl: .seconds(10))
            clock.advance(by: .seconds(15))
            // Both ways of reading: on the calling task (the kernel holds the file) and blocking.
            #expect(try await cache.get("k") == nil)
            #expect(try cache.sync.get("k") == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).count == 1)
            let stale = try #require(try await cache.getStale("k", maxStaleness: Self.hour))
            #expect(stale.value == Data("value".utf8) && stale.staleness == .seconds(5))
            #expect(try cache.sync.getStale("k", maxStaleness: Self.hour)?.value == Data("value".utf8))
            #expect(try await cache.getStale("k", maxStaleness: .seconds(4)) == nil)
            clock.advance(by: .seconds(55))
            #expect(try await cache.getStale("k", maxStaleness: Self.hour) == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).isEmpty)
        }
    }

    @Test func withoutAGraceAnExpiredFileGoesWhenRead() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock))
            try await cache.set("k", Data("value".utf8), ttl: .seconds(10))
            clock.advance(by: .seconds(15))
            #expect(try await cache.getStale("k", maxStaleness: Self.hour) == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).count == 1)
            #expect(try await cache.get("k") == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).isEmpty)
        }
    }

    @Test func sweepKeepsEntriesInTheirGrace() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(60), clock: clock))
            try await cache.set("a", Data("a".utf8), ttl: .seconds(1))
            try await cache.set("b", Data("b".utf8), ttl: .seconds(100))
            clock.advance(by: .seconds(30))
            #expect(try await cache.sweep() == 0)
            #expect(try await cache.getStale("a", maxStaleness: Self.hour)?.value == Data("a".utf8))
            clock.advance(by: .seconds(40))
            #expect(try await cache.sweep() == 1)
            #expect(DiskCacheTests.entryFiles(in: folder).count == 1)
            #expect(try await cache.get("b") == Data("b".utf8))
        }
    }

    @Test func entriesInTheirGraceCountInTheByteBudget() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let entry = DiskEntryFormat.headerSize + 1 + 100  // a one-byte key, a 100-byte value
            let cache = try DiskCache(
                directory: folder,
                configuration: .init(maxBytes: 2 * entry + entry / 2, staleGrace: .seconds(60), clock: clock))
            try await cache.set("a", Data(repeating: 1, count: 100), ttl: .seconds(1))
            clock.advance(by: .seconds(2))
            #expect(try await cache.get("a") == nil)
            try await cache.set("b", Data(repeating: 2, count: 100), ttl: .never)
            #expect(try await cache.getStale("a", maxStaleness: Self.hour) != nil)
            // A third entry does not fit beside two: the one in its grace, least recently used, goes.
            try await cache.set("c", Data(repeating: 3, count: 100), ttl: .never)
            #expect(try await cache.getStale("a", maxStaleness: Self.hour) == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).count == 2)
            #expect(try await cache.get("b") != nil)
            #expect(try await cache.get("c") != nil)
        }
    }

    @Test func aStaleReadRemovesDamagedAndForeignFilesAsAGetDoes() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(60), clock: clock))
            try await cache.set("damaged", Data("value".utf8), ttl: .seconds(1))
            let file = try #require(DiskCacheTests.entryFiles(in: folder).first)
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count - 1] ^= 0xFF
            try bytes.write(to: file)
            clock.advance(by: .seconds(2))
            #expect(try await cache.getStale("damaged", maxStaleness: Self.hour) == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).isEmpty)
            // A link in an entry's place is removed, never followed.
            try await cache.set("linked", Data("value".utf8), ttl: .seconds(1))
            let entry = try #require(DiskCacheTests.entryFiles(in: folder).first)
            let target = folder.deletingLastPathComponent().appendingPathComponent("target-\(UUID().uuidString)")
            try Data("outside".utf8).write(to: target)
            defer { try? FileManager.default.removeItem(at: target) }
            try FileManager.default.removeItem(at: entry)
            try FileManager.default.createSymbolicLink(at: entry, withDestinationURL: target)
            clock.advance(by: .seconds(2))
            #expect(try await cache.getStale("linked", maxStaleness: Self.hour) == nil)
            #expect(!FileManager.default.fileExists(atPath: entry.path))
            #expect(try Data(contentsOf: target) == Data("outside".utf8))
        }
    }

    @Test func aGraceMustBePositive() async {
        await DiskCacheTests.withFolder { folder in
            #expect(throws: CacheError.self) {
                try DiskCache(directory: folder, configuration: .init(staleGrace: .zero))
            }
            return
        }
    }
}

struct TieredCacheStaleGraceTests {
    static let hour = Duration.seconds(3_600)

    @Test func keepsTheGraceContract() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 100, configuration: .init(staleGrace: .seconds(3), clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(3), clock: clock))
            try await CacheAdapterConformance.checkStaleGrace(try TieredCache([memory, disk])) {
                clock.advance(by: $0)
            }
        }
    }

    @Test func readsStaleValuesThroughItsTiersWithoutPromotingThem() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(60), clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(60), clock: clock))
            let tiered = try TieredCache([memory, disk])
            try await disk.set("k", Data("from disk".utf8), ttl: .seconds(10))
            clock.advance(by: .seconds(12))
            #expect(try await tiered.get("k") == nil)
            let stale = try #require(try await tiered.getStale("k", maxStaleness: Self.hour))
            #expect(stale.value == Data("from disk".utf8) && stale.staleness == .seconds(2))
            // Nothing was copied into the memory tier: a copy would be a fresh value there.
            #expect(memory.count == 0)
            #expect(try await tiered.get("k") == nil)
            // A tier that keeps no grace is not asked, and one that fails does not hide another's value.
            let plain = try RecordingAdapter()
            let mixed = try TieredCache([plain, FailingAdapter(), disk])
            #expect(try await mixed.getStale("k", maxStaleness: Self.hour)?.value == Data("from disk".utf8))
            #expect(plain.calls.isEmpty)
            await #expect(throws: CacheError.self) {
                _ = try await TieredCache([FailingAdapter(), memory]).getStale("k", maxStaleness: Self.hour)
            }
        }
    }

    @Test func aPromotedCopyExpiresAndEntersItsGraceWithTheOriginal() async throws {
        try await DiskCacheTests.withFolder { folder in
            let clock = ManualClock()
            let memory = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(60), clock: clock))
            let disk = try DiskCache(directory: folder, configuration: .init(staleGrace: .seconds(60), clock: clock))
            let tiered = try TieredCache([memory, disk])
            try await disk.set("k", Data("v".utf8), ttl: .seconds(10))
            clock.advance(by: .seconds(4))
            #expect(try await tiered.get("k") == Data("v".utf8))
            #expect(memory.count == 1)
            clock.advance(by: .seconds(7))
            #expect(memory.sync.get("k") == nil)
            #expect(try await tiered.get("k") == nil)
            #expect(memory.sync.getStale("k", maxStaleness: Self.hour)?.staleness == .seconds(1))
        }
    }
}

/// A stale-reading adapter whose every call fails.
private struct FailingAdapter: StaleReadingCacheAdapter {
    func get(_ key: String) async throws -> Data? { throw CacheError.ioFailure("down") }
    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws { throw CacheError.ioFailure("down") }
    func remove(_ key: String) async throws { throw CacheError.ioFailure("down") }
    func removeAll() async throws { throw CacheError.ioFailure("down") }
    func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        throw CacheError.ioFailure("down")
    }
}
