// The first thing to run: one typed call cached in memory, then on disk, with the key, the times, the
// counters and the files shown.
//
//     swift run QuickStart
//
// With ANTHROPIC_API_KEY (ANTHROPIC_MODEL, ANTHROPIC_BASE_URL) it calls Claude; else with GEMINI_API_KEY
// (GEMINI_MODEL, GEMINI_BASE_URL) Gemini; else with OPENAI_API_KEY (OPENAI_BASE_URL for Ollama, vLLM,
// LM Studio …, OPENAI_MODEL) an OpenAI-compatible endpoint; without any, a local stand-in for an
// OpenAI-compatible endpoint (and says so).

import ExampleSupport
import Foundation
import StructuredCache

let endpoint = try ExampleEndpoint.fromEnvironment()
print(endpoint.banner)

let messages: [ChatMessage] = [
    .system("Extract the contact the user mentions."),
    .user("Please add Jason Liu, jason@example.com, who works at Acme Robotics."),
]

/// Asks the same question twice through `client` and shows what the cache did.
func demonstrate(_ client: StructuredClient, label: String) async throws {
    print("\n== \(label)")
    print("cache key: \(try client.cacheKey(messages: messages, responseModel: Contact.self))")
    let clock = ContinuousClock()
    for call in ["first call", "second call"] {
        let before = client.statistics
        var contact: Contact?
        let took = try await clock.measure {
            contact = try await client.create(messages: messages, responseModel: Contact.self)
        }
        // What the cache did, as its counters tell it.
        let outcome = client.statistics.hits > before.hits ? "hit, no endpoint call" : "miss, asked the endpoint"
        print(
            "\(call) (\(outcome)):".padding(toLength: 40, withPad: " ", startingAt: 0)
                + "\(format(took))  → \(contact!)")
    }
    let totals = client.statistics
    print(
        "counters: hits \(totals.hits), misses \(totals.misses), stores \(totals.stores), errors \(totals.errors), tokens saved \(totals.tokensSaved)"
    )
}

// 1. In memory: the embedded default.
let memory = StructuredClient(
    provider: endpoint.provider, cache: try AutoCache(maxSize: 1_000),
    configuration: .init(defaultModel: endpoint.model, cacheTTL: .seconds(3_600)))
try await demonstrate(memory, label: "AutoCache (in memory)")

// 2. On disk, in a temporary folder: survives restarts and is shared by processes on this machine.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
    "structuredcache-quickstart-\(ProcessInfo.processInfo.processIdentifier)")
let disk = StructuredClient(
    provider: endpoint.provider, cache: try DiskCache(directory: folder),
    configuration: .init(defaultModel: endpoint.model, cacheTTL: .seconds(3_600)))
try await demonstrate(disk, label: "DiskCache (one file per key)")
let files =
    FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String }
    .filter { !$0.hasPrefix(".") && $0.contains("/") } ?? []
print("disk entries in \(folder.path): \(files.joined(separator: ", "))")

if let answered = endpoint.standInRequestCount {
    let misses = memory.statistics.misses + disk.statistics.misses
    let hits = memory.statistics.hits + disk.statistics.hits
    print(
        "\nThe stand-in answered \(answered) request(s) in all, for \(misses) miss(es); \(hits) hit(s) asked it nothing."
    )
}
try? FileManager.default.removeItem(at: folder)
