// StructuredClient against a real OpenAI-compatible HTTP server on loopback: Instructor's cache tests
// ported, and what Instructor gets wrong done right (full-request keys, failing open, single flight).

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StructuredClientTests {
    struct User: Codable, Sendable, Equatable { var name: String }

    struct Positive: Codable, Sendable, Validatable {
        var value: Int
        func validate() throws {
            guard value >= 0 else { throw ValidationFailure("value must be >= 0, got \(value)") }
        }
    }

    static func client(
        _ server: LocalChatServer, cache: (any CacheAdapter)? = nil, apiKey: String = "sk-test",
        configuration: StructuredClient.Configuration = .init(defaultModel: "gpt-test")
    ) -> StructuredClient {
        StructuredClient(
            provider: OpenAIProvider(
                baseURL: server.baseURL, apiKey: apiKey, configuration: .init(initialRetryDelay: .milliseconds(5))),
            cache: cache, configuration: configuration)
    }

    static let hello: [ChatMessage] = [.user("Extract: Jason")]

    // MARK: Instructor's tests, ported

    @Test func aHitMakesNoSecondProviderCall() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#)) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let first = try await client.create(messages: Self.hello, responseModel: User.self)
            let second = try await client.create(messages: Self.hello, responseModel: User.self)
            #expect(first == User(name: "Jason") && second == first)
            #expect(server.requestCount == 1)
            #expect(client.statistics.hits == 1 && client.statistics.misses == 1 && client.statistics.stores == 1)
            #expect(client.statistics.tokensSaved == 18)
        }
    }

    @Test func aRetriedAnswerIsStoredUnderTheLookupKey() async throws {
        try await LocalChatServer.with(replies: [
            .toolCall(name: "Positive", arguments: #"{"value": -5}"#),
            .toolCall(name: "Positive", arguments: #"{"value": 42}"#),
        ]) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            let first = try await client.create(messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(first.value == 42)
            #expect(server.requestCount == 2)
            let second = try await client.create(messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(second.value == 42)
            #expect(server.requestCount == 2)
            // The re-ask carried the error and the rejected call, as Instructor's does.
            let retried = try #require(server.requests[1].json?["messages"]?.arrayValue)
            #expect(retried.count == 3)
            #expect(retried[1]["tool_calls"]?[0]?["function"]?["arguments"] == #"{"value": -5}"#)
            #expect(retried[2]["role"] == "tool" && retried[2]["tool_call_id"] == "call_test")
            #expect(retried[2]["content"]?.stringValue?.contains("value must be >= 0, got -5") == true)
            // One lookup key: the store went under the key that was looked up.
            let keys = Set(
                cache.calls.map { call -> String in
                    switch call {
                    case .get(let key), .set(let key, _), .remove(let key): return key
                    case .removeAll: return ""
                    }
                })
            #expect(keys.count == 1)
        }
    }

    @Test func forwardsTheTTLToTheAdapter() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "a"}"#)) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(
                server, cache: cache, configuration: .init(defaultModel: "gpt-test", cacheTTL: .seconds(30)))
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            _ = try await client.create(messages: [.user("other")], responseModel: User.self, cacheTTL: .seconds(45))
            _ = try await client.create(messages: [.user("third")], responseModel: User.self, cacheTTL: .never)
            #expect(cache.setTTLs == [.seconds(30), .seconds(45), .never])
            // Unless told otherwise, the client leaves the lifetime to the adapter's default.
            let plain = Self.client(server, cache: cache)
            _ = try await plain.create(messages: [.user("fourth")], responseModel: User.self)
            #expect(cache.setTTLs.last == .adapterDefault)
        }
    }

    @Test func readsALegacyBareModelEntry() async throws {
        try await LocalChatServer.with { server in
            let cache = try AutoCache(maxSize: 10)
            let client = Self.client(server, cache: cache)
            let key = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            try await cache.set(key, Data(#"{"name":"legacy"}"#.utf8), ttl: .never)
            #expect(try await client.create(messages: Self.hello, responseModel: User.self) == User(name: "legacy"))
            #expect(server.requestCount == 0)
        }
    }

    @Test func restoresTheRawCompletionOnAHit() async throws {
        try await LocalChatServer.with(
            otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#, callID: "call_9")
        ) {
            server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let (_, live) = try await client.createWithCompletion(messages: Self.hello, responseModel: User.self)
            let (user, cached) = try await client.createWithCompletion(messages: Self.hello, responseModel: User.self)
            #expect(server.requestCount == 1)
            #expect(user.name == "Jason")
            #expect(cached == live)
            #expect(cached.id == "chatcmpl-test")
            #expect(cached.message?.toolCalls?.first?.id == "call_9")
            #expect(cached.usage?.totalTokens == 18)
        }
    }

    @Test func anEntryWithoutACompletionAnswersCreateButNotCreateWithCompletion() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "live"}"#)) { server in
            let cache = try AutoCache(maxSize: 10)
            let client = Self.client(server, cache: cache)
            let key = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            try await cache.set(key, Data(#"{"model": "{\"name\":\"stored\"}", "raw": null}"#.utf8), ttl: .never)
            #expect(try await client.create(messages: Self.hello, responseModel: User.self).name == "stored")
            #expect(server.requestCount == 0)
            let (user, completion) = try await client.createWithCompletion(
                messages: Self.hello, responseModel: User.self)
            #expect(user.name == "live" && completion.id == "chatcmpl-test")
            #expect(server.requestCount == 1)
        }
    }

    // MARK: The key covers what changes the answer

    @Test func everythingThatChangesTheAnswerChangesTheKey() async throws {
        try await LocalChatServer.with { server in
            let base = Self.client(server)
            func key(
                _ client: StructuredClient = base, messages: [ChatMessage] = Self.hello, mode: Mode? = nil,
                options: RequestOptions = .init()
            ) throws -> String {
                try client.cacheKey(messages: messages, responseModel: User.self, mode: mode, options: options)
            }
            let reference = try key()
            #expect(try key() == reference)
            let variants: [(String, String)] = [
                ("temperature", try key(options: .init(temperature: 0.7))),
                ("top_p", try key(options: .init(topP: 0.5))),
                ("seed", try key(options: .init(seed: 7))),
                ("max tokens", try key(options: .init(maxTokens: 100))),
                ("stop", try key(options: .init(stop: ["\n"]))),
                ("extra body", try key(options: .init(extraBody: ["reasoning_effort": "low"]))),
                ("system prompt", try key(messages: [.system("Answer in French.")] + Self.hello)),
                ("other system prompt", try key(messages: [.system("Answer in German.")] + Self.hello)),
                ("mode", try key(mode: .json)),
                ("API key", try key(Self.client(server, apiKey: "sk-other"))),
                (
                    "model",
                    try Self.client(server, configuration: .init(defaultModel: "gpt-other")).cacheKey(
                        messages: Self.hello, responseModel: User.self)
                ),
            ]
            for (name, variant) in variants { #expect(variant != reference, "\(name) does not change the key") }
            #expect(Set(variants.map(\.1)).count == variants.count)
            let otherEndpoint = try await LocalChatServer.with { other in try key(Self.client(other)) }
            #expect(otherEndpoint != reference, "the endpoint does not change the key")
        }
    }

    @Test func clientsOfDifferentAccountsNeverShareAndAnExplicitNamespaceOptsIn() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "a"}"#)) { server in
            let cache = try AutoCache(maxSize: 10)
            _ = try await Self.client(server, cache: cache, apiKey: "sk-a").create(
                messages: Self.hello, responseModel: User.self)
            _ = try await Self.client(server, cache: cache, apiKey: "sk-b").create(
                messages: Self.hello, responseModel: User.self)
            #expect(server.requestCount == 2)
            let shared = StructuredClient.Configuration(defaultModel: "gpt-test", namespace: "team-shared")
            _ = try await Self.client(server, cache: cache, apiKey: "sk-a", configuration: shared).create(
                messages: Self.hello, responseModel: User.self)
            _ = try await Self.client(server, cache: cache, apiKey: "sk-b", configuration: shared).create(
                messages: Self.hello, responseModel: User.self)
            #expect(server.requestCount == 3)
        }
    }

    @Test func theCompatibilityKeyIsInstructorsRequestPathKey() async throws {
        let vectors = try #require(try Fixtures.json("key-vectors.json").arrayValue)
        try await LocalChatServer.with { server in
            let client = Self.client(server, configuration: .init(keyCompatibility: .instructor116))
            for name in ["runtime_openai_tools", "runtime_openai_json"] {
                let vector = try #require(vectors.first { $0["name"]?.stringValue == name })
                let messages = try #require(vector["caller_messages"]?.arrayValue).map(ChatMessage.init(json:))
                let mode: Mode = vector["mode"] == "json_mode" ? .json : .tools
                let key = try client.cacheKey(
                    model: vector["model"]?.stringValue, messages: messages, responseModel: Twins.User.self, mode: mode,
                    options: .init(temperature: 0))
                #expect(key == vector["key"]?.stringValue, "\(name)")
            }
        }
    }

    // MARK: Failing open

    @Test func aBrokenCacheNeverFailsACall() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "a"}"#)) { server in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sc-broken-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let disk = try DiskCache(directory: folder)
            // The folder disappears and a file takes its place: every read and write now fails.
            try FileManager.default.removeItem(at: folder)
            try Data("not a folder".utf8).write(to: folder)
            let events = Mutex<[CacheEvent]>([])
            let client = Self.client(
                server, cache: disk,
                configuration: .init(
                    defaultModel: "gpt-test", onEvent: { event in events.withLock { $0.append(event) } }))
            #expect(try await client.create(messages: Self.hello, responseModel: User.self).name == "a")
            #expect(try await client.create(messages: Self.hello, responseModel: User.self).name == "a")
            #expect(server.requestCount == 2)
            let kinds = events.withLock { $0.map(\.kind) }
            #expect(kinds.filter { $0 == .error }.count >= 2)
            #expect(events.withLock { $0.allSatisfy { $0.adapter == "DiskCache" } })
            #expect(client.statistics.errors >= 2)
        }
    }

    @Test func aDeadRedisNeverFailsACall() async throws {
        // Nothing listens on this port: every cache call fails with a typed connection error.
        let port = try RedisServerProcess.freePort()
        let redis = try RedisCache(
            url: "redis://127.0.0.1:\(port)", configuration: .init(connection: .init(connectTimeout: .seconds(1))))
        defer { redis.shutdown() }
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "a"}"#)) { server in
            let errors = Mutex<[any Error]>([])
            let client = Self.client(
                server, cache: redis,
                configuration: .init(
                    defaultModel: "gpt-test",
                    onEvent: { event in
                        if let error = event.error { errors.withLock { $0.append(error) } }
                    }))
            for _ in 0..<3 {
                let user = try await client.create(messages: Self.hello, responseModel: User.self)
                #expect(user.name == "a")
            }
            #expect(server.requestCount == 3)
            #expect(client.statistics.errors == 6)  // a failed read and a failed write per call
            #expect(client.statistics.misses == 3)  // a read that failed answered nothing
            #expect(
                errors.withLock {
                    $0.allSatisfy { [.connectionFailed, .unavailable].contains(($0 as? CacheError)?.code) }
                })
        }
    }

    @Test func aStoredValueThatNoLongerDecodesIsAMissAndIsRemoved() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "fresh"}"#)) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            let key = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            for stored in [#"{"model": "{\"nom\":\"old schema\"}", "raw": null}"#, "\u{FF}garbage", "[1, 2"] {
                try await cache.wrapped.set(key, Data(stored.utf8), ttl: .never)
                #expect(try await client.create(messages: Self.hello, responseModel: User.self).name == "fresh")
            }
            #expect(server.requestCount == 3)
            #expect(cache.calls.filter { $0 == .remove(key) }.count == 3)
        }
    }

    @Test func concurrentIdenticalMissesMakeOneProviderCall() async throws {
        try await LocalChatServer.with(
            otherwise: .toolCall(name: "User", arguments: #"{"name": "once"}"#).delayed(by: .milliseconds(300))
        ) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let users = try await withThrowingTaskGroup(of: User.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.create(messages: Self.hello, responseModel: User.self) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(users.count == 20 && users.allSatisfy { $0.name == "once" })
            #expect(server.requestCount == 1)
            // Different keys do not wait on each other.
            async let a = client.create(messages: [.user("a")], responseModel: User.self)
            async let b = client.create(messages: [.user("b")], responseModel: User.self)
            _ = try await (a, b)
            #expect(server.requestCount == 3)
        }
    }

    // MARK: Policies and events

    @Test func policiesControlReadsAndWrites() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "n"}"#)) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            _ = try await client.create(messages: Self.hello, responseModel: User.self, cachePolicy: .noStore)
            #expect(cache.calls.count == 1 && server.requestCount == 1)  // a read, no write
            _ = try await client.create(messages: Self.hello, responseModel: User.self, cachePolicy: .bypass)
            #expect(cache.calls.count == 1 && server.requestCount == 2)  // neither
            _ = try await client.create(messages: Self.hello, responseModel: User.self, cachePolicy: .refresh)
            #expect(cache.calls.count == 2 && server.requestCount == 3)  // a write only
            if case .set = cache.calls.last {} else { Issue.record("refresh did not write") }
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            #expect(server.requestCount == 3)  // the refreshed entry answers
            #expect(client.statistics.bypasses == 1 && client.statistics.hits == 1)
        }
    }

    @Test func reportsEventsToAStream() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "e"}"#)) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let events = client.events()
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            _ = try await client.create(messages: Self.hello, responseModel: User.self)
            var kinds: [CacheEvent.Kind] = []
            for await event in events {
                kinds.append(event.kind)
                #expect(event.adapter == "AutoCache" && event.key.count == 64)
                if kinds.count == 3 { break }
            }
            #expect(kinds == [.miss, .store, .hit])
        }
    }

    // MARK: Modes and failures

    @Test(arguments: [Mode.json, .jsonSchema, .mdJSON])
    func decodesEachModesAnswer(mode: Mode) async throws {
        let content = mode == .mdJSON ? "Here it is:\n```json\n{\"name\": \"Md\"}\n```" : #"{"name": "Md"}"#
        try await LocalChatServer.with(otherwise: .completion(content: content)) { server in
            let client = Self.client(server)
            #expect(try await client.create(messages: Self.hello, responseModel: User.self, mode: mode).name == "Md")
            let body = try #require(server.requests.first?.json)
            switch mode {
            case .json: #expect(body["response_format"] == ["type": "json_object"])
            case .jsonSchema: #expect(body["response_format"]?["json_schema"]?["name"] == "User")
            default:
                // Instructor appends its request as a user message, which merges into the user's own.
                #expect(
                    body["messages"]?.arrayValue?.last?["content"]
                        == .string("Extract: Jason\n\n\(ModePreparation.markdownRequest)"))
            }
        }
    }

    @Test func sendsTheToolDefinitionInToolsMode() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "T"}"#)) { server in
            _ = try await Self.client(server).create(
                messages: Self.hello, responseModel: User.self, options: .init(temperature: 0.2))
            let body = try #require(server.requests.first?.json)
            #expect(body["tool_choice"] == ["type": "function", "function": ["name": "User"]])
            #expect(
                body["tools"]?[0]?["function"]?["parameters"]?["properties"]?["name"] == [
                    "title": "Name", "type": "string",
                ])
            #expect(body["temperature"] == 0.2)
            #expect(server.requests.first?.header("Authorization") == "Bearer sk-test")
        }
    }

    @Test func reportsEveryFailedAttemptWhenRetriesRunOutAndStoresNothing() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "Positive", arguments: #"{"value": -1}"#)) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            do {
                _ = try await client.create(messages: Self.hello, responseModel: Positive.self, maxRetries: 2)
                Issue.record("an invalid answer was accepted")
            } catch let error as ClientError {
                #expect(error.code == .retriesExhausted)
                #expect(error.attempts.count == 3)
                #expect(error.attempts.allSatisfy { "\($0.error)".contains("value must be >= 0") })
            }
            #expect(server.requestCount == 3)
            #expect(!cache.calls.contains { if case .set = $0 { return true } else { return false } })
        }
    }

    @Test func aCutOffAnswerIsNotRetried() async throws {
        let cutOff = ChatPayload.completion(content: #"{"name": "Ja"#, finishReason: "length")
        try await LocalChatServer.with(otherwise: .json(cutOff)) { server in
            await #expect(throws: ClientError.self) {
                _ = try await Self.client(server).create(messages: Self.hello, responseModel: User.self, mode: .json)
            }
            #expect(server.requestCount == 1)
        }
    }

    @Test func providerErrorsReachTheCallerUnchanged() async throws {
        try await LocalChatServer.with(otherwise: .error(status: 401, message: "Incorrect API key provided")) {
            server in
            do {
                _ = try await Self.client(server, cache: try AutoCache(maxSize: 10)).create(
                    messages: Self.hello, responseModel: User.self)
                Issue.record("no error")
            } catch let error as ProviderError {
                #expect(error.status == 401 && error.message.contains("Incorrect API key"))
            }
        }
    }

    @Test func needsAModel() async throws {
        try await LocalChatServer.with { server in
            let client = Self.client(server, configuration: .init())
            await #expect(throws: ClientError.self) {
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
            }
            #expect(server.requestCount == 0)
        }
    }
}
