// Cached streams against the loopback server and real adapters (AutoCache, DiskCache, a real
// redis-server): a miss streams live and stores its pieces, a hit replays the same snapshots or
// elements without a request, at once or at the recorded pace; streamed and non-streamed calls keep
// apart unless asked to share; damaged and unfinished streams are never served.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StreamCachingTests {
    typealias Person = StructuredClientStreamingTests.Person

    struct Chore: Codable, Sendable, Equatable {
        var title: String
    }

    static let hello: [ChatMessage] = [.user("Jason is 25")]
    static let person = Person(name: "Jason Liu", age: 25, tags: ["a", "b"])
    static let personReply = LocalChatServer.Reply.streamedToolCall(
        name: "Person",
        argumentDeltas: StructuredClientStreamingTests.deltas(StructuredClientStreamingTests.personJSON, size: 3))

    enum AdapterKind: String, CaseIterable, CustomTestStringConvertible {
        case auto, disk, redis
        var testDescription: String { rawValue }
    }

    /// Runs `body` with a fresh adapter of `kind`: a real folder, a real redis-server.
    static func withAdapter<T>(_ kind: AdapterKind, _ body: (any CacheAdapter) async throws -> T) async throws -> T {
        switch kind {
        case .auto:
            return try await body(try AutoCache(maxSize: 100))
        case .disk:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("streams-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            return try await body(try DiskCache(directory: folder))
        case .redis:
            return try await RedisServerProcess.with { server in
                let cache = try RedisCache(url: server.url)
                defer { cache.shutdown() }
                return try await body(cache)
            }
        }
    }

    static func client(
        _ server: LocalChatServer, cache: any CacheAdapter, streamCaching: StreamCaching = .on,
        policy: CachePolicy = .use, keyCompatibility: StructuredClient.KeyCompatibility = .standard,
        events: Lock<[CacheEvent]>? = nil
    ) -> StructuredClient {
        StructuredClientTests.client(
            server, cache: cache,
            configuration: .init(
                defaultModel: "gpt-test", cachePolicy: policy, keyCompatibility: keyCompatibility,
                streamCaching: streamCaching, onEvent: { event in events?.withLock { $0.append(event) } }))
    }

    static func snapshots(
        _ stream: AsyncThrowingStream<PartialResponse<Person>, any Error>
    ) async throws -> [PartialResponse<Person>] {
        var snapshots: [PartialResponse<Person>] = []
        for try await snapshot in stream { snapshots.append(snapshot) }
        return snapshots
    }

    @Test(arguments: AdapterKind.allCases)
    func aHitReplaysTheSameSnapshotsWithoutARequest(kind: AdapterKind) async throws {
        try await Self.withAdapter(kind) { cache in
            try await LocalChatServer.with(otherwise: Self.personReply) { server in
                let events = Lock<[CacheEvent]>([])
                let client = Self.client(server, cache: cache, events: events)
                let live = try await Self.snapshots(
                    client.createPartial(messages: Self.hello, responseModel: Person.self))
                #expect(server.requestCount == 1)
                #expect(events.withLock { $0.map(\.kind) } == [.miss, .store])
                let replayed = try await Self.snapshots(
                    client.createPartial(messages: Self.hello, responseModel: Person.self))
                #expect(server.requestCount == 1)
                #expect(live.count > 5)
                #expect(replayed.map(\.json) == live.map(\.json))
                #expect(replayed.map(\.value) == live.map(\.value))
                #expect(replayed.last?.value == Self.person)
                #expect(events.withLock { $0.map(\.kind) } == [.miss, .store, .hit])
                // The stored entry says what the live stream cost.
                let hit = try #require(events.withLock { $0.last })
                #expect(hit.savings?.inputTokens == 11 && hit.savings?.outputTokens == 7)
                #expect((hit.savings?.providerTime ?? .zero) > .zero)
            }
        }
    }

    @Test(arguments: AdapterKind.allCases)
    func aHitReplaysTheSameElementsWithoutARequest(kind: AdapterKind) async throws {
        let wrapper = #"{"tasks": [{"title": "one"}, {"title": "two"}, {"title": "three"}]}"#
        let reply = LocalChatServer.Reply.streamedToolCall(
            name: "IterableChore", argumentDeltas: StructuredClientStreamingTests.deltas(wrapper, size: 4))
        try await Self.withAdapter(kind) { cache in
            try await LocalChatServer.with(otherwise: reply) { server in
                let client = Self.client(server, cache: cache)
                var live: [Chore] = []
                for try await task in client.createIterable(messages: Self.hello, responseModel: Chore.self) {
                    live.append(task)
                }
                var replayed: [Chore] = []
                for try await task in client.createIterable(messages: Self.hello, responseModel: Chore.self) {
                    replayed.append(task)
                }
                #expect(live == ["one", "two", "three"].map(Chore.init))
                #expect(replayed == live)
                #expect(server.requestCount == 1)
                #expect(client.statistics.hits == 1 && client.statistics.stores == 1)
                #expect(client.statisticsByResponseType["[Chore]"]?.hits == 1)
            }
        }
    }

    @Test func aHitReplaysAtTheRecordedPaceWhenAsked() async throws {
        // Eight events 80 ms apart: a stream of well over half a second.
        let chunks = ChatPayload.toolCallChunks(
            name: "Person",
            argumentDeltas: StructuredClientStreamingTests.deltas(StructuredClientStreamingTests.personJSON, size: 8))
        let pieces = chunks.enumerated().map { index, chunk in
            LocalChatServer.StreamPiece(
                bytes: ChatPayload.eventStream([chunk], done: index == chunks.count - 1), delay: .milliseconds(80))
        }
        try await LocalChatServer.with(otherwise: .eventStream(pieces: pieces)) { server in
            let cache = try AutoCache()
            let paced = Self.client(server, cache: cache, streamCaching: StreamCaching(replay: .recordedPace))
            let clock = ContinuousClock()
            var liveTimes: [Duration] = []
            let liveStart = clock.now
            for try await _ in paced.createPartial(messages: Self.hello, responseModel: Person.self) {
                liveTimes.append(clock.now - liveStart)
            }
            let live = clock.now - liveStart

            let key = try paced.plan(
                model: nil, messages: Self.hello, responseModel: Person.self, mode: nil, maxRetries: nil,
                options: RequestOptions(), cache: nil, cacheTTL: nil, cachePolicy: nil, streaming: true
            ).key
            let stored = try #require(cache.get(key))
            let recorded = try #require(CacheEnvelope(bytes: stored)?.record?.stream)
            #expect(recorded.count == liveTimes.count && recorded.count > 4)
            #expect(recorded.last!.offset >= .milliseconds(80 * (recorded.count - 1)))

            // Each snapshot comes when its piece came live (the last, with the value, comes live only
            // once the stream has ended, and replayed with its last piece): never early, and within 20%
            // of its recorded time (with 30 ms for the scheduler) in one of three replays, which allows
            // for a machine loaded by other tests.
            var onPace = false
            for _ in 0..<3 where !onPace {
                var replayTimes: [Duration] = []
                let replayStart = clock.now
                for try await _ in paced.createPartial(messages: Self.hello, responseModel: Person.self) {
                    replayTimes.append(clock.now - replayStart)
                }
                #expect(replayTimes.count == recorded.count)
                for (replayed, piece) in zip(replayTimes, recorded) {
                    #expect(replayed >= piece.offset, "replayed at \(replayed), recorded at \(piece.offset)")
                }
                onPace = zip(replayTimes, recorded).allSatisfy { $0 <= $1.offset * 1.2 + .milliseconds(30) }
            }
            #expect(onPace)
            #expect(server.requestCount == 1)

            let atOnce = Self.client(server, cache: cache)
            let start = clock.now
            _ = try await Self.snapshots(atOnce.createPartial(messages: Self.hello, responseModel: Person.self))
            #expect(clock.now - start < live / 2)
            #expect(server.requestCount == 1)
        }
    }

    @Test func streamsAndCreatesKeepApartUnlessTheyShare() async throws {
        let create = LocalChatServer.Reply.toolCall(
            name: "Person", arguments: StructuredClientStreamingTests.personJSON)
        try await LocalChatServer.with(handler: { $0.json?["stream"] == true ? Self.personReply : create }) { server in
            let cache = try AutoCache()
            let apart = Self.client(server, cache: cache)
            _ = try await Self.snapshots(apart.createPartial(messages: Self.hello, responseModel: Person.self))
            #expect(try await apart.create(messages: Self.hello, responseModel: Person.self) == Self.person)
            #expect(server.requestCount == 2)

            let sharing = StreamCaching(sharesEntriesWithCreate: true)
            let shared = Self.client(server, cache: try AutoCache(), streamCaching: sharing)
            _ = try await Self.snapshots(shared.createPartial(messages: Self.hello, responseModel: Person.self))
            #expect(try await shared.create(messages: Self.hello, responseModel: Person.self) == Self.person)
            // The stored stream keeps its completion: the streamed call's, assembled.
            let (_, completion) = try await shared.createWithCompletion(
                messages: Self.hello, responseModel: Person.self)
            #expect(completion.message?.toolCalls?.first?.name == "Person")
            #expect(completion.usage?.promptTokens == 11)
            #expect(server.requestCount == 3)

            // A create entry answers a stream as one snapshot carrying the value.
            let other: [ChatMessage] = [.user("Jason is 25, again")]
            _ = try await shared.create(messages: other, responseModel: Person.self)
            let replayed = try await Self.snapshots(shared.createPartial(messages: other, responseModel: Person.self))
            #expect(replayed.count == 1 && replayed.first?.value == Self.person)
            #expect(server.requestCount == 4)
        }
    }

    @Test(arguments: [StructuredClient.KeyCompatibility.standard, .instructor116])
    func aStreamHasAKeyOfItsOwn(scheme: StructuredClient.KeyCompatibility) async throws {
        try await LocalChatServer.with(otherwise: Self.personReply) { server in
            let openAI = Self.client(server, cache: try AutoCache(), keyCompatibility: scheme)
            let gemini = StructuredClient(
                provider: GeminiProvider(baseURL: server.baseURL, apiKey: "g-test"),
                configuration: .init(defaultModel: "gemini-test", keyCompatibility: scheme))
            // Instructor has no key for Gemini to reproduce.
            for client in scheme == .standard ? [openAI, gemini] : [openAI] {
                func key(streaming: Bool) throws -> String {
                    try client.plan(
                        model: nil, messages: Self.hello, responseModel: Person.self, mode: nil, maxRetries: nil,
                        options: RequestOptions(), cache: nil, cacheTTL: nil, cachePolicy: nil, streaming: streaming
                    ).key
                }
                #expect(try key(streaming: true) != key(streaming: false))
                #expect(try key(streaming: false) == client.cacheKey(messages: Self.hello, responseModel: Person.self))
            }
        }
    }

    @Test func aReplayOnlyStreamMissNeverAsks() async throws {
        try await LocalChatServer.with(otherwise: Self.personReply) { server in
            let client = Self.client(server, cache: try AutoCache(), policy: .replayOnly)
            let error = await #expect(throws: ClientError.self) {
                _ = try await Self.snapshots(client.createPartial(messages: Self.hello, responseModel: Person.self))
            }
            #expect(error?.code == .replayMiss && error?.payload != nil)
            #expect(server.requestCount == 0)
        }
    }

    @Test func anUnfinishedStreamIsNotStored() async throws {
        let cut = LocalChatServer.Reply.streamedToolCall(
            name: "Person", argumentDeltas: [#"{"name": "Jas"#])
        try await LocalChatServer.with(replies: [cut], otherwise: Self.personReply) { server in
            let cache = try AutoCache()
            let client = Self.client(server, cache: cache)
            await #expect(throws: ClientError.self) {
                _ = try await Self.snapshots(client.createPartial(messages: Self.hello, responseModel: Person.self))
            }
            #expect(cache.count == 0)
            let snapshots = try await Self.snapshots(
                client.createPartial(messages: Self.hello, responseModel: Person.self))
            #expect(snapshots.last?.value == Self.person && server.requestCount == 2)
        }
    }

    @Test(arguments: [
        // Pieces that stop before the answer is complete.
        #"{"model": "{\"name\":\"Jason Liu\",\"age\":25,\"tags\":[]}", "raw": null, "structuredcache": {"stream": [[0, "{\"name\": \"Ja"]]}}"#,
        // Pieces of an answer that does not decode.
        #"{"model": "{}", "raw": null, "structuredcache": {"stream": [[0, "{\"name\": 3}"]]}}"#,
        // A stored answer that does not decode, without pieces.
        #"{"model": "{\"name\": 3}", "raw": null}"#,
    ])
    func aDamagedStoredStreamIsAMissAndIsRemoved(stored: String) async throws {
        try await LocalChatServer.with(otherwise: Self.personReply) { server in
            let cache = try AutoCache()
            let events = Lock<[CacheEvent]>([])
            let client = Self.client(server, cache: cache, events: events)
            let key = try client.plan(
                model: nil, messages: Self.hello, responseModel: Person.self, mode: nil, maxRetries: nil,
                options: RequestOptions(), cache: nil, cacheTTL: nil, cachePolicy: nil, streaming: true
            ).key
            try await cache.set(key, Data(stored.utf8))
            let snapshots = try await Self.snapshots(
                client.createPartial(messages: Self.hello, responseModel: Person.self))
            #expect(snapshots.last?.value == Self.person && server.requestCount == 1)
            #expect(events.withLock { $0.first?.reason?.contains("unusable") } == true)
            #expect(CacheEnvelope(bytes: try #require(await cache.get(key)))?.record?.stream?.isEmpty == false)
        }
    }

    @Test func streamCachingIsOffUnlessAsked() async throws {
        try await LocalChatServer.with(otherwise: Self.personReply) { server in
            let cache = try AutoCache()
            let client = Self.client(server, cache: cache, streamCaching: .off)
            for _ in 0..<2 {
                _ = try await Self.snapshots(client.createPartial(messages: Self.hello, responseModel: Person.self))
            }
            #expect(server.requestCount == 2 && cache.count == 0)
            // On for one call only.
            for _ in 0..<2 {
                _ = try await Self.snapshots(
                    client.createPartial(messages: Self.hello, responseModel: Person.self, streamCaching: .on))
            }
            #expect(server.requestCount == 3 && cache.count == 1)
        }
    }
}
