// Tests of AutoCache: Instructor's LRU behaviour, limits, TTL against a moved clock, and consistency
// under many concurrent tasks and threads.

import Dispatch
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct AutoCacheTests {
    private static func data(_ text: String) -> Data { Data(text.utf8) }

    @Test func rejectsInvalidConfiguration() {
        for make in [
            { try AutoCache(maxSize: 0) },
            { try AutoCache(maxSize: -3) },
            { try AutoCache(maxSize: 10, configuration: .init(maxBytes: 0)) },
            { try AutoCache(maxSize: 10, configuration: .init(defaultTTL: .zero)) },
        ] as [() throws -> AutoCache] {
            let error = #expect(throws: CacheError.self) { try make() }
            #expect(error?.code == .invalidConfiguration)
        }
    }

    @Test func conformsToTheAdapterContract() async throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 1_000, configuration: .init(clock: clock))
        try await CacheAdapterConformance.check(cache, advance: { clock.advance(by: $0) })
        #expect(cache.isConsistent())
    }

    @Test func keepsEachTTLSpellingApart() async throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(defaultTTL: .milliseconds(1_500), clock: clock))
        try await CacheAdapterConformance.checkDefaultTTL(cache, advance: { clock.advance(by: $0) })
    }

    /// Instructor's `test_auto_cache_rejects_invalid_size_and_evicts_least_recently_used`.
    @Test func evictsLeastRecentlyUsedLikeInstructor() throws {
        let cache = try AutoCache(maxSize: 2)
        cache.sync.set("first", Self.data("old"))
        cache.sync.set("second", Self.data("value"))
        cache.sync.set("first", Self.data("updated"))
        cache.sync.set("third", Self.data("value"))
        #expect(cache.sync.get("missing") == nil)
        #expect(cache.sync.get("first") == Self.data("updated"))
        #expect(cache.sync.get("second") == nil)
        #expect(cache.sync.get("third") == Self.data("value"))
        #expect(cache.count == 2)
    }

    @Test func readRefreshesRecency() throws {
        let cache = try AutoCache(maxSize: 2)
        cache.sync.set("a", Self.data("a"))
        cache.sync.set("b", Self.data("b"))
        #expect(cache.sync.get("a") == Self.data("a"))
        cache.sync.set("c", Self.data("c"))
        #expect(cache.sync.get("b") == nil)
        #expect(cache.sync.get("a") == Self.data("a"))
        #expect(cache.sync.get("c") == Self.data("c"))
    }

    @Test func evictsInOrderOfUseOverManyEntries() throws {
        let cache = try AutoCache(maxSize: 100)
        for index in 0..<100 { cache.sync.set("k\(index)", Self.data("\(index)")) }
        // Touch the even keys, so the odd ones are the least recently used.
        for index in stride(from: 0, to: 100, by: 2) { _ = cache.sync.get("k\(index)") }
        for index in 100..<150 { cache.sync.set("k\(index)", Self.data("\(index)")) }
        for index in 0..<100 {
            #expect((cache.sync.get("k\(index)") != nil) == index.isMultiple(of: 2), "key k\(index)")
        }
        #expect(cache.count == 100)
        #expect(cache.isConsistent())
    }

    @Test func keepsWithinByteBudget() throws {
        // Each entry costs 30 value bytes + 2 key bytes = 32; three fit in 100.
        let cache = try AutoCache(maxSize: 100, configuration: .init(maxBytes: 100))
        let value = Data(repeating: 7, count: 30)
        for index in 0..<3 { cache.sync.set("k\(index)", value) }
        #expect(cache.byteCount == 96)
        _ = cache.sync.get("k0")
        cache.sync.set("k3", value)
        #expect(cache.byteCount == 96)
        #expect(cache.sync.get("k1") == nil)
        #expect(cache.sync.get("k0") == value)
        // Growing one entry pushes out as many old ones as needed, never itself.
        cache.sync.set("k3", Data(repeating: 1, count: 90))
        #expect(cache.count == 1)
        #expect(cache.byteCount == 92)
        #expect(cache.sync.get("k3")?.count == 90)
        // A value over the whole budget is refused, and the key's older value goes with it.
        cache.sync.set("k3", Data(repeating: 2, count: 99))
        #expect(cache.sync.get("k3") == nil)
        #expect(cache.byteCount == 0)
        #expect(cache.isConsistent())
    }

    @Test func expiresAfterTTL() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        cache.sync.set("short", Self.data("short"), ttl: .seconds(10))
        cache.sync.set("lasting", Self.data("lasting"))
        clock.advance(by: .milliseconds(9_999))
        #expect(cache.sync.get("short") == Self.data("short"))
        clock.advance(by: .milliseconds(1))
        #expect(cache.sync.get("short") == nil)
        #expect(cache.count == 1, "an expired entry is dropped when read")
        clock.advance(by: .seconds(1_000_000))
        #expect(cache.sync.get("lasting") == Self.data("lasting"))
    }

    @Test func appliesDefaultTTLUnlessTold() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(defaultTTL: .seconds(5), clock: clock))
        cache.sync.set("default", Self.data("default"))
        cache.sync.set("longer", Self.data("longer"), ttl: .seconds(60))
        cache.sync.set("gone", Self.data("x"), ttl: .after(.zero))
        #expect(cache.sync.get("gone") == nil)
        clock.advance(by: .seconds(6))
        #expect(cache.sync.get("default") == nil)
        #expect(cache.sync.get("longer") == Self.data("longer"))
        // A zero TTL removes what was there.
        cache.sync.set("longer", Self.data("x"), ttl: .seconds(-1))
        #expect(cache.sync.get("longer") == nil)
    }

    @Test func removesExpiredValuesInBulk() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 100, configuration: .init(maxBytes: 10_000, clock: clock))
        for index in 0..<10 {
            cache.sync.set("k\(index)", Self.data("v"), ttl: index < 6 ? .seconds(1) : .never)
        }
        #expect(cache.sync.sweep() == 0)
        clock.advance(by: .seconds(2))
        #expect(cache.sync.sweep() == 6)
        #expect(cache.count == 4)
        #expect(cache.byteCount == 4 * 3)
        #expect(cache.isConsistent())
    }

    @Test func reportsRemainingTTL() throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        cache.sync.set("ttl", Self.data("v"), ttl: .seconds(10))
        cache.sync.set("forever", Self.data("v"))
        clock.advance(by: .seconds(4))
        #expect(cache.entry(forKey: "ttl")?.remaining == .seconds(6))
        #expect(cache.entry(forKey: "forever").map { $0.remaining == nil } == true)
        clock.advance(by: .seconds(6))
        #expect(cache.entry(forKey: "ttl") == nil)
    }

    @Test func keepsCanonicallyEquivalentKeysApart() throws {
        let cache = try AutoCache(maxSize: 10)
        cache.sync.set("\u{E9}", Self.data("nfc"))
        cache.sync.set("e\u{301}", Self.data("nfd"))
        #expect(cache.count == 2)
        #expect(cache.sync.get("\u{E9}") == Self.data("nfc"))
        #expect(cache.sync.get("e\u{301}") == Self.data("nfd"))
        // Bridged and substring-made keys are the same keys as native ones.
        let long = String(repeating: "x", count: 40) + "\u{E9}"
        cache.sync.set(long, Self.data("long"))
        #expect(cache.sync.get(String(long[...])) == Self.data("long"))
        #expect(cache.sync.get(String(describing: NSString(string: long))) == Self.data("long"))
    }

    @Test func removesOneAndAll() throws {
        let cache = try AutoCache(maxSize: 10, configuration: .init(maxBytes: 1_000))
        for index in 0..<5 { cache.sync.set("k\(index)", Self.data("v")) }
        cache.sync.remove("k2")
        cache.sync.remove("never")
        #expect(cache.count == 4)
        #expect(cache.sync.get("k2") == nil)
        cache.sync.removeAll()
        #expect(cache.count == 0)
        #expect(cache.byteCount == 0)
        cache.sync.set("k1", Self.data("again"))
        #expect(cache.sync.get("k1") == Self.data("again"))
        #expect(cache.isConsistent())
    }

    /// Many tasks churn a small cache: its size and bytes never pass their bounds, every value read is one
    /// written for that key, and the internal list stays consistent.
    @Test func staysWithinBoundsUnderConcurrentChurn() async throws {
        let bound = 64
        let budget = 1_000
        let cache = try AutoCache(maxSize: bound, configuration: .init(maxBytes: budget))
        let violations = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var problems: [String] = []
                    var generator = SystemRandomNumberGenerator()
                    for step in 0..<4_000 {
                        let key = "key-\(Int.random(in: 0..<500, using: &generator))"
                        switch step % 4 {
                        case 0, 1:
                            let value = Data("\(key)|\(task)|\(step)".utf8)
                            try await cache.set(key, value, ttl: .never)
                        case 2:
                            if let value = try await cache.get(key),
                                !String(decoding: value, as: UTF8.self).hasPrefix(key + "|")
                            {
                                problems.append("\(key) returned \(String(decoding: value, as: UTF8.self))")
                            }
                        default:
                            if step % 400 == 3 { try await cache.remove(key) }
                            let (count, bytes) = (cache.count, cache.byteCount)
                            if count > bound || bytes > budget { problems.append("count \(count), bytes \(bytes)") }
                        }
                    }
                    return problems
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(cache.count <= bound)
        #expect(cache.isConsistent())
    }

    /// Each task owns one key and updates it many times while others do the same and churn a shared key:
    /// every read sees the owner's latest write and nothing is lost.
    @Test func losesNoUpdatesUnderConcurrency() async throws {
        let cache = try AutoCache(maxSize: 1_000)
        let tasks = 16
        let final = try await withThrowingTaskGroup(of: (Int, Int?).self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var mismatch: Int?
                    for version in 0..<500 {
                        try await cache.set("owned-\(task)", Data("\(version)".utf8), ttl: .never)
                        try await cache.set("shared", Data("\(task)-\(version)".utf8), ttl: .never)
                        let read = try await cache.get("owned-\(task)").map { String(decoding: $0, as: UTF8.self) }
                        if read != "\(version)", mismatch == nil { mismatch = version }
                    }
                    return (task, mismatch)
                }
            }
            return try await group.reduce(into: [(Int, Int?)]()) { $0.append($1) }
        }
        #expect(final.allSatisfy { $0.1 == nil }, "\(final.filter { $0.1 != nil })")
        for task in 0..<tasks {
            #expect(cache.sync.get("owned-\(task)") == Data("499".utf8))
        }
        let shared = cache.sync.get("shared").map { String(decoding: $0, as: UTF8.self) }
        #expect(shared.map { $0.hasSuffix("-499") } == true, "the shared key holds some task's last write")
        #expect(cache.count == tasks + 1)
        #expect(cache.isConsistent())
    }

    /// The synchronous API from real threads at once (not only tasks), with TTLs and evictions mixed in.
    @Test func synchronousAPIIsSafeFromManyThreads() throws {
        let clock = ManualClock()
        let cache = try AutoCache(
            maxSize: 50, configuration: .init(maxBytes: 4_000, defaultTTL: .seconds(30), clock: clock))
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for step in 0..<3_000 {
                let key = "k\((thread * 31 + step * 7) % 200)"
                switch step % 5 {
                case 0: cache.sync.set(key, Data(repeating: UInt8(thread), count: step % 120))
                case 1: cache.sync.set(key, Data("short".utf8), ttl: .seconds(1))
                case 2: clock.advance(by: .milliseconds(1))
                case 3: cache.sync.sweep()
                default: _ = cache.sync.get(key)
                }
            }
        }
        #expect(cache.count <= 50)
        #expect(cache.byteCount <= 4_000)
        #expect(cache.isConsistent())
    }
}
