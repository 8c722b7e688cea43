// swift-format-ignore-file
// Every Swift snippet of README.md, compiled. ReadmeTests checks that each snippet of the README
// appears here line for line, so the README cannot show code that does not build. The formatter
// leaves this file alone: it keeps the README's own layout (aligned comments).

import Foundation
import StructuredCache

/// The few parts of swift-log and swift-metrics the observability snippet uses, so that it compiles
/// here without adding them as dependencies.
private struct Logger {
    init(label: String) {}
    func info(_ message: String, metadata: [String: String]) {}
}

private struct Counter {
    init(label: String, dimensions: [(String, String)]) {}
    func increment() {}
}

enum ReadmeSnippets {
    static func firstScreen(apiKey: String) async throws {
        struct Contact: Codable, Sendable {
            var name: String
            var email: String?
        }

        let client = StructuredClient(
            provider: OpenAIProvider(apiKey: apiKey),        // any OpenAI-compatible endpoint
            cache: try AutoCache(maxSize: 1_000),            // or DiskCache, RedisCache, TieredCache
            configuration: .init(defaultModel: "gpt-4.1-mini", cacheTTL: .seconds(3_600)))

        let contact = try await client.create(
            messages: [.user("Add Jason Liu, jason@example.com.")],
            responseModel: Contact.self)                     // a second identical call is a cache hit
        _ = contact
    }

    static func adapters() throws {
        let memory = try AutoCache(
            maxSize: 10_000, configuration: .init(maxBytes: 64 << 20, defaultTTL: .seconds(3_600)))
        let disk = try DiskCache(
            directory: URL(fileURLWithPath: ".structured_cache"),
            configuration: .init(defaultTTL: .seconds(86_400), maxBytes: 512 << 20))
        let redis = try RedisCache(url: "redis://:secret@cache.internal:6379/2",
                                   configuration: .init(keyPrefix: "myapp:llm:", pool: .init(size: 8)))
        let tiered = try TieredCache([memory, redis])
        _ = (disk, tiered)
    }

    static func redisInProduction() throws {
        // TLS: rediss:// verifies the server against the system's trust store and checks its host name.
        var options = RedisCache.Configuration(keyPrefix: "myapp:llm:")
        options.authentication = .init(username: "app", password: ProcessInfo.processInfo.environment["REDIS_PASSWORD"])
        options.tls = .init(trustRoots: .file("/etc/ssl/redis-ca.pem"),  // your own CA, if not a public one
                            clientCertificate: .file("client.pem"), clientKey: .file("client.key"))  // mutual TLS
        let secure = try RedisCache(url: "rediss://cache.internal:6380", configuration: options)

        // Redis Cluster: one or more seeds; the slot map, MOVED/ASK, resharding and failover are handled.
        let cluster = try RedisCache(cluster: ["rediss://clustercfg.myapp.cache.amazonaws.com:6379"],
                                     configuration: options)
        _ = (secure, cluster)
    }

    static func sharedFlight(provider: OpenAIProvider) throws -> StructuredClient {
        let fleet = StructuredClient(
            provider: provider, cache: try RedisCache(url: "redis://cache.internal:6379"),
            configuration: .init(defaultModel: "gpt-4.1-mini",
                                 sharedFlight: SharedFlight(lease: .seconds(10), wait: .seconds(60))))
        return fleet
    }

    static func encryptedCache(secret: String, oldSecret: String) throws {
        // 32 random bytes each (openssl rand -base64 32), from your secret store; the identifiers are stored.
        let current = try EncryptionKey(identifier: "2025-06", bytes: Data(base64Encoded: secret) ?? Data())
        let retired = try EncryptionKey(identifier: "2025-01", bytes: Data(base64Encoded: oldSecret) ?? Data())
        let redis = try RedisCache(url: "rediss://cache.internal:6380")
        let encrypted = try EncryptedCache(wrapping: redis, keys: .init(current: current, previous: [retired]))

        // One key per tenant, derived (HKDF-SHA256) from a master key: a tenant's values never open for another.
        let acme = try EncryptedCache(wrapping: redis, keys: .init(current: current.derivedKey(forTenant: "acme")))
        _ = (encrypted, acme)
    }

