// RedisCache's grace of expired entries against a real redis-server: the grace in the TTL Redis holds,
// reads that tell a live value from one in its grace, a plain GET without a grace, and servers that
// refuse scripts. Real time, short TTLs, no tight bounds.

import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"),
    .timeLimit(.minutes(1))
)
struct RedisCacheStaleGraceTests {
    static let hour = Duration.seconds(3_600)

    /// How many times the server has run `command`, from `INFO commandstats`.
    static func calls(of command: String, _ cache: RedisCache) async throws -> Int {
        let info = try #require(try await cache.command(["INFO", "commandstats"]).string)
        guard let line = info.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("cmdstat_\(command):") })
        else { return 0 }
        let calls = try #require(line.split(separator: ",").first?.split(separator: "=").last)
        return try #require(Int(calls))
    }

    @Test func keepsTheGraceContract() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(staleGrace: .seconds(3)))
            defer { cache.shutdown() }
            try await CacheAdapterConformance.checkStaleGrace(cache) { try await Task.sleep(for: $0) }
            #expect(try await Self.calls(of: "eval", cache) > 0)
        }
    }

    @Test func redisHoldsTheGraceButReadsReportTheTTLWithoutIt() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(staleGrace: .seconds(600)))
            defer { cache.shutdown() }
            try await cache.set("k", Data("v".utf8), ttl: .seconds(3_600))
            guard case .integer(let held) = try await cache.command(["PTTL", "structuredcache:k"]) else {
                Issue.record("PTTL did not return an integer")
                return
            }
            #expect((4_100_000...4_200_000).contains(held))
            let found = try #require(try await cache.getWithRemainingTTL("k"))
            #expect(found.value == Data("v".utf8))
            let remaining = try #require(found.remaining)
            #expect(remaining > .seconds(3_500) && remaining <= .seconds(3_600))
            try await cache.set("forever", Data("f".utf8), ttl: .never)
            #expect(try await cache.command(["PTTL", "structuredcache:forever"]) == .integer(-1))
            #expect(try await cache.getWithRemainingTTL("forever")?.remaining == nil)
            #expect(try await cache.get("forever") == Data("f".utf8))
        }
    }

    @Test func withoutAGraceAReadIsAPlainGET() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            try await cache.set("k", Data("v".utf8), ttl: .seconds(3_600))
            guard case .integer(let held) = try await cache.command(["PTTL", "structuredcache:k"]) else {
                Issue.record("PTTL did not return an integer")
                return
            }
            #expect(held <= 3_600_000)
            let (gets, pttls) = (try await Self.calls(of: "get", cache), try await Self.calls(of: "pttl", cache))
            for _ in 0..<5 { #expect(try await cache.get("k") == Data("v".utf8)) }
            #expect(try await cache.getStale("k", maxStaleness: Self.hour) == nil)
            #expect(try await Self.calls(of: "get", cache) == gets + 5)
            #expect(try await Self.calls(of: "pttl", cache) == pttls)
            #expect(try await Self.calls(of: "eval", cache) == 0)
        }
    }

    @Test func aServerThatRefusesScriptsIsReadWithTwoCommands() async throws {
        try await RedisServerProcess.with { server in
            let admin = try RedisCache(url: server.url)
            defer { admin.shutdown() }
            _ = try await admin.command(["ACL", "SETUSER", "app", "on", ">app-pw", "~*", "+@all", "-@scripting"])
            let cache = try RedisCache(
                url: "redis://app:app-pw@127.0.0.1:\(server.port)", configuration: .init(staleGrace: .seconds(3)))
            defer { cache.shutdown() }
            try await CacheAdapterConformance.checkStaleGrace(cache) { try await Task.sleep(for: $0) }
            let refused = cache.scriptsRefused.load(ordering: .relaxed)
            #expect(refused)
            #expect(try await Self.calls(of: "eval", admin) == 0)
        }
    }

    @Test func aCopyPromotedFromRedisExpiresWithTheValueNotWithItsGrace() async throws {
        try await RedisServerProcess.with { server in
            let redis = try RedisCache(url: server.url, configuration: .init(staleGrace: .seconds(30)))
            defer { redis.shutdown() }
            let memory = try AutoCache(maxSize: 10)
            let tiered = try TieredCache([memory, redis])
            try await redis.set("k", Data("v".utf8), ttl: .milliseconds(1_500))
            // The copy lives no longer than the value has left, however long this read takes.
            if let promoted = try await tiered.get("k") { #expect(promoted == Data("v".utf8)) }
            try await Task.sleep(for: .milliseconds(2_000))
            #expect(memory.sync.get("k") == nil)
            #expect(try await tiered.get("k") == nil)
            #expect(try await tiered.getStale("k", maxStaleness: Self.hour)?.value == Data("v".utf8))
            #expect(memory.count == 0)
        }
    }
}
