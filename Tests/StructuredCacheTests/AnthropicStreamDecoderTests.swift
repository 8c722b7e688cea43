// The Anthropic event-stream decoder: a stream split at every byte decodes the same, tool calls are
// numbered past thinking blocks, pings and unknown events are skipped, and every way a stream can
// break ends in a typed error.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore

struct AnthropicStreamDecoderTests {
    static let message = AnthropicPayload.message(
        [
            AnthropicPayload.thinking, AnthropicPayload.text("Calling the tool."),
            AnthropicPayload.toolUse("User", ["name": "Jason", "nick": "J \"quoted\" ✓"]),
        ], stopReason: "tool_use", usage: AnthropicPayload.usage(input: 30, output: 20, cacheRead: 5))

    static func decode(_ pieces: [ArraySlice<UInt8>]) throws -> [ChatCompletionChunk] {
        var decoder = AnthropicStreamDecoder()
        var chunks: [ChatCompletionChunk] = []
        for piece in pieces { try decoder.decode(piece) { chunks.append($0) } }
        try decoder.finish()
        return chunks
    }

    @Test func anySplitDecodesTheSame() throws {
        let bytes = AnthropicPayload.stream(AnthropicPayload.events(of: Self.message))
        let whole = try Self.decode([bytes[...]])
        for offset in 1..<bytes.count {
            #expect(try Self.decode([bytes[..<offset], bytes[offset...]]) == whole, "split at \(offset)")
        }
        var assembler = AnthropicMessageAssembler()
        for chunk in whole { try assembler.add(chunk.raw) }
        #expect(assembler.assembled == Self.message)
    }

    @Test func readsTextToolCallsStopAndUsage() throws {
        let chunks = try Self.decode([AnthropicPayload.stream(AnthropicPayload.events(of: Self.message))[...]])
        let deltas = chunks.flatMap(\.choices)
        #expect(deltas.compactMap(\.content).joined() == "Calling the tool.")
        let calls = deltas.flatMap(\.toolCalls)
        // The first tool_use block is tool call 0, though thinking and text blocks come before it.
        #expect(calls.allSatisfy { $0.index == 0 })
        #expect(calls.first?.id == "toolu_01A09q90qw90lq917835lq9" && calls.first?.name == "User")
        #expect(calls.compactMap(\.arguments).joined() == #"{"name":"Jason","nick":"J \"quoted\" ✓"}"#)
        #expect(deltas.last?.finishReason == "tool_calls")
        #expect(
            chunks.last?.usage
                == ChatCompletion.Usage(
                    promptTokens: 35, completionTokens: 20, cachedPromptTokens: 5, cacheCreationTokens: 0))
        #expect(chunks.allSatisfy { $0.id == "msg_01XFDUDYJgAACzvnptvVoYEL" && $0.model == "claude-test" })
    }

    @Test func skipsPingsAndEventsItDoesNotKnow() throws {
        var events = AnthropicPayload.events(of: AnthropicPayload.message([AnthropicPayload.text("hi")]))
        events.insert(("ping", ["type": "ping"]), at: 2)
        events.insert(("future_event", ["type": "future_event", "x": 1]), at: 3)
        let chunks = try Self.decode([AnthropicPayload.stream(events)[...]])
        #expect(chunks.flatMap(\.choices).compactMap(\.content).joined() == "hi")
    }

    @Test func aBodyEndingBeforeMessageStopWasCutOff() {
        let events = AnthropicPayload.events(of: Self.message)
        let withoutStop = AnthropicPayload.stream(Array(events.dropLast()))
        #expect { _ = try Self.decode([withoutStop[...]]) } throws: { ($0 as? ProviderError)?.code == .transport }
        let midEvent = AnthropicPayload.stream(events)
        #expect { _ = try Self.decode([midEvent[..<(midEvent.count / 2)]]) } throws: {
            ($0 as? ProviderError)?.code == .transport
        }
    }

    @Test func malformedEventsAreInvalidResponses() {
        for data in ["{not json", #"{"type": "content_block_delta", "delta": {"type": "text_delta"}}"#] {
            let bytes = Array("event: content_block_delta\ndata: \(data)\n\n".utf8)
            #expect { _ = try Self.decode([bytes[...]]) } throws: { ($0 as? ProviderError)?.code == .invalidResponse }
        }
        // Input for a block that is not a tool_use block.
        let stray = AnthropicPayload.stream([
            (
                "content_block_start",
                ["type": "content_block_start", "index": 0, "content_block": ["type": "text", "text": ""]]
            ),
            (
                "content_block_delta",
                [
                    "type": "content_block_delta", "index": 0,
                    "delta": ["type": "input_json_delta", "partial_json": "{"],
                ]
            ),
        ])
        #expect { _ = try Self.decode([stray[...]]) } throws: { ($0 as? ProviderError)?.code == .invalidResponse }
    }

    @Test func aWholeMessageReadsAsTheChunksOfItsStream() throws {
        let chunks = try AnthropicStreamDecoder.chunks(ofWholeBody: Self.message.jsonBytes(.compact))
        var assembler = AnthropicMessageAssembler()
        for chunk in chunks { try assembler.add(chunk.raw) }
        #expect(assembler.assembled == Self.message)
        #expect(
            chunks.flatMap(\.choices).flatMap(\.toolCalls).compactMap(\.arguments).joined()
                == #"{"name":"Jason","nick":"J \"quoted\" ✓"}"#)
    }
}
