// A Swift service and a Python service (Instructor 1.16) share one Redis cache: the same keys, and
// each reads the other's entries.
//
//     swift run PythonInterop        # needs python3 with `pip install instructor==1.16.0 redis`
//
// The Swift client opts into Instructor's key (keyCompatibility: .instructor116); both store
// Instructor's envelope under the same prefix. Without REDIS_URL it uses a server on 127.0.0.1:6379,
// or starts redis-server if it is installed.

import ExampleSupport
import Foundation
import StructuredCache

let prefix = "structuredcache-interop:"
let system = ChatMessage.system("Extract the contact the user mentions.")
let questionA = "Please add Jason Liu, jason@example.com, who works at Acme Robotics."
let questionB = "Also add Sarah Chen, sarah@example.org, at Globex."

func run(_ redis: ExampleRedis) async throws -> Int32 {
    let endpoint = try ExampleEndpoint.fromEnvironment(openAICompatibleOnly: true)
    print(endpoint.banner)
    let cache = try RedisCache(url: redis.url, configuration: .init(keyPrefix: prefix))
    try await cache.removeAll()
    let client = StructuredClient(
        provider: endpoint.provider, cache: cache,
        configuration: .init(defaultModel: endpoint.model, keyCompatibility: .instructor116))

    // 1. Swift asks A: a miss, stored as Instructor stores it.
    let keyA = try client.cacheKey(messages: [system, .user(questionA)], responseModel: Contact.self)
    let a = try await client.create(messages: [system, .user(questionA)], responseModel: Contact.self)
    print("\nSwift  A: miss, stored under \(keyA) → \(a)")

    // 2. Python asks A (a hit on Swift's entry) and B (a miss it stores).
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("interop.py")
    let python = Process()
    python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    python.arguments = [
        "python3", script.path, "--redis", redis.url, "--prefix", prefix,
        "--base-url", (endpoint.openAIBaseURL ?? OpenAIProvider.openAIBaseURL).absoluteString,
        "--api-key", endpoint.openAIAPIKey ?? "stand-in", "--model", endpoint.model,
        "--a", questionA, "--b", questionB,
    ]
    let output = Pipe()
    python.standardOutput = output
    try python.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    python.waitUntilExit()
    let printed = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    // Exit status 3: Instructor or redis is not installed, which is not a failure of the example.
    if python.terminationStatus == 3 {
        print("\nThe Python half did not run (\(printed))")
        print("Install it with: pip install instructor==1.16.0 redis")
        return 0
    }
    guard let report = try? JSONValue(parsing: data), report["error"] == nil, python.terminationStatus == 0 else {
        print("\nThe Python half failed (exit status \(python.terminationStatus)): \(printed)")
        return 1
    }
    let version = report["instructor"]?.stringValue ?? "?"
    guard version.hasPrefix("1.16.") else {
        print(
            """

            Python runs Instructor \(version); .instructor116 keys are Instructor 1.16's. Instructor 1.17 hashes \
            the Python SDK client's own state into its key (its API key and HTTP headers among it, and a \
            random namespace per client), which no other process can reproduce. Pin it: \
            pip install instructor==1.16.0
            """)
        return 1
    }
    let pythonKeyA = report["a"]?["key"]?.stringValue ?? ""
    let pythonHitA = report["a"]?["hit"] == true
    let pythonHitB = report["b"]?["hit"] == true
    print(
        "Python A: \(pythonHitA ? "hit" : "miss") on \(pythonKeyA) (Instructor \(version)) → \(report["a"]?["contact"] ?? nil)"
    )
    print("Python B: \(pythonHitB ? "hit" : "miss, stored") under \(report["b"]?["key"]?.stringValue ?? "")")

    // 3. Swift asks B: a hit on the entry Instructor stored.
    let keyB = try client.cacheKey(messages: [system, .user(questionB)], responseModel: Contact.self)
    let b = try await client.create(messages: [system, .user(questionB)], responseModel: Contact.self)
    print("Swift  B: \(client.statistics.hits == 1 ? "hit" : "miss") on \(keyB) → \(b)")

    let agreed =
        keyA == pythonKeyA && keyB == report["b"]?["key"]?.stringValue && report["a"]?["hit"] == true
        && client.statistics.hits == 1
    print(agreed ? "\nThe two services agree on every key and read each other's entries." : "\nMISMATCH: see above.")
    let pythonMisses = [pythonHitA, pythonHitB].filter { !$0 }.count
    var counts =
        "Swift: \(client.statistics.hits) hit(s), \(client.statistics.misses) miss(es); "
        + "Python: \(2 - pythonMisses) hit(s), \(pythonMisses) miss(es)"
    if let answered = endpoint.standInRequestCount { counts += "; the stand-in answered \(answered) request(s)" }
    print(counts)
    return agreed ? 0 : 1
}

guard let redis = try ExampleRedis.locate() else {
    print("No Redis: set REDIS_URL, run redis-server on port 6379, or install redis-server.")
    exit(0)
}
// Stop the server this example may have started on every path (exit() skips defer blocks).
let status: Int32
do {
    status = try await run(redis)
} catch {
    print("PythonInterop failed: \(error)")
    status = 1
}
redis.stop()
exit(status)
