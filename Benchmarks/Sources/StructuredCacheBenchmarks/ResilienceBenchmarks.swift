// StructuredClient over RedisCache while its redis-server is stopped (SIGSTOP) and killed (SIGKILL, then
// restarted): failed calls, the slowest call, and how soon the cache is used again, with the default
// options beside the earlier defaults (no breaker, 5 s timeouts), in the same run; then a primary of a
// Redis Cluster (3 primaries, 1 replica each) killed under load.
//
//     swift run -c release StructuredCacheBenchmarks resilience
//
// RESILIENCE_STOP_SECONDS (default 5) and RESILIENCE_OUTAGE_SECONDS (default 12) set the fault lengths.

import Foundation
import StructuredCache
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A provider that takes as long as a quick model call before it answers.
private struct SlowProvider: ChatProvider {
    let inner = CannedProvider(arguments: #"{"name": "Jason", "age": 25}"#)
    var cacheIdentity: String { "slow" }

    func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        try await Task.sleep(for: .milliseconds(20))
        return try await inner.complete(request)
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        inner.stream(request)
    }
}

private struct Person: Codable, Sendable {
    var name: String
    var age: Int
}

/// What the calling tasks saw.
private final class CallLog: Sendable {
    struct Call {
        var start: ContinuousClock.Instant
        var duration: Duration
        var failed: Bool
    }

    private let calls = Mutex<[Call]>([])
    private let events = Mutex<[(ContinuousClock.Instant, CacheEvent.Kind)]>([])
    let stop = Atomic<Bool>(false)

    func record(_ call: Call) { calls.withLock { $0.append(call) } }
    func record(_ event: CacheEvent) { events.withLock { $0.append((.now, event.kind)) } }
    var all: [Call] { calls.withLock { $0 } }
    var eventLog: [(ContinuousClock.Instant, CacheEvent.Kind)] { events.withLock { $0 } }
}

/// Starts 8 tasks asking 50 questions round and round through a client over `cache`, until the log's
/// `stop` is set.
///
/// - Returns: The log of calls and events, and the task to wait for.
private func startLoad(on cache: RedisCache) -> (CallLog, Task<Void, Never>) {
    let log = CallLog()
    let client = StructuredClient(
        provider: SlowProvider(), cache: cache, configuration: .init(defaultModel: "bench", onEvent: { log.record($0) })
    )
    let load = Task {
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var index = task
                    while !log.stop.load(ordering: .relaxed) {
                        index += 1
                        let start = ContinuousClock.now
                        var failed = false
                        do {
                            _ = try await client.create(
                                messages: [.user("Extract: person \(index % 50)")], responseModel: Person.self)
                        } catch {
                            failed = true
                        }
                        log.record(CallLog.Call(start: start, duration: .now - start, failed: failed))
                    }
                }
            }
        }
    }
    return (log, load)
}

/// Prints a line at once, even into a pipe.
private func report(_ line: String) {
    print(line)
    fflush(nil)
}

private func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

