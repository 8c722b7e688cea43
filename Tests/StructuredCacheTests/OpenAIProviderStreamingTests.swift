// Tests of OpenAIProvider's streaming path against a real HTTP server on loopback: deltas, tool-call
// arguments across chunks, one byte per write, missing [DONE], cut connections, error events,
// idle timeouts, and cancellation reaching the server.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct OpenAIProviderStreamingTests {
    static let request = ChatRequest(model: "gpt-test", messages: [.user("Extract: Jason is 25.")])

    /// What a stream delivered before it ended, and how it ended.
    struct Received {
        var chunks: [ChatCompletionChunk] = []
        var error: (any Error)?

        var providerError: ProviderError? { error as? ProviderError }
        var text: String { chunks.compactMap { $0.choices.first?.content }.joined() }

        func completion() throws -> ChatCompletion {
            var accumulator = ChatCompletionAccumulator()
            for chunk in chunks { accumulator.add(chunk) }
            return try accumulator.makeCompletion()
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

    static func provider(
        _ server: LocalChatServer, timeout: Duration = .seconds(10),
        configuration: OpenAIProvider.Configuration = OpenAIProviderTests.quickRetries
    ) -> OpenAIProvider {
        var configuration = configuration
        configuration.timeout = timeout
        return OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test", configuration: configuration)
    }

    // MARK: - Deltas

    @Test func streamsContentDeltasWithUsageAtTheEnd() async throws {
        try await LocalChatServer.with(replies: [.streamedCompletion(["Ja", "son", " is", " 25"])]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            #expect(received.text == "Jason is 25")
            #expect(received.chunks.count == 7)
            #expect(received.chunks.last?.usage == ChatCompletion.Usage(promptTokens: 11, completionTokens: 7))
            #expect(received.chunks.last?.choices.isEmpty == true)
            let completion = try received.completion()
            #expect(completion.message?.content?.text == "Jason is 25")
            #expect(completion.choices.first?.finishReason == "stop")
            #expect(completion.usage?.totalTokens == 18)

            let sent = try #require(server.requests.first)
            #expect(sent.header("Accept") == "text/event-stream")
            #expect(sent.json?["stream"] == true)
            #expect(sent.json?["stream_options"] == ["include_usage": true])
            var expected = Self.request.body
            expected["stream"] = true
            expected["stream_options"] = ["include_usage": true]
            #expect(sent.body == JSONValue.object(expected).jsonBytes(.compact))
        }
    }

    @Test func keepsTheCallersStreamOptions() async throws {
        try await LocalChatServer.with(otherwise: .streamedCompletion(["ok"])) { server in
            var request = Self.request
            request.options.extraBody["stream_options"] = ["include_usage": false]
            _ = await Self.receive(Self.provider(server).stream(request))
            #expect(server.requests[0].json?["stream_options"] == ["include_usage": false])
            let quiet = Self.provider(server, configuration: .init(requestsStreamUsage: false))
            _ = await Self.receive(quiet.stream(Self.request))
            #expect(server.requests[1].json?["stream_options"] == nil)
            #expect(server.requests[1].json?["stream"] == true)
        }
    }

    @Test func assemblesToolCallArgumentsAcrossChunks() async throws {
        let deltas = [#"{"na"#, #"me": "Ja"#, #"son", "#, #""age"#, #"": 25}"#]
        try await LocalChatServer.with(replies: [.streamedToolCall(name: "User", argumentDeltas: deltas)]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            let pieces = received.chunks.flatMap { $0.choices.flatMap(\.toolCalls) }
            #expect(pieces.compactMap(\.arguments).joined() == deltas.joined())
            let completion = try received.completion()
            let call = try #require(completion.message?.toolCalls?.first)
            #expect(call.name == "User")
            #expect(call.id == "call_stream")
            #expect(try JSONValue(parsing: call.arguments) == ["name": "Jason", "age": 25])
            #expect(completion.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func oneBytePerWriteParsesTheSame() async throws {
        // Small payloads (so that a write per byte stays quick), CRLF line ends and a comment, so that
        // splits also fall between CR and LF and inside multi-byte characters.
        let payloads: [JSONValue] = [
            ["id": "s", "choices": [["index": 0, "delta": ["role": "assistant", "content": ""]]]],
            ["id": "s", "choices": [["index": 0, "delta": ["content": "Zoë "]]]],
            ["id": "s", "choices": [["index": 0, "delta": ["content": "✓ 😀"]]]],
            ["id": "s", "choices": [["index": 0, "delta": [:], "finish_reason": "stop"]]],
            ["id": "s", "choices": [], "usage": ChatPayload.usage(prompt: 3, completion: 4)],
        ]
        var bytes = ChatPayload.eventStream(payloads)
        bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        bytes = Array(": keep-alive\r\n\r\n".utf8) + bytes
        try await LocalChatServer.with(replies: [
            .eventStream(bytes), .eventStream(bytes, pieceSize: 1, delay: .microseconds(50)),
        ]) { server in
            let provider = Self.provider(server)
            let whole = await Self.receive(provider.stream(Self.request))
            let bytewise = await Self.receive(provider.stream(Self.request))
            #expect(whole.error == nil && bytewise.error == nil)
            #expect(whole.chunks.count == payloads.count)
            #expect(bytewise.chunks == whole.chunks)
            #expect(bytewise.text == "Zoë ✓ 😀")
            let completion = try bytewise.completion()
            #expect(completion.usage?.totalTokens == 7)
        }
    }

    // MARK: - How streams end

    @Test func aStreamWithoutDoneEndsNormallyAfterACleanClose() async throws {
        let payloads = ChatPayload.contentChunks(["a", "b"])
        try await LocalChatServer.with(replies: [
            .events(payloads, done: false), .events(payloads, done: false, framing: .closeDelimited),
        ]) { server in
            let provider = Self.provider(server)
            for _ in 0..<2 {
                let received = await Self.receive(provider.stream(Self.request))
                #expect(received.error == nil)
                #expect(received.text == "ab")
                #expect(received.chunks.count == payloads.count)
            }
        }
    }

    @Test func doneWithoutTheFinalBlankLineStillEnds() async throws {
        let bytes =
            ChatPayload.eventStream(ChatPayload.contentChunks(["x"]), done: false) + Array("data: [DONE]\n".utf8)
        try await LocalChatServer.with(replies: [.eventStream(bytes, framing: .closeDelimited)]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            #expect(received.text == "x")
        }
    }

    @Test func aCutConnectionEndsWithATransportErrorAfterTheChunks() async throws {
        let payloads = ChatPayload.contentChunks(["one", "two", "three"], usage: nil)
        let bytes = ChatPayload.eventStream(payloads, done: false)
        let cutInsideEvent = Array(bytes.dropLast(9))
        try await LocalChatServer.with(replies: [
            .eventStream(bytes, cut: true),  // chunked body never terminated
            .eventStream(cutInsideEvent, framing: .closeDelimited),  // closed in the middle of an event
        ]) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 0))
            let unterminated = await Self.receive(provider.stream(Self.request))
            #expect(unterminated.providerError?.code == .transport)
            #expect(unterminated.text == "onetwothree")
            let midEvent = await Self.receive(provider.stream(Self.request))
            #expect(midEvent.providerError?.code == .transport)
            #expect(midEvent.text == "onetwothree")
            #expect(midEvent.chunks.count == payloads.count - 1)
            #expect(server.requestCount == 2)
        }
    }

    @Test func anEmptyStreamIsAnInvalidResponse() async throws {
        try await LocalChatServer.with(replies: [.eventStream(Array(": nothing\n\n".utf8))]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.providerError?.code == .invalidResponse)
        }
    }

    @Test func errorEventsEndTheStreamWithTypedErrors() async throws {
        let first = ChatPayload.eventStream([ChatPayload.chunk(content: "partial")], done: false)
        let errorEvent = first + Array("event: error\ndata: {\"error\": {\"message\": \"model overloaded\"}}\n\n".utf8)
        let errorPayload =
            first
            + Array(
                "data: {\"error\": {\"message\": \"bad state\", \"type\": \"server_error\", \"code\": 503}}\n\n".utf8)
        let malformed = first + Array("data: {\"id\": \"chatcmpl\", \"choices\": [\n\n".utf8)
        try await LocalChatServer.with(replies: [
            .eventStream(errorEvent), .eventStream(errorPayload), .eventStream(malformed),
        ]) { server in
            let provider = Self.provider(server)
            let event = await Self.receive(provider.stream(Self.request))
            #expect(event.providerError?.code == .http)
            #expect(event.providerError?.message == "model overloaded")
            #expect(event.text == "partial")
            let payload = await Self.receive(provider.stream(Self.request))
            #expect(payload.providerError?.code == .http)
            #expect(payload.providerError?.status == 503)
            #expect(payload.providerError?.message == "bad state")
            #expect(payload.text == "partial")
            let broken = await Self.receive(provider.stream(Self.request))
            #expect(broken.providerError?.code == .invalidResponse)
            #expect(broken.text == "partial")
            // Errors after a chunk was delivered are never retried: the consumer would see it twice.
            #expect(server.requestCount == 3)
        }
    }

    @Test func httpErrorsBeforeTheStreamAreTypedAndRetried() async throws {
        try await LocalChatServer.with(replies: [
            .error(status: 401, message: "Incorrect API key provided"),
            .rateLimited(retryAfter: "0"), .streamedCompletion(["after retry"]),
        ]) { server in
            let provider = Self.provider(server)
            let refused = await Self.receive(provider.stream(Self.request))
            #expect(refused.providerError?.code == .http)
            #expect(refused.providerError?.status == 401)
            #expect(refused.providerError?.message == "Incorrect API key provided")
            #expect(refused.chunks.isEmpty)
            let retried = await Self.receive(provider.stream(Self.request))
            #expect(retried.error == nil)
            #expect(retried.text == "after retry")
            #expect(server.requestCount == 3)
        }
    }

    @Test func aJSONAnswerToAStreamingRequestBecomesOneChunk() async throws {
        let arguments = #"{"name": "Jason", "age": 25}"#
        try await LocalChatServer.with(replies: [.toolCall(name: "User", arguments: arguments)]) { server in
            let received = await Self.receive(Self.provider(server).stream(Self.request))
            #expect(received.error == nil)
            #expect(received.chunks.count == 1)
            let completion = try received.completion()
            #expect(completion.message?.toolCalls?.first?.arguments == arguments)
            #expect(completion.usage?.totalTokens == 18)
        }
    }

    // MARK: - Time and cancellation

    @Test func theTimeoutIsAnIdleTimeout() async throws {
        let payloads = ChatPayload.contentChunks(Array(repeating: "·", count: 20))
        // Pieces every 50 ms for more than a second, longer than the 1 s timeout, but never silent
        // for long: the stream completes.
        let steady = LocalChatServer.Reply.events(payloads, pieceSize: 180, delay: .milliseconds(50))
        let stalled = LocalChatServer.Reply.eventStream(pieces: [
            .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "first")], done: false)),
            .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "never")]), delay: .seconds(120)),
        ])
        try await LocalChatServer.with(replies: [steady, stalled]) { server in
            let provider = Self.provider(server, timeout: .seconds(1), configuration: .init(maxRetries: 0))
            let completed = await Self.receive(provider.stream(Self.request))
            #expect(completed.error == nil)
            #expect(completed.text == String(repeating: "·", count: 20))
            let started = ContinuousClock.now
            let timedOut = await Self.receive(provider.stream(Self.request))
            #expect(timedOut.providerError?.code == .timeout)
            #expect(timedOut.text == "first")
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(await server.wait { $0.abandonedReplies == 1 })
        }
    }

    @Test func cancellingTheConsumerCancelsTheRequest() async throws {
        let stalled = LocalChatServer.Reply.eventStream(pieces: [
            .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "first")], done: false)),
            .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "never")]), delay: .seconds(120)),
        ])
        try await LocalChatServer.with(otherwise: stalled) { server in
            let provider = Self.provider(server)
            let firstChunk = AsyncStream<Void>.makeStream()
            let consumer = Task {
                var received = Received()
                do {
                    for try await chunk in provider.stream(Self.request) {
                        received.chunks.append(chunk)
                        firstChunk.continuation.yield()
                    }
                } catch {
                    received.error = error
                }
                return received
            }
            var iterator = firstChunk.stream.makeAsyncIterator()
            _ = await iterator.next()
            consumer.cancel()
            let received = await consumer.value
            #expect(received.text == "first")
            #expect(await server.wait { $0.abandonedReplies == 1 })

            // Leaving the loop early (dropping the stream) cancels the request as well.
            for try await _ in provider.stream(Self.request) { break }
            #expect(await server.wait { $0.abandonedReplies == 2 })
            #expect(server.requestCount == 2)
        }
    }

    @Test func cancellingWhileWaitingToRetryEndsTheStream() async throws {
        try await LocalChatServer.with(otherwise: .rateLimited(retryAfter: "100")) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 2, maxRetryDelay: .seconds(120)))
            let consumer = Task { await Self.receive(provider.stream(Self.request)) }
            #expect(await server.wait { $0.requestCount == 1 })
            let cancelled = ContinuousClock.now
            consumer.cancel()
            let received = await consumer.value
            #expect(received.chunks.isEmpty)
            #expect(ContinuousClock.now - cancelled < .seconds(60))
            #expect(server.requestCount == 1)
        }
    }

    @Test func concurrentStreamsStayApart() async throws {
        try await LocalChatServer.with(handler: { request in
            let text = request.json?["messages"]?[0]?["content"]?.stringValue ?? "?"
            return .events(ChatPayload.contentChunks(text.map(String.init)), pieceSize: 50)
        }) { server in
            let provider = Self.provider(server)
            let texts = await withTaskGroup(of: (String, String).self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let text = "stream \(index) says hello"
                        let request = ChatRequest(model: "gpt-test", messages: [.user(text)])
                        return (text, await Self.receive(provider.stream(request)).text)
                    }
                }
                return await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(texts.count == 12)
            #expect(texts.allSatisfy { $0.key == $0.value })
        }
    }
}