    static func key() throws -> String {
        struct User: Codable { var name: String }

        let key = try makeCacheKey(
            messages: [["role": "user", "content": "hello"]],
            model: "gpt-4.1-mini", responseModel: User.self, mode: "TOOLS")
        // 2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe
        return key
    }

    static func schema() throws -> String {
        struct Address: Codable { var city: String }
        struct Person: Codable {
            var name: String
            var nickname: String?      // Optional: anyOf [string, null], default null, not required
            var address: Address       // nested types go to $defs
        }
        let schema = try jsonSchema(for: Person.self).jsonString()
        // {"$defs": {"Address": {"properties": {"city": {"title": "City", "type": "string"}}, "required": ["city"],
        //  "title": "Address", "type": "object"}}, "properties": {"address": {"$ref": "#/$defs/Address"}, "name":
        //  {"title": "Name", "type": "string"}, "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}],
        //  "default": null, "title": "Nickname"}}, "required": ["name", "address"], "title": "Person", "type": "object"}
        return schema
    }

    struct Lead: Codable, JSONSchemaAnnotated {
        var name: String
        var age: Int

        static let schemaAnnotations = SchemaAnnotations(
            description: "A person mentioned in the text.",          // pydantic's class docstring
            fields: [
                "name": .init(description: "The person's full name"), // Field(description=…)
                "age": .init(minimum: 0, maximum: 150),                // Field(ge=0, le=150)
            ])
    }

    static func client(_ client: StructuredClient, text: String) async throws {
        struct Invoice: Codable, Sendable, Validatable {
            var number: String
            var total: Double

            func validate() throws {
                guard total >= 0 else { throw ValidationFailure("total must not be negative, got \(total)") }
            }
        }

        let (invoice, completion) = try await client.createWithCompletion(
            model: "gpt-4.1-mini",
            messages: [.system("Extract the invoice."), .user(text)],
            responseModel: Invoice.self,
            mode: .tools,                                   // .json, .jsonSchema, .mdJSON
            maxRetries: 2,                                  // ask again twice after an invalid answer
            options: .init(temperature: 0, maxTokens: 500),
            cacheTTL: .seconds(86_400))
        print(completion.usage?.totalTokens ?? 0)          // on a hit: the stored completion
        _ = invoice
    }

    struct Contact: Codable, Sendable {
        var name: String
    }

    static func providers(cache: AutoCache, text: String) async throws {
        let env = ProcessInfo.processInfo.environment
        let claude = StructuredClient(
            provider: AnthropicProvider(apiKey: env["ANTHROPIC_API_KEY"]),      // Messages API
            cache: cache, configuration: .init(defaultModel: "claude-haiku-4-5"))
        let gemini = StructuredClient(
            provider: GeminiProvider(apiKey: env["GEMINI_API_KEY"]),            // generateContent
            cache: cache, configuration: .init(defaultModel: "gemini-2.5-flash", mode: .json))
        let responses = StructuredClient(
            provider: OpenAIResponsesProvider(apiKey: env["OPENAI_API_KEY"]),   // POST /v1/responses
            cache: cache, configuration: .init(defaultModel: "gpt-4.1-mini", mode: .jsonSchema))

        let (contact, completion) = try await claude.createWithCompletion(
            messages: [.system("Extract the contact."), .user(text)],
            responseModel: Contact.self,
            options: .init(maxTokens: 2_048, extraBody: ["thinking": ["type": "enabled", "budget_tokens": 1_024]]))
        print(completion.usage?.cachedPromptTokens ?? 0)  // Anthropic's cache_read_input_tokens
        print(completion.raw["stop_reason"] ?? nil)         // the provider's own message, kept
        _ = (contact, gemini, responses)
    }

