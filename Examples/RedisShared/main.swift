// Two processes, one RedisCache: the first asks and stores, the second (started by the first) gets a
// hit without calling the endpoint.
//
//     REDIS_URL=redis://127.0.0.1:6379 swift run RedisShared
//
// Without REDIS_URL it uses a server on 127.0.0.1:6379, or starts redis-server if it is installed.

import ExampleSupport
import Foundation
import StructuredCache

let isSecond = CommandLine.arguments.contains("--second")
let prefix = "structuredcache-example:"

func runFirst(_ redis: ExampleRedis) async throws -> Int32 {
    let endpoint = try ExampleEndpoint.fromEnvironment()
    print(endpoint.banner)
    let cache = try RedisCache(url: redis.url, configuration: .init(keyPrefix: prefix))
    try await cache.removeAll()  // only this example's prefix: a fresh start
    let client = StructuredClient(provider: endpoint.provider, cache: cache, configuration: .init(defaultModel: endpoint.model))
    let clock = ContinuousClock()
    var contact: Contact?
    let elapsed = try await clock.measure {
        contact = try await client.create(
            messages: [.user("Please add Jason Liu, jason@example.com, who works at Acme Robotics.")], responseModel: Contact.self)
    }
    print("process 1 (pid \(ProcessInfo.processInfo.processIdentifier)): \(format(elapsed)), hits \(client.statistics.hits), misses \(client.statistics.misses) → \(contact!)")

    // The same question from another process, sharing only the Redis server (and the endpoint).
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
    if let answered = endpoint.standInRequestCount {
        print("the endpoint answered \(answered) request(s): process 2 was served from Redis")
    }
    return second.terminationStatus
}

guard let redis = try isSecond ? nil : ExampleRedis.locate() else {
    if !isSecond {
        print("No Redis: set REDIS_URL, run redis-server on port 6379, or install redis-server.")
        exit(0)
    }
    // The second process: everything it needs comes from the first.
    let environment = ProcessInfo.processInfo.environment
    let endpoint = try ExampleEndpoint.fromEnvironment()
    let cache = try RedisCache(url: environment["REDIS_URL"]!, configuration: .init(keyPrefix: prefix))
    let client = StructuredClient(provider: endpoint.provider, cache: cache, configuration: .init(defaultModel: endpoint.model))
    let clock = ContinuousClock()
    var contact: Contact?
    let elapsed = try await clock.measure {
        contact = try await client.create(
            messages: [.user("Please add Jason Liu, jason@example.com, who works at Acme Robotics.")], responseModel: Contact.self)
    }
    print("process 2 (pid \(ProcessInfo.processInfo.processIdentifier)): \(format(elapsed)), hits \(client.statistics.hits), misses \(client.statistics.misses) → \(contact!)")
    exit(client.statistics.hits == 1 ? 0 : 1)
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
