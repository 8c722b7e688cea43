// The savings ledger: what each hit saved (the provider time and tokens of the call that stored the
// answer, every attempt included, and their price), added up overall, by response type and by label,
// over a scripted run against the loopback server; tokens read in one sense for every provider.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct SavingsLedgerTests {
    struct User: Codable, Sendable, Equatable, Validatable {
        var name: String
        func validate() throws {
            guard name != "invalid" else { throw ValidationFailure("not a name") }
        }
    }

    struct City: Codable, Sendable, Equatable {
        var city: String
    }

    /// A tool call completion whose usage reads 100 prompt tokens, 40 of them cached, and 20 generated.
    static func completion(_ name: String, _ arguments: String) -> LocalChatServer.Reply {
        var completion = ChatPayload.toolCallCompletion(
            name: name, arguments: arguments, promptTokens: 100, completionTokens: 20
        ).objectValue!
        var usage = completion["usage"]!.objectValue!
        usage["prompt_tokens_details"] = ["cached_tokens": 40]
        completion["usage"] = .object(usage)
        return LocalChatServer.Reply.json(.object(completion)).delayed(by: .milliseconds(60))
    }

    @Test func theLedgerAddsUpOverAScriptedRun() async throws {
        // q2's first answer fails validation: its stored entry cost two requests.
        let asked = Lock([String: Int]())
        let handler: @Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply = { request in
            let question = request.json?["messages"]?[0]?["content"]?.stringValue ?? ""
            let count = asked.withLock { counts in
                counts[question, default: 0] += 1
                return counts[question]!
            }
            switch question {
            case "q2" where count == 1: return Self.completion("User", #"{"name": "invalid"}"#)
            case "q3": return Self.completion("City", #"{"city": "Paris"}"#)
            default: return Self.completion("User", #"{"name": "Jason"}"#)
            }
        }
        try await LocalChatServer.with(handler: handler) { server in
            let events = Lock<[CacheEvent]>([])
            let prices = TokenPrices(inputPerMillion: 2, outputPerMillion: 8, cachedInputPerMillion: 0.5)
            let client = StructuredClientTests.client(
                server, cache: try AutoCache(),
                configuration: .init(
                    defaultModel: "gpt-test", prices: ["gpt-test": prices],
                    onEvent: { event in events.withLock { $0.append(event) } }))
            let clock = ContinuousClock()
            var missTimes: [String: Duration] = [:]
            func ask<T: Decodable & Sendable>(_ question: String, _ type: T.Type, label: String?) async throws {
                let start = clock.now
                _ = try await client.create(messages: [.user(question)], responseModel: type, label: label)
                if missTimes[question] == nil { missTimes[question] = clock.now - start }
            }
            for _ in 0..<3 { try await ask("q1", User.self, label: "a") }
            for _ in 0..<2 { try await ask("q2", User.self, label: "b") }
            for _ in 0..<2 { try await ask("q3", City.self, label: nil) }
            #expect(server.requestCount == 4)

            let totals = client.statistics
            #expect(totals.hits == 4 && totals.misses == 3 && totals.stores == 3)
            // q1 twice, q2 once (two requests' worth), q3 once.
            #expect(totals.inputTokensSaved == 2 * 100 + 200 + 100)
            #expect(totals.outputTokensSaved == 2 * 20 + 40 + 20)
            #expect(totals.cachedInputTokensSaved == 2 * 40 + 80 + 40)
            #expect(totals.tokensSaved == totals.inputTokensSaved + totals.outputTokensSaved)
            let expectedCost = (Double(500 - 200) * 2 + 200 * 0.5 + 100 * 8) / 1_000_000
            #expect(abs(totals.costSaved - expectedCost) < 1e-12)

            // Each hit saved what its miss waited for: at least the server's delay per request, at most
            // the whole miss as the caller saw it.
            let hits = events.withLock { $0.filter { $0.kind == .hit } }
            #expect(hits.count == 4)
            var timeSaved = Duration.zero
            for hit in hits {
                let question =
                    hit.key == (try client.cacheKey(messages: [.user("q2")], responseModel: User.self))
                    ? "q2" : hit.responseType == "City" ? "q3" : "q1"
                let saved = try #require(hit.savings?.providerTime)
                #expect(saved >= .milliseconds(question == "q2" ? 120 : 60))
                #expect(saved <= missTimes[question]!)
                timeSaved += saved
            }
            #expect(totals.providerTimeSaved == timeSaved)

            #expect(client.statisticsByLabel["a"]?.hits == 2 && client.statisticsByLabel["a"]?.misses == 1)
            #expect(client.statisticsByLabel["b"]?.hits == 1 && client.statisticsByLabel["b"]?.inputTokensSaved == 200)
            #expect(client.statisticsByLabel.count == 2)
            #expect(client.statisticsByResponseType["User"]?.hits == 3)
            #expect(client.statisticsByResponseType["City"]?.hits == 1)
            #expect(client.statisticsByResponseType["City"]?.outputTokensSaved == 20)
            #expect(hits.allSatisfy { $0.label == ($0.responseType == "City" ? nil : $0.label) })
            #expect(hits.filter { $0.label == "a" }.count == 2)
        }
    }

    @Test func aModelWithoutAPriceSavesNoMoney() async throws {
        try await LocalChatServer.with(otherwise: Self.completion("User", #"{"name": "Jason"}"#)) { server in
            let client = StructuredClientTests.client(
                server, cache: try AutoCache(),
                configuration: .init(
                    defaultModel: "gpt-test",
                    prices: ["other": TokenPrices(inputPerMillion: 1, outputPerMillion: 1)]))
            for _ in 0..<2 { _ = try await client.create(messages: [.user("q")], responseModel: User.self) }
            #expect(client.statistics.hits == 1 && client.statistics.costSaved == 0)
            #expect(client.statistics.inputTokensSaved == 100)
        }
    }

    @Test func anEntryAnotherWriterStoredSavesTheTokensItsCompletionNames() async throws {
        try await LocalChatServer.with(otherwise: Self.completion("User", #"{"name": "Jason"}"#)) { server in
            let cache = try AutoCache()
            let client = StructuredClientTests.client(server, cache: cache)
            let key = try client.cacheKey(messages: [.user("q")], responseModel: User.self)
            // As Instructor writes it: no record, the completion's usage only.
            let raw = ChatPayload.toolCallCompletion(
                name: "User", arguments: #"{"name": "Jason"}"#, promptTokens: 30, completionTokens: 5)
            let envelope = CacheEnvelope(modelJSON: #"{"name":"Jason"}"#, rawJSON: raw.jsonString(.compact))
            #expect(!String(decoding: envelope.bytes, as: UTF8.self).contains(CacheEnvelope.recordMember))
            try await cache.set(key, envelope.bytes)
            let savings = Lock<CacheSavings?>(nil)
            let watching = StructuredClientTests.client(
                server, cache: cache,
                configuration: .init(
                    defaultModel: "gpt-test",
                    onEvent: { event in if event.kind == .hit { savings.withLock { $0 = event.savings } } }))
            _ = try await watching.create(messages: [.user("q")], responseModel: User.self)
            #expect(server.requestCount == 0)
            #expect(savings.withLock { $0 } == CacheSavings(providerTime: nil, inputTokens: 30, outputTokens: 5))
        }
    }

    /// Each format's own usage, and the counts the ledger reads from it without the record.
    static let usages: [(name: String, dialect: any ChatDialect, raw: JSONValue, counts: TokenCounts)] = [
        (
            "OpenAI", OpenAIChatDialect(),
            ChatPayload.toolCallCompletion(name: "U", arguments: "{}", promptTokens: 120, completionTokens: 3),
            TokenCounts(input: 120, output: 3, cached: 0)
        ),
        (
            "Anthropic", AnthropicDialect(maxTokens: 1_024),
            AnthropicPayload.message(
                [AnthropicPayload.text("{}")],
                usage: AnthropicPayload.usage(input: 25, output: 12, cacheWrite: 7, cacheRead: 300)),
            TokenCounts(input: 332, output: 12, cached: 300)
        ),
        (
            "Gemini", GeminiDialect(),
            GeminiPayload.text("{}", usage: GeminiPayload.usage(prompt: 8, candidates: 12, thoughts: 30, cached: 4)),
            TokenCounts(input: 8, output: 42, cached: 4)
        ),
        (
            "Responses", OpenAIResponsesDialect(store: false),
            ResponsesPayload.response(
                [ResponsesPayload.message("{}")], usage: ResponsesPayload.usage(input: 50, output: 9, cached: 20)),
            TokenCounts(input: 50, output: 9, cached: 20)
        ),
    ]

    @Test(arguments: 0..<4)
    func tokensReadInOneSenseForEveryFormat(index: Int) throws {
        let (name, dialect, raw, counts) = Self.usages[index]
        let envelope = try #require(
            CacheEnvelope(bytes: CacheEnvelope(modelJSON: "{}", rawJSON: raw.jsonString(.python)).bytes))
        #expect(envelope.tokens(dialect.usageNames) == counts, "\(name)")
        // The same counts the completion's own usage gives, as a live call's record stores them.
        let usage = try #require(dialect.storedCompletion(raw)?.usage)
        #expect(TokenCounts(usage) == counts, "\(name)")
    }

    @Test func theRecordRoundTripsAndInstructorsReaderKeepsWorking() throws {
        let record = EntryRecord(
            providerTime: .microseconds(812_345), tokens: TokenCounts(input: 10, output: 5, cached: 2),
            stream: [.init(offset: .zero, text: "{\"a\""), .init(offset: .milliseconds(12), text: ": 1}")])
        // Pieces that read like the record's members are text, never mistaken for them.
        let lookalike = EntryRecord(
            providerTime: nil, tokens: TokenCounts(input: 1, output: 2, cached: 0),
            stream: [.init(offset: .zero, text: #"{"provider_us": 5, "input_tokens": 99}"#)])
        let written = CacheEnvelope(modelJSON: #"{"a":1}"#, rawJSON: #"{"id": "x"}"#, record: record)
        let text = String(decoding: written.bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"model": "{\"a\":1}", "raw": "{\"id\": \"x\"}", "structuredcache": {"#))
        let read = try #require(CacheEnvelope(bytes: written.bytes))
        #expect(read == written && read.record == record && read.rawJSON == #"{"id": "x"}"#)
        #expect(read.recordedCost?.providerTime == record.providerTime && read.recordedCost?.tokens == record.tokens)
        let readLookalike = try #require(
            CacheEnvelope(bytes: CacheEnvelope(modelJSON: "{}", rawJSON: nil, record: lookalike).bytes))
        #expect(readLookalike.record == lookalike)
        #expect(
            readLookalike.recordedCost?.providerTime == nil && readLookalike.recordedCost?.tokens == lookalike.tokens)
        // The general reader (any spelling) reads the record too.
        let respaced = try #require(CacheEnvelope(bytes: Data(JSONValue(parsing: text).jsonBytes(.compact))))
        #expect(respaced.record == record && respaced.modelJSON == #"{"a":1}"#)
        // A record that is not an object, or another member, makes the value a bare answer.
        for foreign in [
            #"{"model": "{}", "raw": null, "structuredcache": 3}"#, #"{"model": "{}", "raw": null, "other": {}}"#,
        ] {
            #expect(CacheEnvelope(bytes: Data(foreign.utf8))?.modelJSON == foreign)
        }
    }
}