func resilienceBenchmarks() async throws {
    report("\n== resilience: StructuredClient over RedisCache, 8 tasks, 50 questions, a 20 ms provider")
    let environment = ProcessInfo.processInfo.environment
    let stopSeconds = Int(environment["RESILIENCE_STOP_SECONDS"] ?? "") ?? 5
    let outageSeconds = Int(environment["RESILIENCE_OUTAGE_SECONDS"] ?? "") ?? 12
    let variants: [(String, RedisCache.Configuration)] = [
        ("defaults", RedisCache.Configuration(keyPrefix: "resilience:")),
        (
            "no breaker, 5 s timeouts",
            RedisCache.Configuration(
                keyPrefix: "resilience:", connection: .init(connectTimeout: .seconds(5), commandTimeout: .seconds(5)),
                breaker: .disabled)
        ),
    ]
    for (label, options) in variants {
        // A stopped server.
        guard let server = try BenchmarkRedisServer.start() else {
            report("redis-server not found on PATH: resilience suite skipped")
            return
        }
        defer { server.stop() }
        do {
            let cache = try RedisCache(url: server.url, configuration: options)
            defer { cache.shutdown() }
            let (log, load) = startLoad(on: cache)
            try await Task.sleep(for: .seconds(1))
            let stopped = ContinuousClock.now
            kill(server.process.processIdentifier, SIGSTOP)
            try await Task.sleep(for: .seconds(stopSeconds))
            kill(server.process.processIdentifier, SIGCONT)
            let resumed = ContinuousClock.now
            try await Task.sleep(for: .seconds(2))
            log.stop.store(true, ordering: .relaxed)
            await load.value
            let calls = log.all
            let during = calls.filter { $0.start >= stopped && $0.start < resumed }
            let worst = calls.filter { $0.start + $0.duration >= stopped }.map(\.duration).max() ?? .zero
            let firstHit = log.eventLog.first { $0.0 > resumed && $0.1 == .hit }.map { milliseconds($0.0 - resumed) }
            report(
                "SIGSTOP \(stopSeconds) s, \(label.padding(toLength: 26, withPad: " ", startingAt: 0))"
                    + String(
                        format:
                            "%6d calls, %d failed, %5d during the stop, slowest %7.1f ms, first hit %@ after SIGCONT",
                        calls.count, calls.filter(\.failed).count, during.count, milliseconds(worst),
                        firstHit.map { String(format: "%.0f ms", $0) } ?? "none"))
        }
        // A killed server, restarted on the same port.
        var restarted: BenchmarkRedisServer?
        do {
            let victim = try BenchmarkRedisServer.start()!
            let port = victim.port
            let cache = try RedisCache(url: victim.url, configuration: options)
            defer { cache.shutdown() }
            let (log, load) = startLoad(on: cache)
            try await Task.sleep(for: .seconds(1))
            victim.stop()
            try await Task.sleep(for: .seconds(outageSeconds))
            restarted = try BenchmarkRedisServer.start(port: port)
            let back = ContinuousClock.now
            try await Task.sleep(for: .seconds(6))
            log.stop.store(true, ordering: .relaxed)
            await load.value
            let calls = log.all
            let events = log.eventLog.filter { $0.0 > back }
            let firstStore = events.first { $0.1 == .store }.map { milliseconds($0.0 - back) }
            let firstHit = events.first { $0.1 == .hit }.map { milliseconds($0.0 - back) }
            func text(_ value: Double?) -> String { value.map { String(format: "%.0f ms", $0) } ?? "none in 6 s" }
            report(
                "SIGKILL \(outageSeconds) s, \(label.padding(toLength: 25, withPad: " ", startingAt: 0))"
                    + String(
                        format: "%6d calls, %d failed; after the restart: first store %@, first hit %@",
                        calls.count, calls.filter(\.failed).count, text(firstStore), text(firstHit)))
        }
        restarted?.stop()
    }
    try await clusterFailoverBenchmark()
}

/// A primary of a 3-primary, 3-replica cluster killed under load: its replica is promoted after the
/// node timeout (2 s), and calls go on.
private func clusterFailoverBenchmark() async throws {
    guard let server = findExecutable("redis-server"), let cli = findExecutable("redis-cli") else {
        report("redis-server or redis-cli not found on PATH: cluster failover not measured")
        return
    }
    let cluster = try await BenchmarkRedisCluster.start(server: server, cli: cli, replicas: 1)
    defer { cluster.stop() }
    // The primaries and their replicas, as the first node sees them.
    let nodes = try await runProcess(cli, ["-h", "127.0.0.1", "-p", String(cluster.ports[0]), "CLUSTER", "NODES"])
    let primaries = nodes.split(separator: "\n").filter { $0.contains("master") && !$0.contains("fail") }
    guard let victimLine = primaries.first,
        let victimPort = victimLine.split(separator: " ")[1].split(separator: "@").first?.split(separator: ":").last
            .flatMap({ Int($0) }),
        let victim = cluster.ports.firstIndex(of: victimPort)
    else {
        report("cannot read the cluster's primaries: cluster failover not measured")
        return
    }
    let cache = try RedisCache(cluster: cluster.urls, configuration: .init(keyPrefix: "failover:"))
    defer { cache.shutdown() }
    let (log, load) = startLoad(on: cache)
    try await Task.sleep(for: .seconds(2))
    let killed = ContinuousClock.now
    cluster.killNode(victim)
    try await Task.sleep(for: .seconds(10))
    log.stop.store(true, ordering: .relaxed)
    await load.value
    let calls = log.all
    let after = calls.filter { $0.start >= killed }
    let worst = after.map(\.duration).max() ?? .zero
    let errors = log.eventLog.filter { $0.0 >= killed && $0.1 == .error }
    let lastError = errors.last.map { milliseconds($0.0 - killed) }
    let lateHits = log.eventLog.filter { $0.0 >= killed + .seconds(6) && $0.1 == .hit }.count
    report(
        "cluster: a primary killed under load, defaults "
            + String(
                format:
                    "%6d calls, %d failed, %d after the kill (slowest %.1f ms); %d cache errors, the last %@ after the "
                    + "kill; %d hits in the last 4 s",
                calls.count, calls.filter(\.failed).count, after.count, milliseconds(worst), errors.count,
                lastError.map { String(format: "%.0f ms", $0) } ?? "none", lateHits))
}
