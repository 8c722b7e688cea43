// ResponsesStreamDecoder on the named events of a streamed Responses API answer: text and argument
// deltas, tool call numbering, the end events, errors, cut bodies, and a body split at every byte.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ResponsesStreamDecoderTests {
    /// What a decoder delivered from `pieces`, and how it ended.
    struct Decoded {
        var chunks: [ChatCompletionChunk] = []
        var error: ProviderError?
        var done = false

        var text: String { chunks.compactMap { $0.choices.first?.content }.joined() }
        var calls: [ChatCompletionChunk.ToolCallDelta] { chunks.flatMap { $0.choices.first?.toolCalls ?? [] } }
        func arguments(_ index: Int) -> String {
            calls.filter { $0.index == index }.compactMap(\.arguments).joined()
        }
    }

    static func decode(_ pieces: [ArraySlice<UInt8>], finish: Bool = true) -> Decoded {
        var decoder = ResponsesStreamDecoder()
        var decoded = Decoded()
        do throws(ProviderError) {
            for piece in pieces {
                try decoder.decode(piece) { decoded.chunks.append($0) }
            }
            if finish { try decoder.finish() }
        } catch {
            decoded.error = error
        }
        decoded.done = decoder.isDone
        return decoded
    }

    static func decode(_ bytes: [UInt8], finish: Bool = true) -> Decoded { decode([bytes[...]], finish: finish) }

    static func decode(_ events: [JSONValue]) -> Decoded { decode(ResponsesPayload.eventStream(events)) }

    // MARK: - Deltas

    @Test func readsTextDeltasAndEndsWithTheStatusAndUsage() {
        let decoded = Self.decode(
            ResponsesPayload.textEvents(["Ja", "son", " é ✓"], usage: ResponsesPayload.usage(cached: 4)))
        #expect(decoded.error == nil && decoded.done)
        #expect(decoded.text == "Jason é ✓")
        // Three deltas and the end; created, in_progress, part and done events, and keep-alives give nothing.
        #expect(decoded.chunks.count == 4)
        let last = decoded.chunks.last
        #expect(last?.choices.first?.finishReason == "stop")
        #expect(last?.usage == ChatCompletion.Usage(promptTokens: 11, completionTokens: 7, cachedPromptTokens: 4))
        #expect(last?.raw["type"] == "response.completed")
        #expect(last?.raw["response"]?["id"] == "resp_test")
        #expect(decoded.chunks.allSatisfy { $0.id == "resp_test" && $0.model == "gpt-test" })
    }

    @Test func startsAToolCallWithItsCallIDAndNameAndAddsItsArgumentDeltas() {
        let final = ResponsesPayload.response([
            ResponsesPayload.reasoning, ResponsesPayload.functionCall("User", #"{"name": "Jason"}"#),
        ])
        let events = ResponsesPayload.events(
            [
                ResponsesPayload.reasoningEvents(output: 0),
                ResponsesPayload.callEvents("User", [#"{"na"#, #"me": "#, #""Jason"}"#], output: 1),
            ], final: final)
        let decoded = Self.decode(events)
        #expect(decoded.error == nil && decoded.done)
        // The reasoning item before it does not count: the first function call is call 0.
        #expect(decoded.calls.first == .init(index: 0, id: "call_test", name: "User", arguments: nil))
        #expect(decoded.arguments(0) == #"{"name": "Jason"}"#)
        #expect(decoded.calls.allSatisfy { $0.index == 0 })
        #expect(decoded.text.isEmpty)
        #expect(decoded.chunks.last?.choices.first?.finishReason == "tool_calls")
    }

    @Test func numbersSeveralCallsInTheOrderOfTheirItems() {
        let final = ResponsesPayload.response([
            ResponsesPayload.functionCall("A", "{}", callID: "call_a", id: "fc_a"),
            ResponsesPayload.functionCall("B", #"{"b": 1}"#, callID: "call_b", id: "fc_b"),
        ])
        let events = ResponsesPayload.events(
            [
                ResponsesPayload.callEvents("A", ["{", "}"], output: 0, callID: "call_a", id: "fc_a"),
                ResponsesPayload.callEvents("B", [#"{"b""#, ": 1}"], output: 1, callID: "call_b", id: "fc_b"),
            ], final: final)
        let decoded = Self.decode(events)
        #expect(decoded.arguments(0) == "{}" && decoded.arguments(1) == #"{"b": 1}"#)
        #expect(decoded.calls.filter { $0.id != nil }.map(\.name) == ["A", "B"])
        #expect(decoded.calls.filter { $0.id != nil }.map(\.id) == ["call_a", "call_b"])
    }

    @Test func takesTheArgumentsOfACallThatSentNoDeltasFromItsDoneItem() {
        let events = ResponsesPayload.callStreamEvents("User", [#"{"name": "x"}"#]).filter {
            $0["type"] != "response.function_call_arguments.delta"
        }
        let decoded = Self.decode(events)
        #expect(decoded.arguments(0) == #"{"name": "x"}"#)
        // With deltas, the done item adds nothing more.
        let streamed = Self.decode(ResponsesPayload.callStreamEvents("User", [#"{"name": "#, #""x"}"#]))
        #expect(streamed.arguments(0) == #"{"name": "x"}"#)
    }

    @Test func aRefusalDeltaIsAChunkWithoutContent() {
        let events = ResponsesPayload.events(
            [
                [
                    [
                        "type": "response.refusal.delta", "item_id": "msg_refusal", "output_index": 0,
                        "content_index": 0, "delta": "I can't",
                    ]
                ]
            ], final: ResponsesPayload.response([ResponsesPayload.refusal("I can't")]))
        let decoded = Self.decode(events)
        #expect(decoded.error == nil)
        #expect(decoded.chunks.first?.choices.first?.content == nil)
        #expect(decoded.chunks.first?.raw["delta"] == "I can't")
    }

    // MARK: - How a stream ends

    @Test func anIncompleteResponseEndsTheStreamWithItsReason() {
        for (reason, finish) in [("max_output_tokens", "length"), ("content_filter", "content_filter")] {
            let final = ResponsesPayload.response(
                [ResponsesPayload.message(#"{"name": "Ja"#, status: "incomplete")], status: "incomplete",
                incompleteReason: reason)
            let decoded = Self.decode(
                ResponsesPayload.events(
                    [ResponsesPayload.messageEvents([#"{"name": "Ja"#])], final: final, end: "response.incomplete"))
            #expect(decoded.error == nil && decoded.done)
            #expect(decoded.chunks.last?.choices.first?.finishReason == finish)
        }
    }

    @Test func bytesAfterTheEndAreIgnored() {
        var bytes = ResponsesPayload.eventStream(ResponsesPayload.textEvents(["a"]))
        bytes += Array("event: response.output_text.delta\ndata: {not json\n\n".utf8)
        let decoded = Self.decode(bytes)
        #expect(decoded.error == nil && decoded.done && decoded.text == "a")
    }

    @Test func aFailedResponseEndsTheStreamWithItsMessage() {
        let events = ResponsesPayload.events(
            [ResponsesPayload.messageEvents(["partial"])],
            final: ResponsesPayload.failed(message: "The model had an internal error."), end: "response.failed")
        let decoded = Self.decode(events)
        #expect(decoded.text == "partial")
        #expect(decoded.error?.code == .http)
        #expect(decoded.error?.message.contains("The model had an internal error.") == true)
        #expect(decoded.error?.message.contains("server_error") == true)
        #expect(!decoded.done)
    }

    @Test func anErrorEventEndsTheStreamWithItsMessage() {
        let error: JSONValue = [
            "type": "error", "code": "rate_limit_exceeded", "message": "Slow down.", "param": nil,
            "sequence_number": 2,
        ]
        let events = Array(ResponsesPayload.textEvents(["a"]).prefix(3)) + [error]
        let decoded = Self.decode(events)
        #expect(decoded.error?.code == .http && decoded.error?.message == "Slow down.")
        // An `error` event whose data is not JSON still ends the stream, with its text.
        let bare = Self.decode(Array("event: error\ndata: upstream gone\n\n".utf8))
        #expect(bare.error?.code == .http && bare.error?.message == "upstream gone")
    }

    @Test func aBodyThatEndsBeforeTheEndEventIsATransportError() {
        let events = ResponsesPayload.textEvents(["Ja", "son"])
        let bytes = ResponsesPayload.eventStream(events)
        // Cut between events: every event whole, but no end.
        let clean = Self.decode(ResponsesPayload.eventStream(Array(events.dropLast())))
        #expect(clean.text == "Jason")
        #expect(clean.error?.code == .transport)
        // Cut inside the end event.
        let cut = Self.decode(Array(bytes[..<(bytes.count - 5)]))
        #expect(cut.error?.code == .transport)
        #expect(Self.decode([UInt8]()).error?.code == .transport)
    }

    @Test func malformedEventsAreInvalidResponses() {
        for data in ["{\"type\": \"response.output_text.delta\", \"delta\": ", "[1, 2]", "[DONE]"] {
            let decoded = Self.decode(Array("event: response.output_text.delta\ndata: \(data)\n\n".utf8))
            #expect(decoded.error?.code == .invalidResponse, "\(data)")
        }
        let noResponse = Self.decode(
            Array("event: response.completed\ndata: {\"type\": \"response.completed\"}\n\n".utf8))
        #expect(noResponse.error?.code == .invalidResponse)
    }

    @Test func aChatStyleErrorPayloadEndsTheStream() {
        let decoded = Self.decode(Array(#"data: {"error": {"message": "overloaded", "code": 503}}"#.utf8) + [10, 10])
        #expect(decoded.error?.code == .http && decoded.error?.message == "overloaded" && decoded.error?.status == 503)
    }

    // MARK: - Splits

    @Test func aStreamSplitAtEveryByteOffsetDecodesTheSame() {
        let events = ResponsesPayload.events(
            [
                ResponsesPayload.reasoningEvents(output: 0),
                ResponsesPayload.messageEvents(["Ja", "son é ✓ 😀"], output: 1),
                ResponsesPayload.callEvents("User", [#"{"name": "#, #""Ja\"son"}"#], output: 2),
            ],
            final: ResponsesPayload.response([
                ResponsesPayload.reasoning, ResponsesPayload.message("Jason é ✓ 😀"),
                ResponsesPayload.functionCall("User", #"{"name": "Ja\"son"}"#),
            ]))
        var bytes = ResponsesPayload.eventStream(events)
        // CRLF line ends too, so that a split between CR and LF is covered.
        bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let whole = Self.decode(bytes)
        #expect(whole.error == nil && whole.done)
        #expect(whole.text == "Jason é ✓ 😀" && whole.arguments(0) == #"{"name": "Ja\"son"}"#)
        for offset in 0...bytes.count {
            let split = Self.decode([bytes[..<offset], bytes[offset...]])
            #expect(split.chunks == whole.chunks && split.error == nil && split.done, "split at \(offset)")
        }
        let bytewise = Self.decode(bytes.indices.map { bytes[$0...$0] })
        #expect(bytewise.chunks == whole.chunks && bytewise.done)
    }

    // MARK: - Whole answers and error bodies

    @Test func aWholeResponseIsOneChunk() throws {
        let response = ResponsesPayload.response([
            ResponsesPayload.reasoning, ResponsesPayload.message("Hi"),
            ResponsesPayload.functionCall("User", #"{"name": "x"}"#),
        ])
        let chunks = try ResponsesStreamDecoder.chunks(ofWholeBody: response.jsonBytes(.compact))
        #expect(chunks.count == 1)
        let delta = try #require(chunks.first?.choices.first)
        #expect(delta.content == "Hi" && delta.finishReason == "tool_calls")
        #expect(delta.toolCalls == [.init(index: 0, id: "call_test", name: "User", arguments: #"{"name": "x"}"#)])
        #expect(chunks.first?.usage?.totalTokens == 18)
        #expect(chunks.first?.raw == response)
        #expect(throws: ProviderError.self) {
            try ResponsesStreamDecoder.chunks(ofWholeBody: ResponsesPayload.failed(message: "no").jsonBytes(.compact))
        }
        #expect(throws: ProviderError.self) { try ResponsesStreamDecoder.chunks(ofWholeBody: Array("{".utf8)) }
    }

    @Test func errorBodiesAreReadAsOpenAIWritesThem() {
        let body: JSONValue = ["error": ["message": "Invalid schema", "type": "invalid_request_error", "code": nil]]
        let error = ResponsesStreamDecoder.httpError(status: 400, body: body.jsonBytes(.compact))
        #expect(error.code == .http && error.status == 400 && error.message == "Invalid schema")
    }
}
