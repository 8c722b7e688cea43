// Benchmarks of the cache adapters: AutoCache in memory from one and two threads, DiskCache on files with
// 2 KiB and 100 KiB values, each beside its Python counterpart measured in the same run.
//
//     swift run -c release StructuredCacheBenchmarks adapters
//
// Set STRUCTUREDCACHE_BENCH_PYTHON=0 to skip the Python side.

import Dispatch
import Foundation
import StructuredCache

/// Runs every adapter benchmark and prints the ratio table.
func adapterBenchmarks() async throws {
    var swift: [String: Double] = [:]
    try await autoCacheBenchmarks(into: &swift)
    try await diskCacheBenchmarks(into: &swift)
    let python = PythonComparison.run()
    PythonComparison.printRatios(swift: swift, python: python)
}

// MARK: AutoCache

/// 64-hex-digit keys, like the SHA-256 keys the client makes.
private func benchmarkKeys(_ prefix: String, count: Int) -> [String] {
    (0..<count).map { index in
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(prefix)-\(index)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let word = String(hash, radix: 16)
        return String(repeating: word, count: 64 / word.count + 1).prefix(64).description
    }
}

private func autoCacheBenchmarks(into rows: inout [String: Double]) async throws {
    Harness.section("AutoCache (keys: 64 hex digits; value: 1 KiB)")
    let keyCount = 8_192
    let mask = keyCount - 1
    let hitKeys = benchmarkKeys("hit", count: keyCount)
    let missKeys = benchmarkKeys("miss", count: keyCount)
    let value = Data(repeating: 0x76, count: 1_024)
    func filled(_ maxSize: Int) throws -> AutoCache {
        let cache = try AutoCache(maxSize: maxSize)
        for key in hitKeys.prefix(maxSize) { cache.sync.set(key, value) }
        return cache
    }
    let hits = try filled(keyCount)
    let misses = try filled(keyCount)
    let evicting = try filled(1_000)
    let iterations = 2_000_000

    rows["autocache.get-hit.1t"] =
        Harness.measure("get-hit, 1 thread (sync)", iterations: iterations) { index in
            Harness.blackHole(hits.get(hitKeys[index & mask]))
        }.operationsPerSecond
    rows["autocache.get-miss.1t"] =
        Harness.measure("get-miss, 1 thread (sync)", iterations: iterations) { index in
            Harness.blackHole(misses.get(missKeys[index & mask]))
        }.operationsPerSecond
    rows["autocache.set-evict.1t"] =
        Harness.measure("set with eviction (maxSize 1000), 1 thread (sync)", iterations: iterations) { index in
            evicting.set(hitKeys[index & mask], value)
        }.operationsPerSecond
    rows["autocache.get-hit.1t.async"] =
        try await Harness.measureAsync("get-hit, 1 task (async CacheAdapter)", iterations: iterations) { index in
            Harness.blackHole(try await hits.get(hitKeys[index & mask]))
        }.operationsPerSecond
    rows["autocache.set-evict.1t.async"] =
        try await Harness.measureAsync("set with eviction, 1 task (async CacheAdapter)", iterations: iterations) {
            index in
            try await evicting.set(hitKeys[index & mask], value, ttl: .never)
        }.operationsPerSecond

    let perThread = iterations / 2
    let threadRows: [(String, String, @Sendable (Int, Int) -> Void)] = [
        (
            "get-hit", "autocache.get-hit.2t",
            { thread, index in
                Harness.blackHole(hits.get(hitKeys[(index &+ thread &* 4_099) & mask]))
            }
        ),
        (
            "get-miss", "autocache.get-miss.2t",
            { thread, index in
                Harness.blackHole(misses.get(missKeys[(index &+ thread &* 4_099) & mask]))
            }
        ),
        (
            "set with eviction", "autocache.set-evict.2t",
            { thread, index in
                evicting.set(hitKeys[(index &+ thread &* 4_099) & mask], value)
            }
        ),
    ]
    for (label, row, body) in threadRows {
        let latency = Harness.latencies(threads: 2, iterations: perThread / 2, body)
        let extra = String(format: "p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns", latency.p50, latency.p99, latency.p999)
        rows[row] =
            Harness.measureThreads("\(label), 2 threads (total)", threads: 2, iterations: perThread, extra: extra, body)
            .operationsPerSecond
        rows[row + ".p99_ns"] = latency.p99
    }
}

// MARK: DiskCache

