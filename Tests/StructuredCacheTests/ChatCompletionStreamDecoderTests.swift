// Tests of decoding an event-stream body into chat completion chunks: [DONE], keep-alives, how a
// stream may end, and the errors a server reports inside it.

import ChatStandIn
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ChatCompletionStreamDecoderTests {
    static func decode(_ text: String) throws(ProviderError) -> (chunks: [ChatCompletionChunk], done: Bool) {
        var decoder = ChatCompletionStreamDecoder()
        var chunks: [ChatCompletionChunk] = []
        try decoder.decode(Array(text.utf8)) { chunks.append($0) }
        try decoder.finish()
        return (chunks, decoder.isDone)
    }

    @Test func decodesChunksUntilDone() throws {
        let stream =
            String(
                decoding: ChatPayload.eventStream([ChatPayload.chunk(content: "a"), ChatPayload.chunk(content: "b")]),
                as: UTF8.self) + "data: {\"ignored\": true}\n\n"
        let (chunks, done) = try Self.decode(stream)
        #expect(chunks.map { $0.choices.first?.content } == ["a", "b"])
        #expect(done)
    }

    @Test func skipsKeepAlivesAndOtherEventTypes() throws {
        let chunk = ChatPayload.chunk(content: "x").jsonString(.compact)
        let (chunks, done) = try Self.decode(
            ": ping\n\ndata:\n\ndata:   \n\nevent: ping\ndata: {}\n\ndata: \(chunk)\n\ndata:  [DONE] \n\n")
        #expect(chunks.count == 1)
        #expect(done)
    }

    @Test func endsWithoutDoneAfterAChunkButNotInsideAnEvent() throws {
        let chunk = ChatPayload.chunk(content: "x").jsonString(.compact)
        #expect(try Self.decode("data: \(chunk)\n\n").chunks.count == 1)
        #expect(try Self.decode("data: \(chunk)\n\ndata: [DONE]\n").done)
        let cut = #expect(throws: ProviderError.self) { try Self.decode("data: \(chunk)\n\ndata: {\"id\"") }
        #expect(cut?.code == .transport)
        let pending = #expect(throws: ProviderError.self) { try Self.decode("data: \(chunk)\n\ndata: \(chunk)\n") }
        #expect(pending?.code == .transport)
        let empty = #expect(throws: ProviderError.self) { try Self.decode(": nothing here\n\n") }
        #expect(empty?.code == .invalidResponse)
    }

    @Test func reportsErrorsWithTheServersMessage() throws {
        let event = #expect(throws: ProviderError.self) { try Self.decode("event: error\ndata: upstream gone\n\n") }
        #expect(event?.code == .http)
        #expect(event?.message == "upstream gone")
        let payload = #expect(throws: ProviderError.self) {
            try Self.decode(#"data: {"error": {"message": "too long", "code": 400}}"# + "\n\n")
        }
        #expect(payload?.status == 400)
        #expect(payload?.message == "too long")
        let malformed = #expect(throws: ProviderError.self) { try Self.decode("data: {oops}\n\n") }
        #expect(malformed?.code == .invalidResponse)
        let notAnObject = #expect(throws: ProviderError.self) { try Self.decode("data: [1, 2]\n\n") }
        #expect(notAnObject?.code == .invalidResponse)
    }
}
