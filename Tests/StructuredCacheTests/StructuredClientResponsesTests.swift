// StructuredClient over OpenAIResponsesProvider against a loopback server answering in the Responses
// API's format: each mode's answer, cache hits with the response JSON kept, re-asks, refusals, cut-off
// answers, streamed snapshots and elements from named events, and keys that never meet the chat
// completions provider's.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct StructuredClientResponsesTests {
    typealias User = StructuredClientTests.User
    typealias Positive = StructuredClientTests.Positive
    typealias Person = StructuredClientStreamingTests.Person

    static let hello: [ChatMessage] = [.user("Extract: Jason")]

    static func provider(_ server: LocalChatServer, apiKey: String = "sk-test") -> OpenAIResponsesProvider {
        OpenAIResponsesProvider(
            baseURL: server.baseURL, apiKey: apiKey, configuration: .init(initialRetryDelay: .milliseconds(5)))
    }

    static func client(
        _ server: LocalChatServer, cache: (any CacheAdapter)? = nil,
        configuration: StructuredClient.Configuration = .init(defaultModel: "gpt-test")
    ) -> StructuredClient {
        StructuredClient(provider: provider(server), cache: cache, configuration: configuration)
    }

    /// The answer `{"name": name}` as a mode expects it.
    static func answer(_ name: String, mode: Mode) -> JSONValue {
        switch mode {
        case .tools: return ResponsesPayload.call("User", #"{"name": "\#(name)"}"#)
        case .mdJSON: return ResponsesPayload.text("Here:\n```json\n{\"name\": \"\(name)\"}\n```")
        default: return ResponsesPayload.text(#"{"name": "\#(name)"}"#)
        }
    }

    // MARK: - Answers and hits

    @Test func toolsModeSendsInstructorsRequestAndReadsTheCall() async throws {
        try await LocalChatServer.with(otherwise: .json(Self.answer("Jason", mode: .tools))) { server in
            let user = try await Self.client(server).create(
                messages: Self.hello, responseModel: User.self, options: .init(temperature: 0.2))
            #expect(user == User(name: "Jason"))
            let body = try #require(server.requests.first?.json)
            let parameters: JSONValue = [
                "properties": ["name": ["title": "Name", "type": "string"]], "required": ["name"], "title": "User",
                "type": "object", "additionalProperties": false,
            ]
            #expect(
                body["tools"] == [
                    [
                        "type": "function", "name": "User", "parameters": parameters,
                        "description": "Correctly extracted `User` with all the required parameters with correct types",
                    ]
                ])
            #expect(body["tool_choice"] == ["type": "function", "name": "User"])
            #expect(
                body["text"] == [
                    "format": ["type": "json_schema", "name": "User", "strict": true, "schema": parameters]
                ])
            #expect(body["input"] == [["role": "user", "content": "Extract: Jason"]])
            #expect(body["temperature"] == 0.2 && body["store"] == false)
            #expect(server.requests.first?.target == "/v1/responses")
        }
    }

    @Test(arguments: [Mode.tools, .jsonSchema, .json, .mdJSON])
    func eachModesAnswerIsCachedWithItsResponseAndAHitSendsNothing(mode: Mode) async throws {
        try await LocalChatServer.with(otherwise: .json(Self.answer("Jason", mode: mode))) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let (first, live) = try await client.createWithCompletion(
                messages: Self.hello, responseModel: User.self, mode: mode)
            #expect(first == User(name: "Jason"))
            #expect(server.requestCount == 1)
            let again = try await client.create(messages: Self.hello, responseModel: User.self, mode: mode)
            let (user, cached) = try await client.createWithCompletion(
                messages: Self.hello, responseModel: User.self, mode: mode)
            #expect(again == first && user == first)
            #expect(server.requestCount == 1)
            #expect(cached == live)
            #expect(cached.raw["object"] == "response" && cached.raw == Self.answer("Jason", mode: mode))
            #expect(cached.usage?.totalTokens == 18)
            #expect(client.statistics.hits == 2 && client.statistics.tokensSaved == 36)
        }
    }

    // MARK: - Re-asks and answers that cannot be used

    @Test func toolsModeReasksWithInstructorsMessage() async throws {
        try await LocalChatServer.with(replies: [
            .json(ResponsesPayload.call("Positive", #"{"value": -5}"#)),
            .json(ResponsesPayload.call("Positive", #"{"value": 42}"#)),
        ]) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            let value = try await client.create(messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(value.value == 42)
            #expect(server.requestCount == 2)
            let input = try #require(server.requests[1].json?["input"]?.arrayValue)
            #expect(input.count == 2)
            #expect(input[0] == ["role": "user", "content": "Extract: Jason"])
            #expect(input[1]["role"] == "user")
            #expect(
                input[1]["content"]?.stringValue?.hasSuffix(
                    #"Recall the function correctly, fix the errors with {"value": -5} (tool call name=Positive, id=fc_test)"#
                )
                    == true)
            #expect(input[1]["content"]?.stringValue?.contains("value must be >= 0, got -5") == true)
            // The answer is stored under the key looked up, and found again.
            _ = try await client.create(messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(server.requestCount == 2)
        }
    }

    @Test func jsonSchemaModeReasksWithTheAnswerAndTheError() async throws {
        try await LocalChatServer.with(replies: [
            .json(ResponsesPayload.text(#"{"value": -1}"#)), .json(ResponsesPayload.text(#"{"value": 1}"#)),
        ]) { server in
            let value = try await Self.client(server).create(
                messages: Self.hello, responseModel: Positive.self, mode: .jsonSchema, maxRetries: 1)
            #expect(value.value == 1)
            let input = try #require(server.requests[1].json?["input"]?.arrayValue)
            #expect(input.count == 3)
            #expect(input[1] == ["role": "assistant", "content": #"{"value": -1}"#])
            #expect(
                input[2]["content"]?.stringValue?.hasPrefix(
                    "Correct your JSON ONLY RESPONSE, based on the following errors:\n") == true)
        }
    }

    @Test func aRefusalIsAClientErrorAndIsNotRetried() async throws {
        let refusal = ResponsesPayload.response([ResponsesPayload.refusal("I can't help with that.")])
        try await LocalChatServer.with(otherwise: .json(refusal)) { server in
            do {
                _ = try await Self.client(server).create(
                    messages: Self.hello, responseModel: User.self, mode: .jsonSchema, maxRetries: 2)
                Issue.record("a refusal was accepted")
            } catch let error as ClientError {
                #expect(error.code == .refusal && error.message.contains("I can't help with that."))
                #expect(error.attempts.first?.completion.raw == refusal)
            }
            #expect(server.requestCount == 1)
        }
    }

    @Test(arguments: [Mode.tools, .jsonSchema])
    func aResponseCutAtMaxOutputTokensIsIncompleteOutput(mode: Mode) async throws {
        let item =
            mode == .tools
            ? ResponsesPayload.functionCall("User", #"{"na"#, status: "incomplete")
            : ResponsesPayload.message(#"{"na"#, status: "incomplete")
        let cut = ResponsesPayload.response([item], status: "incomplete", incompleteReason: "max_output_tokens")
        try await LocalChatServer.with(otherwise: .json(cut)) { server in
            do {
                _ = try await Self.client(server).create(
                    messages: Self.hello, responseModel: User.self, mode: mode, maxRetries: 2,
                    options: .init(maxTokens: 3))
                Issue.record("a cut-off answer was accepted")
            } catch let error as ClientError {
                #expect(error.code == .incompleteOutput)
            }
            #expect(server.requestCount == 1)
            #expect(server.requests.first?.json?["max_output_tokens"] == 3)
        }
    }

    @Test func providerErrorsReachTheCallerAfterRetries() async throws {
        try await LocalChatServer.with(replies: [
            .rateLimited(retryAfter: "0"), .error(status: 500, message: "oops"),
            .json(Self.answer("Jason", mode: .tools)), .json(ResponsesPayload.failed(message: "The model failed.")),
        ]) { server in
            let client = Self.client(server)
            #expect(try await client.create(messages: Self.hello, responseModel: User.self).name == "Jason")
            #expect(server.requestCount == 3)
            do {
                _ = try await client.create(messages: [.user("other")], responseModel: User.self)
                Issue.record("a failed response was accepted")
            } catch let error as ProviderError {
                #expect(error.code == .http && error.message.contains("The model failed."))
            }
        }
    }

    // MARK: - Streaming

    @Test(arguments: [Mode.tools, .jsonSchema])
    func snapshotsGrowFromNamedEvents(mode: Mode) async throws {
        let json = StructuredClientStreamingTests.personJSON
        let deltas = StructuredClientStreamingTests.deltas(json, size: 3)
        let events =
            mode == .tools
            ? ResponsesPayload.callStreamEvents("Person", deltas) : ResponsesPayload.textEvents(deltas)
        try await LocalChatServer.with(otherwise: .eventStream(ResponsesPayload.eventStream(events), pieceSize: 7)) {
            server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache)
            var snapshots: [PartialResponse<Person>] = []
            for try await snapshot in client.createPartial(
                messages: [.user("Jason is 25")], responseModel: Person.self, mode: mode)
            {
                snapshots.append(snapshot)
            }
            #expect(snapshots.count > 5)
            #expect(snapshots.dropLast().allSatisfy { $0.value == nil })
            #expect(snapshots.last?.value == Person(name: "Jason Liu", age: 25, tags: ["a", "b"]))
            #expect(snapshots.contains { $0.name.string == "Jason Liu" && !$0.age.isPresent })
            #expect(cache.calls.isEmpty)
            #expect(server.requests.first?.json?["stream"] == true)
        }
    }

    @Test func elementsArriveAsTheyCompleteFromNamedEvents() async throws {
        let json = #"{"tasks": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}"#
        let events = ResponsesPayload.callStreamEvents(
            "IterableUser", StructuredClientStreamingTests.deltas(json, size: 5))
        try await LocalChatServer.with(otherwise: .eventStream(ResponsesPayload.eventStream(events))) { server in
            var users: [User] = []
            for try await user in Self.client(server).createIterable(
                messages: [.user("A, B, C")], responseModel: User.self)
            {
                users.append(user)
            }
            #expect(users.map(\.name) == ["A", "B", "C"])
            let tool = try #require(server.requests.first?.json?["tools"]?[0])
            #expect(tool["name"] == "IterableUser")
            #expect(tool["parameters"]?["$defs"]?["User"]?["additionalProperties"] == false)
        }
    }

    @Test func aStreamEndingIncompleteOrCutFailsTheCall() async throws {
        let partial = [#"{"name": "Jason Liu", "#]
        let incomplete = ResponsesPayload.events(
            [ResponsesPayload.messageEvents(partial)],
            final: ResponsesPayload.response(
                [ResponsesPayload.message(partial[0], status: "incomplete")], status: "incomplete",
                incompleteReason: "max_output_tokens"), end: "response.incomplete")
        let cut = Array(ResponsesPayload.textEvents(partial).dropLast())
        try await LocalChatServer.with(replies: [
            .eventStream(ResponsesPayload.eventStream(incomplete)),
            .eventStream(ResponsesPayload.eventStream(cut), framing: .closeDelimited),
        ]) { server in
            let client = Self.client(server)
            var failures: [any Error] = []
            for _ in 0..<2 {
                do {
                    for try await _ in client.createPartial(
                        messages: [.user("x")], responseModel: Person.self, mode: .jsonSchema)
                    {}
                    Issue.record("an unfinished stream was accepted")
                } catch {
                    failures.append(error)
                }
            }
            #expect((failures.first as? ClientError)?.code == .incompleteOutput)
            #expect((failures.last as? ProviderError)?.code == .transport)
        }
    }

    // MARK: - Keys

    @Test func aResponsesAndAChatCompletionsProviderAtOneEndpointNeverShareAKey() async throws {
        try await LocalChatServer.with(handler: { request in
            request.path.hasSuffix("/responses")
                ? .json(Self.answer("responses", mode: .tools))
                : .toolCall(name: "User", arguments: #"{"name": "chat"}"#)
        }) { server in
            let cache = try AutoCache(maxSize: 10)
            for configuration in [
                StructuredClient.Configuration(defaultModel: "gpt-test"),
                .init(defaultModel: "gpt-test", namespace: "shared"),
                .init(defaultModel: "gpt-test", keyCompatibility: .instructor116),
            ] {
                let chat = StructuredClient(
                    provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test"), cache: cache,
                    configuration: configuration)
                let responses = StructuredClient(
                    provider: Self.provider(server), cache: cache, configuration: configuration)
                let messages: [ChatMessage] = [
                    .user("Extract, \(configuration.keyCompatibility) \(configuration.namespace ?? "")")
                ]
                #expect(
                    try chat.cacheKey(messages: messages, responseModel: User.self)
                        != responses.cacheKey(messages: messages, responseModel: User.self))
                #expect(try await chat.create(messages: messages, responseModel: User.self).name == "chat")
                #expect(try await responses.create(messages: messages, responseModel: User.self).name == "responses")
                #expect(try await chat.create(messages: messages, responseModel: User.self).name == "chat")
            }
            #expect(server.requestCount == 6)
        }
    }

    @Test func theInstructorKeyIsInstructorsForToolsModeOnly() async throws {
        let vector = try #require(
            OpenAIResponsesDialectTests.cases.first { $0["model"] == "User" && $0["conversation"] == "system_user" })
        try await LocalChatServer.with { server in
            let client = Self.client(
                server, configuration: .init(defaultModel: "gpt-4.1-mini", keyCompatibility: .instructor116))
            let key = try client.cacheKey(
                messages: [.system("Be terse."), .user("Extract: Jason")], responseModel: User.self)
            #expect(key == vector["key"]?.stringValue)
            #expect(throws: ClientError.self) {
                try client.cacheKey(messages: Self.hello, responseModel: User.self, mode: .jsonSchema)
            }
            await #expect(throws: ClientError.self) {
                _ = try await client.create(messages: Self.hello, responseModel: User.self, mode: .jsonSchema)
            }
            #expect(server.requestCount == 0)
        }
    }

    @Test func everythingSentChangesTheStandardKey() async throws {
        try await LocalChatServer.with { server in
            let client = Self.client(server)
            let base = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            let variants = [
                try client.cacheKey(messages: Self.hello, responseModel: User.self, options: .init(temperature: 0.5)),
                try client.cacheKey(messages: Self.hello, responseModel: User.self, options: .init(maxTokens: 5)),
                try client.cacheKey(
                    messages: Self.hello, responseModel: User.self, options: .init(extraBody: ["store": true])),
                try client.cacheKey(messages: Self.hello, responseModel: User.self, mode: .jsonSchema),
                try client.cacheKey(messages: [.user("Extract: Jason!")], responseModel: User.self),
            ]
            #expect(Set(variants + [base]).count == variants.count + 1)
            // Under one namespace, a provider that keeps its responses asks something else.
            let keys = try [false, true].map { store in
                try StructuredClient(
                    provider: OpenAIResponsesProvider(
                        baseURL: server.baseURL, apiKey: "sk-test", configuration: .init(store: store)),
                    configuration: .init(defaultModel: "gpt-test", namespace: "n")
                ).cacheKey(messages: Self.hello, responseModel: User.self)
            }
            #expect(keys[0] != keys[1])
            // What the Responses API does not take is not sent, and does not split the cache.
            #expect(
                try client.cacheKey(messages: Self.hello, responseModel: User.self, options: .init(seed: 3)) == base)
        }
    }
}
