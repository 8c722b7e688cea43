// Runs the benchmark suites named on the command line (all of them without arguments).
//
//     swift run -c release StructuredCacheBenchmarks [suite ...]
//
// (`shared-flight-worker …` makes it a worker process of the shared-flight suite.)

import Foundation

let suites: [(name: String, run: () async throws -> Void)] = [
    ("key", keyBenchmarks),
    ("sha", { shaBenchmarks() }),
    ("adapters", adapterBenchmarks),
    ("client", clientBenchmarks),
    ("encryption", encryptionBenchmarks),
    ("streaming", streamingBenchmarks),
    ("providers", providerBenchmarks),
    ("redis", redisBenchmarks),
    ("redis-cluster", redisClusterBenchmarks),
    ("resilience", resilienceBenchmarks),
    ("shared-flight", sharedFlightBenchmarks),
    ("machinery", machineryBenchmarks),
]

if CommandLine.arguments.dropFirst().first == sharedFlightWorkerArgument {
    try await sharedFlightWorker(Array(CommandLine.arguments.dropFirst(2)))
    exit(0)
}

let requested = Set(CommandLine.arguments.dropFirst())
let unknown = requested.subtracting(suites.map(\.name))
if !unknown.isEmpty {
    print(
        "unknown suite(s): \(unknown.sorted().joined(separator: ", ")); known: \(suites.map(\.name).joined(separator: ", "))"
    )
    exit(2)
}
print("StructuredCache benchmarks (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
for suite in suites where requested.isEmpty || requested.contains(suite.name) {
    Harness.currentSuite = suite.name
    try await suite.run()
}
if let path = ProcessInfo.processInfo.environment["STRUCTUREDCACHE_BENCH_SUMMARY"] {
    try Harness.writeSummary(to: path)
    print("\nsummary written to \(path)")
}
