// AnthropicProvider against a loopback server that answers in the Messages API's documented format:
// the request as the API expects it, answers and streams read into completions, structured answers
// through StructuredClient in every mode, re-asks, stops, retries, errors and the cache.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct AnthropicProviderTests {
    struct User: Codable, Sendable, Equatable { var name: String }

    struct Positive: Codable, Sendable, Validatable {
        var value: Int
        func validate() throws {
            guard value >= 0 else { throw ValidationFailure("value must be >= 0, got \(value)") }
        }
    }

    static let key = "sk-ant-api03-secretsecretsecret-abcd"

    static func provider(_ server: LocalChatServer, betas: [String] = []) -> AnthropicProvider {
        AnthropicProvider(
            baseURL: server.baseURL, apiKey: key,
            configuration: .init(initialRetryDelay: .milliseconds(5), betas: betas))
    }

    static func client(
        _ server: LocalChatServer, cache: (any CacheAdapter)? = nil, mode: Mode = .tools,
        keyCompatibility: StructuredClient.KeyCompatibility = .standard
    ) -> StructuredClient {
        StructuredClient(
            provider: provider(server), cache: cache,
            configuration: .init(defaultModel: "claude-test", mode: mode, keyCompatibility: keyCompatibility))
    }

    static let hello: [ChatMessage] = [.system("Be terse."), .user("Extract: Jason")]

    // MARK: The request

    @Test func postsTheMessagesRequestInTheAPIsTerms() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer("hi")) { server in
            let request = ChatRequest(
                model: "claude-test",
                messages: [
                    .system("Be terse."), .user("Look this up."),
                    ChatMessage(
                        role: .assistant, content: .text("Looking."),
                        toolCalls: [ToolCall(id: "toolu_1", name: "lookup", arguments: #"{"q": "x"}"#)]),
                    .tool("found", callID: "toolu_1"), .user("Thanks."),
                ],
                options: RequestOptions(temperature: 0.5, stop: ["END"], extraBody: ["top_k": 5]))
            let completion = try await Self.provider(server, betas: ["a-2025", "b-2026"]).complete(request)
            #expect(completion.message?.content?.text == "hi" && completion.choices.first?.finishReason == "stop")
            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/messages")
            #expect(sent.header("x-api-key") == Self.key && sent.bearerToken == nil)
            #expect(sent.header("anthropic-version") == "2023-06-01")
            #expect(sent.header("anthropic-beta") == "a-2025,b-2026")
            let expected: JSONValue = [
                "model": "claude-test", "max_tokens": 4096,
                "messages": [
                    ["role": "user", "content": "Look this up."],
                    [
                        "role": "assistant",
                        "content": [
                            ["type": "text", "text": "Looking."],
                            ["type": "tool_use", "id": "toolu_1", "name": "lookup", "input": ["q": "x"]],
                        ],
                    ],
                    [
                        "role": "user",
                        "content": [["type": "tool_result", "tool_use_id": "toolu_1", "content": "found"]],
                    ],
                    ["role": "user", "content": "Thanks."],
                ],
                "system": [["type": "text", "text": "Be terse."]], "temperature": 0.5, "stop_sequences": ["END"],
                "top_k": 5,
            ]
            #expect(sent.json == expected)
        }
    }

    @Test func refusesParametersTheAPIHasNotWithoutSending() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer("hi")) { server in
            for options in [RequestOptions(seed: 1), RequestOptions(presencePenalty: 0.5)] {
                await #expect {
                    _ = try await Self.provider(server).complete(
                        ChatRequest(model: "claude-test", messages: [.user("Hi")], options: options))
                } throws: { ($0 as? ProviderError)?.code == .invalidRequest }
            }
            #expect(server.requestCount == 0)
        }
    }

    @Test func convertsOpenAIImagePartsToImageBlocks() {
        let messages = AnthropicRequestBody.messages([
            ChatMessage(
                role: .user,
                content: .parts([
                    ["type": "text", "text": "What is this?"],
                    ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]],
                    ["type": "image_url", "image_url": ["url": "https://example.com/cat.jpg"]],
                ]))
        ])
        #expect(
            messages == [
                [
                    "role": "user",
                    "content": [
                        ["type": "text", "text": "What is this?"],
                        [
                            "type": "image",
                            "source": ["type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="],
                        ],
                        ["type": "image", "source": ["type": "url", "url": "https://example.com/cat.jpg"]],
                    ],
                ]
            ])
    }

    // MARK: Structured answers

    @Test func toolsModeForcesOneToolAndReadsItsInput() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.toolCall("User", ["name": "Jason"])) { server in
            let user = try await Self.client(server).create(messages: Self.hello, responseModel: User.self)
            #expect(user == User(name: "Jason"))
            let body = try #require(server.requests.first?.json)
            #expect(body["tool_choice"] == ["type": "tool", "name": "User", "disable_parallel_tool_use": true])
            #expect(body["tools"]?[0]?["name"] == "User")
            #expect(body["tools"]?[0]?["input_schema"]?["title"] == "User")
            #expect(body["system"] == [["type": "text", "text": "Be terse."]])
        }
    }

    @Test func thinkingLeavesTheToolChoiceToTheModel() async throws {
        let reply = LocalChatServer.Reply.json(
            AnthropicPayload.message(
                [AnthropicPayload.thinking, AnthropicPayload.toolUse("User", ["name": "Jason"])], stopReason: "tool_use"
            ))
        try await LocalChatServer.with(otherwise: reply) { server in
            let user = try await Self.client(server).create(
                messages: Self.hello, responseModel: User.self,
                options: RequestOptions(
                    maxTokens: 2048, extraBody: ["thinking": ["type": "enabled", "budget_tokens": 1024]]))
            #expect(user == User(name: "Jason"))
            let body = try #require(server.requests.first?.json)
            #expect(body["tool_choice"] == ["type": "auto"])
            #expect(body["system"]?[1]?["text"] == .string(AnthropicDialect.toolCallOnly))
        }
    }

    @Test func jsonModeReadsTheLastTextBlockAsPythonReadsIt() async throws {
        // Raw line breaks inside a string: Python's json.loads(strict=False) reads them, as Instructor does.
        let text =
            "Here is an example: {\"name\": \"Example\"}\n\nAnd the answer:\n```json\n{\"name\": \"Jas\non\"}\n```"
        let reply = LocalChatServer.Reply.json(
            AnthropicPayload.message([AnthropicPayload.text("Thinking aloud."), AnthropicPayload.text(text)]))
        try await LocalChatServer.with(otherwise: reply) { server in
            let user = try await Self.client(server, mode: .json).create(messages: Self.hello, responseModel: User.self)
            #expect(user == User(name: "Jas\non"))
            let system = try #require(server.requests.first?.json?["system"]?.arrayValue)
            #expect(system.count == 2 && system[1]["text"]?.stringValue?.contains("As a genius expert") == true)
            #expect(server.requests.first?.json?["tools"] == nil)
        }
    }

    @Test func jsonSchemaModeUsesNativeStructuredOutputs() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer(#"{"name": "Jason"}"#)) { server in
            let user = try await Self.client(server, mode: .jsonSchema).create(
                messages: Self.hello, responseModel: User.self)
            #expect(user == User(name: "Jason"))
            let format = try #require(server.requests.first?.json?["output_config"]?["format"])
            #expect(format["type"] == "json_schema")
            #expect(format["schema"]?["additionalProperties"] == false)
            #expect(server.requests.first?.json?["tools"] == nil)
        }
    }

    @Test func markdownModeIsNotOneAnthropicPrepares() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer("{}")) { server in
            await #expect {
                _ = try await Self.client(server, mode: .mdJSON).create(messages: Self.hello, responseModel: User.self)
            } throws: { ($0 as? ClientError)?.code == .invalidConfiguration }
            #expect(server.requestCount == 0)
        }
    }

    @Test func reasksWithTheAssistantTurnAndAToolResultError() async throws {
        try await LocalChatServer.with(replies: [
            .json(
                AnthropicPayload.message(
                    [AnthropicPayload.thinking, AnthropicPayload.toolUse("Positive", ["value": -5], id: "toolu_bad")],
                    stopReason: "tool_use")),
            AnthropicPayload.toolCall("Positive", ["value": 42]),
        ]) { server in
            let value = try await Self.client(server).create(
                messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(value.value == 42)
            let messages = try #require(server.requests.last?.json?["messages"]?.arrayValue)
            #expect(messages.count == 3)
            #expect(messages[1]["role"] == "assistant")
            #expect(messages[1]["content"]?[0] == AnthropicPayload.thinking)
            #expect(messages[1]["content"]?[1] == AnthropicPayload.toolUse("Positive", ["value": -5], id: "toolu_bad"))
            let result = try #require(messages[2]["content"]?[0])
            #expect(messages[2]["role"] == "user" && result["type"] == "tool_result")
            #expect(result["tool_use_id"] == "toolu_bad" && result["is_error"] == true)
            #expect(result["content"]?.stringValue?.contains("value must be >= 0, got -5") == true)
        }
    }

    @Test func jsonModeReasksWithTheFailedText() async throws {
        try await LocalChatServer.with(replies: [
            AnthropicPayload.answer(#"{"value": -1}"#), AnthropicPayload.answer(#"{"value": 1}"#),
        ]) { server in
            let value = try await Self.client(server, mode: .json).create(
                messages: Self.hello, responseModel: Positive.self, maxRetries: 1)
            #expect(value.value == 1)
            let last = try #require(server.requests.last?.json?["messages"]?.arrayValue?.last)
            #expect(last["role"] == "user")
            #expect(last["content"]?.stringValue?.hasSuffix("following attempt:\n{\"value\": -1}") == true)
        }
    }

    @Test func aMaxTokensStopIsAnIncompleteAnswerNotRetried() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer(#"{"name": "Ja"#, stopReason: "max_tokens")) {
            server in
            await #expect {
                _ = try await Self.client(server, mode: .json).create(
                    messages: Self.hello, responseModel: User.self, maxRetries: 2)
            } throws: { ($0 as? ClientError)?.code == .incompleteOutput }
            #expect(server.requestCount == 1)
        }
    }

    @Test func aRefusalStopIsARefusal() async throws {
        try await LocalChatServer.with(
            otherwise: AnthropicPayload.answer("I can't help with that.", stopReason: "refusal")
        ) {
            server in
            await #expect {
                _ = try await Self.client(server).create(messages: Self.hello, responseModel: User.self, maxRetries: 2)
            } throws: { error in
                let error = error as? ClientError
                return error?.code == .refusal && error?.description.contains("I can't help with that.") == true
            }
            #expect(server.requestCount == 1)
        }
    }

    @Test func twoToolCallsAreAFailedAttempt() async throws {
        let twice = LocalChatServer.Reply.json(
            AnthropicPayload.message(
                [
                    AnthropicPayload.toolUse("User", ["name": "A"], id: "toolu_a"),
                    AnthropicPayload.toolUse("User", ["name": "B"], id: "toolu_b"),
                ], stopReason: "tool_use"))
        try await LocalChatServer.with(replies: [twice, AnthropicPayload.toolCall("User", ["name": "C"])]) { server in
            let user = try await Self.client(server).create(
                messages: Self.hello, responseModel: User.self, maxRetries: 1)
            #expect(user == User(name: "C"))
            // Every tool_use gets its tool_result, as the API requires.
            let results = try #require(server.requests.last?.json?["messages"]?[2]?["content"]?.arrayValue)
            #expect(results.compactMap { $0["tool_use_id"]?.stringValue } == ["toolu_a", "toolu_b"])
        }
    }

    // MARK: The cache

    @Test(arguments: [Mode.tools, Mode.json, Mode.jsonSchema])
    func aHitMakesNoRequestAndRestoresTheMessage(mode: Mode) async throws {
        let reply =
            mode == .tools
            ? AnthropicPayload.toolCall(
                "User", ["name": "Jason"], usage: AnthropicPayload.usage(cacheWrite: 100, cacheRead: 40))
            : .json(
                AnthropicPayload.message(
                    [AnthropicPayload.text(#"{"name": "Jason"}"#)],
                    usage: AnthropicPayload.usage(cacheWrite: 100, cacheRead: 40)))
        try await LocalChatServer.with(otherwise: reply) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10), mode: mode)
            let (first, completion) = try await client.createWithCompletion(
                messages: Self.hello, responseModel: User.self)
            let (second, restored) = try await client.createWithCompletion(
                messages: Self.hello, responseModel: User.self)
            #expect(first == User(name: "Jason") && second == first)
            #expect(server.requestCount == 1)
            #expect(restored == completion)
            #expect(restored.raw["type"] == "message" && restored.raw["usage"]?["cache_read_input_tokens"] == 40)
            #expect(
                restored.usage
                    == ChatCompletion.Usage(
                        promptTokens: 165, completionTokens: 12, cachedPromptTokens: 40, cacheCreationTokens: 100))
            #expect(client.statistics.hits == 1 && client.statistics.tokensSaved == 177)
        }
    }

    @Test func anthropicAndOpenAIEndpointsNeverShareAKey() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer("{}")) { server in
            let anthropic = Self.client(server)
            let openAI = StructuredClient(
                provider: OpenAIProvider(baseURL: server.baseURL, apiKey: Self.key),
                configuration: .init(defaultModel: "claude-test"))
            let other = StructuredClient(
                provider: AnthropicProvider(baseURL: server.baseURL, apiKey: "sk-ant-other"),
                configuration: .init(defaultModel: "claude-test"))
            let keys = try [anthropic, openAI, other].map {
                try $0.cacheKey(messages: Self.hello, responseModel: User.self)
            }
            #expect(Set(keys).count == 3)
            #expect(
                AnthropicProvider(apiKey: Self.key).cacheIdentity.hasPrefix(
                    "anthropic:https://api.anthropic.com/v1;key=sha256:"))
        }
    }

    @Test func theDefaultKeyCoversWhatInstructorLeavesOut() async throws {
        try await LocalChatServer.with(otherwise: AnthropicPayload.answer("{}")) { server in
            let client = Self.client(server)
            let compatible = Self.client(server, keyCompatibility: .instructor116)
            func keys(_ client: StructuredClient) throws -> Set<String> {
                Set(
                    try [
                        client.cacheKey(messages: Self.hello, responseModel: User.self),
                        client.cacheKey(
                            messages: [.system("Be verbose."), .user("Extract: Jason")], responseModel: User.self),
                        client.cacheKey(
                            messages: Self.hello, responseModel: User.self, options: RequestOptions(maxTokens: 10)),
                    ])
            }
            let standard = try keys(client)
            let instructor = try keys(compatible)
            #expect(standard.count == 3 && instructor.count == 1)
        }
    }

    // MARK: Streaming

    @Test func streamsPartialAnswersFromToolInputDeltas() async throws {
        let message = AnthropicPayload.message(
            [AnthropicPayload.thinking, AnthropicPayload.toolUse("User", ["name": "Jason Smith"])],
            stopReason: "tool_use")
        try await LocalChatServer.with(otherwise: AnthropicPayload.streamed(message)) { server in
            var snapshots: [PartialResponse<User>] = []
            for try await partial in Self.client(server).createPartial(messages: Self.hello, responseModel: User.self) {
                snapshots.append(partial)
            }
            #expect(snapshots.count > 1)
            #expect(snapshots.last?.value == User(name: "Jason Smith"))
            #expect(server.requests.first?.json?["stream"] == true)
        }
    }

    @Test func streamsTheElementsOfAListFromTextDeltas() async throws {
        let list = #"{"tasks": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}"#
        try await LocalChatServer.with(
            otherwise: AnthropicPayload.streamed(AnthropicPayload.message([AnthropicPayload.text(list)]))
        ) {
            server in
            var names: [String] = []
            for try await user in Self.client(server, mode: .json).createIterable(
                messages: Self.hello, responseModel: User.self)
            {
                names.append(user.name)
            }
            #expect(names == ["A", "B", "C"])
        }
    }

    @Test func aStreamedCompletionIsTheMessageANonStreamedOneIs() async throws {
        let message = AnthropicPayload.message(
            [
                AnthropicPayload.thinking, AnthropicPayload.text("Here."),
                AnthropicPayload.toolUse("User", ["name": "Jason"]),
            ],
            stopReason: "tool_use", usage: AnthropicPayload.usage(cacheRead: 7))
        try await LocalChatServer.with(replies: [AnthropicPayload.streamed(message), .json(message)]) { server in
            var request = ChatRequest(model: "claude-test", messages: [.user("Hi")])
            request.stream = true
            let streamed = try await Self.provider(server).complete(request)
            request.stream = false
            let whole = try await Self.provider(server).complete(request)
            #expect(streamed.raw == message)
            #expect(streamed.choices == whole.choices && streamed.usage == whole.usage)
        }
    }

    @Test func aStreamedRefusalIsARefusal() async throws {
        let message = AnthropicPayload.message(
            [AnthropicPayload.text("I can't help with that.")], stopReason: "refusal")
        _ = try await LocalChatServer.with(otherwise: AnthropicPayload.streamed(message)) { server in
            await #expect {
                for try await _ in Self.client(server, mode: .json).createPartial(
                    messages: Self.hello, responseModel: User.self)
                {}
            } throws: { ($0 as? ClientError)?.code == .refusal }
        }
    }

    @Test func aStreamCutBeforeMessageStopIsATransportError() async throws {
        let message = AnthropicPayload.message(
            [AnthropicPayload.toolUse("User", ["name": "Jason"])], stopReason: "tool_use")
        let events = Array(AnthropicPayload.events(of: message).dropLast(2))
        _ = try await LocalChatServer.with(otherwise: .eventStream(AnthropicPayload.stream(events))) { server in
            await #expect {
                for try await _ in Self.client(server).createPartial(messages: Self.hello, responseModel: User.self) {}
            } throws: { ($0 as? ProviderError)?.code == .transport }
        }
    }

    @Test func anErrorEventEndsTheStreamWithItsStatus() async throws {
        let events: [(name: String, data: JSONValue)] = [
            (
                "message_start",
                ["type": "message_start", "message": AnthropicPayload.message([], stopReason: "end_turn")]
            ),
            ("error", ["type": "error", "error": ["type": "overloaded_error", "message": "Overloaded"]]),
        ]
        _ = try await LocalChatServer.with(otherwise: .eventStream(AnthropicPayload.stream(events))) { server in
            await #expect {
                for try await _ in Self.provider(server).stream(
                    ChatRequest(model: "claude-test", messages: [.user("Hi")]))
                {}
            } throws: { error in
                let error = error as? ProviderError
                return error?.code == .http && error?.status == 529 && error?.message == "Overloaded"
            }
        }
    }

    // MARK: Failures

    @Test func retriesRateLimitsAndOverloadsAfterRetryAfter() async throws {
        try await LocalChatServer.with(replies: [
            AnthropicPayload.error(
                status: 429, type: "rate_limit_error", message: "Number of requests has exceeded your rate limit",
                headers: ["retry-after": "0"]),
            AnthropicPayload.error(status: 529, type: "overloaded_error", message: "Overloaded"),
            AnthropicPayload.error(status: 500, type: "api_error", message: "Internal server error"),
            AnthropicPayload.toolCall("User", ["name": "Jason"]),
        ]) { server in
            let provider = AnthropicProvider(
                baseURL: server.baseURL, apiKey: Self.key,
                configuration: .init(maxRetries: 3, initialRetryDelay: .milliseconds(5)))
            let client = StructuredClient(provider: provider, configuration: .init(defaultModel: "claude-test"))
            let user = try await client.create(messages: Self.hello, responseModel: User.self)
            #expect(user == User(name: "Jason"))
            #expect(server.requestCount == 4)
        }
    }

    @Test func anErrorBodyGivesItsStatusAndMessageWithoutTheKey() async throws {
        try await LocalChatServer.with(
            otherwise: AnthropicPayload.error(
                status: 401, type: "authentication_error", message: "invalid x-api-key \(Self.key)")
        ) { server in
            do {
                _ = try await Self.provider(server).complete(ChatRequest(model: "claude-test", messages: [.user("Hi")]))
                Issue.record("no error")
            } catch let error as ProviderError {
                #expect(error.code == .http && error.status == 401)
                #expect(error.message.hasPrefix("invalid x-api-key") && !error.description.contains(Self.key))
            }
            let provider = Self.provider(server)
            #expect(!provider.description.contains(Self.key))
            var dumped = ""
            dump(provider, to: &dumped)
            #expect(!dumped.contains(Self.key))
        }
    }

    @Test func malformedBodiesAreInvalidResponses() async throws {
        try await LocalChatServer.with(replies: [
            .text(#"{"id": "msg_01", "type": "message", "content": [{"#, contentType: "application/json"),
            .json(["id": "msg_01", "type": "message"]),
            .json(AnthropicPayload.message([["type": "tool_use", "id": "toolu_1", "input": [:]]])),
        ]) { server in
            for _ in 0..<3 {
                await #expect {
                    _ = try await Self.provider(server).complete(
                        ChatRequest(model: "claude-test", messages: [.user("Hi")]))
                } throws: { ($0 as? ProviderError)?.code == .invalidResponse }
            }
        }
    }
}
