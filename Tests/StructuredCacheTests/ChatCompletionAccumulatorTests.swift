// Tests of assembling streamed chunks into the completion: content, tool-call arguments across chunks,
// several calls and choices interleaved, refusals, usage, and the round trip from a whole completion.

import ChatStandIn
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ChatCompletionAccumulatorTests {
    static func assemble(_ payloads: [JSONValue]) throws -> ChatCompletion {
        var accumulator = ChatCompletionAccumulator()
        for payload in payloads { accumulator.add(try ChatCompletionChunk(json: payload)) }
        #expect(accumulator.chunkCount == payloads.count)
        return try accumulator.makeCompletion()
    }

    @Test func assemblesContentFinishReasonAndUsage() throws {
        let completion = try Self.assemble(ChatPayload.contentChunks(["Hel", "lo", ", ", "world"], usage: (20, 4)))
        #expect(completion.id == "chatcmpl-stream")
        #expect(completion.model == "gpt-test")
        #expect(completion.created == 1_700_000_000)
        #expect(completion.message?.role == .assistant)
        #expect(completion.message?.content?.text == "Hello, world")
        #expect(completion.choices.first?.finishReason == "stop")
        #expect(completion.usage == ChatCompletion.Usage(promptTokens: 20, completionTokens: 4))
        #expect(completion.raw["object"] == "chat.completion")
        #expect(completion.raw["system_fingerprint"] == "fp_test")
    }

    @Test func joinsToolCallArgumentsAcrossChunks() throws {
        let completion = try Self.assemble(
            ChatPayload.toolCallChunks(name: "User", argumentDeltas: [#"{"name""#, #": "Ja"#, #"son"}"#]))
        let call = try #require(completion.message?.toolCalls?.first)
        #expect(call == ToolCall(id: "call_stream", name: "User", arguments: #"{"name": "Jason"}"#))
        #expect(completion.message?.content == nil)
        #expect(completion.choices.first?.finishReason == "tool_calls")
    }

    @Test func keepsInterleavedToolCallsApart() throws {
        let chunks = [
            ChatPayload.chunk(
                role: "assistant",
                toolCalls: [ChatPayload.toolCallDelta(index: 0, id: "a", name: "First", arguments: "")]),
            ChatPayload.chunk(toolCalls: [ChatPayload.toolCallDelta(index: 1, id: "b", name: "Second", arguments: "[1")]
            ),
            ChatPayload.chunk(toolCalls: [ChatPayload.toolCallDelta(index: 0, arguments: "{}")]),
            ChatPayload.chunk(toolCalls: [ChatPayload.toolCallDelta(index: 1, arguments: ", 2]")]),
            // Some servers repeat the name with every piece; it must not be doubled.
            ChatPayload.chunk(toolCalls: [ChatPayload.toolCallDelta(index: 1, name: "Second", arguments: "")]),
            ChatPayload.chunk(finishReason: "tool_calls"),
        ]
        let calls = try #require(try Self.assemble(chunks).message?.toolCalls)
        #expect(
            calls == [
                ToolCall(id: "a", name: "First", arguments: "{}"),
                ToolCall(id: "b", name: "Second", arguments: "[1, 2]"),
            ])
    }

    @Test func keepsSeveralChoicesApart() throws {
        func choiceChunk(_ index: Int, _ content: String?, finish: String? = nil) -> JSONValue {
            var delta = JSONObject()
            if let content { delta["content"] = .string(content) }
            return [
                "id": "c", "model": "m",
                "choices": [
                    [
                        "index": .int(index), "delta": .object(delta),
                        "finish_reason": finish.map(JSONValue.string) ?? nil,
                    ]
                ],
            ]
        }
        let completion = try Self.assemble([
            choiceChunk(1, "B1"), choiceChunk(0, "A1"), choiceChunk(1, "B2", finish: "length"),
            choiceChunk(0, "A2", finish: "stop"),
        ])
        #expect(completion.choices.map(\.index) == [0, 1])
        #expect(completion.choices.map { $0.message.content?.text } == ["A1A2", "B1B2"])
        #expect(completion.choices.map(\.finishReason) == ["stop", "length"])
    }

    @Test func assemblesRefusals() throws {
        let chunks: [JSONValue] = [
            ["id": "r", "model": "m", "choices": [["index": 0, "delta": ["role": "assistant", "refusal": "I can"]]]],
            [
                "id": "r", "model": "m",
                "choices": [["index": 0, "delta": ["refusal": " not help."], "finish_reason": "stop"]],
            ],
        ]
        #expect(try Self.assemble(chunks).message?.refusal == "I can not help.")
    }

    @Test func needsAtLeastOneChunk() {
        let error = #expect(throws: ProviderError.self) { try ChatCompletionAccumulator().makeCompletion() }
        #expect(error?.code == .invalidResponse)
    }

    @Test func aWholeCompletionAsOneChunkAssemblesBackToIt() throws {
        for payload in [
            ChatPayload.completion(content: "plain"),
            ChatPayload.toolCallCompletion(name: "User", arguments: #"{"age": 3}"#),
        ] {
            let original = try ChatCompletion(json: payload)
            var accumulator = ChatCompletionAccumulator()
            accumulator.add(try ChatCompletionChunk(completion: original))
            let rebuilt = try accumulator.makeCompletion()
            #expect(rebuilt.choices == original.choices)
            #expect(rebuilt.usage == original.usage)
            #expect(rebuilt.id == original.id)
        }
    }

    @Test func assemblesALongStreamInLinearTime() throws {
        // 20,000 pieces of arguments: quadratic copying would take seconds here.
        var accumulator = ChatCompletionAccumulator()
        accumulator.add(try ChatCompletionChunk(json: ChatPayload.toolCallChunks(name: "T", argumentDeltas: [])[0]))
        let piece = try ChatCompletionChunk(
            json: ChatPayload.chunk(toolCalls: [ChatPayload.toolCallDelta(arguments: "0123456789")]))
        for _ in 0..<20_000 { accumulator.add(piece) }
        #expect(try accumulator.makeCompletion().message?.toolCalls?.first?.arguments.utf8.count == 200_000)
    }
}
