// The client users call: typed answers from an LLM, asked for in a mode, checked, asked again on
// failure, and cached so that the same question is never paid for twice.

import Foundation
import StructuredCacheSupport
import Synchronization

/// Asks an LLM for typed (`Codable`) answers and caches them.
///
/// ```swift
/// struct User: Codable { var name: String; var age: Int }
///
/// let client = StructuredClient(provider: OpenAIProvider(apiKey: key), cache: try AutoCache(maxSize: 1_000))
/// let user = try await client.create(model: "gpt-4.1-mini", messages: [.user("Jason is 25.")],
///                                    responseModel: User.self)
/// ```
///
/// A call prepares the request for its mode (as Instructor does for OpenAI), computes the cache key,
/// and looks it up once, before any attempt. A hit returns the stored answer, decoded and validated
/// again, with no provider call. A miss asks the provider; an answer that fails to decode or
/// validate is asked for again with the error appended, up to `maxRetries` times; only a valid answer
/// is stored, under the key of the lookup.
///
/// The cache never fails a call: a read error is a miss, a write error is dropped, a stored value
/// that no longer decodes is a miss and is removed; each is reported as a ``CacheEvent``. Concurrent
/// identical calls that miss make a single provider call and share its answer.
public final class StructuredClient: Sendable {
    /// Where completions come from.
    public let provider: any ChatProvider
    /// The cache calls use unless they pass their own.
    public let cache: (any CacheAdapter)?
    /// The client's defaults.
    public let configuration: Configuration

    private let namespace: String
    /// How the provider's wire format asks for and returns structured answers.
    let dialect: any ChatDialect
    private let ledger = Lock(Ledger())
    private let subscribers = Lock<[UInt64: AsyncStream<CacheEvent>.Continuation]>([:])
    private let subscriberCount = Atomic<UInt64>(0)
    private let flights = SingleFlight()

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - provider: Where completions come from.
    ///   - cache: The cache calls use unless they pass their own; `nil` for none.
    ///   - configuration: The client's defaults.
    public init(provider: any ChatProvider, cache: (any CacheAdapter)? = nil, configuration: Configuration = .init()) {
        self.provider = provider
        self.cache = cache
        self.configuration = configuration
        namespace = configuration.namespace ?? "provider:" + provider.cacheIdentity
        dialect = (provider as? any DialectSpeaking)?.dialect ?? OpenAIChatDialect()
        if let reporting = cache as? any CacheHealthReporting {
            let adapter = String(describing: type(of: reporting))
            reporting.observeHealth { [weak self] health in
                self?.emitHealth(health, adapter: adapter)
            }
        }
    }

