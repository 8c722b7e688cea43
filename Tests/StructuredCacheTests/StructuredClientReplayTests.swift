// Record, then replay: a call's canonical payload (what its key hashes) and the fields two payloads
// differ in; a replay-only run over a DiskCache folder recorded earlier that never reaches the provider
// and, on a miss, says which field of the request changed.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StructuredClientReplayTests {
    struct User: Codable, Sendable, Equatable { var name: String }

    static func client(
        _ server: LocalChatServer, cache: (any CacheAdapter)?, policy: CachePolicy = .use, records: Bool = false,
        keyCompatibility: StructuredClient.KeyCompatibility = .standard
    ) -> StructuredClient {
        StructuredClient(
            provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-replay-secret"), cache: cache,
            configuration: .init(
                defaultModel: "gpt-test", cachePolicy: policy, keyCompatibility: keyCompatibility,
                recordsPayloads: records))
    }

    static let hello: [ChatMessage] = [.system("Be terse."), .user("Extract: Jason")]

    static func withFolder<T>(_ body: (URL) async throws -> T) async rethrows -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    @Test(arguments: [StructuredClient.KeyCompatibility.standard, .instructor116])
    func thePayloadIsWhatTheKeyHashes(scheme: StructuredClient.KeyCompatibility) async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "{}")) { server in
            let client = Self.client(server, cache: nil, keyCompatibility: scheme)
            for options in [RequestOptions(), RequestOptions(temperature: 0.5, maxTokens: 10)] {
                let payload = try client.cachePayload(messages: Self.hello, responseModel: User.self, options: options)
                #expect(
                    payload.key
                        == (try client.cacheKey(messages: Self.hello, responseModel: User.self, options: options)))
                #expect(SHA256.hash(string: payload.text).hexString == payload.key)
                #expect(payload.json["model"] == "gpt-test" && payload.json["messages"] != nil)
                #expect(!payload.text.contains("sk-replay-secret"))
            }
        }
    }

    @Test func namesTheFieldsTwoCallsDifferIn() async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "{}")) { server in
            let client = Self.client(server, cache: nil)
            let before = try client.cachePayload(messages: Self.hello, responseModel: User.self)
            let after = try client.cachePayload(
                messages: [.system("Be terse."), .user("Extract: Sarah")], responseModel: User.self,
                options: RequestOptions(temperature: 0.2))
            let differences = after.differences(from: before)
            #expect(differences.map(\.path) == ["messages[1].content", "request.temperature"])
            #expect(differences[0].before == "Extract: Jason" && differences[0].after == "Extract: Sarah")
            #expect(differences[1].before == nil && differences[1].after == 0.2)
            #expect(differences[1].description == "request.temperature: absent → 0.2")
            #expect(after.differences(from: after).isEmpty)
        }
    }

    @Test func replaysRecordedAnswersWithoutTheProvider() async throws {
        try await Self.withFolder { folder in
            try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#)) {
                server in
                // Record: a real call, stored in the folder (the folder a repository would commit).
                let recorder = Self.client(server, cache: try DiskCache(directory: folder), records: true)
                let recorded = try await recorder.create(messages: Self.hello, responseModel: User.self)
                #expect(server.requestCount == 1)

                // Replay: a new cache on the same folder, as a later test run would open it.
                let replayer = Self.client(
                    server, cache: try DiskCache(directory: folder), policy: .replayOnly, records: true)
                #expect(try await replayer.create(messages: Self.hello, responseModel: User.self) == recorded)

                // A changed prompt fails loudly, names what changed, and costs nothing.
                do {
                    _ = try await replayer.create(
                        messages: [.system("Be terse."), .user("Extract: Sarah")], responseModel: User.self,
                        options: RequestOptions(temperature: 0))
                    Issue.record("a replay-only miss returned an answer")
                } catch let error as ClientError {
                    #expect(error.code == .replayMiss)
                    let payload = try #require(error.payload)
                    #expect(
                        payload.key
                            == (try replayer.cacheKey(
                                messages: [.system("Be terse."), .user("Extract: Sarah")], responseModel: User.self,
                                options: RequestOptions(temperature: 0))))
                    #expect(error.message.contains("in messages[1].content, request.temperature"))
                    #expect(!error.description.contains("sk-replay-secret"))
                }
                #expect(server.requestCount == 1)
            }
        }
    }

    @Test func aReplayMissWithoutARecordingSaysSo() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#)) { server in
            let replayer = Self.client(server, cache: try AutoCache(maxSize: 10), policy: .replayOnly, records: true)
            await #expect {
                _ = try await replayer.create(messages: Self.hello, responseModel: User.self)
            } throws: { error in
                let error = error as? ClientError
                return error?.code == .replayMiss && error?.payload != nil
                    && error?.message.contains("no call was recorded with this model, mode and response type") == true
            }
            // Per call too, and without recorded payloads the error still carries the key and payload.
            let plain = Self.client(server, cache: try AutoCache(maxSize: 10))
            await #expect {
                _ = try await plain.create(messages: Self.hello, responseModel: User.self, cachePolicy: .replayOnly)
            } throws: {
                ($0 as? ClientError)?.payload?.key
                    == (try? plain.cacheKey(messages: Self.hello, responseModel: User.self))
            }
            #expect(server.requestCount == 0)
        }
    }

    @Test func missEventsExplainThemselvesWhenAsked() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#)) { server in
            let events = Lock<[CacheEvent]>([])
            let client = StructuredClient(
                provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-replay-secret"),
                cache: try AutoCache(maxSize: 10),
                configuration: .init(
                    defaultModel: "gpt-test", recordsPayloads: true, explainsMisses: true,
                    onEvent: { event in events.withLock { $0.append(event) } }))
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            _ = try await client.create(
                messages: Self.hello, responseModel: User.self, options: RequestOptions(maxTokens: 50))
            let misses = events.withLock { $0.filter { $0.kind == .miss } }
            #expect(misses.count == 2)
            #expect(misses[0].payload?.key == misses[0].key && misses[0].changes.isEmpty)
            #expect(misses[1].changes.map(\.path) == ["request.max_tokens"])
            #expect(misses[1].description.hasSuffix("changed=request.max_tokens"))
            // Off by default: no payload is made for a miss.
            let quietEvents = Lock<[CacheEvent]>([])
            let quiet = StructuredClient(
                provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-replay-secret"),
                cache: try AutoCache(maxSize: 10),
                configuration: .init(
                    defaultModel: "gpt-test", recordsPayloads: true,
                    onEvent: { event in quietEvents.withLock { $0.append(event) } }))
            _ = try await quiet.create(messages: Self.hello, responseModel: User.self)
            let quietMisses = quietEvents.withLock { $0.filter { $0.kind == .miss } }
            #expect(quietMisses.count == 1 && quietMisses[0].payload == nil)
        }
    }
}
