// OpenAIResponsesProvider against a real HTTP server on loopback answering in the Responses API's
// documented format: what is sent, what is read, typed errors, retries, streams of named events,
// cut bodies, and credentials kept out of every error and description.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct OpenAIResponsesProviderTests {
    static let request = ChatRequest(
        model: "gpt-test", messages: [.system("Be terse."), .user("Extract: Jason is 25. é ✓")],
        options: .init(temperature: 0.2, maxTokens: 64, seed: 7, extraBody: ["user": "tests"]),
        tools: [["type": "function", "name": "User", "parameters": ["type": "object"]]],
        toolChoice: ["type": "function", "name": "User"])

    static let quickRetries = OpenAIResponsesProvider.Configuration(
        maxRetries: 2, initialRetryDelay: .milliseconds(1), maxRetryDelay: .seconds(20))

    static func provider(
        _ server: LocalChatServer, apiKey: String? = "sk-test", headers: [String: String] = [:],
        configuration: OpenAIResponsesProvider.Configuration = quickRetries
    ) -> OpenAIResponsesProvider {
        var configuration = configuration
        configuration.timeout = .seconds(10)
        return OpenAIResponsesProvider(
            baseURL: server.baseURL, apiKey: apiKey, headers: headers, configuration: configuration)
    }

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

    /// What a stream delivered before it ended, and how it ended.
    struct Received {
        var chunks: [ChatCompletionChunk] = []
        var error: (any Error)?

        var providerError: ProviderError? { error as? ProviderError }
        var text: String { chunks.compactMap { $0.choices.first?.content }.joined() }
        var arguments: String {
            chunks.flatMap { $0.choices.first?.toolCalls ?? [] }.filter { $0.index == 0 }.compactMap(\.arguments)
                .joined()
        }
    }

    static func receive(_ stream: AsyncThrowingStream<ChatCompletionChunk, any Error>) async -> Received {
        var received = Received()
        do {
            for try await chunk in stream { received.chunks.append(chunk) }
        } catch {
            received.error = error
        }
        return received
    }

    // MARK: - What is sent

    @Test func postsTheTranslatedBodyToResponsesWithTheHeaders() async throws {
        try await LocalChatServer.with(replies: [.json(ResponsesPayload.text("ok"))]) { server in
            let provider = Self.provider(server, headers: ["OpenAI-Organization": "org-1"])
            _ = try await provider.complete(Self.request)
            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST")
            #expect(sent.target == "/v1/responses")
            #expect(sent.header("Authorization") == "Bearer sk-test")
            #expect(sent.header("Content-Type") == "application/json")
            #expect(sent.header("Accept") == "application/json")
            #expect(sent.header("OpenAI-Organization") == "org-1")
            let expected: JSONValue = [
                "model": "gpt-test",
                "input": [
                    ["role": "system", "content": "Be terse."],
                    ["role": "user", "content": "Extract: Jason is 25. é ✓"],
                ],
                "max_output_tokens": 64, "temperature": 0.2,
                "tools": [["type": "function", "name": "User", "parameters": ["type": "object"]]],
                "tool_choice": ["type": "function", "name": "User"], "user": "tests", "store": false,
            ]
            // No `seed`: the Responses API takes none.
            #expect(sent.json == expected)
            #expect(sent.body == provider.body(for: Self.request))
        }
    }

    @Test func sendsNoAuthorizationWithoutAKeyAndLetsHeadersWin() async throws {
        try await LocalChatServer.with(otherwise: .json(ResponsesPayload.text("ok"))) { server in
            _ = try await Self.provider(server, apiKey: nil, headers: ["api-key": "other"]).complete(Self.request)
            _ = try await Self.provider(server, headers: ["Authorization": "Token custom"]).complete(Self.request)
            #expect(server.requests[0].header("Authorization") == nil)
            #expect(server.requests[0].header("api-key") == "other")
            #expect(server.requests[1].header("Authorization") == "Token custom")
        }
    }

    @Test func storeFollowsTheConfigurationUnlessTheRequestSetsIt() async throws {
        try await LocalChatServer.with(otherwise: .json(ResponsesPayload.text("ok"))) { server in
            let plain = ChatRequest(model: "m", messages: [.user("a")])
            var asked = plain
            asked.options.extraBody = ["store": true]
            var keeping = Self.quickRetries
            keeping.store = true
            var unset = Self.quickRetries
            unset.store = nil
            _ = try await Self.provider(server).complete(plain)
            _ = try await Self.provider(server).complete(asked)
            _ = try await Self.provider(server, configuration: keeping).complete(plain)
            _ = try await Self.provider(server, configuration: unset).complete(plain)
            #expect(server.requests.map { $0.json?["store"] } == [false, true, true, nil])
        }
    }

    @Test func keepsTheBaseURLQueryAndAnEndpointAlreadyGiven() async throws {
        try await LocalChatServer.with(otherwise: .json(ResponsesPayload.text("ok"))) { server in
            let withQuery = try #require(URL(string: server.baseURL.absoluteString + "/?api-version=2025-04-01"))
            let full = server.baseURL.appendingPathComponent("responses")
            _ = try await OpenAIResponsesProvider(baseURL: withQuery, apiKey: "k").complete(Self.request)
            _ = try await OpenAIResponsesProvider(baseURL: full, apiKey: "k").complete(Self.request)
            #expect(server.requests.map(\.target) == ["/v1/responses?api-version=2025-04-01", "/v1/responses"])
        }
    }

    @Test func rejectsUnusableBaseURLsAndHeadersWithoutSending() async throws {
        let relative = OpenAIResponsesProvider(baseURL: try #require(URL(string: "v1")), apiKey: "k")
        let error = await Self.providerError { _ = try await relative.complete(Self.request) }
        #expect(error?.code == .invalidRequest)
        let smuggling = OpenAIResponsesProvider(apiKey: "k", headers: ["X-Bad": "a\r\nInjected: 1"])
        let headerError = await Self.providerError { _ = try await smuggling.complete(Self.request) }
        #expect(headerError?.code == .invalidRequest)
        let streamed = await Self.receive(smuggling.stream(Self.request))
        #expect(streamed.providerError?.code == .invalidRequest)
    }

    // MARK: - What is read

    @Test func readsTextAndKeepsTheResponseJSON() async throws {
        let response = ResponsesPayload.response(
            [ResponsesPayload.reasoning, ResponsesPayload.message("Jason "), ResponsesPayload.message("is 25")],
            usage: ResponsesPayload.usage(input: 120, output: 30, cached: 64))
        try await LocalChatServer.with(replies: [.json(response)]) { server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.id == "resp_test" && completion.model == "gpt-test")
            #expect(completion.created == 1_741_476_542)
            #expect(completion.message?.content?.text == "Jason is 25")
            #expect(completion.message?.role == .assistant && completion.message?.toolCalls == nil)
            #expect(completion.choices.first?.finishReason == "stop")
            #expect(
                completion.usage
                    == ChatCompletion.Usage(
                        promptTokens: 120, completionTokens: 30, totalTokens: 150, cachedPromptTokens: 64))
            #expect(completion.raw == response)
        }
    }

    @Test func readsFunctionCallsWithTheirCallIDs() async throws {
        let response = ResponsesPayload.response([
            ResponsesPayload.reasoning, ResponsesPayload.functionCall("User", #"{"name": "Jason"}"#, callID: "call_9"),
        ])
        try await LocalChatServer.with(replies: [.json(response)]) { server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(
                completion.message?.toolCalls == [
                    ToolCall(id: "call_9", name: "User", arguments: #"{"name": "Jason"}"#)
                ])
            #expect(completion.message?.content == nil)
            #expect(completion.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func readsRefusalsAndIncompleteResponses() async throws {
        let replies: [LocalChatServer.Reply] = [
            .json(ResponsesPayload.response([ResponsesPayload.refusal("I can't help with that.")])),
            .json(
                ResponsesPayload.response(
                    [ResponsesPayload.message(#"{"na"#, status: "incomplete")], status: "incomplete",
                    incompleteReason: "max_output_tokens")),
            .json(ResponsesPayload.response([], status: "incomplete", incompleteReason: "content_filter")),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            let refused = try await provider.complete(Self.request)
            #expect(refused.message?.refusal == "I can't help with that." && refused.message?.content == nil)
            let cut = try await provider.complete(Self.request)
            #expect(cut.choices.first?.finishReason == "length" && cut.message?.content?.text == #"{"na"#)
            let filtered = try await provider.complete(Self.request)
            #expect(filtered.choices.first?.finishReason == "content_filter")
        }
    }

    @Test func aFailedResponseIsAnHTTPErrorWithItsMessage() async throws {
        try await LocalChatServer.with(replies: [.json(ResponsesPayload.failed(message: "The model had an error."))]) {
            server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.request) }
            #expect(error?.code == .http)
            #expect(error?.message == "The model had an error. (server_error)")
            #expect(server.requestCount == 1)
        }
    }

    @Test func malformedBodiesAreInvalidResponsesAndAreNotRetried() async throws {
        let replies: [LocalChatServer.Reply] = [
            .invalidJSON, .json(ChatPayload.completion(content: "chat")), .json(["object": "response", "output": 3]),
            .json(ResponsesPayload.response([], status: "queued")),
            .json(ResponsesPayload.response([["type": "function_call", "call_id": "c", "arguments": "{}"]])),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            for reply in replies.indices {
                let error = await Self.providerError { _ = try await provider.complete(Self.request) }
                #expect(error?.code == .invalidResponse, "reply \(reply): \(String(describing: error))")
            }
            #expect(server.requestCount == replies.count)
        }
    }

    // MARK: - HTTP errors and retries

    @Test func errorBodiesGiveTheStatusAndOpenAIsMessage() async throws {
        let replies: [LocalChatServer.Reply] = [
            .error(status: 400, message: "Invalid schema for response_format 'User'.", code: "invalid_json_schema"),
            .invalidAPIKey("sk-proj-abcdefghijklmnopqrstuvwxyz1234"),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server, apiKey: "sk-proj-abcdefghijklmnopqrstuvwxyz1234")
            let invalid = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(invalid?.code == .http && invalid?.status == 400)
            #expect(invalid?.message == "Invalid schema for response_format 'User'.")
            let unauthorized = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(unauthorized?.status == 401)
            #expect(unauthorized?.message.hasPrefix("Incorrect API key provided:") == true)
            for text in [unauthorized?.message ?? "", "\(String(describing: unauthorized))"] {
                #expect(!text.contains("abcdefghijklmnopqrstuvwxyz1234") && !text.contains("1234."))
            }
            #expect(server.requestCount == 2)
        }
    }

    @Test func retries429And500ThenSucceeds() async throws {
        let replies: [LocalChatServer.Reply] = [
            .rateLimited(retryAfter: "0"), .error(status: 500, message: "oops", type: "server_error"),
            .json(ResponsesPayload.text("finally")),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.message?.content?.text == "finally")
            #expect(server.requestCount == 3)
            #expect(Set(server.requests.map(\.body)).count == 1)
        }
    }

    @Test func serverErrorsBeyondMaxRetriesThrowTheLastError() async throws {
        try await LocalChatServer.with(otherwise: .error(status: 503, message: "overloaded", type: "server_error")) {
            server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.request) }
            #expect(error?.code == .http && error?.status == 503 && error?.message == "overloaded")
            #expect(server.requestCount == 3)
        }
    }

    @Test func aClosedConnectionIsARetriedTransportError() async throws {
        try await LocalChatServer.with(replies: [.closeConnection, .json(ResponsesPayload.text("ok"))]) { server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.message?.content?.text == "ok")
            #expect(server.requestCount == 2)
        }
        var once = Self.quickRetries
        once.maxRetries = 0
        try await LocalChatServer.with(otherwise: .closeConnection) { server in
            let error = await Self.providerError {
                _ = try await Self.provider(server, configuration: once).complete(Self.request)
            }
            #expect(error?.code == .transport)
        }
    }

    // MARK: - Streams

    @Test func streamsTextDeltasAndEndsWithTheStatusAndUsage() async throws {
        let events = ResponsesPayload.textEvents(["Ja", "son", " é ✓"], usage: ResponsesPayload.usage(cached: 3))
        try await LocalChatServer.with(replies: [.eventStream(ResponsesPayload.eventStream(events))]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            #expect(received.text == "Jason é ✓")
            #expect(received.chunks.last?.choices.first?.finishReason == "stop")
            #expect(received.chunks.last?.usage?.cachedPromptTokens == 3)
            let sent = try #require(server.requests.first)
            #expect(sent.json?["stream"] == true && sent.target == "/v1/responses")
            #expect(sent.header("Accept") == "text/event-stream")
        }
    }

    @Test func streamsFunctionCallArgumentsOneBytePerWrite() async throws {
        let events = ResponsesPayload.events(
            [
                ResponsesPayload.reasoningEvents(output: 0),
                ResponsesPayload.callEvents("User", [#"{"name""#, #": "Jason"}"#], output: 1),
            ],
            final: ResponsesPayload.response([
                ResponsesPayload.reasoning, ResponsesPayload.functionCall("User", #"{"name": "Jason"}"#),
            ]))
        try await LocalChatServer.with(replies: [.eventStream(ResponsesPayload.eventStream(events), pieceSize: 1)]) {
            server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            #expect(received.arguments == #"{"name": "Jason"}"#)
            let start = received.chunks.first?.choices.first?.toolCalls.first
            #expect(start?.id == "call_test" && start?.name == "User")
            #expect(received.chunks.last?.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func aStreamCutBeforeItsEndIsATransportError() async throws {
        let events = ResponsesPayload.textEvents(["Ja", "son"])
        let withoutEnd = ResponsesPayload.eventStream(Array(events.dropLast()))
        try await LocalChatServer.with(replies: [
            .eventStream(withoutEnd, framing: .closeDelimited),
            .eventStream(Array(ResponsesPayload.eventStream(events).dropLast(7)), cut: true),
        ]) { server in
            let clean = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(clean.text == "Jason")
            #expect(clean.providerError?.code == .transport)
            let cut = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(cut.providerError?.code == .transport)
            // Chunks were delivered, so neither was retried.
            #expect(server.requestCount == 2)
        }
    }

    @Test func failedResponsesAndErrorEventsEndTheStreamWithTheirMessages() async throws {
        let failed = ResponsesPayload.events(
            [ResponsesPayload.messageEvents(["par", "tial"])],
            final: ResponsesPayload.failed(code: "server_error", message: "The model had an error."),
            end: "response.failed")
        let errorEvent: JSONValue = [
            "type": "error", "code": "invalid_prompt", "message": "Bad prompt.", "param": nil, "sequence_number": 1,
        ]
        try await LocalChatServer.with(replies: [
            .eventStream(ResponsesPayload.eventStream(failed)),
            .eventStream(ResponsesPayload.eventStream([errorEvent])),
        ]) { server in
            let first = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(first.text == "partial")
            #expect(first.providerError?.code == .http)
            #expect(first.providerError?.message == "The model had an error. (server_error)")
            let second = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(second.chunks.isEmpty)
            #expect(second.providerError?.code == .http && second.providerError?.message == "Bad prompt.")
        }
    }

    @Test func httpErrorsBeforeTheStreamAreTypedAndRetried() async throws {
        try await LocalChatServer.with(replies: [
            .rateLimited(retryAfter: "0"), .error(status: 500, message: "oops"),
            .eventStream(ResponsesPayload.eventStream(ResponsesPayload.textEvents(["ok"]))),
            .error(status: 400, message: "Unsupported parameter: 'seed'."),
        ]) { server in
            let retried = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(retried.error == nil && retried.text == "ok")
            #expect(server.requestCount == 3)
            let rejected = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(rejected.providerError?.status == 400)
            #expect(rejected.providerError?.message == "Unsupported parameter: 'seed'.")
        }
    }

    @Test func aJSONAnswerToAStreamingRequestIsReadAsItsChunks() async throws {
        let response = ResponsesPayload.call("User", #"{"name": "Jason"}"#)
        try await LocalChatServer.with(replies: [.json(response)]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil && received.chunks.count == 1)
            #expect(received.arguments == #"{"name": "Jason"}"#)
            #expect(received.chunks.first?.choices.first?.finishReason == "tool_calls")
            #expect(received.chunks.first?.raw == response)
        }
    }

    @Test func aStreamingRequestToCompleteGivesTheFinalResponse() async throws {
        let events = ResponsesPayload.textEvents(["Jas", "on"])
        try await LocalChatServer.with(replies: [.eventStream(ResponsesPayload.eventStream(events))]) { server in
            var request = Self.request
            request.stream = true
            let completion = try await Self.provider(server).complete(request)
            #expect(completion.message?.content?.text == "Jason")
            #expect(completion.usage?.totalTokens == 18)
            #expect(completion.raw == events.last?["response"])
            #expect(server.requests.first?.json?["stream"] == true)
        }
    }

    @Test func aSilentStreamTimesOutAndLeavingItCancelsTheRequest() async throws {
        let events = ResponsesPayload.textEvents(["first", "never"])
        let stalled = LocalChatServer.Reply.eventStream(pieces: [
            .init(bytes: ResponsesPayload.eventStream(Array(events.prefix(5)))),
            .init(bytes: ResponsesPayload.eventStream(Array(events.dropFirst(5))), delay: .seconds(120)),
        ])
        try await LocalChatServer.with(otherwise: stalled) { server in
            var configuration = Self.quickRetries
            configuration.maxRetries = 0
            configuration.timeout = .seconds(1)
            let provider = OpenAIResponsesProvider(
                baseURL: server.baseURL, apiKey: "sk-test", configuration: configuration)
            let timedOut = await Self.receive(provider.stream(Self.request))
            #expect(timedOut.providerError?.code == .timeout)
            #expect(timedOut.text == "first")
            #expect(await server.wait { $0.abandonedReplies == 1 })
            for try await chunk in provider.stream(Self.request) where chunk.choices.first?.content != nil { break }
            #expect(await server.wait { $0.abandonedReplies == 2 })
            #expect(server.requestCount == 2)
        }
    }

    // MARK: - Identity and secrets

    @Test func theCacheIdentityIsItsOwnAndHidesTheKey() throws {
        let identity = OpenAIResponsesProvider(apiKey: "sk-secret").cacheIdentity
        #expect(
            identity == "openai-responses:https://api.openai.com/v1;key=sha256:"
                + SHA256.hash(string: "sk-secret").hexString)
        #expect(identity != OpenAIProvider(apiKey: "sk-secret").cacheIdentity)
        #expect(OpenAIResponsesProvider(apiKey: "sk-other").cacheIdentity != identity)
        #expect(
            OpenAIResponsesProvider(apiKey: "sk-secret", headers: ["OpenAI-Project": "p"]).cacheIdentity != identity)
    }

    @Test func descriptionsAndMirrorsHideTheCredentials() throws {
        let base = try #require(URL(string: "https://user:pass@example.com/v1?api_key=in-query"))
        let provider = OpenAIResponsesProvider(
            baseURL: base, apiKey: "sk-very-secret", headers: ["api-key": "hidden-too"])
        var dumped = ""
        dump(provider, to: &dumped)
        for text in [provider.description, dumped, String(reflecting: provider), provider.cacheIdentity] {
            for secret in ["sk-very-secret", "hidden-too", "pass", "in-query"] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
        #expect(provider.description.contains("store: false"))
    }

    @Test func transportErrorsHideTheURLsCredentials() async throws {
        let port = try RefusingPort()
        let base = try #require(URL(string: "http://user:hunter2@127.0.0.1:\(port.port)/v1?key=sk-in-query"))
        var once = Self.quickRetries
        once.maxRetries = 0
        let provider = OpenAIResponsesProvider(baseURL: base, apiKey: "sk-very-secret", configuration: once)
        let error = await Self.providerError { _ = try await provider.complete(Self.request) }
        #expect(error?.code == .transport)
        let streamed = await Self.receive(provider.stream(Self.request))
        for failure in [error as (any Error)?, streamed.error] {
            let text = "\(String(describing: failure)) \(String(reflecting: failure))"
            for secret in ["hunter2", "sk-in-query", "sk-very-secret"] { #expect(!text.contains(secret), "\(text)") }
        }
    }
}