    /// Asks for an answer of type `responseModel`.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - maxRetries: How many times to ask again after a failed answer; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    ///   - cache: The cache for this call; the client's when `nil`.
    ///   - cacheTTL: How long the answer is stored; the configuration's when `nil`.
    ///   - cachePolicy: How this call uses the cache; the configuration's when `nil`.
    ///   - label: What the call's cache use is counted under in ``statisticsByLabel`` and reported
    ///     with in events (a feature's name, a tenant); no label when `nil`. Not part of the key.
    ///   - staleIfError: How long ago an entry may have expired and still answer if the provider fails; the
    ///     configuration's when `nil`, never for zero.
    /// - Returns: The decoded, validated answer.
    /// - Throws: ``ClientError`` when no valid answer came back, ``SchemaError`` when the type cannot be
    ///   described, ``ProviderError`` when the provider failed. Never an error of the cache.
    nonisolated(nonsending) public func create<Response: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        maxRetries: Int? = nil, options: RequestOptions = RequestOptions(), cache: (any CacheAdapter)? = nil,
        cacheTTL: CacheTTL? = nil, cachePolicy: CachePolicy? = nil, label: String? = nil,
        staleIfError: Duration? = nil
    ) async throws -> Response {
        var call = try plan(
            model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: maxRetries,
            options: options, cache: cache, cacheTTL: cacheTTL, cachePolicy: cachePolicy, label: label)
        call.staleIfError = staleIfError
        return try await run(call, Response.self, needsCompletion: false).0
    }

    /// Asks for an answer of type `responseModel`, and returns the completion it came from too.
    ///
    /// On a cache hit the completion is the one stored with the answer. An entry stored without one (by
    /// an older writer) cannot answer this call and is treated as a miss.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - maxRetries: How many times to ask again after a failed answer; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    ///   - cache: The cache for this call; the client's when `nil`.
    ///   - cacheTTL: How long the answer is stored; the configuration's when `nil`.
    ///   - cachePolicy: How this call uses the cache; the configuration's when `nil`.
    ///   - label: What the call's cache use is counted under in ``statisticsByLabel``; none when `nil`.
    ///   - staleIfError: How long ago an entry may have expired and still answer if the provider fails; the
    ///     configuration's when `nil`, never for zero.
    /// - Returns: The answer and its completion.
    /// - Throws: As ``create(model:messages:responseModel:mode:maxRetries:options:cache:cacheTTL:cachePolicy:label:staleIfError:)``.
    nonisolated(nonsending) public func createWithCompletion<Response: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        maxRetries: Int? = nil, options: RequestOptions = RequestOptions(), cache: (any CacheAdapter)? = nil,
        cacheTTL: CacheTTL? = nil, cachePolicy: CachePolicy? = nil, label: String? = nil,
        staleIfError: Duration? = nil
    ) async throws -> (Response, ChatCompletion) {
        var call = try plan(
            model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: maxRetries,
            options: options, cache: cache, cacheTTL: cacheTTL, cachePolicy: cachePolicy, label: label)
        call.staleIfError = staleIfError
        let (value, completion) = try await run(call, Response.self, needsCompletion: true)
        return (value, completion!)
    }

    /// The cache key a call with these arguments uses.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: The mode; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    /// - Returns: 64 lowercase hexadecimal digits.
    /// - Throws: ``SchemaError`` or ``ClientError`` as a call would.
    public func cacheKey<Response: Decodable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions()
    ) throws -> String {
        try plan(
            model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: nil,
            options: options, cache: nil, cacheTTL: nil, cachePolicy: nil
        ).key
    }

    /// The canonical payload a call with these arguments hashes into its cache key (see ``CachePayload``):
    /// for explaining a miss by the fields two calls differ in.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: The mode; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    /// - Returns: The payload and its key.
    /// - Throws: ``SchemaError`` or ``ClientError`` as a call would.
    public func cachePayload<Response: Decodable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions()
    ) throws -> CachePayload {
        try payload(
            of: plan(
                model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: nil,
                options: options, cache: nil, cacheTTL: nil, cachePolicy: nil))
    }

    /// The running totals of this client's cache use, and what its hits saved.
    public var statistics: CacheStatistics { ledger.withLock { $0.total } }

    /// The running totals by response type (`User`; `[User]` for iterable calls). Types of one name
    /// in different modules are counted together.
    public var statisticsByResponseType: [String: CacheStatistics] { ledger.withLock { $0.byResponseType } }

    /// The running totals by the label calls were given (their `label` argument); calls without one
    /// are counted in ``statistics`` only.
    public var statisticsByLabel: [String: CacheStatistics] { ledger.withLock { $0.byLabel } }

    /// A stream of this client's cache events, from now on, for as long as it is iterated.
    ///
    /// Events are buffered (the newest 1,024) when the consumer is slower than the calls.
    ///
    /// - Returns: The events.
    public func events() -> AsyncStream<CacheEvent> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: CacheEvent.self, bufferingPolicy: .bufferingNewest(1_024))
        let id = subscriberCount.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    // MARK: Calls

    /// Everything a call needs, resolved from its arguments and the configuration.
    struct Call: Sendable {
        var prepared: PreparedRequest
        var key: String
        /// The schema's key text.
        var schemaText: [UInt8]
        var mode: Mode
        var maxRetries: Int
        var cache: (any CacheAdapter)?
        var ttl: CacheTTL
        var policy: CachePolicy
        /// The response type's name, for counting by type.
        var responseType: String
        var label: String?
        /// The call's own `staleIfError`; the configuration's when `nil`.
        var staleIfError: Duration? = nil
    }

    /// The running totals, overall, by response type and by label.
    private struct Ledger {
        var total = CacheStatistics()
        var byResponseType: [String: CacheStatistics] = [:]
        var byLabel: [String: CacheStatistics] = [:]
    }

    func plan<Response: Decodable>(
        model: String?, messages: [ChatMessage], responseModel: Response.Type, mode: Mode?, maxRetries: Int?,
        options: RequestOptions, cache: (any CacheAdapter)?, cacheTTL: CacheTTL?, cachePolicy: CachePolicy?,
        label: String? = nil, streaming: Bool = false
    ) throws -> Call {
        try plan(
            model: model, messages: messages, schema: SchemaCache.shared.entry(for: responseModel), mode: mode,
            maxRetries: maxRetries, options: options, cache: cache, cacheTTL: cacheTTL, cachePolicy: cachePolicy,
            label: label, streaming: streaming)
    }

    func plan(
        model: String?, messages: [ChatMessage], schema: SchemaCache.Entry, mode: Mode?, maxRetries: Int?,
        options: RequestOptions, cache: (any CacheAdapter)?, cacheTTL: CacheTTL?, cachePolicy: CachePolicy?,
        label: String?, streaming: Bool
    ) throws -> Call {
        guard let model = model ?? configuration.defaultModel else {
            throw ClientError(.missingModel, "no model given, to the call or as the configuration's defaultModel")
        }
        let retries = maxRetries ?? configuration.maxRetries
        guard retries >= 0 else { throw ClientError(.invalidConfiguration, "maxRetries must be >= 0, got \(retries)") }
        let mode = mode ?? configuration.mode
        var request = options.request(model: model, messages: messages)
        request.stream = streaming
        let prepared = try dialect.prepare(request, mode: mode, schema: schema)
        var key: String
        switch configuration.keyCompatibility.base {
        case .instructor116:
            key = try dialect.instructorKey(prepared, mode: mode, schemaText: schema.keyText)
            // Instructor never stores a stream: a streamed answer must not answer its `create`.
            if streaming { key = SHA256.hash(string: "stream:" + key).hexString }
        case .standard:
            key = ClientCacheKey.standard(
                body: try dialect.wireBody(prepared.request), prepared: prepared, mode: mode,
                schemaText: schema.keyText, namespace: namespace)
        }
        return Call(
            prepared: prepared, key: key, schemaText: schema.keyText, mode: mode, maxRetries: retries,
            cache: cache ?? self.cache,
            ttl: cacheTTL ?? configuration.cacheTTL, policy: cachePolicy ?? configuration.cachePolicy,
            responseType: schema.typeName, label: label)
    }

    nonisolated(nonsending) private func run<Response: Decodable & Sendable>(
        _ call: Call, _ type: Response.Type, needsCompletion: Bool
    ) async throws -> (Response, ChatCompletion?) {
        guard let adapter = call.cache, call.policy != .bypass else {
            if call.cache != nil { emit(.bypass, call, adapter: call.cache, reason: "cache policy bypass") }
            let (value, completion) = try await attempt(call, Response.self, storingIn: nil)
            return (value, completion)
        }
        if call.policy.reads, let hit = await lookup(call, adapter, Response.self, needsCompletion: needsCompletion) {
            return hit
        }
        if call.policy == .replayOnly { throw await replayMiss(call, adapter) }
        let store = call.policy.stores
        do {
            let ((value, completion), _) = try await flights.run(call.key + (store ? "" : "#nostore")) {
                try await self.sharedAttempt(call, Response.self, storingIn: store ? adapter : nil)
            }
            // Another process's answer holds no completion of this provider's format.
            if needsCompletion && completion == nil {
                let (value, completion) = try await attempt(call, Response.self, storingIn: store ? adapter : nil)
                return (value, completion)
            }
            return (value, completion)
        } catch {
            // Each caller, a shared flight's waiters too, may fall back on its own stale answer.
            return try await staleAnswer(
                replacing: error, call, adapter, Response.self, needsCompletion: needsCompletion)
        }
    }

    /// Reads the call's key; `nil` on a miss, including every way a stored value can be unusable.
    nonisolated(nonsending) private func lookup<Response: Decodable>(
        _ call: Call, _ adapter: any CacheAdapter, _ type: Response.Type, needsCompletion: Bool
    ) async -> (Response, ChatCompletion?)? {
        await lookup(call, adapter, unanswerable: "the stored answer has no completion to return") { envelope in
            try answer(in: envelope, Response.self, needsCompletion: needsCompletion)
        }
    }

    /// The answer a stored envelope gives a call: decoded and validated, with its completion when the
    /// caller needs it (read only then; a hit's usage is found in its text).
    ///
    /// - Returns: `nil` when the caller needs a completion and the envelope holds none of this format.
    /// - Throws: The decoding or validation error of an unusable answer.
    func answer<Response: Decodable>(
        in envelope: CacheEnvelope, _ type: Response.Type, needsCompletion: Bool
    ) throws -> (Response, ChatCompletion?)? {
        let value = try Self.decodeAnswer(envelope.modelJSON, as: Response.self)
        guard needsCompletion else { return (value, nil) }
        guard let completion = envelope.completion(in: dialect) else { return nil }
        return (value, completion)
    }

    /// Reads the call's key and makes an answer of the stored envelope with `use`: `nil` on a miss.
    ///
    /// A read that fails is an error and a miss; a value `use` throws for is unusable, and is removed;
    /// one it returns `nil` for cannot answer this call (for the reason `unanswerable`), and is kept.
    nonisolated(nonsending) func lookup<Answer>(
        _ call: Call, _ adapter: any CacheAdapter, unanswerable: String,
        use: (CacheEnvelope) throws -> Answer?
    ) async -> Answer? {
        let started = ContinuousClock.now
        let stored: Data?
        do {
            stored = try await adapter.get(call.key)
        } catch {
            emit(.error, call, adapter: adapter, since: started, reason: "read failed; treated as a miss", error: error)
            emit(.miss, call, adapter: adapter, since: started, reason: "the read failed")
            return nil
        }
        guard let stored else {
            var explanation: (CachePayload, [CachePayload.Difference])?
            if configuration.explainsMisses { explanation = await explain(call, adapter) }
            emit(.miss, call, adapter: adapter, since: started, explanation: explanation)
            return nil
        }
        do {
            guard let envelope = CacheEnvelope(bytes: stored) else {
                throw ValidationFailure("the stored value is not UTF-8 text")
            }
            guard let answer = try use(envelope) else {
                emit(.miss, call, adapter: adapter, since: started, reason: unanswerable)
                return nil
            }
            emit(.hit, call, adapter: adapter, since: started, savings: savings(of: envelope, call))
            return answer
        } catch {
            emit(
                .miss, call, adapter: adapter, since: started,
                reason: "the stored value is unusable and was removed: \(error)")
            do {
                try await adapter.remove(call.key)
            } catch {
                emit(
                    .error, call, adapter: adapter, since: started, reason: "removing an unusable value failed",
                    error: error)
            }
            return nil
        }
    }

    /// Asks the provider as ``attempt(_:_:storingIn:)`` does; with ``Configuration/sharedFlight`` and an
    /// adapter that shares calls, under a lease on the key, or answered by the process that holds it.
    ///
    /// - Returns: The answer, and its completion (which an answer stored by another process may lack).
    private func sharedAttempt<Response: Decodable & Sendable>(
        _ call: Call, _ type: Response.Type, storingIn adapter: (any CacheAdapter)?
    ) async throws -> (Response, ChatCompletion?) {
        guard let adapter, let flight = configuration.sharedFlight,
            let sharing = adapter as? any SharedFlightCacheAdapter, sharing.sharesFlights
        else { return try await attempt(call, Response.self, storingIn: adapter) }
        let started = ContinuousClock.now
        let claim: CacheClaim
        do {
            claim = try await sharing.claim(
                call.key, lease: flight.lease, wait: flight.wait, readsStoredValue: call.policy.reads)
        } catch let error where !(error is CancellationError) {
            emit(
                .error, call, adapter: adapter, since: started,
                reason: "the lease for a shared call could not be had; calling the provider", error: error)
            return try await attempt(call, Response.self, storingIn: adapter)
        }
        switch claim {
        case .stored(let bytes):
            if let envelope = CacheEnvelope(bytes: bytes),
                let value = try? Self.decodeAnswer(envelope.modelJSON, as: Response.self)
            {
                emit(.awaited, call, adapter: adapter, since: started, savings: savings(of: envelope, call))
                return (value, envelope.completion(in: dialect))
            }
            // Unusable here (another response type under the same key): ask, and store over it.
            return try await attempt(call, Response.self, storingIn: adapter)
        case .timedOut:
            return try await attempt(call, Response.self, storingIn: adapter)
        case .leased(let lease):
            // Kept while the call runs; released (and announced) even when this task is cancelled.
            let renewal = Task {
                while true {
                    try await Task.sleep(for: flight.lease / 3)
                    guard try await sharing.renew(lease, for: flight.lease) else { return }
                }
            }
            let outcome: Result<(Response, ChatCompletion), any Error>
            do {
                outcome = .success(try await attempt(call, Response.self, storingIn: adapter))
            } catch {
                outcome = .failure(error)
            }
            renewal.cancel()
            let stored = (try? outcome.get()) != nil
            await Task { try? await sharing.release(lease, stored: stored) }.value
            let (value, completion) = try outcome.get()
            return (value, completion)
        }
    }

    /// Asks the provider until an answer decodes and validates, then stores it when asked to.
    private func attempt<Response: Decodable & Sendable>(
        _ call: Call, _ type: Response.Type, storingIn adapter: (any CacheAdapter)?
    ) async throws -> (Response, ChatCompletion) {
        var request = call.prepared.request
        var failures: [ClientError.Attempt] = []
        var cost = EntryRecord(providerTime: .zero)
        for _ in 0...call.maxRetries {
            try Task.checkCancellation()
            let asked = ContinuousClock.now
            let completion = try await provider.complete(request)
            cost.add(completion, askedAt: asked)
            let answer: String
            let value: Response
            do {
                answer = try dialect.answerJSON(in: completion, for: request, mode: call.mode)
                value = try Self.decodeAnswer(answer, as: Response.self)
            } catch let error as ClientError {
                throw error
            } catch {
                failures.append(ClientError.Attempt(error: error, completion: completion))
                request.messages += dialect.reaskMessages(after: completion, error: error, mode: call.mode)
                continue
            }
            if let adapter {
                await store(
                    modelJSON: Self.encode(value) ?? answer, rawJSON: completion.raw.jsonString(.compact), record: cost,
                    call, adapter)
            }
            return (value, completion)
        }
        throw ClientError(
            .retriesExhausted,
            "no valid \(Response.self) after \(failures.count) attempt\(failures.count == 1 ? "" : "s")",
            attempts: failures)
    }

    /// Stores an answer, the completion it came from and what it cost, and with ``Configuration/recordsPayloads``
    /// the call's payload.
    func store(
        modelJSON: String, rawJSON: String?, record: EntryRecord, _ call: Call, _ adapter: any CacheAdapter
    ) async {
        let started = ContinuousClock.now
        let envelope = CacheEnvelope(modelJSON: modelJSON, rawJSON: rawJSON, record: record)
        do {
            try await adapter.set(call.key, envelope.bytes, ttl: call.ttl)
            emit(.store, call, adapter: adapter, since: started)
        } catch {
            emit(
                .error, call, adapter: adapter, since: started, reason: "write failed; the answer was not stored",
                error: error)
            return
        }
        guard configuration.recordsPayloads, let payload = try? payload(of: call) else { return }
        let record: JSONValue = ["key": .string(payload.key), "payload": payload.json]
        do {
            try await adapter.set(recordedPayloadKey(call), Data(record.jsonBytes(.compact)), ttl: call.ttl)
        } catch {
            emit(
                .error, call, adapter: adapter, since: started,
                reason: "the answer was stored, its request payload was not", error: error)
        }
    }

    // MARK: Payloads and replays

    /// The payload `call`'s key hashes.
    func payload(of call: Call) throws -> CachePayload {
        let text: String
        switch configuration.keyCompatibility.base {
        case .instructor116:
            text = try dialect.instructorPayload(call.prepared, mode: call.mode, schemaText: call.schemaText).text()
        case .standard:
            text = ClientCacheKey.standardPayload(
                body: try dialect.wireBody(call.prepared.request), prepared: call.prepared, mode: call.mode,
                schemaText: call.schemaText, namespace: namespace
            ).text()
        }
        return CachePayload(key: call.key, text: text)
    }

    /// Where the payload of the last answer stored for `call`'s namespace, model, mode and response type
    /// is kept, when the configuration records payloads.
    private func recordedPayloadKey(_ call: Call) -> String {
        var hasher = SHA256()
        for part in [namespace, call.prepared.request.model, call.mode.rawValue] {
            hasher.update(string: "\(part.utf8.count):\(part)\n")
        }
        call.schemaText.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return "structuredcache-recorded-payload:" + hasher.finalize().hexString
    }

    /// The payload of a call that missed, and where it differs from the last call recorded with the
    /// same model, mode and response type (nothing when payloads are not recorded, or none was).
    ///
    /// - Returns: `nil` when the payload cannot be made (its dialect has no such key).
    private func explain(_ call: Call, _ adapter: any CacheAdapter) async -> (CachePayload, [CachePayload.Difference])?
    {
        guard let payload = try? payload(of: call) else { return nil }
        guard let recorded = await recordedPayload(call, adapter) else { return (payload, []) }
        return (payload, payload.differences(from: recorded))
    }

    /// The payload recorded for `call`'s model, mode and response type, when payloads are recorded.
    private func recordedPayload(_ call: Call, _ adapter: any CacheAdapter) async -> CachePayload? {
        guard configuration.recordsPayloads,
            let stored = try? await adapter.get(recordedPayloadKey(call)),
            let record = try? JSONValue(parsing: stored), let key = record["key"]?.stringValue,
            let recorded = record["payload"]
        else { return nil }
        return CachePayload(key: key, text: recorded.jsonString(.pythonSorted))
    }

    /// The error of a miss under ``CachePolicy/replayOnly``: the key, the payload, and which of its
    /// fields differ from the last recorded call of the same model, mode and response type.
    func replayMiss(_ call: Call, _ adapter: any CacheAdapter) async -> ClientError {
        let payload = try? payload(of: call)
        var message = "no recorded answer for this call (key \(call.key)); the provider was not asked"
        if configuration.recordsPayloads, let payload {
            if let recorded = await recordedPayload(call, adapter) {
                let changed = payload.differences(from: recorded)
                if changed.isEmpty {
                    message +=
                        "; it is the last call recorded with this model, mode and response type, but its "
                        + "answer is no longer stored"
                } else {
                    let paths = changed.prefix(8).map(\.path).joined(separator: ", ")
                    message +=
                        "; it differs from the last call recorded with this model, mode and response type in "
                        + paths + (changed.count > 8 ? " and \(changed.count - 8) more" : "")
                }
            } else {
                message += "; no call was recorded with this model, mode and response type"
            }
        }
        return ClientError(.replayMiss, message, payload: payload)
    }

    /// Decodes and validates an answer.
    static func decodeAnswer<Response: Decodable>(_ json: String, as type: Response.Type) throws -> Response {
        try decodeAnswer(try JSONValue(parsing: json), as: type)
    }

    /// Decodes and validates an answer already parsed.
    static func decodeAnswer<Response: Decodable>(_ json: JSONValue, as type: Response.Type) throws -> Response {
        let value = try JSONValueDecoder.decode(Response.self, from: json)
        if let checked = value as? any Validatable { try checked.validate() }
        return value
    }

    /// The answer as compact JSON, when its type is `Encodable`.
    private static func encode<Response>(_ value: Response) -> String? {
        guard let encodable = value as? any Encodable,
            let data = try? ResponseCoding.makeEncoder().encode(encodable)
        else { return nil }
        return String(data: data, encoding: .utf8)
    }

    // MARK: Savings

    /// What a hit on `envelope` saved: the record this client stored with it, or for an entry another
    /// writer stored, the tokens its completion's usage names.
    func savings(of envelope: CacheEnvelope, _ call: Call) -> CacheSavings {
        let record = envelope.recordedCost
        guard let tokens = record?.tokens ?? envelope.tokens(dialect.usageNames) else {
            return CacheSavings(providerTime: record?.providerTime)
        }
        return CacheSavings(
            providerTime: record?.providerTime, inputTokens: tokens.input, outputTokens: tokens.output,
            cachedInputTokens: tokens.cached,
            cost: configuration.prices[call.prepared.request.model]?.cost(of: tokens))
    }

    // MARK: Events

    func emit(
        _ kind: CacheEvent.Kind, _ call: Call, adapter: (any CacheAdapter)?,
        since started: ContinuousClock.Instant? = nil,
        reason: String? = nil, error: (any Error)? = nil, savings: CacheSavings? = nil,
        explanation: (CachePayload, [CachePayload.Difference])? = nil
    ) {
        var event = CacheEvent(
            kind: kind, key: call.key, adapter: adapter.map { String(describing: type(of: $0)) } ?? "",
            duration: started.map { ContinuousClock.now - $0 } ?? .zero, reason: reason, error: error,
            tokensSaved: savings?.tokens)
        event.savings = savings
        event.responseType = call.responseType
        event.label = call.label
        if let (payload, changes) = explanation {
            event.payload = payload
            event.changes = changes
        }
        publish(event)
    }

    /// Reports a change in a server's health as an ``CacheEvent/Kind/unavailable`` or
    /// ``CacheEvent/Kind/available`` event.
    private func emitHealth(_ health: CacheHealth, adapter: String) {
        publish(
            CacheEvent(
                kind: health.isAvailable ? .available : .unavailable, key: "", adapter: adapter, duration: .zero,
                reason: health.description, error: health.error, tokensSaved: nil))
    }

    private func publish(_ event: CacheEvent) {
        ledger.withLock { ledger in
            ledger.total.count(event)
            if !event.responseType.isEmpty { ledger.byResponseType[event.responseType, default: .init()].count(event) }
            if let label = event.label { ledger.byLabel[label, default: .init()].count(event) }
        }
        configuration.onEvent?(event)
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield(event) }
    }
}
