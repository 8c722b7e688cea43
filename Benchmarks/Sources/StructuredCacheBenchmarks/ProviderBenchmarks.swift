// Figures per provider: the cached `create` hit through each native provider, beside Instructor 1.16's
// hit for the same provider (Benchmarks/python/provider_hit_bench.py, same run), and the cost per
// streamed chunk of each provider's event-stream decoder on the same tool-call stream.

import ChatStandIn
import Dispatch
import Foundation
import StructuredCache
import StructuredCacheCore

/// One provider under measurement: how to make it for a loopback server, and the answer the server
/// gives its one miss.
private struct MeasuredProvider {
    let name: String
    let python: String?
    let make: (URL) -> any ChatProvider
    let reply: LocalChatServer.Reply
}

func providerBenchmarks() async throws {
    let answer: JSONValue = ["name": "Jason"]
    let providers: [MeasuredProvider] = [
        MeasuredProvider(
            name: "OpenAIProvider", python: "instructor hit, openai",
            make: { OpenAIProvider(baseURL: $0, apiKey: "sk-bench") },
            reply: .toolCall(name: "User", arguments: answer.jsonString(.compact))),
        MeasuredProvider(
            name: "AnthropicProvider", python: "instructor hit, anthropic",
            make: { AnthropicProvider(baseURL: $0, apiKey: "sk-ant-bench") },
            reply: .json([
                "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
                "content": [["type": "tool_use", "id": "toolu_bench", "name": "User", "input": answer]],
                "stop_reason": "tool_use", "stop_sequence": nil,
                "usage": ["input_tokens": 11, "output_tokens": 7],
            ])),
        MeasuredProvider(
            name: "OpenAIResponsesProvider", python: "instructor hit, openai responses",
            make: { OpenAIResponsesProvider(baseURL: $0, apiKey: "sk-bench") },
            reply: .json([
                "id": "resp_bench", "object": "response", "created_at": 1_700_000_000, "status": "completed",
                "model": "bench-model",
                "output": [
                    [
                        "type": "function_call", "id": "fc_bench", "call_id": "call_bench", "name": "User",
                        "arguments": .string(answer.jsonString(.compact)), "status": "completed",
                    ]
                ],
                "usage": ["input_tokens": 11, "output_tokens": 7, "total_tokens": 18],
            ])),
        MeasuredProvider(
            name: "GeminiProvider", python: "instructor hit, gemini",
            make: { GeminiProvider(baseURL: $0, apiKey: "gemini-bench") },
            reply: .json([
                "candidates": [
                    [
                        "content": ["role": "model", "parts": [["functionCall": ["name": "User", "args": answer]]]],
                        "finishReason": "STOP", "index": 0,
                    ]
                ],
                "usageMetadata": ["promptTokenCount": 11, "candidatesTokenCount": 7, "totalTokenCount": 18],
                "modelVersion": "gemini-2.5-flash", "responseId": "resp_bench",
            ])),
    ]
    let messages: [ChatMessage] = [.user("Extract: Jason")]
    var ours: [String: Double] = [:]
    Harness.section("StructuredClient.create, cache hit (AutoCache, tools mode), per provider")
    for measured in providers {
        let server = try LocalChatServer(otherwise: measured.reply)
        defer { server.stop() }
        let client = StructuredClient(
            provider: measured.make(server.baseURL), cache: try AutoCache(maxSize: 1_000),
            configuration: .init(defaultModel: "bench-model"))
        _ = try await client.create(messages: messages, responseModel: Bench.User.self)
        let hit = try await Harness.measureAsync(measured.name, iterations: 20_000) { _ in
            Harness.blackHole(try await client.create(messages: messages, responseModel: Bench.User.self))
        }
        guard server.requestCount == 1, client.statistics.misses == 1 else {
            fatalError("the benchmark missed the cache: \(client.statistics)")
        }
        ours[measured.name] = hit.nanosecondsPerOperation / 1e3
    }
    Harness.section("Against Instructor 1.16's hit for the same provider (Python, same run)")
    let python = Harness.runPython("provider_hit_bench.py")
    for measured in providers {
        guard let label = measured.python else { continue }
        Harness.compare(
            measured.name, oursMicroseconds: ours[measured.name]!, referenceMicroseconds: python[label],
            reference: "Instructor")
    }
    try streamDecoderBenchmarks()
}

