// Two processes, one RedisCache: the first asks and stores, the second (started by the first) gets a
// hit without calling the endpoint.
//
//     REDIS_URL=redis://127.0.0.1:6379 swift run RedisShared
//
// Without REDIS_URL it uses a server on 127.0.0.1:6379, or starts redis-server if it is installed.

import ExampleSupport
import Foundation
import StructuredCache

let prefix = "structuredcache-example:"

/// Asks the example's question through a RedisCache at `redisURL`; prints what happened and returns the
/// client, for its counters.
func ask(process: Int, redisURL: String, endpoint: ExampleEndpoint, startFresh: Bool) async throws -> StructuredClient {
    let cache = try RedisCache(url: redisURL, configuration: .init(keyPrefix: prefix))
    if startFresh { try await cache.removeAll() }  // only this example's prefix
    let client = StructuredClient(
        provider: endpoint.provider, cache: cache, configuration: .init(defaultModel: endpoint.model))
    var contact: Contact?
    let elapsed = try await ContinuousClock().measure {
        contact = try await client.create(
            messages: [.user("Please add Jason Liu, jason@example.com, who works at Acme Robotics.")],
            responseModel: Contact.self)
    }
    let totals = client.statistics
    print(
        "process \(process) (pid \(ProcessInfo.processInfo.processIdentifier)): \(format(elapsed)), hits \(totals.hits), misses \(totals.misses) → \(contact!)"
    )
    return client
}

/// The first process: asks, then starts the second with the same Redis and endpoint.
func runFirst(_ redis: ExampleRedis) async throws -> Int32 {
    let endpoint = try ExampleEndpoint.fromEnvironment()
    print(endpoint.banner)
    _ = try await ask(process: 1, redisURL: redis.url, endpoint: endpoint, startFresh: true)

    let second = Process()
    second.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
    second.arguments = ["--second"]
    var environment = ProcessInfo.processInfo.environment
    environment["REDIS_URL"] = redis.url
    if let standIn = endpoint.standInURL { environment["STANDIN_URL"] = standIn.absoluteString }
    second.environment = environment
    fflush(nil)  // flush every stream, so the second process prints after this one
    try second.run()
    second.waitUntilExit()
    // Process 2 exits 0 only when its call was a hit.
    let served = second.terminationStatus == 0 ? "was served from Redis" : "was NOT served from Redis"
    if let answered = endpoint.standInRequestCount {
        print("the endpoint answered \(answered) request(s); process 2 \(served)")
    } else {
        print("process 2 \(served)")
    }
    return second.terminationStatus
}

if CommandLine.arguments.contains("--second") {
    // Everything the second process needs comes from the first, through its environment.
    let client = try await ask(
        process: 2, redisURL: ProcessInfo.processInfo.environment["REDIS_URL"]!,
        endpoint: try ExampleEndpoint.fromEnvironment(), startFresh: false)
    exit(client.statistics.hits == 1 ? 0 : 1)
}
guard let redis = try ExampleRedis.locate() else {
    print("No Redis: set REDIS_URL, run redis-server on port 6379, or install redis-server.")
    exit(0)
}
// Stop the server this example may have started on every path (exit() skips defer blocks).
let status: Int32
do {
    status = try await runFirst(redis)
} catch {
    print("RedisShared failed: \(error)")
    status = 1
}
redis.stop()
exit(status)
