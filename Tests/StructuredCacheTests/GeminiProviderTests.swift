// Tests of GeminiProvider against a real HTTP server on loopback speaking Gemini's JSON: the endpoint,
// key header and translated body sent; responses, finish reasons and usage read; Google's error
// bodies, retries, redaction; streamed answers; and the cache identity.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct GeminiProviderTests {
    static let key = "AIzaSyTEST-gemini-key-0123456789"

    /// Retries that never wait long, so tests stay fast.
    static let quickRetries = GeminiProvider.Configuration(
        timeout: .seconds(10), maxRetries: 2, initialRetryDelay: .milliseconds(1))

    static func provider(
        _ server: LocalChatServer, apiKey: String? = key, headers: [String: String] = [:],
        configuration: GeminiProvider.Configuration = quickRetries
    ) -> GeminiProvider {
        GeminiProvider(baseURL: server.baseURL, apiKey: apiKey, headers: headers, configuration: configuration)
    }

    static let simple = ChatRequest(model: GeminiPayload.model, messages: [.user("Hi")])

    /// Runs `body` and returns the ProviderError it throws (failing the test when it throws none).
    static func providerError(_ body: () async throws -> Void) async -> ProviderError? {
        do {
            try await body()
            Issue.record("expected a ProviderError, got success")
            return nil
        } catch let error as ProviderError {
            return error
        } catch {
            Issue.record("expected a ProviderError, got \(error)")
            return nil
        }
    }

    // MARK: - What is sent

    static let fullRequest = ChatRequest(
        model: GeminiPayload.model,
        messages: [
            .system("Be terse."),
            .user("Extract: Jason is 25. é ✓"),
            ChatMessage(
                role: .assistant, content: .text(""),
                toolCalls: [ToolCall(id: "call_1", name: "lookup", arguments: #"{"q": "Jason"}"#)]),
            .tool(#"{"age": 25}"#, callID: "call_1"),
            .tool("plain text", callID: "call_1"),
            .developer("Answer in JSON."),
            ChatMessage(
                role: .user,
                content: .parts([
                    ["type": "text", "text": "And this:"],
                    ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0K"]],
                    ["inlineData": ["mimeType": "image/jpeg", "data": "/9j/"]],
                ])),
            .assistant("Noted."),
        ],
        options: .init(
            temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ["END"], seed: 7, presencePenalty: 0.1,
            frequencyPenalty: 0.3,
            extraBody: [
                "safetySettings": [["category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"]],
                "generationConfig": ["topK": 40, "temperature": 1.0],
                "cachedContent": "cachedContents/abc", "model": "not-sent",
            ]),
        n: 2,
        tools: [
            ["functionDeclarations": [["name": "User", "description": "A user.", "parameters": ["type": "OBJECT"]]]]
        ],
        toolChoice: ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["User"]]],
        responseFormat: ["responseMimeType": "application/json"])

    @Test func postsTheTranslatedBodyToTheModelsEndpointWithTheKeyHeader() async throws {
        try await LocalChatServer.with(replies: [.json(GeminiPayload.text("ok"))]) { server in
            _ = try await Self.provider(server, headers: ["X-Goog-User-Project": "proj-1"]).complete(Self.fullRequest)
            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST")
            #expect(sent.target == "/v1/models/gemini-2.5-flash:generateContent")
            #expect(sent.header("x-goog-api-key") == Self.key)
            #expect(sent.header("Authorization") == nil)
            #expect(sent.header("X-Goog-User-Project") == "proj-1")
            #expect(sent.header("Content-Type") == "application/json")
            #expect(sent.header("Accept") == "application/json")
            let expected: JSONValue = [
                "contents": [
                    ["role": "user", "parts": [["text": "Extract: Jason is 25. é ✓"]]],
                    ["role": "model", "parts": [["functionCall": ["name": "lookup", "args": ["q": "Jason"]]]]],
                    [
                        "role": "user",
                        "parts": [
                            ["functionResponse": ["name": "lookup", "response": ["age": 25]]],
                            ["functionResponse": ["name": "lookup", "response": ["result": "plain text"]]],
                            ["text": "And this:"],
                            ["inlineData": ["mimeType": "image/png", "data": "iVBORw0K"]],
                            ["inlineData": ["mimeType": "image/jpeg", "data": "/9j/"]],
                        ],
                    ],
                    ["role": "model", "parts": [["text": "Noted."]]],
                ],
                "systemInstruction": ["parts": [["text": "Be terse."], ["text": "Answer in JSON."]]],
                "generationConfig": [
                    "temperature": 0.2, "topP": 0.9, "maxOutputTokens": 64, "stopSequences": ["END"],
                    "candidateCount": 2, "seed": 7, "presencePenalty": 0.1, "frequencyPenalty": 0.3,
                    "responseMimeType": "application/json", "topK": 40,
                ],
                "tools": [
                    [
                        "functionDeclarations": [
                            ["name": "User", "description": "A user.", "parameters": ["type": "OBJECT"]]
                        ]
                    ]
                ],
                "toolConfig": ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": ["User"]]],
                "safetySettings": [["category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"]],
                "cachedContent": "cachedContents/abc",
            ]
            #expect(sent.json == expected)
            // Members in the documented order, then the extra ones.
            #expect(
                sent.json?.objectValue?.keys.prefix(5) == [
                    "contents", "systemInstruction", "generationConfig", "tools", "toolConfig",
                ])
        }
    }

    @Test func sendsMaxCompletionTokensAsMaxOutputTokensAndLeavesOutEmptyMembers() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.text("ok"))) { server in
            let provider = Self.provider(server, apiKey: nil)
            _ = try await provider.complete(
                ChatRequest(model: "gemini-x", messages: [.user("Hi")], options: .init(maxCompletionTokens: 9)))
            _ = try await provider.complete(Self.simple)
            #expect(server.requests[0].json?["generationConfig"] == ["maxOutputTokens": 9])
            #expect(server.requests[1].json == ["contents": [["role": "user", "parts": [["text": "Hi"]]]]])
            #expect(server.requests[1].header("x-goog-api-key") == nil)
        }
    }

    @Test func encodesTheModelAsOnePathSegmentAndKeepsTheBaseQuery() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.text("ok"))) { server in
            let provider = Self.provider(server)
            for model in ["models/gemini-2.5-pro", "tunedModels/my-tuned", "odd name/with?chars#"] {
                _ = try await provider.complete(ChatRequest(model: model, messages: [.user("Hi")]))
            }
            let gateway = try #require(URL(string: "http://127.0.0.1:\(server.port)/gateway/v1beta/?tenant=7"))
            _ = try await GeminiProvider(baseURL: gateway, apiKey: Self.key).complete(Self.simple)
            #expect(
                server.requests.map(\.target) == [
                    "/v1/models/gemini-2.5-pro:generateContent", "/v1/tunedModels/my-tuned:generateContent",
                    "/v1/models/odd%20name%2Fwith%3Fchars%23:generateContent",
                    "/gateway/v1beta/models/gemini-2.5-flash:generateContent?tenant=7",
                ])
            #expect(server.requests.allSatisfy { !$0.target.contains(Self.key) })
        }
    }

    @Test func rejectsWhatCannotBeSentWithoutSendingIt() async throws {
        try await LocalChatServer.with(otherwise: .json(GeminiPayload.text("ok"))) { server in
            let provider = Self.provider(server)
            let cases: [ChatRequest] = [
                ChatRequest(model: "", messages: [.user("Hi")]),
                ChatRequest(model: "models/", messages: [.user("Hi")]),
                ChatRequest(model: "m", messages: [ChatMessage(role: "critic", content: .text("x"))]),
                ChatRequest(model: "m", messages: [.tool("42", callID: "unknown")]),
                ChatRequest(
                    model: "m",
                    messages: [
                        ChatMessage(
                            role: .assistant, content: nil, toolCalls: [ToolCall(id: "c", name: "f", arguments: "[1]")])
                    ]),
                ChatRequest(model: "m", messages: [ChatMessage(role: .user, content: .parts([["type": "video"]]))]),
            ]
            for request in cases {
                let error = await Self.providerError { _ = try await provider.complete(request) }
                #expect(error?.code == .invalidRequest)
                let streamed = await Self.providerError { for try await _ in provider.stream(request) {} }
                #expect(streamed?.code == .invalidRequest)
            }
            let badURL = try #require(URL(string: "file:///srv/v1beta"))
            let error = await Self.providerError {
                _ = try await GeminiProvider(baseURL: badURL, apiKey: nil).complete(Self.simple)
            }
            #expect(error?.code == .invalidRequest)
            let injected = await Self.providerError {
                _ = try await GeminiProvider(baseURL: server.baseURL, apiKey: "k\r\nX-Evil: 1").complete(Self.simple)
            }
            #expect(injected?.code == .invalidRequest)
            #expect(server.requestCount == 0)
        }
    }

    // MARK: - What is parsed

    @Test func readsATextResponseKeepingGeminisJSON() async throws {
        let payload = GeminiPayload.response(
            parts: [["text": "Jason, "], ["text": "25"]],
            usage: GeminiPayload.usage(prompt: 30, candidates: 4, thoughts: 6, cached: 20))
        try await LocalChatServer.with(replies: [.json(payload)]) { server in
            let completion = try await Self.provider(server).complete(Self.simple)
            #expect(completion.id == "resp-1")
            #expect(completion.model == GeminiPayload.model)
            #expect(completion.message?.role == .assistant)
            #expect(completion.message?.content?.text == "Jason, 25")
            #expect(completion.message?.toolCalls == nil)
            #expect(completion.choices.first?.finishReason == "stop")
            #expect(
                completion.usage
                    == ChatCompletion.Usage(
                        promptTokens: 30, completionTokens: 10, totalTokens: 40, cachedPromptTokens: 20))
            #expect(completion.raw == payload)
        }
    }

    @Test func readsFunctionCallsAndSkipsThoughts() async throws {
        let payload = GeminiPayload.response(parts: [
            ["text": "Let me think about the user…", "thought": true],
            ["functionCall": ["name": "User", "args": ["name": "Jason", "age": 25]], "thoughtSignature": "c2ln"],
            ["functionCall": ["id": "fc-7", "name": "User", "args": [:]]],
        ])
        try await LocalChatServer.with(replies: [.json(payload)]) { server in
            let completion = try await Self.provider(server).complete(Self.simple)
            let calls = try #require(completion.message?.toolCalls)
            #expect(calls.map(\.name) == ["User", "User"])
            #expect(calls[0].arguments == #"{"name":"Jason","age":25}"#)
            #expect(calls[0].id == "resp-1-0-0")
            #expect(calls[1].id == "fc-7" && calls[1].arguments == "{}")
            #expect(completion.message?.content == nil)
            #expect(completion.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func mapsFinishReasonsAndBlocksToRefusals() async throws {
        let replies: [LocalChatServer.Reply] = [
            .json(GeminiPayload.text(#"{"name": "Ja"#, finishReason: "MAX_TOKENS")),
            .json(GeminiPayload.response(parts: [], finishReason: "SAFETY", finishMessage: "unsafe")),
            .json(GeminiPayload.blockedPrompt("PROHIBITED_CONTENT")),
            .json(GeminiPayload.response(parts: [], finishReason: "MALFORMED_FUNCTION_CALL")),
            .json(GeminiPayload.response(parts: [], finishReason: "RECITATION")),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            var completions: [ChatCompletion] = []
            for _ in replies { completions.append(try await provider.complete(Self.simple)) }
            #expect(
                completions.map { $0.choices.first?.finishReason } == [
                    "length", "content_filter", "content_filter", "malformed_function_call", "content_filter",
                ])
            #expect(completions[0].message?.refusal == nil)
            #expect(completions[1].message?.refusal == "Gemini blocked the answer (SAFETY): unsafe")
            #expect(completions[2].message?.refusal == "Gemini blocked the prompt (PROHIBITED_CONTENT)")
            #expect(completions[2].usage?.promptTokens == 9)
            #expect(completions[3].message?.refusal == nil)
            #expect(completions[4].message?.refusal?.contains("RECITATION") == true)
        }
    }

    @Test func malformedBodiesAreInvalidResponses() async throws {
        let replies: [LocalChatServer.Reply] = [
            .text(#"{"candidates": [{"content": {"parts": [{"text": "#, contentType: "application/json"),
            .json(["choices": []]),
            .json(["candidates": "none"]),
            .json([1, 2]),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            for _ in replies {
                let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.simple) }
                #expect(error?.code == .invalidResponse)
            }
            #expect(server.requestCount == replies.count)
        }
    }

    // MARK: - Errors and retries

    @Test func googlesErrorBodyGivesAnHTTPErrorWithItsMessage() async throws {
        let body = GeminiPayload.error(
            code: 400, message: "Invalid JSON payload received. Unknown name \"foo\": Cannot find field.",
            status: "INVALID_ARGUMENT")
        try await LocalChatServer.with(replies: [.json(body, status: 400)]) { server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.simple) }
            #expect(error?.code == .http)
            #expect(error?.status == 400)
            #expect(
                error?.message
                    == "Invalid JSON payload received. Unknown name \"foo\": Cannot find field. (INVALID_ARGUMENT)")
            #expect(server.requestCount == 1)
        }
    }

    @Test func retries429And500ThenSucceeds() async throws {
        let exhausted = GeminiPayload.error(
            code: 429, message: "Resource has been exhausted (e.g. check quota).", status: "RESOURCE_EXHAUSTED")
        let serverError = GeminiPayload.error(code: 500, message: "An internal error has occurred.", status: "INTERNAL")
        try await LocalChatServer.with(replies: [
            .json(exhausted, status: 429, headers: ["Retry-After": "0"]), .json(GeminiPayload.text("one")),
            .json(serverError, status: 500), .json(GeminiPayload.text("two")),
        ]) { server in
            let provider = Self.provider(server)
            let one = try await provider.complete(Self.simple)
            let two = try await provider.complete(Self.simple)
            #expect(one.message?.content?.text == "one" && two.message?.content?.text == "two")
            #expect(server.requestCount == 4)
        }
    }

    @Test func exhaustedRetriesThrowTheLastStatus() async throws {
        let exhausted = GeminiPayload.error(code: 429, message: "Quota exceeded.", status: "RESOURCE_EXHAUSTED")
        try await LocalChatServer.with(otherwise: .json(exhausted, status: 429)) { server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.simple) }
            #expect(error?.status == 429 && error?.message.contains("Quota exceeded.") == true)
            #expect(server.requestCount == 3)
        }
    }

    @Test func theKeyIsInNoErrorDescriptionOrMirror() async throws {
        let echo = GeminiPayload.error(code: 400, message: "API key \(Self.key) not valid.", status: "INVALID_ARGUMENT")
        try await LocalChatServer.with(replies: [.json(echo, status: 400)], otherwise: .closedMidBody(sentBytes: 25)) {
            server in
            let provider = Self.provider(server)
            let rejected = await Self.providerError { _ = try await provider.complete(Self.simple) }
            let cut = await Self.providerError {
                _ = try await Self.provider(server, configuration: .init(maxRetries: 0)).complete(Self.simple)
            }
            #expect(rejected?.status == 400)
            #expect(cut?.code == .transport)
            for text in [
                String(describing: rejected as Any), String(describing: cut as Any), provider.description,
                String(reflecting: provider), provider.cacheIdentity, dumped(provider),
            ] {
                #expect(!text.contains(Self.key), "\(text)")
            }
            #expect(rejected?.message.contains("***") == true)
            #expect(
                server.requests.allSatisfy { !$0.target.contains(Self.key) && !$0.body.containsSequence(Self.key.utf8) }
            )
        }
    }

    private func dumped(_ value: some Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }

    // MARK: - Streaming

    @Test func streamsChunksFromStreamGenerateContent() async throws {
        let chunks = GeminiPayload.textChunks([#"{"name": "#, #""Jason"}"#])
        try await LocalChatServer.with(replies: [GeminiPayload.streamReply(chunks)]) { server in
            var received: [ChatCompletionChunk] = []
            for try await chunk in Self.provider(server).stream(Self.simple) { received.append(chunk) }
            #expect(server.requests.first?.target == "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
            #expect(server.requests.first?.header("Accept") == "text/event-stream")
            #expect(server.requests.first?.json == ["contents": [["role": "user", "parts": [["text": "Hi"]]]]])
            #expect(received.map { $0.choices.first?.content } == [#"{"name": "#, #""Jason"}"#])
            #expect(received.map { $0.choices.first?.finishReason } == [nil, "stop"])
            #expect(received.last?.usage?.totalTokens == 20)
            #expect(received.map(\.raw) == chunks)
        }
    }

    @Test func aStreamedFunctionCallIsOneWholeToolCallPiece() async throws {
        let chunks = [
            GeminiPayload.response(parts: [["text": "planning", "thought": true]], finishReason: nil, usage: nil),
            GeminiPayload.response(parts: [["functionCall": ["name": "User", "args": ["name": "Jason"]]]]),
        ]
        try await LocalChatServer.with(replies: [GeminiPayload.streamReply(chunks)]) { server in
            var received: [ChatCompletionChunk] = []
            for try await chunk in Self.provider(server).stream(Self.simple) { received.append(chunk) }
            #expect(received.first?.choices.first?.content == nil)
            let piece = try #require(received.last?.choices.first?.toolCalls.first)
            #expect(piece.index == 0 && piece.name == "User" && piece.id == "resp-1-0-0")
            #expect(piece.arguments == #"{"name":"Jason"}"#)
            #expect(received.last?.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func completeWithStreamOnMergesTheChunksIntoOneResponse() async throws {
        let chunks = GeminiPayload.textChunks(["Hel", "lo"])
        try await LocalChatServer.with(replies: [GeminiPayload.streamReply(chunks)]) { server in
            var request = Self.simple
            request.stream = true
            let completion = try await Self.provider(server).complete(request)
            #expect(server.requests.first?.query == "alt=sse")
            #expect(completion.message?.content?.text == "Hello")
            #expect(completion.choices.first?.finishReason == "stop")
            #expect(completion.usage?.totalTokens == 20)
            #expect(completion.raw["candidates"]?[0]?["content"]?["parts"] == [["text": "Hel"], ["text": "lo"]])
            #expect(completion.raw["responseId"] == "resp-1")
        }
    }

    @Test func streamFailuresAreTyped() async throws {
        let error = GeminiPayload.error(code: 503, message: "The model is overloaded.", status: "UNAVAILABLE")
        let first = GeminiPayload.eventStream(GeminiPayload.textChunks(["a", "b"]))
        let replies: [LocalChatServer.Reply] = [
            .eventStream(GeminiPayload.eventStream([GeminiPayload.text("a", finishReason: nil), error])),
            .eventStream(Array(first.dropLast(10)), cut: true),
            .eventStream(Array(": keep-alive\r\n\r\n".utf8)),
            .eventStream(Array("data: {not json}\r\n\r\n".utf8)),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            var codes: [ProviderError.Code?] = []
            var statuses: [Int?] = []
            for _ in replies {
                let failure = await Self.providerError { for try await _ in provider.stream(Self.simple) {} }
                codes.append(failure?.code)
                statuses.append(failure?.status)
            }
            #expect(codes == [.http, .transport, .invalidResponse, .invalidResponse])
            #expect(statuses[0] == 503)
            // A stream that failed before its first chunk is retried; none of these are.
            #expect(server.requestCount == replies.count)
        }
    }

    @Test func aStreamRequestAnsweredWithJSONIsReadAsItsChunks() async throws {
        let responses = GeminiPayload.textChunks(["Hel", "lo"])
        try await LocalChatServer.with(replies: [
            .json(.array(responses)), .json(GeminiPayload.text("whole")),
            .json(GeminiPayload.error(code: 404, message: "models/x is not found.", status: "NOT_FOUND"), status: 404),
        ]) { server in
            let provider = Self.provider(server)
            var texts: [String?] = []
            for try await chunk in provider.stream(Self.simple) { texts.append(chunk.choices.first?.content) }
            for try await chunk in provider.stream(Self.simple) { texts.append(chunk.choices.first?.content) }
            #expect(texts == ["Hel", "lo", "whole"])
            let missing = await Self.providerError { for try await _ in provider.stream(Self.simple) {} }
            #expect(missing?.status == 404 && missing?.message.contains("models/x is not found.") == true)
        }
    }

    @Test func aStreamRateLimitedBeforeItsFirstChunkIsRetried() async throws {
        let exhausted = GeminiPayload.error(code: 429, message: "Quota.", status: "RESOURCE_EXHAUSTED")
        try await LocalChatServer.with(replies: [
            .json(exhausted, status: 429, headers: ["Retry-After": "0"]),
            GeminiPayload.streamReply(GeminiPayload.textChunks(["ok"])),
        ]) { server in
            var texts: [String] = []
            for try await chunk in Self.provider(server).stream(Self.simple) {
                texts.append(chunk.choices.first?.content ?? "")
            }
            #expect(texts == ["ok"])
            #expect(server.requestCount == 2)
        }
    }

    // MARK: - Identity

    @Test func theCacheIdentityNamesGeminiAndHidesTheKey() throws {
        let base = try #require(URL(string: "https://GenerativeLanguage.googleapis.com:443/v1beta/"))
        let provider = GeminiProvider(baseURL: base, apiKey: Self.key)
        #expect(provider.cacheIdentity.hasPrefix("gemini:https://generativelanguage.googleapis.com/v1beta;key=sha256:"))
        #expect(!provider.cacheIdentity.contains(Self.key))
        #expect(GeminiProvider(apiKey: Self.key).cacheIdentity == provider.cacheIdentity)
        #expect(GeminiProvider(apiKey: "other").cacheIdentity != provider.cacheIdentity)
        #expect(
            GeminiProvider(apiKey: Self.key, headers: ["x-goog-user-project": "p"]).cacheIdentity
                != provider.cacheIdentity)
        let openAI = OpenAIProvider(baseURL: base, apiKey: Self.key)
        #expect(openAI.cacheIdentity != provider.cacheIdentity)
    }
}

extension [UInt8] {
    fileprivate func containsSequence(_ needle: some Collection<UInt8>) -> Bool {
        let needle = Array(needle)
        guard !needle.isEmpty, count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