/// The same tool call streamed in each provider's format, decoded in network-sized pieces.
private func streamDecoderBenchmarks() throws {
    let pieces = realisticArgumentPieces(deltas: 2_000)
    let openAI = realisticToolCallStream(deltas: 2_000)
    var anthropic = Array(
        (#"event: message_start\#ndata: {"type":"message_start","message":{"id":"msg_01Bench","type":"message","#
            + #""role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"#
            + #""usage":{"input_tokens":312,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}"#
            + "\n\n"
            + #"event: content_block_start\#ndata: {"type":"content_block_start","index":0,"content_block":"#
            + #"{"type":"tool_use","id":"toolu_01Bench","name":"People","input":{}}}"# + "\n\n").utf8)
    for piece in pieces {
        let delta: JSONValue = [
            "type": "content_block_delta", "index": 0,
            "delta": ["type": "input_json_delta", "partial_json": .string(piece)],
        ]
        anthropic += Array("event: content_block_delta\ndata: ".utf8) + delta.jsonBytes(.compact) + Array("\n\n".utf8)
    }
    anthropic += Array(
        (#"event: content_block_stop\#ndata: {"type":"content_block_stop","index":0}"# + "\n\n"
            + #"event: message_delta\#ndata: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"#
            + #""usage":{"output_tokens":2000}}"# + "\n\n"
            + #"event: message_stop\#ndata: {"type":"message_stop"}"# + "\n\n").utf8)
    var responses = Array(
        (#"event: response.created\#ndata: {"type":"response.created","sequence_number":0,"response":"#
            + #"{"id":"resp_bench","object":"response","status":"in_progress","model":"gpt-4.1-mini","output":[]}}"#
            + "\n\n"
            + #"event: response.output_item.added\#ndata: {"type":"response.output_item.added","sequence_number":1,"#
            + #""output_index":0,"item":{"type":"function_call","id":"fc_bench","call_id":"call_bench","name":"People","#
            + #""arguments":"","status":"in_progress"}}"# + "\n\n").utf8)
    for (number, piece) in pieces.enumerated() {
        let delta: JSONValue = [
            "type": "response.function_call_arguments.delta", "sequence_number": .int(number + 2),
            "item_id": "fc_bench",
            "output_index": 0, "delta": .string(piece),
        ]
        responses +=
            Array("event: response.function_call_arguments.delta\ndata: ".utf8) + delta.jsonBytes(.compact)
            + Array("\n\n".utf8)
    }
    let completed: JSONValue = [
        "type": "response.completed", "sequence_number": .int(pieces.count + 2),
        "response": [
            "id": "resp_bench", "object": "response", "status": "completed", "model": "gpt-4.1-mini",
            "output": [
                [
                    "type": "function_call", "id": "fc_bench", "call_id": "call_bench", "name": "People",
                    "arguments": .string(pieces.joined()), "status": "completed",
                ]
            ],
            "usage": [
                "input_tokens": 312, "output_tokens": .int(pieces.count), "total_tokens": .int(312 + pieces.count),
            ],
        ],
    ]
    responses += Array("event: response.completed\ndata: ".utf8) + completed.jsonBytes(.compact) + Array("\n\n".utf8)
    // Gemini sends a function call whole, so its stream is the same JSON as text deltas (JSON mode).
    var gemini: [UInt8] = []
    for piece in pieces {
        let chunk: JSONValue = [
            "candidates": [["content": ["role": "model", "parts": [["text": .string(piece)]]], "index": 0]],
            "usageMetadata": ["promptTokenCount": 312, "totalTokenCount": 312],
            "modelVersion": "gemini-2.5-flash", "responseId": "resp_bench",
        ]
        gemini += Array("data: ".utf8) + chunk.jsonBytes(.compact) + Array("\r\n\r\n".utf8)
    }
    Harness.section(
        "Stream decoding per chunk: one answer in \(pieces.count) deltas (tool arguments; Gemini's as text), "
            + "fed in 1,448-byte pieces")

    func measure(_ name: String, bytes: [UInt8], _ decode: ([[UInt8]]) throws -> Int) throws {
        let split = stride(from: 0, to: bytes.count, by: 1_448).map { Array(bytes[$0..<min($0 + 1_448, bytes.count)]) }
        let chunks = try decode(split)
        precondition(chunks >= pieces.count, "\(name) decoded \(chunks) chunks for \(pieces.count) deltas")
        var samples: [Double] = []
        for _ in 0..<15 {
            let start = DispatchTime.now().uptimeNanoseconds
            Harness.blackHole(try decode(split))
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start))
        }
        samples.sort()
        let perStream = samples[samples.count / 2]
        Harness.report(
            Measurement(
                name: name, nanosecondsPerOperation: perStream / Double(chunks),
                extra: String(
                    format: "%5d bytes per chunk, %6.1f MB/s", bytes.count / chunks,
                    Double(bytes.count) / perStream * 1e3)))
    }
    try measure("OpenAI chat completions (ChatCompletionStreamDecoder)", bytes: openAI.bytes) {
        var decoder = ChatCompletionStreamDecoder()
        var decoded = 0
        for piece in $0 { try decoder.decode(piece) { _ in decoded += 1 } }
        try decoder.finish()
        return decoded
    }
    try measure("Anthropic Messages (AnthropicStreamDecoder)", bytes: anthropic) {
        var decoder = AnthropicStreamDecoder()
        var decoded = 0
        for piece in $0 { try decoder.decode(piece) { _ in decoded += 1 } }
        try decoder.finish()
        return decoded
    }
    try measure("OpenAI Responses (ResponsesStreamDecoder)", bytes: responses) {
        var decoder = ResponsesStreamDecoder()
        var decoded = 0
        for piece in $0 { try decoder.decode(piece) { _ in decoded += 1 } }
        try decoder.finish()
        return decoded
    }
    try measure("Gemini, text deltas (GeminiStreamDecoder)", bytes: gemini) {
        var decoder = GeminiStreamDecoder()
        var decoded = 0
        for piece in $0 { try decoder.decode(piece) { _ in decoded += 1 } }
        try decoder.finish()
        return decoded
    }
}
