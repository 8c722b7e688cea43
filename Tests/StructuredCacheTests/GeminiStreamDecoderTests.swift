// Tests of GeminiStreamDecoder on its own: a stream split at any byte decodes the same, function
// calls are numbered across chunks, and each way a stream can go wrong gives its typed error.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore

@Suite struct GeminiStreamDecoderTests {
    static let responses: [JSONValue] = [
        GeminiPayload.response(parts: [["text": "Thinking ✓ é", "thought": true]], finishReason: nil, usage: nil),
        GeminiPayload.response(parts: [["text": #"{"name": "Jás"#]], finishReason: nil, usage: nil),
        GeminiPayload.response(parts: [["text": #"on"}"#]], finishReason: "STOP"),
    ]

    static func decodeAll(_ pieces: [ArraySlice<UInt8>]) throws(ProviderError) -> [ChatCompletionChunk] {
        var decoder = GeminiStreamDecoder()
        var chunks: [ChatCompletionChunk] = []
        for piece in pieces { try decoder.decode(piece) { chunks.append($0) } }
        try decoder.finish()
        return chunks
    }

    static func error(_ body: () throws -> Void) -> ProviderError? {
        do {
            try body()
            Issue.record("expected a ProviderError")
            return nil
        } catch {
            return error as? ProviderError
        }
    }

    @Test func aStreamSplitAtEveryByteOffsetDecodesTheSame() throws {
        let bytes = GeminiPayload.eventStream(Self.responses)
        let whole = try Self.decodeAll([bytes[...]])
        #expect(whole.map(\.raw) == Self.responses)
        #expect(whole.map { $0.choices.first?.content } == [nil, #"{"name": "Jás"#, #"on"}"#])
        #expect(whole.last?.choices.first?.finishReason == "stop")
        #expect(whole.last?.usage?.totalTokens == 20)
        for offset in 1..<bytes.count {
            let split = try Self.decodeAll([bytes[..<offset], bytes[offset...]])
            #expect(split == whole, "split at \(offset)")
        }
        let byByte = try Self.decodeAll(bytes.indices.map { bytes[$0...$0] })
        #expect(byByte == whole)
    }

    @Test func readsLineFeedStreamsAndSkipsCommentsAndBlankData() throws {
        let text = ": ping\n\ndata:\n\n" + "data: " + GeminiPayload.text("ok").jsonString(.compact) + "\n\n"
        let chunks = try Self.decodeAll([Array(text.utf8)[...]])
        #expect(chunks.map { $0.choices.first?.content } == ["ok"])
    }

    @Test func numbersFunctionCallsAcrossChunks() throws {
        let call: (String) -> JSONValue = { name in
            GeminiPayload.response(
                parts: [["functionCall": ["name": .string(name), "args": ["n": 1]]]], finishReason: nil)
        }
        let chunks = try Self.decodeAll([GeminiPayload.eventStream([call("a"), call("b")])[...]])
        let pieces = chunks.flatMap { $0.choices.first?.toolCalls ?? [] }
        #expect(pieces.map(\.index) == [0, 1])
        #expect(pieces.map(\.name) == ["a", "b"])
        #expect(pieces.map(\.arguments) == [#"{"n":1}"#, #"{"n":1}"#])
    }

    @Test func anErrorInTheStreamIsAnHTTPError() {
        let bytes = GeminiPayload.eventStream([
            GeminiPayload.text("a", finishReason: nil),
            GeminiPayload.error(code: 429, message: "Resource has been exhausted.", status: "RESOURCE_EXHAUSTED"),
        ])
        var delivered = 0
        let failure = Self.error {
            var decoder = GeminiStreamDecoder()
            try decoder.decode(bytes) { _ in delivered += 1 }
        }
        #expect(delivered == 1)
        #expect(failure?.code == .http && failure?.status == 429)
        #expect(failure?.message == "Resource has been exhausted. (RESOURCE_EXHAUSTED)")
    }

    @Test func aCutInsideAnEventIsATransportError() {
        let bytes = GeminiPayload.eventStream(Self.responses)
        // A cut after the last CR would still end the event: CR alone ends a line in an event stream.
        for cut in [bytes.count - 2, bytes.count - 3, bytes.count - 8, bytes.count / 2] {
            let failure = Self.error { _ = try Self.decodeAll([bytes[..<cut]]) }
            #expect(failure?.code == .transport, "cut at \(cut)")
        }
    }

    @Test func aBodyWithoutAChunkOrWithBadPayloadsIsInvalid() {
        for text in [
            "", ": only a comment\r\n\r\n", "data: [1, 2]\r\n\r\n", "data: {\"x\"\r\n\r\n", "data: {}\r\n\r\n",
        ] {
            let failure = Self.error { _ = try Self.decodeAll([Array(text.utf8)[...]]) }
            #expect(failure?.code == .invalidResponse, "\(text)")
        }
    }

    @Test func aWholeJSONBodyIsReadAsItsChunks() throws {
        let array = try GeminiStreamDecoder.chunks(ofWholeBody: JSONValue.array(Self.responses).jsonBytes(.compact))
        #expect(array.map(\.raw) == Self.responses)
        let single = try GeminiStreamDecoder.chunks(ofWholeBody: GeminiPayload.text("x").jsonBytes(.compact))
        #expect(single.map { $0.choices.first?.content } == ["x"])
        let failures = [
            Self.error { _ = try GeminiStreamDecoder.chunks(ofWholeBody: Array("[]".utf8)) },
            Self.error { _ = try GeminiStreamDecoder.chunks(ofWholeBody: Array("{".utf8)) },
            Self.error {
                _ = try GeminiStreamDecoder.chunks(
                    ofWholeBody: GeminiPayload.error(code: 400, message: "bad", status: "INVALID_ARGUMENT")
                        .jsonBytes(.compact))
            },
        ]
        #expect(failures.map { $0?.code } == [.invalidResponse, .invalidResponse, .http])
    }

    @Test func aBlockedPromptChunkEndsWithContentFilter() throws {
        let chunks = try Self.decodeAll([GeminiPayload.eventStream([GeminiPayload.blockedPrompt()])[...]])
        #expect(chunks.first?.choices.first?.finishReason == "content_filter")
    }
}
