// Figures for streaming: the cost per streamed chunk of the server-sent event parser, of decoding
// each chunk's JSON, and of assembling the completion, on a realistic 2,000-chunk tool-call stream
// fed in network-sized pieces.

import Dispatch
import Foundation
import StructuredCache
import StructuredCacheCore
import StructuredCacheSupport

/// The arguments of a tool call (a JSON list of people) cut into `deltas` pieces of one to eight
/// characters, as a model streams them.
func realisticArgumentPieces(deltas: Int) -> [String] {
    var arguments = "{\"people\": ["
    var person = 0
    while arguments.count < deltas * 5 {
        arguments += "{\"name\": \"Zoë Person \(person)\", \"age\": \(20 + person % 50), "
        arguments += "\"email\": \"person\(person)@example.com\", \"tags\": [\"a\", \"b ✓\"]}, "
        person += 1
    }
    arguments += "{\"name\": \"last\"}]}"
    let characters = Array(arguments)
    var pieces: [String] = []
    var position = 0
    var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
    while position < characters.count, pieces.count < deltas - 1 {
        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let length = min(Int(seed >> 61) + 1, characters.count - position)
        pieces.append(String(characters[position..<position + length]))
        position += length
    }
    pieces.append(String(characters[position...]))
    return pieces
}

/// The event-stream bytes of a tool call whose arguments arrive in `deltas` pieces
/// (``realisticArgumentPieces(deltas:)``), in the chunk shape gpt-4.1-mini sends, with `[DONE]`.
func realisticToolCallStream(deltas: Int) -> (bytes: [UInt8], chunks: Int) {
    let pieces = realisticArgumentPieces(deltas: deltas)
    func chunk(_ delta: JSONValue, finish: JSONValue = nil) -> JSONValue {
        [
            "id": "chatcmpl-BxYzAbCdEfGhIjKlMnOpQrStUvWx", "object": "chat.completion.chunk", "created": 1_747_000_000,
            "model": "gpt-4.1-mini-2025-04-14", "service_tier": "default", "system_fingerprint": "fp_38647f5e19",
            "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish]],
            "obfuscation": "Xy12",
        ]
    }
    var payloads: [JSONValue] = [
        chunk([
            "role": "assistant", "content": nil,
            "tool_calls": [
                [
                    "index": 0, "id": "call_Ab12Cd34Ef56Gh78", "type": "function",
                    "function": ["name": "People", "arguments": ""],
                ]
            ],
            "refusal": nil,
        ])
    ]
    payloads += pieces.map { chunk(["tool_calls": [["index": 0, "function": ["arguments": .string($0)]]]]) }
    payloads.append(chunk([:], finish: "tool_calls"))
    payloads.append(
        [
            "id": "chatcmpl-BxYzAbCdEfGhIjKlMnOpQrStUvWx", "object": "chat.completion.chunk", "created": 1_747_000_000,
            "model": "gpt-4.1-mini-2025-04-14", "choices": [],
            "usage": ["prompt_tokens": 312, "completion_tokens": .int(deltas), "total_tokens": .int(312 + deltas)],
        ])
    var bytes: [UInt8] = []
    for payload in payloads { bytes += Array("data: ".utf8) + payload.jsonBytes(.compact) + Array("\n\n".utf8) }
    bytes += Array("data: [DONE]\n\n".utf8)
    return (bytes, payloads.count)
}

