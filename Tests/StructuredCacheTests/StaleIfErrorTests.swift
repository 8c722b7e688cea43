// StructuredClient's staleIfError against a real HTTP server on loopback that fails as scripted, with
// AutoCache and DiskCache on a clock the tests move and a real redis-server: which failures a stale entry
// answers, within which bounds, for which callers, and what is reported.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StaleIfErrorTests {
    struct User: Codable, Sendable, Equatable { var name: String }

    static let hello: [ChatMessage] = [.user("Extract: Jason")]
    static let jason = LocalChatServer.Reply.toolCall(name: "User", arguments: #"{"name": "Jason"}"#)
    static let overloaded = LocalChatServer.Reply.error(status: 503, message: "overloaded", type: "server_error")

    /// The events a client reported.
    final class EventLog: Sendable {
        private let events = Lock<[CacheEvent]>([])
        func record(_ event: CacheEvent) { events.withLock { $0.append(event) } }
        func clear() { events.withLock { $0.removeAll() } }
        var all: [CacheEvent] { events.withLock { $0 } }
        var kinds: [CacheEvent.Kind] { all.map(\.kind) }
    }

    static func client(
        _ server: LocalChatServer, cache: any CacheAdapter, staleIfError: Duration?, log: EventLog,
        retries: Int = 0, timeout: Duration = .seconds(10)
    ) -> StructuredClient {
        StructuredClient(
            provider: OpenAIProvider(
                baseURL: server.baseURL, apiKey: "sk-test",
                configuration: .init(timeout: timeout, maxRetries: retries, initialRetryDelay: .milliseconds(5))),
            cache: cache,
            configuration: .init(
                defaultModel: "gpt-test", cacheTTL: .seconds(60), staleIfError: staleIfError,
                onEvent: { log.record($0) }))
    }

    /// What the second of two calls gave: the first stores Jason for 60 s, the clock moves `expiredFor`
    /// past the expiry, and the second meets `failure`.
    struct Outcome {
        var user: User?
        var error: (any Error)?
        var events: [CacheEvent]
        var statistics: CacheStatistics
        var requests: Int

        var kinds: [CacheEvent.Kind] { events.map(\.kind) }
        var providerError: ProviderError? { error as? ProviderError }
        var stale: CacheEvent? { events.first { $0.kind == .stale } }
    }

    static func outcome(
        after failure: LocalChatServer.Reply, expiredFor: Duration = .seconds(10), grace: Duration? = .seconds(3_600),
        staleIfError: Duration? = .seconds(300), perCall: Duration? = nil, policy: CachePolicy? = nil,
        retries: Int = 0, timeout: Duration = .seconds(10)
    ) async throws -> Outcome {
        try await LocalChatServer.with(replies: [jason], otherwise: failure) { server in
            let clock = ManualClock()
            let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: grace, clock: clock))
            let log = EventLog()
            let client = Self.client(
                server, cache: cache, staleIfError: staleIfError, log: log, retries: retries, timeout: timeout)
            #expect(try await client.create(messages: hello, responseModel: User.self) == User(name: "Jason"))
            clock.advance(by: .seconds(60) + expiredFor)
            log.clear()
            var outcome = Outcome(user: nil, error: nil, events: [], statistics: .init(), requests: 0)
            do {
                outcome.user = try await client.create(
                    messages: hello, responseModel: User.self, cachePolicy: policy, staleIfError: perCall)
            } catch {
                outcome.error = error
            }
            outcome.events = log.all
            outcome.statistics = client.statistics
            outcome.requests = server.requestCount
            return outcome
        }
    }

    // MARK: The failures a stale entry answers

    @Test(arguments: [500, 502, 503, 504, 429, 408])
    func servesAStaleAnswerForServerErrorsRateLimitsAndTimeouts(status: Int) async throws {
        let outcome = try await Self.outcome(after: .error(status: status, message: "failing"))
        #expect(outcome.user == User(name: "Jason"))
        #expect(outcome.kinds == [.miss, .stale])
        let reason = try #require(outcome.stale?.reason)
        #expect(reason.contains("\(status)") && reason.contains("failing"))
        #expect(reason.contains("expired 10.0 seconds ago"))
        #expect(outcome.stale?.adapter == "AutoCache" && outcome.stale?.key.count == 64)
        #expect(outcome.statistics.staleAnswers == 1)
        #expect(outcome.statistics.hits == 0 && outcome.statistics.misses == 2)
        #expect(outcome.requests == 2)
    }

    @Test func servesAStaleAnswerWhenTheConnectionBreaks() async throws {
        let outcome = try await Self.outcome(after: .closedMidBody(sentBytes: 25))
        #expect(outcome.user == User(name: "Jason"))
        #expect(outcome.stale?.reason?.contains("transport") == true)
        #expect(outcome.statistics.staleAnswers == 1)
    }

    @Test func servesAStaleAnswerWhenTheConnectionIsRefused() async throws {
        let clock = ManualClock()
        let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
        let configuration = StructuredClient.Configuration(
            defaultModel: "gpt-test", cacheTTL: .seconds(60), namespace: "shared", staleIfError: .seconds(300))
        try await LocalChatServer.with(replies: [Self.jason]) { server in
            let writer = StructuredClient(
                provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test"), cache: cache,
                configuration: configuration)
            _ = try await writer.create(messages: Self.hello, responseModel: User.self)
        }
        clock.advance(by: .seconds(70))
        let refusing = try RefusingPort()
        let log = EventLog()
        var readerConfiguration = configuration
        readerConfiguration.onEvent = { log.record($0) }
        let reader = StructuredClient(
            provider: OpenAIProvider(
                baseURL: URL(string: "http://127.0.0.1:\(refusing.port)/v1")!, apiKey: "sk-test",
                configuration: .init(maxRetries: 1, initialRetryDelay: .zero)),
            cache: cache, configuration: readerConfiguration)
        #expect(try await reader.create(messages: Self.hello, responseModel: User.self) == User(name: "Jason"))
        withExtendedLifetime(refusing) {}
        #expect(log.all.last?.kind == .stale)
        #expect(log.all.last?.reason?.contains("transport") == true)
        #expect(reader.statistics.staleAnswers == 1)
    }

    @Test func servesAStaleAnswerWhenTheProviderTimesOut() async throws {
        let outcome = try await Self.outcome(after: .hang, timeout: .milliseconds(300))
        #expect(outcome.user == User(name: "Jason"))
        #expect(outcome.stale?.reason?.contains("timeout") == true)
        #expect(outcome.statistics.staleAnswers == 1)
    }

    @Test func aRateLimitIsAnsweredOnlyOnceTheProvidersRetriesRanOut() async throws {
        let outcome = try await Self.outcome(after: .error(status: 429, message: "slow down"), retries: 2)
        #expect(outcome.user == User(name: "Jason"))
        #expect(outcome.requests == 1 + 3)
        #expect(outcome.statistics.staleAnswers == 1)
    }

    // MARK: The failures it does not answer

    @Test(arguments: [400, 401, 403, 404, 409, 422])
    func clientErrorsAreThrown(status: Int) async throws {
        let outcome = try await Self.outcome(after: .error(status: status, message: "your fault"))
        #expect(outcome.user == nil)
        #expect(outcome.providerError?.status == status)
        #expect(outcome.kinds == [.miss])
        #expect(outcome.statistics.staleAnswers == 0)
    }

    @Test func anAnswerThatFailsValidationIsThrown() async throws {
        let invalid = LocalChatServer.Reply.toolCall(name: "User", arguments: #"{"nom": "Jason"}"#)
        let outcome = try await Self.outcome(after: invalid)
        #expect((outcome.error as? ClientError)?.code == .retriesExhausted)
        #expect(outcome.kinds == [.miss])
        #expect(outcome.statistics.staleAnswers == 0)
    }

    @Test func cancellationIsNotAnsweredStale() async throws {
        try await LocalChatServer.with(replies: [Self.jason], otherwise: .hang) { server in
            let clock = ManualClock()
            let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
            let log = EventLog()
            let client = Self.client(server, cache: cache, staleIfError: .seconds(300), log: log)
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            clock.advance(by: .seconds(70))
            let call = Task { try await client.create(messages: Self.hello, responseModel: User.self) }
            #expect(await server.wait { $0.requestCount == 2 })
            call.cancel()
            await #expect(throws: (any Error).self) { _ = try await call.value }
            #expect(!log.kinds.contains(.stale))
            #expect(client.statistics.staleAnswers == 0)
        }
    }

    // MARK: Bounds

    @Test func onlyAnEntryExpiredWithinTheBoundAnswers() async throws {
        let within = try await Self.outcome(after: Self.overloaded, expiredFor: .seconds(240))
        #expect(within.user == User(name: "Jason"))
        let atTheBound = try await Self.outcome(after: Self.overloaded, expiredFor: .seconds(300))
        #expect(atTheBound.user == User(name: "Jason"))
        let beyond = try await Self.outcome(after: Self.overloaded, expiredFor: .seconds(301))
        #expect(beyond.user == nil && beyond.providerError?.status == 503)
        #expect(beyond.kinds == [.miss] && beyond.statistics.staleAnswers == 0)
    }

    @Test func neverPastTheAdaptersGrace() async throws {
        let outcome = try await Self.outcome(
            after: Self.overloaded, expiredFor: .seconds(120), grace: .seconds(60), staleIfError: .seconds(3_600))
        #expect(outcome.user == nil && outcome.providerError?.status == 503)
        #expect(outcome.statistics.staleAnswers == 0)
        let inGrace = try await Self.outcome(
            after: Self.overloaded, expiredFor: .seconds(50), grace: .seconds(60), staleIfError: .seconds(3_600))
        #expect(inGrace.user == User(name: "Jason"))
    }

    @Test func offUnlessTheClientOrTheCallAsks() async throws {
        let off = try await Self.outcome(after: Self.overloaded, staleIfError: nil)
        #expect(off.user == nil && off.providerError?.status == 503 && off.kinds == [.miss])
        let noGrace = try await Self.outcome(after: Self.overloaded, grace: nil)
        #expect(noGrace.user == nil && noGrace.providerError?.status == 503)
        let perCall = try await Self.outcome(after: Self.overloaded, staleIfError: nil, perCall: .seconds(300))
        #expect(perCall.user == User(name: "Jason"))
        let offForTheCall = try await Self.outcome(after: Self.overloaded, perCall: .zero)
        #expect(offForTheCall.user == nil && offForTheCall.providerError?.status == 503)
        let narrowerForTheCall = try await Self.outcome(after: Self.overloaded, perCall: .seconds(5))
        #expect(narrowerForTheCall.user == nil)
    }

    @Test func onlyPoliciesThatReadTheCacheAnswerStale() async throws {
        let noStore = try await Self.outcome(after: Self.overloaded, policy: .noStore)
        #expect(noStore.user == User(name: "Jason"))
        for policy in [CachePolicy.refresh, .bypass] {
            let outcome = try await Self.outcome(after: Self.overloaded, policy: policy)
            #expect(outcome.user == nil && outcome.providerError?.status == 503, "\(policy)")
            #expect(outcome.statistics.staleAnswers == 0)
        }
    }

    // MARK: Normal calls, shared flights, completions, unusable entries

    @Test func aHealthyProviderIsAskedWhileTheEntryIsInItsGrace() async throws {
        let fresh = LocalChatServer.Reply.toolCall(name: "User", arguments: #"{"name": "Fresh"}"#)
        let outcome = try await Self.outcome(after: fresh)
        #expect(outcome.user == User(name: "Fresh"))
        #expect(outcome.requests == 2)
        #expect(outcome.kinds == [.miss, .store])
    }

    @Test func everyWaiterOfASharedFlightGetsTheStaleAnswer() async throws {
        try await LocalChatServer.with(
            replies: [Self.jason], otherwise: Self.overloaded.delayed(by: .milliseconds(300))
        ) {
            server in
            let clock = ManualClock()
            let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
            let log = EventLog()
            let client = Self.client(server, cache: cache, staleIfError: .seconds(300), log: log)
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            clock.advance(by: .seconds(70))
            let users = try await withThrowingTaskGroup(of: User.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await client.create(messages: Self.hello, responseModel: User.self) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(users == Array(repeating: User(name: "Jason"), count: 8))
            #expect(server.requestCount == 2)
            #expect(client.statistics.staleAnswers == 8)
            #expect(log.kinds.filter { $0 == .stale }.count == 8)
        }
    }

    @Test func createWithCompletionGetsTheStoredCompletion() async throws {
        try await LocalChatServer.with(replies: [Self.jason], otherwise: Self.overloaded) { server in
            let clock = ManualClock()
            let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
            let log = EventLog()
            let client = Self.client(server, cache: cache, staleIfError: .seconds(300), log: log)
            let (_, live) = try await client.createWithCompletion(messages: Self.hello, responseModel: User.self)
            clock.advance(by: .seconds(70))
            let (user, stale) = try await client.createWithCompletion(messages: Self.hello, responseModel: User.self)
            #expect(user == User(name: "Jason") && stale == live)
            // An entry stored without its completion cannot answer a call that needs one.
            let key = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            cache.sync.set(key, Data(#"{"name": "legacy"}"#.utf8), ttl: .seconds(60))
            clock.advance(by: .seconds(70))
            await #expect(throws: ProviderError.self) {
                _ = try await client.createWithCompletion(messages: Self.hello, responseModel: User.self)
            }
            #expect(try await client.create(messages: Self.hello, responseModel: User.self) == User(name: "legacy"))
            #expect(client.statistics.staleAnswers == 2)
        }
    }

    @Test func anEntryThatNoLongerDecodesIsNotAnswered() async throws {
        try await LocalChatServer.with(otherwise: Self.overloaded) { server in
            let clock = ManualClock()
            let cache = try AutoCache(maxSize: 10, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
            let log = EventLog()
            let client = Self.client(server, cache: cache, staleIfError: .seconds(300), log: log)
            let key = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            cache.sync.set(key, Data(#"{"model": "{\"nom\": 1}", "raw": null}"#.utf8), ttl: .seconds(60))
            clock.advance(by: .seconds(70))
            await #expect(throws: ProviderError.self) {
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
            }
            #expect(client.statistics.staleAnswers == 0)
        }
    }

    @Test func aStaleReadThatFailsIsReportedAndTheProvidersErrorThrown() async throws {
        try await LocalChatServer.with(otherwise: Self.overloaded) { server in
            let log = EventLog()
            let client = Self.client(server, cache: BrokenStaleReads(), staleIfError: .seconds(300), log: log)
            do {
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
                Issue.record("no error")
            } catch let error as ProviderError {
                #expect(error.status == 503)
            }
            #expect(log.kinds == [.miss, .error])
            #expect(log.all.last?.error is CacheError)
        }
    }

    // MARK: Other adapters

    @Test func worksWithDiskCache() async throws {
        try await DiskCacheTests.withFolder { folder in
            try await LocalChatServer.with(replies: [Self.jason], otherwise: Self.overloaded) { server in
                let clock = ManualClock()
                let cache = try DiskCache(
                    directory: folder, configuration: .init(staleGrace: .seconds(3_600), clock: clock))
                let log = EventLog()
                let client = Self.client(server, cache: cache, staleIfError: .seconds(300), log: log)
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
                clock.advance(by: .seconds(90))
                #expect(try await client.create(messages: Self.hello, responseModel: User.self) == User(name: "Jason"))
                #expect(log.all.last?.kind == .stale && log.all.last?.adapter == "DiskCache")
                #expect(log.all.last?.reason?.contains("expired 30.0 seconds ago") == true)
                clock.advance(by: .seconds(300))
                await #expect(throws: ProviderError.self) {
                    _ = try await client.create(messages: Self.hello, responseModel: User.self)
                }
                #expect(client.statistics.staleAnswers == 1)
            }
        }
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed"), .timeLimit(.minutes(1)))
    func worksWithRedisCache() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(replies: [Self.jason], otherwise: Self.overloaded) { server in
                let cache = try RedisCache(url: redis.url, configuration: .init(staleGrace: .seconds(30)))
                defer { cache.shutdown() }
                let log = EventLog()
                let client = StructuredClient(
                    provider: OpenAIProvider(
                        baseURL: server.baseURL, apiKey: "sk-test", configuration: .init(maxRetries: 0)),
                    cache: cache,
                    configuration: .init(
                        defaultModel: "gpt-test", cacheTTL: .milliseconds(1_000), staleIfError: .seconds(60),
                        onEvent: { log.record($0) }))
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
                try await Task.sleep(for: .milliseconds(1_500))
                #expect(try await client.create(messages: Self.hello, responseModel: User.self) == User(name: "Jason"))
                #expect(log.all.last?.kind == .stale && log.all.last?.adapter == "RedisCache")
                #expect(client.statistics.staleAnswers == 1 && server.requestCount == 2)
            }
        }
    }
}

/// An adapter that misses every read and whose stale reads fail.
private struct BrokenStaleReads: StaleReadingCacheAdapter {
    func get(_ key: String) async throws -> Data? { nil }
    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {}
    func remove(_ key: String) async throws {}
    func removeAll() async throws {}
    func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        throw CacheError.ioFailure("the disk is gone")
    }
}
