// Figures for the client's cached path: a `create` that hits, with each adapter, beside Instructor's
// whole hit path measured by Benchmarks/python/client_hit_bench.py in the same run.

import Foundation
import StructuredCache

/// A provider that answers every request with a tool call of canned arguments: it serves the one miss
/// that fills the cache, so that what is measured afterwards is the hit path alone.
struct CannedProvider: ChatProvider {
    let arguments: String
    var cacheIdentity: String { "canned" }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        let name = request.toolChoice?["function"]?["name"]?.stringValue ?? "Response"
        return try ChatCompletion(json: [
            "id": "chatcmpl-canned", "object": "chat.completion", "created": 1_700_000_000,
            "model": .string(request.model),
            "choices": [
                [
                    "index": 0, "finish_reason": "tool_calls",
                    "message": [
                        "role": "assistant", "content": nil,
                        "tool_calls": [
                            [
                                "id": "call_1", "type": "function",
                                "function": ["name": .string(name), "arguments": .string(arguments)],
                            ]
                        ],
                    ],
                ]
            ],
            "usage": ["prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18],
        ])
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        AsyncThrowingStream { $0.finish() }
    }
}

func clientBenchmarks() async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sc-bench-client-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    // RedisCache on REDIS_URL, or on a redis-server started here when one is installed.
    var redisServer: BenchmarkRedisServer?
    var redis: RedisCache?
    if let url = ProcessInfo.processInfo.environment["REDIS_URL"] {
        redis = try RedisCache(url: url, configuration: .init(keyPrefix: "structuredcache-bench-client:"))
    } else if let server = try BenchmarkRedisServer.start() {
        redisServer = server
        redis = try RedisCache(url: server.url)
    } else {
        print("(RedisCache not measured: no REDIS_URL and no redis-server on PATH)")
    }
    defer { redisServer?.stop() }
    let adapters: [(String, any CacheAdapter)] =
        [("AutoCache", try AutoCache(maxSize: 1_000)), ("DiskCache", try DiskCache(directory: folder))]
        + (redis.map { [("RedisCache", $0)] } ?? [])

    let one: [ChatMessage] = [.user("Extract: Jason")]
    let six = try realisticMessages().map(ChatMessage.init(json:))
    let person =
        #"{"name": "Jason", "age": 25, "email": null, "tags": ["a", "b"], "address": {"street": "1 Main St", "city": "Paris", "country": "FR"}, "score": 0.5, "active": true, "nickname": null}"#
    var ours: [String: Double] = [:]
    for (name, adapter) in adapters {
        Harness.section("StructuredClient.create, cache hit, \(name)")
        let small = StructuredClient(
            provider: CannedProvider(arguments: #"{"name": "Jason"}"#), cache: adapter,
            configuration: .init(defaultModel: "gpt-4.1-mini"))
        _ = try await small.create(messages: one, responseModel: Bench.User.self)
        let smallHit = try await Harness.measureAsync("one message, User", iterations: 20_000) { _ in
            Harness.blackHole(try await small.create(messages: one, responseModel: Bench.User.self))
        }
        let large = StructuredClient(
            provider: CannedProvider(arguments: person), cache: adapter,
            configuration: .init(defaultModel: "gpt-4.1-mini"))
        _ = try await large.create(messages: six, responseModel: Bench.Person.self)
        let largeHit = try await Harness.measureAsync("six 2 KB messages, Person (8 fields)", iterations: 5_000) { _ in
            Harness.blackHole(try await large.create(messages: six, responseModel: Bench.Person.self))
        }
        guard small.statistics.misses == 1 && large.statistics.misses == 1 else {
            fatalError("the benchmark missed the cache: \(small.statistics), \(large.statistics)")
        }
        ours["\(name) small"] = smallHit.nanosecondsPerOperation / 1e3
        ours["\(name) large"] = largeHit.nanosecondsPerOperation / 1e3
    }

    try await callerBenchmarks(one)

    Harness.section("Against Instructor 1.16's hit path (Python, same requests, same run)")
    let python = Harness.runPython("client_hit_bench.py")
    for (name, _) in adapters {
        Harness.compare(
            "\(name), one message", oursMicroseconds: ours["\(name) small"]!,
            referenceMicroseconds: python["instructor hit, one message (User)"], reference: "Instructor")
        Harness.compare(
            "\(name), six 2 KB messages", oursMicroseconds: ours["\(name) large"]!,
            referenceMicroseconds: python["instructor hit, six 2 KB messages (Person)"], reference: "Instructor")
    }
}

/// The same cached `create` called from a nonisolated task and from the main actor (goal: within 1.5×
/// of each other), and what recording the hit in the savings ledger adds.
private func callerBenchmarks(_ messages: [ChatMessage]) async throws {
    Harness.section("StructuredClient.create, cache hit, AutoCache, by caller")
    let client = StructuredClient(
        provider: CannedProvider(arguments: #"{"name": "Jason"}"#), cache: try AutoCache(maxSize: 1_000),
        configuration: .init(defaultModel: "gpt-4.1-mini"))
    _ = try await client.create(messages: messages, responseModel: Bench.User.self)
    let fromTask = try await Harness.measureAsync("from a nonisolated task", iterations: 20_000) { _ in
        Harness.blackHole(try await client.create(messages: messages, responseModel: Bench.User.self))
    }
    let fromMain = try await mainActorHits(client, messages, iterations: 20_000)
    Harness.report(Measurement(name: "from the main actor", nanosecondsPerOperation: fromMain))
    let labelled = try await Harness.measureAsync("from a nonisolated task, with a label", iterations: 20_000) { _ in
        Harness.blackHole(try await client.create(messages: messages, responseModel: Bench.User.self, label: "bench"))
    }
    print(
        "main actor / task: ×\(String(format: "%.2f", fromMain / fromTask.nanosecondsPerOperation))"
            + "   labelled / unlabelled: ×\(String(format: "%.3f", labelled.nanosecondsPerOperation / fromTask.nanosecondsPerOperation))"
    )
}

/// The median time of a cached `create` called from the main actor, in nanoseconds: the loop runs
/// there, so every call starts and ends on it, as an app's would.
@MainActor
private func mainActorHits(
    _ client: StructuredClient, _ messages: [ChatMessage], iterations: Int
) async throws
    -> Double
{
    var samples: [Double] = []
    for round in 0...7 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations {
            Harness.blackHole(try await client.create(messages: messages, responseModel: Bench.User.self))
        }
        if round > 0 { samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)) }
    }
    return samples.sorted()[samples.count / 2]
}