    static func streaming(_ client: StructuredClient, messages: [ChatMessage]) async throws {
        for try await snapshot in client.createPartial(messages: messages, responseModel: Contact.self) {
            print(snapshot.name.string ?? "…")            // fields fill in as the answer streams
            if let contact = snapshot.value { print("done:", contact) }
        }

        for try await contact in client.createIterable(messages: messages, responseModel: Contact.self) {
            print(contact)                                  // each element as soon as it is complete
        }
    }

    static func cachedStream(_ client: StructuredClient, messages: [ChatMessage]) async throws {
        let replayed = client.createPartial(messages: messages, responseModel: Contact.self,
                                            streamCaching: StreamCaching(replay: .recordedPace))
        for try await snapshot in replayed { print(snapshot.name.string ?? "…") }   // as it streamed the first time
    }

    static func savings(provider: OpenAIProvider, cache: AutoCache, messages: [ChatMessage]) async throws {
        var ledgered = StructuredClient.Configuration(defaultModel: "gpt-4.1-mini")
        ledgered.prices["gpt-4.1-mini"] = TokenPrices(inputPerMillion: 0.40, outputPerMillion: 1.60,
                                                      cachedInputPerMillion: 0.10)   // your provider's prices
        let counted = StructuredClient(provider: provider, cache: cache, configuration: ledgered)
        _ = try await counted.create(messages: messages, responseModel: Contact.self, label: "signup")
        let saved = counted.statisticsByLabel["signup"]
        print(saved?.providerTimeSaved ?? .zero, saved?.tokensSaved ?? 0, saved?.costSaved ?? 0)
    }

    static func replay(provider: OpenAIProvider, messages: [ChatMessage]) async throws {
        let recorded = URL(fileURLWithPath: "Tests/Recorded")   // a folder the repository commits
        // Record once, against the real provider. The namespace is explicit, so that replaying with
        // another key (or none) finds the same entries.
        let recording = StructuredClient(
            provider: provider, cache: try DiskCache(directory: recorded),
            configuration: .init(defaultModel: "gpt-4.1-mini", cacheTTL: .never, namespace: "recorded",
                                 recordsPayloads: true))
        _ = try await recording.create(messages: messages, responseModel: Contact.self)

        // Replay in CI: no network, no cost; a changed request fails with what changed.
        let replaying = StructuredClient(
            provider: OpenAIProvider(apiKey: nil), cache: try DiskCache(directory: recorded),
            configuration: .init(defaultModel: "gpt-4.1-mini", cachePolicy: .replayOnly, namespace: "recorded",
                                 recordsPayloads: true))
        do {
            _ = try await replaying.create(messages: messages, responseModel: Contact.self)
        } catch let error as ClientError where error.code == .replayMiss {
            print(error.message)        // "… differs from the last call recorded … in messages[1].content"
            print(error.payload?.key ?? "")
        }
    }

    static func staleIfError(provider: OpenAIProvider) throws -> StructuredClient {
        let resilientCache = try DiskCache(
            directory: URL(fileURLWithPath: ".structured_cache"),
            configuration: .init(defaultTTL: .seconds(3_600), staleGrace: .seconds(86_400)))  // kept a day past expiry
        let resilient = StructuredClient(
            provider: provider, cache: resilientCache,
            configuration: .init(defaultModel: "gpt-4.1-mini", staleIfError: .seconds(6 * 3_600)))
        return resilient
    }

    static func observability(provider: OpenAIProvider, cache: AutoCache) -> StructuredClient {
        let logger = Logger(label: "llm.cache")
        let observed = StructuredClient(
            provider: provider, cache: cache,
            configuration: .init(defaultModel: "gpt-4.1-mini", onEvent: { event in
                logger.info("cache \(event.kind)", metadata: ["key": "\(event.key.prefix(12))", "adapter": "\(event.adapter)"])
                Counter(label: "llm_cache_events", dimensions: [("kind", event.kind.name)]).increment()
            }))
        return observed
    }

    static func python(provider: OpenAIProvider) throws -> StructuredClient {
        let shared = StructuredClient(
            provider: provider, cache: try RedisCache(url: "redis://cache.internal:6379"),
            configuration: .init(defaultModel: "gpt-4.1-mini", keyCompatibility: .instructor116))
        return shared
    }
}