private func diskCacheBenchmarks(into rows: inout [String: Double]) async throws {
    let keyCount = 10_000
    let keys = benchmarkKeys("disk", count: keyCount)
    let missing = benchmarkKeys("disk-missing", count: keyCount)
    var generator = SplitMix(seed: 42)
    let shuffled = keys.shuffled(using: &generator)
    for (label, size, rounds) in [("2k", 2_048, 3), ("100k", 100 * 1_024, 1)] {
        Harness.section("DiskCache (\(keyCount) keys, \(size / 1_024) KiB values; set overwrites existing entries)")
        let value = Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "DiskCacheBench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let cache = try DiskCache(directory: folder)

        rows["disk.\(label).set"] =
            try Harness.measure("set (sync)", iterations: keyCount, rounds: rounds) { index in
                try cache.set(keys[index], value)
            }.operationsPerSecond
        rows["disk.\(label).get-hit"] =
            try Harness.measure("get-hit (sync)", iterations: keyCount, rounds: rounds) { index in
                guard let data = try cache.get(shuffled[index]) else { fatalError("unexpected miss") }
                Harness.blackHole(data)
            }.operationsPerSecond
        rows["disk.\(label).get-miss"] =
            try Harness.measure("get-miss (sync)", iterations: keyCount, rounds: rounds) { index in
                Harness.blackHole(try cache.get(missing[index]))
            }.operationsPerSecond
        rows["disk.\(label).set.async"] =
            try await Harness.measureAsync("set (async, 1 task)", iterations: keyCount, rounds: rounds) { index in
                try await cache.set(keys[index], value, ttl: .never)
            }.operationsPerSecond
        rows["disk.\(label).get-hit.async"] =
            try await Harness.measureAsync("get-hit (async, 1 task)", iterations: keyCount, rounds: rounds) { index in
                Harness.blackHole(try await cache.get(shuffled[index]))
            }.operationsPerSecond
        rows["disk.\(label).get-hit.async8"] =
            try await measureConcurrent(
                "get-hit (async, 8 tasks at once)", tasks: 8, iterations: keyCount, rounds: rounds
            ) {
                index in
                Harness.blackHole(try await cache.get(shuffled[index]))
            }.operationsPerSecond
        rows["disk.\(label).set.async8"] =
            try await measureConcurrent("set (async, 8 tasks at once)", tasks: 8, iterations: keyCount, rounds: rounds)
        {
            index in
            try await cache.set(keys[index], value, ttl: .never)
        }.operationsPerSecond
    }
}

/// Splits `iterations` calls over `tasks` concurrent tasks and reports total operations per second.
private func measureConcurrent(
    _ name: String, tasks: Int, iterations: Int, rounds: Int,
    _ body: @escaping @Sendable (Int) async throws -> Void
) async throws -> Measurement {
    var samples: [Double] = []
    for round in 0...rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in stride(from: task, to: iterations, by: tasks) { try await body(index) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
        if round > 0 { samples.append(elapsed / Double(iterations)) }
    }
    samples.sort()
    let result = Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2])
    Harness.report(result)
    return result
}

/// A seeded generator, so every run reads the keys in the same shuffled order.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

// MARK: Python

/// Runs the Python counterparts (Instructor's AutoCache, python-diskcache) and compares.
private enum PythonComparison {
    static func run() -> [String: Double] {
        var rows: [String: Double] = [:]
        for script in ["autocache_bench.py", "diskcache_bench.py"] {
            Harness.section("Python: \(script)")
            for (name, number) in Harness.runPython(script).sorted(by: { $0.key < $1.key }) {
                rows[name] = number
                print("\(name.padding(toLength: 40, withPad: " ", startingAt: 0)) \(String(format: "%14.0f", number))")
            }
        }
        return rows
    }

    static func printRatios(swift: [String: Double], python: [String: Double]) {
        guard !python.isEmpty else { return }
        Harness.section("Swift / Python (ops/s ratio; for *_ns rows, Python latency / Swift latency)")
        for name in swift.keys.sorted() {
            let pythonName = name.replacingOccurrences(of: ".async8", with: "").replacingOccurrences(
                of: ".async", with: "")
            guard let theirs = python[pythonName], let ours = swift[name], ours > 0, theirs > 0 else { continue }
            let ratio = name.hasSuffix("_ns") ? theirs / ours : ours / theirs
            Harness.record(
                name: name, ours: ours, reference: theirs,
                referenceName: name.hasPrefix("autocache") ? "Instructor AutoCache" : "python-diskcache",
                unit: name.hasSuffix("_ns") ? "ns" : "ops/s", ratio: ratio)
            let label = name.padding(toLength: 36, withPad: " ", startingAt: 0)
            print(
                "\(label) swift \(String(format: "%14.0f", ours))  python \(String(format: "%12.0f", theirs))  ×\(String(format: "%.2f", ratio))"
            )
        }
    }
}
