// StructuredClient through GeminiProvider against a loopback server speaking Gemini's JSON: the
// requests each mode prepares (as Instructor 1.16's GenAI handlers do), answers, cache hits with the
// Gemini response restored, re-asks, refusals and cut-off answers, streaming, and keys.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct GeminiDialectTests {
    struct User: Codable, Sendable, Equatable {
        var name: String
        var age: Int
    }

    struct Positive: Codable, Sendable, Validatable {
        var value: Int
        func validate() throws {
            guard value >= 0 else { throw ValidationFailure("value must be >= 0, got \(value)") }
        }
    }

    static let hello: [ChatMessage] = [.system("Be terse."), .user("Extract: Jason is 25.")]
    static let jason = User(name: "Jason", age: 25)
    static let jasonArgs: JSONValue = ["name": "Jason", "age": 25]

    static func client(
        _ server: LocalChatServer, cache: (any CacheAdapter)? = nil, apiKey: String = "gemini-key-test",
        mode: Mode = .tools, keyCompatibility: StructuredClient.KeyCompatibility = .standard,
        provider configuration: GeminiProvider.Configuration = GeminiProviderTests.quickRetries
    ) -> StructuredClient {
        StructuredClient(
            provider: GeminiProvider(baseURL: server.baseURL, apiKey: apiKey, configuration: configuration),
            cache: cache,
            configuration: .init(defaultModel: GeminiPayload.model, mode: mode, keyCompatibility: keyCompatibility))
    }

    /// Runs `body` and returns the ClientError it throws (failing the test when it throws none).
    static func clientError(_ body: () async throws -> Void) async -> ClientError? {
        do {
            try await body()
            Issue.record("expected a ClientError, got success")
            return nil
        } catch let error as ClientError {
            return error
        } catch {
            Issue.record("expected a ClientError, got \(error)")
            return nil
        }
    }

    // MARK: - Tools mode

    @Test func aCallToAnotherFunctionIsAFailedAttempt() async throws {
        try await LocalChatServer.with(replies: [
            .json(GeminiPayload.functionCall("Other", args: Self.jasonArgs)),
            .json(GeminiPayload.functionCall("User", args: Self.jasonArgs)),
        ]) { server in
            let user = try await Self.client(server).create(
                messages: Self.hello, responseModel: User.self, maxRetries: 1)
            #expect(user == Self.jason)
            #expect(server.requestCount == 2)
        }
    }

    @Test func toolsModeForcesOneFunctionAndReadsItsArgs() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.functionCall("User", args: Self.jasonArgs))) {
            server in
            let client = Self.client(server)
            let user = try await client.create(
                messages: Self.hello, responseModel: User.self, options: .init(temperature: 0.2, maxTokens: 64))
            #expect(user == Self.jason)
            let body = try #require(server.requests.first?.json)
            let expected: JSONValue = [
                "contents": [["role": "user", "parts": [["text": "Extract: Jason is 25."]]]],
                "systemInstruction": ["parts": [["text": "Be terse."]]],
                "generationConfig": ["temperature": 0.2, "maxOutputTokens": 64],
                "tools": [
                    [
                        "functionDeclarations": [
                            [
                                "name": "User",
                                "description":
                                    "Correctly extracted `User` with all the required parameters with correct types",
                                "parameters": [
                                    "required": ["name", "age"], "type": "OBJECT",
                                    "properties": ["name": ["type": "STRING"], "age": ["type": "INTEGER"]],
                                ],
                            ]
                        ]
                    ]
                ],
                "toolConfig": ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["User"]]],
            ]
            #expect(body == expected)
            #expect(server.requests.first?.target == "/v1/models/gemini-2.5-flash:generateContent")
        }
    }

    @Test func aHitMakesNoRequestInEveryModeAndRestoresTheGeminiResponse() async throws {
        let modes: [Mode] = [.tools, .json, .jsonSchema]
        try await LocalChatServer.with(handler: { request in
            request.json?["tools"] != nil
                ? .json(GeminiPayload.functionCall("User", args: Self.jasonArgs, id: "fc-1"))
                : .json(GeminiPayload.text(#"{"name": "Jason", "age": 25}"#))
        }) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            for (position, mode) in modes.enumerated() {
                let (_, live) = try await client.createWithCompletion(
                    messages: Self.hello, responseModel: User.self, mode: mode)
                #expect(server.requestCount == position + 1)
                let (user, cached) = try await client.createWithCompletion(
                    messages: Self.hello, responseModel: User.self, mode: mode)
                let plain = try await client.create(messages: Self.hello, responseModel: User.self, mode: mode)
                #expect(server.requestCount == position + 1, "\(mode) asked again on a hit")
                #expect(user == Self.jason && plain == Self.jason)
                #expect(cached == live)
                #expect(cached.raw["modelVersion"] == .string(GeminiPayload.model))
                #expect(cached.raw["candidates"]?[0]?["safetyRatings"] != nil)
                #expect(cached.usage?.totalTokens == 20)
            }
            #expect(client.statistics.hits == 6 && client.statistics.stores == 3)
            #expect(client.statistics.tokensSaved == 6 * 20)
        }
    }

    @Test func aToolsReAskAnswersTheCallWithTheValidationError() async throws {
        try await LocalChatServer.with(replies: [
            .json(
                GeminiPayload.response(parts: [
                    ["text": "considering", "thought": true],
                    ["functionCall": ["name": "Positive", "args": ["value": -5]], "thoughtSignature": "c2ln"],
                ])),
            .json(GeminiPayload.functionCall("Positive", args: ["value": 42])),
        ]) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 10))
            let value = try await client.create(
                messages: [.user("Pick a number")], responseModel: Positive.self, maxRetries: 1)
            #expect(value.value == 42)
            let contents = try #require(server.requests.last?.json?["contents"]?.arrayValue)
            #expect(contents.count == 3)
            // The model's turn goes back as it came, thought signature included.
            #expect(
                contents[1] == [
                    "role": "model",
                    "parts": [
                        ["text": "considering", "thought": true],
                        ["functionCall": ["name": "Positive", "args": ["value": -5]], "thoughtSignature": "c2ln"],
                    ],
                ])
            #expect(contents[2]["role"] == "user")
            let response = try #require(contents[2]["parts"]?[0]?["functionResponse"])
            #expect(response["name"] == "Positive")
            let error = try #require(response["response"]?["error"]?.stringValue)
            #expect(error.hasPrefix("Validation Error found:\n"))
            #expect(error.contains("value must be >= 0, got -5"))
            #expect(error.hasSuffix("\nRecall the function correctly, fix the errors"))
            // The re-asked request keeps everything else.
            #expect(server.requests.last?.json?["toolConfig"] == server.requests.first?.json?["toolConfig"])
            _ = try await client.create(messages: [.user("Pick a number")], responseModel: Positive.self, maxRetries: 1)
            #expect(server.requestCount == 2)
        }
    }

    @Test func answersThatAreNotOneFunctionCallAreAskedAgain() async throws {
        let twoCalls = GeminiPayload.response(parts: [
            ["functionCall": ["name": "User", "args": Self.jasonArgs]],
            ["functionCall": ["name": "User", "args": Self.jasonArgs]],
        ])
        let textAndCall = GeminiPayload.response(parts: [
            ["text": "Here you go:"], ["functionCall": ["name": "User", "args": Self.jasonArgs]],
        ])
        try await LocalChatServer.with(replies: [
            .json(GeminiPayload.text("Jason is 25")), .json(twoCalls), .json(textAndCall),
        ]) { server in
            let failure = await Self.clientError {
                _ = try await Self.client(server).create(messages: Self.hello, responseModel: User.self, maxRetries: 2)
            }
            #expect(failure?.code == .retriesExhausted)
            #expect(failure?.attempts.count == 3)
            let reasons = failure?.attempts.map { String(describing: $0.error) } ?? []
            #expect(reasons.first?.contains("Please return your response as a function call") == true)
            #expect(reasons.dropFirst().allSatisfy { $0.contains("multiple function calls") })
            // No call to answer: the re-ask is a plain user turn after the model's.
            let contents = try #require(server.requests.last?.json?["contents"]?.arrayValue)
            #expect(contents.map { $0["role"] } == ["user", "model", "user", "model", "user"])
            #expect(contents[1]["parts"] == [["text": "Jason is 25"]])
            #expect(contents[2]["parts"]?[0]?["text"]?.stringValue?.hasPrefix("Validation Error found:") == true)
            #expect(contents[4]["parts"]?[0]?["functionResponse"]?["name"] == "User")
        }
    }

    // MARK: - JSON mode

    @Test func jsonModeSendsTheSchemaAsResponseJsonSchema() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.text(#"{"name": "Jason", "age": 25}"#))) {
            server in
            let client = Self.client(server, mode: .json)
            #expect(try await client.create(messages: Self.hello, responseModel: User.self) == Self.jason)
            _ = try await client.create(messages: Self.hello, responseModel: User.self, mode: .jsonSchema)
            _ = try await client.create(
                messages: Self.hello, responseModel: User.self, mode: "genai_structured_outputs")
            let schema = try SchemaCache.shared.entry(for: User.self).schema
            let body = try #require(server.requests.first?.json)
            #expect(
                body["generationConfig"] == ["responseMimeType": "application/json", "responseJsonSchema": schema])
            #expect(body["tools"] == nil && body["toolConfig"] == nil)
            #expect(body["systemInstruction"] == ["parts": [["text": "Be terse."]]])
            #expect(server.requests.map(\.body).allSatisfy { $0 == server.requests[0].body })
        }
    }

    @Test func jsonModeCanSendTheOpenAPISubsetAsResponseSchema() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.text(#"{"name": "Jason", "age": 25}"#))) {
            server in
            let client = Self.client(
                server, mode: .json,
                provider: .init(initialRetryDelay: .milliseconds(1), jsonModeSchema: .responseSchema))
            _ = try await client.create(messages: Self.hello, responseModel: User.self, options: .init(seed: 3))
            let configuration = try #require(server.requests.first?.json?["generationConfig"])
            #expect(
                configuration == [
                    "seed": 3, "responseMimeType": "application/json",
                    "responseSchema": [
                        "required": ["name", "age"], "type": "OBJECT",
                        "properties": ["name": ["type": "STRING"], "age": ["type": "INTEGER"]],
                        "propertyOrdering": ["name", "age"],
                    ],
                ])
            let standard = Self.client(server, mode: .json)
            #expect(
                try standard.cacheKey(messages: Self.hello, responseModel: User.self)
                    != client.cacheKey(messages: Self.hello, responseModel: User.self))
        }
    }

    @Test func jsonAnswersSkipThoughtsAndReAskWithTheModelsTurnThenTheError() async throws {
        try await LocalChatServer.with(replies: [
            .json(
                GeminiPayload.response(parts: [
                    ["text": #"{"value": 1000} is tempting"#, "thought": true], ["text": #"{"value": -1}"#],
                ])),
            .json(
                GeminiPayload.response(parts: [
                    ["text": "I should fix the sign.", "thought": true], ["text": #"{"value": 1}"#],
                ])),
        ]) { server in
            let client = Self.client(server, mode: .json)
            let value = try await client.create(
                messages: [.user("Pick a number")], responseModel: Positive.self, maxRetries: 1)
            #expect(value.value == 1)
            let contents = try #require(server.requests.last?.json?["contents"]?.arrayValue)
            #expect(contents.count == 3)
            #expect(contents[1]["role"] == "model")
            #expect(contents[1]["parts"]?[1] == ["text": #"{"value": -1}"#])
            #expect(contents[2]["role"] == "user")
            let text = try #require(contents[2]["parts"]?[0]?["text"]?.stringValue)
            #expect(text.hasPrefix("Validation Error found:\nvalue must be >= 0, got -1\n"))
            #expect(
                text.hasSuffix(
                    "Recall the function correctly, fix the errors in the following attempt:\n{\"value\": -1}"))
        }
    }

    // MARK: - What asking again cannot fix

    @Test func maxTokensIsAnIncompleteOutputAndNotRetried() async throws {
        try await LocalChatServer.with(
            otherwise: .json(GeminiPayload.text(#"{"name": "Jas"#, finishReason: "MAX_TOKENS"))
        ) { server in
            for mode in [Mode.json, .tools] {
                let failure = await Self.clientError {
                    _ = try await Self.client(server, cache: try AutoCache(maxSize: 4)).create(
                        messages: Self.hello, responseModel: User.self, mode: mode, maxRetries: 3)
                }
                #expect(failure?.code == .incompleteOutput)
                #expect(failure?.attempts.first?.completion.raw["candidates"]?[0]?["finishReason"] == "MAX_TOKENS")
            }
            #expect(server.requestCount == 2)
        }
    }

    @Test func aSafetyStopOrABlockedPromptIsARefusal() async throws {
        try await LocalChatServer.with(replies: [
            .json(GeminiPayload.response(parts: [], finishReason: "SAFETY")),
            .json(GeminiPayload.blockedPrompt()),
        ]) { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 4))
            let stopped = await Self.clientError {
                _ = try await client.create(messages: Self.hello, responseModel: User.self, maxRetries: 3)
            }
            let blocked = await Self.clientError {
                _ = try await client.create(messages: Self.hello, responseModel: User.self, mode: .json, maxRetries: 3)
            }
            #expect(stopped?.code == .refusal && stopped?.message.contains("SAFETY") == true)
            #expect(blocked?.code == .refusal && blocked?.message.contains("the prompt") == true)
            #expect(server.requestCount == 2)
            #expect(client.statistics.stores == 0)
        }
    }

    @Test func markdownJSONAndUnknownModesAreRefusedNamingGeminisModes() async throws {
        try await LocalChatServer.with { server in
            let client = Self.client(server, cache: try AutoCache(maxSize: 4))
            for mode in [Mode.mdJSON, "anthropic_tools"] {
                let failure = await Self.clientError {
                    _ = try await client.create(messages: Self.hello, responseModel: User.self, mode: mode)
                }
                #expect(failure?.code == .invalidConfiguration)
                #expect(
                    failure?.message.contains("tool_call") == true && failure?.message.contains("json_mode") == true)
                #expect(failure?.message.contains(mode.rawValue) == true)
            }
            #expect(server.requestCount == 0)
        }
    }

    // MARK: - Streaming

    struct Person: Codable, Sendable, Equatable {
        var name: String
        var age: Int
        var tags: [String]
    }

    static let personJSON = #"{"name": "Jason Liu", "age": 25, "tags": ["a", "b"]}"#

    @Test func createPartialStreamsJSONModeTextSplitAtEveryByte() async throws {
        let pieces = StructuredClientStreamingTests.deltas(Self.personJSON, size: 5)
        try await LocalChatServer.with(
            otherwise: GeminiPayload.streamReply(GeminiPayload.textChunks(pieces), pieceSize: 1)
        ) { server in
            let cache = try RecordingAdapter()
            let client = Self.client(server, cache: cache, mode: .json)
            var snapshots: [PartialResponse<Person>] = []
            for try await snapshot in client.createPartial(messages: [.user("Jason")], responseModel: Person.self) {
                snapshots.append(snapshot)
            }
            #expect(snapshots.count > 3)
            #expect(snapshots.dropLast().allSatisfy { $0.value == nil })
            #expect(snapshots.last?.value == Person(name: "Jason Liu", age: 25, tags: ["a", "b"]))
            #expect(cache.calls.isEmpty)
            #expect(server.requests.first?.target == "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
            #expect(server.requests.first?.json?["generationConfig"]?["responseMimeType"] == "application/json")
        }
    }

    @Test func createPartialReadsAStreamedFunctionCall() async throws {
        let chunks = [
            GeminiPayload.response(parts: [["text": "thinking", "thought": true]], finishReason: nil, usage: nil),
            GeminiPayload.response(parts: [
                ["functionCall": ["name": "Person", "args": ["name": "Jason Liu", "age": 25, "tags": ["a", "b"]]]]
            ]),
        ]
        try await LocalChatServer.with(otherwise: GeminiPayload.streamReply(chunks)) { server in
            var last: PartialResponse<Person>?
            for try await snapshot in Self.client(server).createPartial(
                messages: [.user("x")], responseModel: Person.self)
            {
                last = snapshot
            }
            #expect(last?.value == Person(name: "Jason Liu", age: 25, tags: ["a", "b"]))
            #expect(server.requests.first?.json?["toolConfig"]?["functionCallingConfig"]?["mode"] == "ANY")
        }
    }

    @Test func createIterableYieldsEachElementOfAStreamedList() async throws {
        let text = #"{"tasks": [{"name": "A", "age": 1}, {"name": "B", "age": 2}]}"#
        try await LocalChatServer.with(
            otherwise: GeminiPayload.streamReply(
                GeminiPayload.textChunks(StructuredClientStreamingTests.deltas(text, size: 7)))
        ) { server in
            var users: [User] = []
            for try await user in Self.client(server, mode: .json).createIterable(
                messages: [.user("x")], responseModel: User.self)
            {
                users.append(user)
            }
            #expect(users == [User(name: "A", age: 1), User(name: "B", age: 2)])
            let schema = server.requests.first?.json?["generationConfig"]?["responseJsonSchema"]
            #expect(schema?["title"] == "IterableUser")
        }
    }

    @Test func aStreamCutMidAnswerEndsWithATypedError() async throws {
        let bytes = GeminiPayload.eventStream(GeminiPayload.textChunks([#"{"name": "Ja"#, #"son", "age": 25}"#]))
        try await LocalChatServer.with(otherwise: .eventStream(Array(bytes.dropLast(30)), cut: true)) { server in
            do {
                for try await _ in Self.client(server, mode: .json).createPartial(
                    messages: [.user("x")], responseModel: User.self)
                {}
                Issue.record("expected an error")
            } catch let error as ProviderError {
                #expect(error.code == .transport)
            }
        }
    }

    // MARK: - Keys

    @Test func instructorsKeyIsRefusedWithTheReason() async throws {
        try await LocalChatServer.with { server in
            let client = Self.client(server, keyCompatibility: .instructor116)
            let failure = await Self.clientError {
                _ = try client.cacheKey(messages: Self.hello, responseModel: User.self)
            }
            #expect(failure?.code == .invalidConfiguration)
            #expect(failure?.message.contains("google-genai") == true)
            #expect(failure?.message.contains("standard") == true)
            let call = await Self.clientError {
                _ = try await client.create(messages: Self.hello, responseModel: User.self)
            }
            #expect(call?.code == .invalidConfiguration)
            #expect(server.requestCount == 0)
        }
    }

    @Test func keysCoverTheGeminiBodyAndNeverMatchAnotherProvider() async throws {
        try await LocalChatServer.with { server in
            let client = Self.client(server)
            func key(
                _ client: StructuredClient = client, messages: [ChatMessage] = Self.hello, mode: Mode? = nil,
                options: RequestOptions = .init()
            ) throws -> String {
                try client.cacheKey(messages: messages, responseModel: User.self, mode: mode, options: options)
            }
            let reference = try key()
            #expect(try key() == reference)
            let variants = [
                try key(options: .init(temperature: 0.5)),
                try key(options: .init(extraBody: ["generationConfig": ["topK": 3]])),
                try key(options: .init(extraBody: ["safetySettings": []])),
                try key(messages: [.system("Other.")] + Self.hello.dropFirst()),
                try key(messages: Array(Self.hello.dropFirst())),
                try key(mode: .json),
                try key(Self.client(server, apiKey: "other-key")),
            ]
            #expect(Set(variants + [reference]).count == variants.count + 1)
            // The same request to an OpenAI-compatible provider at the same address has its own key.
            let openAI = StructuredClient(
                provider: OpenAIProvider(baseURL: server.baseURL, apiKey: "gemini-key-test"),
                configuration: .init(defaultModel: GeminiPayload.model))
            let elsewhere = StructuredClient(
                provider: OpenAIProvider(apiKey: "gemini-key-test"),
                configuration: .init(defaultModel: GeminiPayload.model))
            #expect(try key(openAI) != reference && key(elsewhere) != reference && key(elsewhere) != key(openAI))
            // The wire body names the model, and two different requests never share one.
            let dialect = GeminiDialect()
            let first = try dialect.wireBody(ChatRequest(model: "a", messages: [.user("x")]))
            let second = try dialect.wireBody(ChatRequest(model: "b", messages: [.user("x")]))
            #expect(first["model"] == "a" && first != second)
        }
    }
}
