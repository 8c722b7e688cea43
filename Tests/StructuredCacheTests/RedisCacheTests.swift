// RedisCache against a real redis-server started by the test run: the adapter contract, TTL, binary
// safety, large values, concurrency, authentication, database selection and protocol fallback.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"),
    .timeLimit(.minutes(1))
)
struct RedisCacheTests {
    @Test func passesTheAdapterConformanceSuite() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            try await CacheAdapterConformance.check(cache) { try await Task.sleep(for: $0) }
        }
    }

    @Test func keepsEachTTLSpellingApart() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(defaultTTL: .milliseconds(1_500)))
            defer { cache.shutdown() }
            try await CacheAdapterConformance.checkDefaultTTL(cache) { try await Task.sleep(for: $0) }
        }
    }

    @Test func expiresEntriesAfterTheirTTL() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            // A loaded machine may take longer than a short TTL between two commands, so the TTL the
            // server holds is read on an hour-long entry, and the short one is only checked for expiry.
            try await cache.set("ttl", Data("soon gone".utf8), ttl: .milliseconds(1_500))
            try await cache.set("hour", Data("an hour".utf8), ttl: .seconds(3_600))
            try await cache.set("lasting", Data("stays".utf8), ttl: .never)
            #expect(try await cache.get("hour") == Data("an hour".utf8))
            guard case .integer(let remaining) = try await cache.command(["PTTL", "structuredcache:hour"]) else {
                Issue.record("PTTL did not return an integer")
                return
            }
            #expect((3_500_000...3_600_000).contains(remaining))
            #expect(try await cache.command(["PTTL", "structuredcache:lasting"]) == .integer(-1))
            try await Task.sleep(for: .milliseconds(1_700))
            #expect(try await cache.get("ttl") == nil)
            #expect(try await cache.command(["EXISTS", "structuredcache:ttl"]) == .integer(0))
            #expect(try await cache.get("hour") == Data("an hour".utf8))
            #expect(try await cache.get("lasting") == Data("stays".utf8))
        }
    }

    @Test func storesEveryByteValue() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            for byte in 0...255 {
                let key = "byte-" + String(Character(Unicode.Scalar(UInt8(byte))))
                try await cache.set(key, Data([UInt8(byte)]), ttl: .never)
            }
            for byte in 0...255 {
                let key = "byte-" + String(Character(Unicode.Scalar(UInt8(byte))))
                #expect(try await cache.get(key) == Data([UInt8(byte)]), "byte \(byte)")
            }
            let everyByte = Data((0...255).map { UInt8($0) } + [13, 10, 13, 10, 0, 0])
            try await cache.set("\u{0}\r\n key with NUL, CRLF and space \u{1F600}", everyByte, ttl: .never)
            #expect(try await cache.get("\u{0}\r\n key with NUL, CRLF and space \u{1F600}") == everyByte)
            #expect(try await cache.get("\u{0}\r\n key with NUL, CRLF and space") == nil)
        }
    }

    @Test func storesATenMebibyteValue() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            var generator = SplitMix64(seed: 42)
            let large = Data((0..<(10 * 1024 * 1024)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            try await cache.set("large", large, ttl: .seconds(60))
            let read = try await cache.get("large")
            #expect(read?.count == large.count)
            #expect(read == large)
            // The connection is still in step after the large transfer.
            try await cache.set("after", Data("small".utf8), ttl: .never)
            #expect(try await cache.get("after") == Data("small".utf8))
        }
    }

    @Test func servesAThousandConcurrentTasks() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<1_000 {
                    group.addTask {
                        let value = Data("value of task \(task)".utf8)
                        try await cache.set("task-\(task)", value, ttl: .seconds(60))
                        #expect(try await cache.get("task-\(task)") == value)
                        #expect(try await cache.get("task-\((task + 1) % 1_000)-missing") == nil)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await cache.command(["DBSIZE"]) == .integer(1_000))
        }
    }

    @Test func authenticatesAnACLUser() async throws {
        let arguments = [
            "--user", "alice", "on", ">wonderland", "~structuredcache:*", "+@all", "--user", "default", "off",
        ]
        try await RedisServerProcess.with(arguments: arguments) { server in
            let url = "redis://alice:wonderland@127.0.0.1:\(server.port)"
            let cache = try RedisCache(url: url)
            defer { cache.shutdown() }
            try await cache.set("acl", Data("ok".utf8), ttl: .never)
            #expect(try await cache.get("acl") == Data("ok".utf8))
            #expect(try await cache.command(["ACL", "WHOAMI"]).string == "alice")
            try await cache.removeAll()
            #expect(try await cache.get("acl") == nil)

            let wrong = try RedisCache(url: "redis://alice:rabbit@127.0.0.1:\(server.port)")
            defer { wrong.shutdown() }
            await #expect { try await wrong.get("acl") } throws: { ($0 as? CacheError)?.code == .authenticationFailed }

            let anonymous = try RedisCache(url: server.url)
            defer { anonymous.shutdown() }
            await #expect { try await anonymous.get("acl") } throws: {
                ($0 as? CacheError)?.code == .authenticationFailed
            }

            // Credentials given as options rather than in the URL.
            let options = RedisCache.Configuration(authentication: .init(username: "alice", password: "wonderland"))
            let fromOptions = try RedisCache(url: server.url, configuration: options)
            defer { fromOptions.shutdown() }
            #expect(try await fromOptions.get("acl") == nil)
        }
    }

    @Test func authenticatesWithAPasswordOnly() async throws {
        try await RedisServerProcess.with(arguments: ["--requirepass", "s3cret/with:odd@chars"]) { server in
            let cache = try RedisCache(url: "redis://:s3cret%2Fwith%3Aodd%40chars@127.0.0.1:\(server.port)/0")
            defer { cache.shutdown() }
            try await cache.set("pw", Data("ok".utf8), ttl: .never)
            #expect(try await cache.get("pw") == Data("ok".utf8))
        }
    }

    @Test func keepsDatabasesApart() async throws {
        try await RedisServerProcess.with { server in
            let first = try RedisCache(url: server.url + "/1")
            let second = try RedisCache(url: server.url + "/2")
            let zero = try RedisCache(url: server.url)
            defer {
                first.shutdown()
                second.shutdown()
                zero.shutdown()
            }
            try await first.set("shared-key", Data("one".utf8), ttl: .never)
            try await second.set("shared-key", Data("two".utf8), ttl: .never)
            #expect(try await first.get("shared-key") == Data("one".utf8))
            #expect(try await second.get("shared-key") == Data("two".utf8))
            #expect(try await zero.get("shared-key") == nil)
            try await first.removeAll()
            #expect(try await first.get("shared-key") == nil)
            #expect(try await second.get("shared-key") == Data("two".utf8))
        }
    }

    @Test func fallsBackToRESP2OnAServerWithoutHELLO() async throws {
        try await RedisServerProcess.with(arguments: ["--rename-command", "HELLO", ""]) { server in
            let cache = try RedisCache(
                url: server.url, configuration: .init(connection: .init(clientName: "fallback"), pool: .init(size: 1)))
            defer { cache.shutdown() }
            try await cache.set("resp2", Data("yes".utf8), ttl: .seconds(10))
            #expect(try await cache.get("resp2") == Data("yes".utf8))
            let info = try await cache.command(["CLIENT", "INFO"]).string ?? ""
            #expect(info.contains("resp=2"))
            #expect(info.contains("name=fallback"))
        }
    }

    @Test func speaksRESP2WhenAskedTo() async throws {
        try await RedisServerProcess.with { server in
            let options = RedisCache.Configuration(connection: .init(protocolVersion: .resp2), pool: .init(size: 1))
            let cache = try RedisCache(url: server.url + "/3", configuration: options)
            defer { cache.shutdown() }
            try await cache.set("k", Data("v".utf8), ttl: .never)
            #expect(try await cache.get("k") == Data("v".utf8))
            let info = try await cache.command(["CLIENT", "INFO"]).string ?? ""
            #expect(info.contains("resp=2"))
            #expect(info.contains("db=3"))
            #expect(info.contains("name=structuredcache"))
        }
    }

    @Test func removeAllRemovesOnlyItsOwnPrefix() async throws {
        try await RedisServerProcess.with { server in
            // Glob characters in the prefix must match only themselves.
            let options = RedisCache.Configuration(keyPrefix: "app*[1]?:", scanBatchSize: 100)
            let cache = try RedisCache(url: server.url, configuration: options)
            let neighbour = try RedisCache(url: server.url, configuration: .init(keyPrefix: "app1X:"))
            let plain = try RedisCache(url: server.url, configuration: .init(keyPrefix: "appZ[1]Y:"))
            defer {
                cache.shutdown()
                neighbour.shutdown()
                plain.shutdown()
            }
            for index in 0..<2_500 {
                try await cache.set("k\(index)", Data([UInt8(truncatingIfNeeded: index)]), ttl: .never)
            }
            try await neighbour.set("k1", Data("neighbour".utf8), ttl: .never)
            try await plain.set("k1", Data("plain".utf8), ttl: .never)
            _ = try await cache.command(["SET", "unrelated", "x"])
            try await cache.removeAll()
            #expect(try await cache.get("k1") == nil)
            #expect(try await cache.get("k2499") == nil)
            #expect(try await neighbour.get("k1") == Data("neighbour".utf8))
            #expect(try await plain.get("k1") == Data("plain".utf8))
            #expect(try await cache.command(["GET", "unrelated"]) == .bulkString(Array("x".utf8)))
            #expect(try await cache.command(["DBSIZE"]) == .integer(3))
        }
    }

    @Test func refusesAnEmptyPrefixInRemoveAll() async throws {
        let cache = try RedisCache(url: "redis://127.0.0.1:1", configuration: .init(keyPrefix: ""))
        defer { cache.shutdown() }
        await #expect { try await cache.removeAll() } throws: { ($0 as? CacheError)?.code == .invalidConfiguration }
    }

    @Test func refusesValuesAndRepliesOverTheLimits() async throws {
        try await RedisServerProcess.with { server in
            let options = RedisCache.Configuration(
                maximumValueSize: 4_000, connection: .init(maximumReplySize: 1_000), pool: .init(size: 1))
            let cache = try RedisCache(url: server.url, configuration: options)
            defer { cache.shutdown() }
            await #expect { try await cache.set("big", Data(count: 4_001), ttl: .never) } throws: {
                ($0 as? CacheError)?.code == .valueTooLarge
            }
            try await cache.set("medium", Data(count: 2_000), ttl: .never)
            await #expect { try await cache.get("medium") } throws: { ($0 as? CacheError)?.code == .valueTooLarge }
            // The connection was dropped, not desynchronised: the next command reconnects and works.
            try await cache.set("small", Data(count: 10), ttl: .never)
            #expect(try await cache.get("small") == Data(count: 10))
        }
    }

    @Test func failsEveryCallAfterShutdown() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            try await cache.set("k", Data("v".utf8), ttl: .never)
            cache.shutdown()
            await #expect { try await cache.get("k") } throws: { ($0 as? CacheError)?.code == .shutDown }
        }
    }

    @Test func promotesToFasterTiersWithTheTimeLeft() async throws {
        try await RedisServerProcess.with { server in
            let redis = try RedisCache(url: "redis://127.0.0.1:\(server.port)")
            defer { redis.shutdown() }
            let memory = try AutoCache(maxSize: 10)
            let tiered = try TieredCache([memory, redis])
            try await redis.set("shared", Data("from redis".utf8), ttl: .seconds(60))
            #expect(try await tiered.get("shared") == Data("from redis".utf8))
            let promoted = try #require(try await memory.getWithRemainingTTL("shared"))
            #expect(promoted.value == Data("from redis".utf8))
            let remaining = try #require(promoted.remaining)
            #expect(remaining <= .seconds(60) && remaining > .seconds(50))
            try await redis.set("lasting", Data("x".utf8), ttl: .never)
            _ = try await tiered.get("lasting")
            #expect(try await memory.getWithRemainingTTL("lasting")?.remaining == nil)
        }
    }
}
