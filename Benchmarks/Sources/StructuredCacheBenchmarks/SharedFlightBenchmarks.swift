// Calls shared across processes through one redis-server: provider calls per distinct question when 4
// processes (this executable, started again as workers) ask the same questions at once, with and
// without a shared flight; and the latency a waiting call pays after the lease holder stored its
// answer, announced (RESP3 pub/sub) beside found by looking again (RESP2, no subscription).
//
//     swift run -c release StructuredCacheBenchmarks shared-flight
//
// The provider is the local stand-in server, answering each question after 200 ms.

import ChatStandIn
import Foundation
import StructuredCache
import Synchronization

private struct Answer: Codable, Sendable { var name: String }

/// The argument that makes this executable a worker process of the benchmark.
let sharedFlightWorkerArgument = "shared-flight-worker"

/// The stand-in answer to a question: the question's own text, after `delay`.
private func answering(after delay: Duration) -> @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply {
    { request in
        let question = request.json?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? "?"
        return .toolCall(name: "Answer", arguments: #"{"name": "\#(question)"}"#).delayed(by: delay)
    }
}

private func client(
    _ base: URL, _ cache: RedisCache, shared: Bool, onEvent: (@Sendable (CacheEvent) -> Void)? = nil
) -> StructuredClient {
    StructuredClient(
        provider: OpenAIProvider(baseURL: base, apiKey: "sk-bench"), cache: cache,
        configuration: .init(
            defaultModel: "gpt-bench", sharedFlight: shared ? SharedFlight() : nil, onEvent: onEvent))
}

/// The worker: `shared-flight-worker <redis-url> <base-url> <questions> <tasks> <shared 0|1> <prefix>`.
func sharedFlightWorker(_ arguments: [String]) async throws {
    guard arguments.count == 6, let base = URL(string: arguments[1]), let questions = Int(arguments[2]),
        let tasks = Int(arguments[3])
    else {
        throw BenchmarkError("usage: \(sharedFlightWorkerArgument) <redis> <base> <questions> <tasks> <0|1> <prefix>")
    }
    let cache = try RedisCache(url: arguments[0], configuration: .init(keyPrefix: arguments[5]))
    defer { cache.shutdown() }
    let client = client(base, cache, shared: arguments[4] == "1")
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for offset in 0..<questions {
                    let question = "q-\((offset + task * 7) % questions)"
                    let answer = try await client.create(messages: [.user(question)], responseModel: Answer.self)
                    guard answer.name == question else { throw BenchmarkError("\(question) answered \(answer.name)") }
                }
            }
        }
        try await group.waitForAll()
    }
}

func sharedFlightBenchmarks() async throws {
    emit("\n== shared flight: 4 processes × 10 tasks asking 20 questions at once (the provider answers in 200 ms)")
    guard let redis = try BenchmarkRedisServer.start() else {
        emit("redis-server not found on PATH: shared-flight benchmark skipped")
        return
    }
    defer { redis.stop() }
    let server = try LocalChatServer(handler: answering(after: .milliseconds(200)))
    defer { server.stop() }
    var callsPerQuestion: [Bool: Double] = [:]
    for shared in [false, true] {
        let before = server.requestCount
        let started = ContinuousClock.now
        let workers = try (0..<4).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = [
                sharedFlightWorkerArgument, redis.url, server.baseURL.absoluteString, "20", "10", shared ? "1" : "0",
                "bench-\(shared):",
            ]
            try process.run()
            return process
        }
        for worker in workers { worker.waitUntilExit() }
        guard workers.allSatisfy({ $0.terminationStatus == 0 }) else { throw BenchmarkError("a worker failed") }
        let calls = Double(server.requestCount - before) / 20
        callsPerQuestion[shared] = calls
        emit(
            String(
                format: "%@  %5.2f provider calls per question   %6.0f ms for all",
                shared ? "shared flight   " : "no shared flight",
                calls, (ContinuousClock.now - started).milliseconds))
    }
    Harness.record(
        name: "provider calls per question, 4 processes", ours: callsPerQuestion[true]!,
        reference: callsPerQuestion[false]!, referenceName: "no shared flight", unit: "calls",
        ratio: callsPerQuestion[false]! / callsPerQuestion[true]!)

    emit("\n== shared flight: what a waiting call pays after the holder stored its answer (30 rounds each)")
    var medians: [String: Double] = [:]
    for (name, version) in [
        ("RESP3, announced", RedisCache.Configuration.ProtocolVersion.resp3), ("RESP2, looking again", .resp2),
    ] {
        let latencies = try await waiterLatencies(redis.url, server, version, rounds: 30)
        let sorted = latencies.sorted()
        let median = sorted[sorted.count / 2]
        medians[name] = median
        emit(
            String(
                format: "%@ median %7.2f ms   p90 %7.2f ms   max %7.2f ms",
                name.padding(toLength: 22, withPad: " ", startingAt: 0), median,
                sorted[sorted.count * 9 / 10], sorted.last!))
    }
    Harness.record(
        name: "waiter's latency after the store", ours: medians["RESP3, announced"]!,
        reference: medians["RESP2, looking again"]!, referenceName: "looking again (RESP2)", unit: "ms",
        ratio: medians["RESP2, looking again"]! / medians["RESP3, announced"]!)
}

/// Per round: one client asks, a second (a cache of its own, as another process) asks the same once the
/// first's call is under way; the time from the first's store to the second's answer.
private func waiterLatencies(
    _ url: String, _ server: LocalChatServer, _ version: RedisCache.Configuration.ProtocolVersion, rounds: Int
) async throws -> [Double] {
    let prefix = "latency-\(version)-\(UInt64.random(in: 0 ... .max)):"
    let options = RedisCache.Configuration(keyPrefix: prefix, connection: .init(protocolVersion: version))
    let holderCache = try RedisCache(url: url, configuration: options)
    let waiterCache = try RedisCache(url: url, configuration: options)
    defer {
        holderCache.shutdown()
        waiterCache.shutdown()
    }
    let stored = Mutex<ContinuousClock.Instant?>(nil)
    let holder = client(server.baseURL, holderCache, shared: true) { event in
        if event.kind == .store { stored.withLock { $0 = .now } }
    }
    let waiter = client(server.baseURL, waiterCache, shared: true)
    var latencies: [Double] = []
    for round in 0..<rounds {
        let question = "latency \(round)"
        let before = server.requestCount
        async let first = holder.create(messages: [.user(question)], responseModel: Answer.self)
        while server.requestCount == before { try await Task.sleep(for: .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(50))
        let answer = try await waiter.create(messages: [.user(question)], responseModel: Answer.self)
        let answered = ContinuousClock.now
        _ = try await first
        guard answer.name == question, server.requestCount == before + 1, let storedAt = stored.withLock({ $0 })
        else { throw BenchmarkError("the waiting call did not get the holder's answer") }
        latencies.append((answered - storedAt).milliseconds)
    }
    return latencies
}

extension Duration {
    fileprivate var milliseconds: Double {
        Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
    }
}
