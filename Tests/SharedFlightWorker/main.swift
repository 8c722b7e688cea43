// A helper process for the tests of calls shared across processes: it asks questions through a
// StructuredClient whose cache is a RedisCache with a shared flight, and reports what it got.
//
//     SharedFlightWorker <redis-url>[,<seed>…] <chat-base-url> <questions> <tasks> <lease-ms>
//
// Each of <tasks> tasks asks questions q-0 … q-<questions-1> (in an order of its own); every answer must
// name its question. A list of URLs makes a Redis Cluster cache. It prints one line,
// `answered=<n> failed=<n> awaited=<n> hits=<n>`, and exits 1 when a call failed or answered wrongly.

import Foundation
import StructuredCache

struct Answer: Codable, Sendable { var name: String }

let arguments = CommandLine.arguments
guard arguments.count == 6, let base = URL(string: arguments[2]), let questions = Int(arguments[3]),
    let tasks = Int(arguments[4]), let leaseMilliseconds = Int(arguments[5])
else {
    FileHandle.standardError.write(
        Data("usage: SharedFlightWorker <redis-url>[,<seed>…] <chat-base-url> <questions> <tasks> <lease-ms>\n".utf8))
    exit(2)
}
let urls = arguments[1].split(separator: ",").map(String.init)
let redis =
    urls.count > 1
    ? try RedisCache(cluster: urls, configuration: .init(keyPrefix: "flight:"))
    : try RedisCache(url: urls[0], configuration: .init(keyPrefix: "flight:"))
let client = StructuredClient(
    provider: OpenAIProvider(baseURL: base, apiKey: "sk-test"), cache: redis,
    configuration: .init(
        defaultModel: "gpt-test",
        sharedFlight: SharedFlight(lease: .milliseconds(leaseMilliseconds), wait: .seconds(60))))

/// Asks every question from every task; returns the number of failed calls.
func ask() async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for task in 0..<tasks {
            group.addTask {
                var failed = 0
                for offset in 0..<questions {
                    let question = "q-\((offset + task * 7) % questions)"
                    do {
                        let answer = try await client.create(messages: [.user(question)], responseModel: Answer.self)
                        if answer.name != question {
                            FileHandle.standardError.write(Data("\(question) answered \(answer.name)\n".utf8))
                            failed += 1
                        }
                    } catch {
                        FileHandle.standardError.write(Data("\(question) failed: \(error)\n".utf8))
                        failed += 1
                    }
                }
                return failed
            }
        }
        return await group.reduce(0, +)
    }
}

let failed = await ask()
let statistics = client.statistics
print(
    "answered=\(tasks * questions - failed) failed=\(failed) awaited=\(statistics.awaitedAnswers) hits=\(statistics.hits)"
)
redis.shutdown()
exit(failed == 0 ? 0 : 1)
