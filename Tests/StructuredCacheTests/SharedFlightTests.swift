// Identical misses across processes that share one Redis make one provider call: one process takes a
// lease on the key and asks, the others wait for its answer; a holder that dies holds them up no longer
// than its lease. "Processes" are StructuredClients with RedisCaches of their own, and real processes
// (the SharedFlightWorker helper).

import Foundation
import Synchronization
import Testing

@testable import ChatStandIn
@testable import StructuredCache
@testable import StructuredCacheStorage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.enabled(if: RedisServerProcess.isAvailable), .timeLimit(.minutes(3)))
struct SharedFlightTests {
    struct Answer: Codable, Sendable, Equatable { var name: String }

    /// The question a request asks (its last message).
    static func question(_ request: LocalChatServer.RecordedRequest) -> String {
        request.json?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? "?"
    }

    /// A server that answers each question with its own text, after `delay`.
    static func answering(after delay: Duration) -> @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply
    {
        { request in
            .toolCall(name: "Answer", arguments: #"{"name": "\#(question(request))"}"#).delayed(by: delay)
        }
    }

    /// A client of its own, as another process would have, over `cache`.
    static func client(
        _ server: LocalChatServer, _ cache: any CacheAdapter, flight: SharedFlight? = SharedFlight(),
        events: StaleIfErrorTests.EventLog? = nil
    ) -> StructuredClient {
        var configuration = StructuredClient.Configuration(defaultModel: "gpt-test", sharedFlight: flight)
        if let events {
            configuration.onEvent = { event in events.record(event) }
        }
        return StructuredClientTests.client(server, cache: cache, configuration: configuration)
    }

    /// Each of `clients` asks every question from `tasks` tasks at once; returns the answers' names that
    /// were wrong (none expected).
    static func askEverything(
        _ clients: [StructuredClient], tasks: Int, questions: Int, policy: CachePolicy? = nil
    ) async throws -> [String] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for client in clients {
                for task in 0..<tasks {
                    group.addTask {
                        var wrong: [String] = []
                        for offset in 0..<questions {
                            let question = "q-\((offset + task * 7) % questions)"
                            let answer = try await client.create(
                                messages: [.user(question)], responseModel: Answer.self, cachePolicy: policy)
                            if answer.name != question { wrong.append("\(question) → \(answer.name)") }
                        }
                        return wrong
                    }
                }
            }
            return try await group.reduce([], +)
        }
    }

    static func redisCache(
        _ url: String, _ configuration: RedisCache.Configuration = .init(keyPrefix: "flight:")
    )
        throws -> RedisCache
    {
        try RedisCache(url: url, configuration: configuration)
    }

    // MARK: Within one test process, clients with caches of their own

    @Test(arguments: [RedisCache.Configuration.ProtocolVersion.resp3, .resp2])
    func fourProcessesAskingTwentyQuestionsAtOnceMakeTwentyCalls(
        protocolVersion: RedisCache.Configuration.ProtocolVersion
    ) async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(300))) { server in
                let caches = try (0..<4).map { _ in
                    try Self.redisCache(
                        redis.url, .init(keyPrefix: "flight:", connection: .init(protocolVersion: protocolVersion)))
                }
                defer { caches.forEach { $0.shutdown() } }
                let clients = caches.map { Self.client(server, $0) }
                let wrong = try await Self.askEverything(clients, tasks: 10, questions: 20)
                #expect(wrong.isEmpty, "\(wrong.prefix(3))")
                #expect(server.requestCount == 20, "\(server.requestCount) provider calls for 20 questions")
                let awaited = clients.map(\.statistics.awaitedAnswers).reduce(0, +)
                #expect(awaited > 0, "some calls waited for another client's answer")
            }
        }
    }

    @Test func withoutASharedFlightEachProcessPays() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(300))) { server in
                let caches = try (0..<2).map { _ in try Self.redisCache(redis.url) }
                defer { caches.forEach { $0.shutdown() } }
                let clients = caches.map { Self.client(server, $0, flight: nil) }
                _ = try await Self.askEverything(clients, tasks: 1, questions: 1)
                #expect(server.requestCount == 2)
            }
        }
    }

    @Test func aMemoryTierInFrontSharesTheFlightToo() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(300))) { server in
                let caches = try (0..<3).map { _ in try Self.redisCache(redis.url) }
                defer { caches.forEach { $0.shutdown() } }
                let tiered = try caches.map { try TieredCache([try AutoCache(maxSize: 100), $0]) }
                #expect(tiered.allSatisfy { $0.sharesFlights })
                let clients = tiered.map { Self.client(server, $0) }
                let wrong = try await Self.askEverything(clients, tasks: 5, questions: 10)
                #expect(wrong.isEmpty)
                #expect(server.requestCount == 10)
                // A waiter's answer was copied into its memory tier: asked again, it is a hit there.
                for (client, cache) in zip(clients, tiered) {
                    let before = server.requestCount
                    _ = try await client.create(messages: [.user("q-3")], responseModel: Answer.self)
                    #expect(server.requestCount == before)
                    #expect(try await cache.tiers[0].get(client.cacheKey(for: "q-3")) != nil)
                }
            }
        }
    }

    @Test func aTierStackWithoutASharedTierDoesNotShare() throws {
        let tiered = try TieredCache([try AutoCache(maxSize: 10), try AutoCache(maxSize: 10)])
        #expect(!tiered.sharesFlights)
    }

    @Test func concurrentRefreshesMakeOneCallAndNeverReturnTheOldAnswer() async throws {
        try await RedisServerProcess.with { redis in
            let served = Atomic<Int>(0)
            let handler: @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply = { request in
                let round = served.add(1, ordering: .relaxed).newValue
                return .toolCall(name: "Answer", arguments: #"{"name": "answer \#(round)"}"#)
                    .delayed(by: .milliseconds(round == 1 ? 0 : 2_000))
            }
            try await LocalChatServer.with(handler: handler) { server in
                let caches = try (0..<3).map { _ in try Self.redisCache(redis.url) }
                defer { caches.forEach { $0.shutdown() } }
                let clients = caches.map { Self.client(server, $0) }
                let old = try await clients[0].create(messages: [.user("q")], responseModel: Answer.self)
                #expect(old.name == "answer 1")
                let refreshed = try await withThrowingTaskGroup(of: String.self) { group in
                    for (index, client) in clients.enumerated() {
                        group.addTask {
                            // The others refresh while the first one's call is under way.
                            if index > 0 { #expect(await server.wait(until: { $0.requestCount == 2 })) }
                            return try await client.create(
                                messages: [.user("q")], responseModel: Answer.self, cachePolicy: .refresh
                            ).name
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(refreshed == ["answer 2", "answer 2", "answer 2"])
                #expect(server.requestCount == 2)
            }
        }
    }

    @Test func aBypassTakesNoLease() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(200))) { server in
                let caches = try (0..<2).map { _ in try Self.redisCache(redis.url) }
                defer { caches.forEach { $0.shutdown() } }
                let clients = caches.map { Self.client(server, $0) }
                _ = try await Self.askEverything(clients, tasks: 1, questions: 1, policy: .bypass)
                #expect(server.requestCount == 2)
                let leases = try await caches[0].command(["KEYS", "flight:*lease"])
                #expect(leases == .array([]) || leases == .set([]))
            }
        }
    }

    @Test func whenTheHolderFailsAWaiterAsksInstead() async throws {
        try await RedisServerProcess.with { redis in
            let served = Atomic<Int>(0)
            let handler: @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply = { request in
                if served.add(1, ordering: .relaxed).newValue == 1 {
                    return LocalChatServer.Reply.error(status: 400, message: "no").delayed(by: .milliseconds(300))
                }
                return .toolCall(name: "Answer", arguments: #"{"name": "q"}"#)
            }
            try await LocalChatServer.with(handler: handler) { server in
                let caches = try (0..<2).map { _ in try Self.redisCache(redis.url) }
                defer { caches.forEach { $0.shutdown() } }
                let clients = caches.map { Self.client(server, $0) }
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for (index, client) in clients.enumerated() {
                        group.addTask {
                            // The second starts once the first holds the lease.
                            if index == 1 { try? await Task.sleep(for: .milliseconds(100)) }
                            return (try? await client.create(messages: [.user("q")], responseModel: Answer.self)) != nil
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "one call fails (the holder's), the other asks again")
                #expect(server.requestCount == 2)
            }
        }
    }

    @Test func anUnreachableCacheNeverFailsTheCall() async throws {
        try await LocalChatServer.with(handler: Self.answering(after: .zero)) { server in
            let port = try RefusingPort()
            let cache = try Self.redisCache(
                "redis://127.0.0.1:\(port.port)", .init(connection: .init(connectTimeout: .milliseconds(500))))
            defer { cache.shutdown() }
            let events = StaleIfErrorTests.EventLog()
            let client = Self.client(server, cache, events: events)
            let answer = try await client.create(messages: [.user("q-1")], responseModel: Answer.self)
            #expect(answer.name == "q-1")
            #expect(events.kinds.contains(.error))
        }
    }

    // MARK: Real processes

    /// Starts the worker helper.
    static func worker(
        _ redis: String, _ server: LocalChatServer, questions: Int, tasks: Int, leaseMilliseconds: Int = 10_000
    ) throws -> ChildProcess {
        let helper = try #require(
            ChildProcess.helper("SharedFlightWorker"), "the SharedFlightWorker helper was not built")
        return try ChildProcess(
            helper,
            [redis, server.baseURL.absoluteString, String(questions), String(tasks), String(leaseMilliseconds)],
            standardOutput: .captured, standardError: .captured)
    }

    /// Waits for the workers and sums their reports.
    static func reports(_ workers: [ChildProcess]) -> (failed: Int, awaited: Int, lines: [String]) {
        var failed = 0
        var awaited = 0
        var lines: [String] = []
        for worker in workers {
            let output = String(decoding: worker.readOutputToEnd(), as: UTF8.self)
            let status = worker.waitUntilExit()
            lines.append("\(status): \(output)")
            func number(_ name: String) -> Int? {
                guard let range = output.range(of: name + #"=\d+"#, options: .regularExpression) else { return nil }
                return Int(output[range].dropFirst(name.count + 1))
            }
            failed += status == .exited(0) ? number("failed") ?? 1 : 1
            awaited += number("awaited") ?? 0
        }
        return (failed, awaited, lines)
    }

    @Test func fourWorkerProcessesMakeOneCallPerQuestion() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(500))) { server in
                let workers = try (0..<4).map { _ in try Self.worker(redis.url, server, questions: 20, tasks: 10) }
                let (failed, awaited, lines) = await Task.detached { Self.reports(workers) }.value
                #expect(failed == 0, "\(lines)")
                #expect(server.requestCount == 20, "\(server.requestCount) provider calls; \(lines)")
                #expect(awaited > 0, "\(lines)")
            }
        }
    }

    @Test func aClusterSharesTheFlightAcrossItsNodes() async throws {
        let cluster = try await RedisClusterProcess.shared()
        try await LocalChatServer.with(handler: Self.answering(after: .milliseconds(500))) { server in
            let seeds = cluster.seedURLs.joined(separator: ",")
            let workers = try (0..<4).map { _ in try Self.worker(seeds, server, questions: 20, tasks: 10) }
            let (failed, awaited, lines) = await Task.detached { Self.reports(workers) }.value
            #expect(failed == 0, "\(lines)")
            #expect(server.requestCount == 20, "\(server.requestCount) provider calls; \(lines)")
            #expect(awaited > 0, "\(lines)")
        }
    }

    @Test func aKilledHolderHoldsTheOthersUpNoLongerThanItsLease() async throws {
        try await RedisServerProcess.with { redis in
            let served = Atomic<Int>(0)
            let handler: @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply = { request in
                // The holder's call never gets an answer; the one after it does.
                if served.add(1, ordering: .relaxed).newValue == 1 { return LocalChatServer.Reply.hang }
                return Self.answering(after: .milliseconds(100))(request)
            }
            try await LocalChatServer.with(handler: handler) { server in
                let holder = try Self.worker(redis.url, server, questions: 1, tasks: 1, leaseMilliseconds: 1_000)
                #expect(await server.wait(until: { $0.requestCount == 1 }))
                let waiters = try (0..<3).map { _ in
                    try Self.worker(redis.url, server, questions: 1, tasks: 10, leaseMilliseconds: 1_000)
                }
                // Let them find the lease taken, then kill its holder mid-call.
                try await Task.sleep(for: .milliseconds(500))
                let killed = ContinuousClock.now
                holder.signal(SIGKILL)
                #expect(holder.waitUntilExit() == .signaled(SIGKILL))
                let (failed, awaited, lines) = await Task.detached { Self.reports(waiters) }.value
                #expect(failed == 0, "\(lines)")
                #expect(server.requestCount == 2, "\(server.requestCount) provider calls; \(lines)")
                #expect(awaited > 0, "\(lines)")
                // Within the lease (a second), plus the answer's time; loose for a loaded machine.
                #expect(ContinuousClock.now - killed < .seconds(20))
            }
        }
    }
}

extension StructuredClient {
    /// The key of a one-message call asking `question` for an `Answer`.
    fileprivate func cacheKey(for question: String) throws -> String {
        try cachePayload(messages: [.user(question)], responseModel: SharedFlightTests.Answer.self).key
    }
}
