// The circuit breaker of RedisCache against a real redis-server that is stopped, killed and restarted:
// a hung server costs a call at most one timeout, recovery is driven by the probe, the client reports
// the changes and keeps answering, and permission errors say what to change.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"))
struct RedisBreakerTests {
    /// The health changes a cache reported, in order.
    final class HealthLog: Sendable {
        private let changes = Mutex<[CacheHealth]>([])
        func record(_ change: CacheHealth) { changes.withLock { $0.append(change) } }
        var all: [CacheHealth] { changes.withLock { $0 } }

        /// Waits (generously) until `count` changes were reported.
        func wait(for count: Int, within limit: Duration = .seconds(30)) async throws -> [CacheHealth] {
            let deadline = ContinuousClock.now + limit
            while all.count < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            return all
        }
    }

    /// A count shared by tasks.
    final class Counter: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func aStoppedServerIsSkippedAfterOneTimeoutAndUsedAgainWhenItAnswers() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url,
            configuration: .init(
                connection: .init(commandTimeout: .seconds(1)),
                breaker: .init(failureThreshold: 3, probeInterval: .milliseconds(100))))
        defer { cache.shutdown() }
        let log = HealthLog()
        cache.observeHealth(log.record)
        try await cache.set("k", Data("v".utf8), ttl: .never)
        #expect(cache.health.map(\.isAvailable) == [true])

        server.signal(SIGSTOP)
        var codes: [CacheError.Code] = []
        for _ in 0..<10 {
            do {
                _ = try await cache.get("k")
            } catch let error as CacheError {
                codes.append(error.code)
            }
        }
        // One timeout, then the server is skipped without waiting.
        #expect(codes.count == 10)
        #expect(codes.first == .timeout, "\(codes)")
        #expect(codes.dropFirst().allSatisfy { $0 == .unavailable }, "\(codes)")
        #expect(cache.health.map(\.isAvailable) == [false])
        let opened = try await log.wait(for: 1)
        #expect(opened.first?.isAvailable == false)
        #expect(opened.first?.error?.code == .timeout || opened.first?.error?.code == .connectionFailed)

        server.signal(SIGCONT)
        // No command is sent meanwhile: the probe alone notices the server is back.
        let changes = try await log.wait(for: 2)
        #expect(changes.map(\.isAvailable) == [false, true])
        #expect(try await cache.get("k") == Data("v".utf8))
        #expect(cache.health.map(\.isAvailable) == [true])
    }

    @Test func aKilledServerIsUsedAgainAsSoonAsItIsBackHoweverLongItWasGone() async throws {
        var server = try RedisServerProcess()
        let port = server.port
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url,
            configuration: .init(
                pool: .init(size: 2, reconnectBackoff: .init(initial: .seconds(5), maximum: .seconds(60))),
                breaker: .init(failureThreshold: 2, probeInterval: .milliseconds(100))))
        defer { cache.shutdown() }
        let log = HealthLog()
        cache.observeHealth(log.record)
        try await cache.set("k", Data("v".utf8), ttl: .never)
        server.kill()
        for _ in 0..<4 { _ = try? await cache.get("k") }
        #expect(try await log.wait(for: 1).map(\.isAvailable) == [false])
        // Long enough that a doubling reconnect backoff would have grown well past a second.
        try await Task.sleep(for: .seconds(3))
        server = try RedisServerProcess(port: port)
        try await RedisCache(url: server.url).set("k", Data("w".utf8), ttl: .never)
        #expect(try await log.wait(for: 2).map(\.isAvailable) == [false, true])
        // Every slot reconnects at once: the backoff a failed attempt started is over.
        for _ in 0..<8 {
            #expect(try await cache.get("k") == Data("w".utf8))
        }
    }

    @Test func theBreakerCanBeTurnedOff() async throws {
        let port = try RedisServerProcess.freePort()
        let cache = try RedisCache(
            url: "redis://127.0.0.1:\(port)",
            configuration: .init(
                pool: .init(size: 1, reconnectBackoff: .init(initial: .zero, maximum: .zero)), breaker: .disabled))
        defer { cache.shutdown() }
        for _ in 0..<10 {
            await #expect(throws: CacheError.self) { _ = try await cache.get("k") }
        }
        #expect(cache.health.map(\.isAvailable) == [true])
        do {
            _ = try await cache.get("k")
        } catch let error as CacheError {
            #expect(error.code == .connectionFailed)
        }
    }

    @Test func aHungServerCostsAClientCallAtMostOneTimeout() async throws {
        let redis = try RedisServerProcess()
        defer { redis.stop() }
        let cache = try RedisCache(
            url: redis.url,
            configuration: .init(
                connection: .init(commandTimeout: .seconds(2)),
                breaker: .init(failureThreshold: 3, probeInterval: .milliseconds(100))))
        defer { cache.shutdown() }
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "a"}"#)) { server in
            let events = Mutex<[CacheEvent]>([])
            let client = StructuredClientTests.client(
                server, cache: cache,
                configuration: .init(
                    defaultModel: "gpt-test", onEvent: { event in events.withLock { $0.append(event) } }))
            _ = try await client.create(
                messages: StructuredClientTests.hello, responseModel: StructuredClientTests.User.self)
            redis.signal(SIGSTOP)
            // 8 tasks × 5 calls while the server is stopped: none fails, and only the calls in flight
            // before the breaker opened wait for the command timeout.
            let slowCalls = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for index in 0..<5 {
                            let start = ContinuousClock.now
                            let user = try await client.create(
                                messages: [.user("Extract: \(task)-\(index)")],
                                responseModel: StructuredClientTests.User.self)
                            #expect(user.name == "a")
                            if ContinuousClock.now - start >= .milliseconds(1_500) { slowCalls.add() }
                        }
                    }
                }
                try await group.waitForAll()
            }
            // Only the calls in flight when the first command timed out waited for it.
            #expect(slowCalls.value <= 8, "\(slowCalls.value) of 40 calls waited")
            #expect(client.statistics.outages == 1)
            redis.signal(SIGCONT)
            let deadline = ContinuousClock.now + .seconds(30)
            while !events.withLock({ $0.contains { $0.kind == .available } }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let kinds = events.withLock { $0.map(\.kind) }
            #expect(kinds.contains(.unavailable))
            #expect(kinds.contains(.available))
            let outage = events.withLock { $0.first { $0.kind == .unavailable } }
            #expect(outage?.key == "")
            #expect(outage?.adapter == "RedisCache")
            #expect(outage?.reason?.contains("127.0.0.1:\(redis.port)") == true)
        }
    }

    @Test func aUserWhoseKeyPatternsMissThePrefixGetsAPermissionError() async throws {
        try await RedisServerProcess.with { server in
            let admin = try RedisCache(url: server.url)
            defer { admin.shutdown() }
            _ = try await admin.command(["ACL", "SETUSER", "reporter", "on", ">s3cret-pw", "~reports:*", "+@all"])
            let cache = try RedisCache(
                url: server.url,
                configuration: .init(authentication: .init(username: "reporter", password: "s3cret-pw")))
            defer { cache.shutdown() }
            do {
                try await cache.set("k", Data("v".utf8), ttl: .never)
                Issue.record("the set should have been refused")
            } catch let error as CacheError {
                #expect(error.code == .permissionDenied)
                #expect(error.message.contains("'reporter'"))
                #expect(error.message.contains("'structuredcache:'"))
                #expect(error.message.contains("NOPERM"))
                #expect(!"\(error)".contains("s3cret-pw"))
            }
            // A refusal is an answer: the server is not skipped.
            for _ in 0..<5 { _ = try? await cache.get("k") }
            #expect(cache.health.map(\.isAvailable) == [true])
            let allowed = try RedisCache(
                url: server.url,
                configuration: .init(
                    keyPrefix: "reports:", authentication: .init(username: "reporter", password: "s3cret-pw")))
            defer { allowed.shutdown() }
            try await allowed.set("k", Data("v".utf8), ttl: .never)
            #expect(try await allowed.get("k") == Data("v".utf8))
        }
    }
}