func streamingBenchmarks() async throws {
    let (bytes, chunks) = realisticToolCallStream(deltas: 2_000)
    Harness.section(
        "Streaming: a \(chunks)-chunk tool-call stream, \(bytes.count) bytes of events "
            + "(\(bytes.count / chunks) bytes per chunk); figures per chunk")

    /// Runs `body` (one whole stream) in rounds and reports the median per chunk and the throughput.
    func measure(_ name: String, rounds: Int = 15, _ body: () throws -> Void) rethrows {
        var samples: [Double] = []
        for round in 0...rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            if round > 0 { samples.append(elapsed) }
        }
        samples.sort()
        let perStream = samples[samples.count / 2]
        let megabytesPerSecond = Double(bytes.count) / perStream * 1e3
        Harness.report(
            Measurement(
                name: name, nanosecondsPerOperation: perStream / Double(chunks),
                extra: String(format: "%7.1f MB/s of event data", megabytesPerSecond)))
    }

    // Where the per-chunk time goes: reading each event's JSON, then typing it as a chunk.
    var parser = ServerSentEventParser()
    let events = try parser.parse(bytes).dropLast().map(\.data)
    try measure("  of which JSONValue(parsing:) of each payload") {
        for event in events { Harness.blackHole(try JSONValue(parsing: event)) }
    }
    let values = try events.map { try JSONValue(parsing: $0) }
    try measure("  of which ChatCompletionChunk(json:) of each value") {
        for value in values { Harness.blackHole(try ChatCompletionChunk(json: value)) }
    }

    // The partial reader createPartial runs on the function's argument deltas: read each piece, then
    // take the snapshot a consumer sees.
    let deltas = try values.map { try ChatCompletionChunk(json: $0) }
        .compactMap { $0.choices.first?.toolCalls.first?.arguments }
    let argumentBytes = deltas.reduce(0) { $0 + $1.utf8.count }
    print("-- partial reader over the \(deltas.count) argument deltas (\(argumentBytes) bytes of JSON)")
    try measure("PartialJSONParser.feed per chunk") {
        var reader = PartialJSONParser()
        for delta in deltas { try reader.feed(delta.utf8) }
        precondition(reader.isComplete)
    }
    try measure("PartialJSONParser.feed + snapshot per chunk") {
        var reader = PartialJSONParser()
        for delta in deltas {
            try reader.feed(delta.utf8)
            Harness.blackHole(reader.snapshot)
        }
    }

    for pieceSize in [16_384, 1_448, 64] {
        let pieces = stride(from: 0, to: bytes.count, by: pieceSize).map {
            Array(bytes[$0..<min($0 + pieceSize, bytes.count)])
        }
        print("-- fed in \(pieceSize)-byte pieces (\(pieces.count) pieces)")
        try measure("SSE parser (events only)") {
            var parser = ServerSentEventParser()
            var events = 0
            for piece in pieces { try parser.parse(piece) { _ in events += 1 } }
            precondition(events == chunks + 1)
        }
        try measure("SSE parser + chunk JSON decoding") {
            var decoder = ChatCompletionStreamDecoder()
            var decoded = 0
            for piece in pieces { try decoder.decode(piece) { _ in decoded += 1 } }
            try decoder.finish()
            precondition(decoded == chunks && decoder.isDone)
        }
        try measure("SSE + chunk JSON + ChatCompletionAccumulator") {
            var decoder = ChatCompletionStreamDecoder()
            var accumulator = ChatCompletionAccumulator()
            for piece in pieces { try decoder.decode(piece) { accumulator.add($0) } }
            try decoder.finish()
            Harness.blackHole(try accumulator.makeCompletion())
        }
    }

    try await streamReplayBenchmarks(values)
}

/// A provider that streams the same chunks, in process, for every request.
private struct CannedStreamProvider: ChatProvider {
    let chunks: [ChatCompletionChunk]
    var cacheIdentity: String { "canned-stream" }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        var accumulator = ChatCompletionAccumulator()
        for chunk in chunks { accumulator.add(chunk) }
        return try accumulator.makeCompletion()
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        AsyncThrowingStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }
    }
}

private struct StreamedPeople: Codable, Sendable {
    struct Person: Codable, Sendable {
        var name: String
        var age: Int?
        var email: String?
        var tags: [String]?
    }

    var people: [Person]
}

/// A cached stream replayed at once: snapshots per second, beside the same stream read live from an
/// in-process provider (no network, so the live figure is the client's own work).
private func streamReplayBenchmarks(_ values: [JSONValue]) async throws {
    let chunks = try values.map { try ChatCompletionChunk(json: $0) }
    Harness.section("createPartial over the \(chunks.count)-chunk stream: live, and replayed from AutoCache at once")
    let provider = CannedStreamProvider(chunks: chunks)
    let live = StructuredClient(provider: provider, configuration: .init(defaultModel: "gpt-4.1-mini"))
    let cached = StructuredClient(
        provider: provider, cache: try AutoCache(maxSize: 100),
        configuration: .init(defaultModel: "gpt-4.1-mini", streamCaching: .on))
    let messages: [ChatMessage] = [.user("List the people.")]
    func snapshots(_ client: StructuredClient) async throws -> Int {
        var count = 0
        for try await snapshot in client.createPartial(messages: messages, responseModel: StreamedPeople.self) {
            Harness.blackHole(snapshot)
            count += 1
        }
        return count
    }
    let count = try await snapshots(cached)  // the miss that stores the stream
    let liveStream = try await Harness.measureAsync("live, the whole stream", iterations: 1) {
        _ in
        let read = try await snapshots(live)
        precondition(read == count)
    }
    let replayed = try await Harness.measureAsync("replayed, the whole stream", iterations: 1) { _ in
        let read = try await snapshots(cached)
        precondition(read == count)
    }
    guard cached.statistics.misses == 1, cached.statistics.hits >= 8 else {
        fatalError("the replay missed the cache: \(cached.statistics)")
    }
    let perSnapshot = replayed.nanosecondsPerOperation / Double(count)
    print(
        "\(count) snapshots: replayed \(String(format: "%.0f", 1e9 / perSnapshot)) snapshots/s, "
            + "live \(String(format: "%.0f", 1e9 * Double(count) / liveStream.nanosecondsPerOperation)) snapshots/s"
    )
}
