// What the client's cache did, reported per call, and the running totals.

import StructuredCacheSupport

/// Something the client's cache did during a call.
///
/// Bridge events to logging or metrics with ``StructuredClient/Configuration/onEvent`` or
/// ``StructuredClient/events()``.
public struct CacheEvent: Sendable, CustomStringConvertible {
    /// What happened.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case hit
            case miss
            case store
            case error
            case bypass
            case unavailable
            case available
            case stale
            case awaited
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A valid answer was read from the cache; the provider was not called.
        public static let hit = Kind(.hit)
        /// Nothing usable was in the cache.
        public static let miss = Kind(.miss)
        /// An answer was stored.
        public static let store = Kind(.store)
        /// The cache failed (the call went on as on a miss, or without storing).
        public static let error = Kind(.error)
        /// The cache was not used, and why (``CacheEvent/reason``).
        public static let bypass = Kind(.bypass)
        /// A server behind the cache stopped answering and is skipped until it answers again (its
        /// circuit breaker opened); ``CacheEvent/reason`` names it and the failure. Not tied to a call:
        /// ``CacheEvent/key`` is empty.
        public static let unavailable = Kind(.unavailable)
        /// A server that was skipped answers again and is used; ``CacheEvent/key`` is empty.
        public static let available = Kind(.available)
        /// The provider failed, and an entry that had expired no longer ago than the call's
        /// `staleIfError` answered instead; ``CacheEvent/reason`` names the provider's error and how long
        /// ago the entry expired.
        public static let stale = Kind(.stale)
        /// The call missed while another process made the same call under a lease (see
        /// ``SharedFlight``), and was answered by what that process stored: the provider was not
        /// called for it. Counted in ``CacheStatistics/awaitedAnswers``, not as a hit (the call's miss
        /// was counted already).
        public static let awaited = Kind(.awaited)

        /// The kind's name (`hit`, `miss` …), for logs and metric labels.
        public var name: String { base.rawValue }
        /// The kind's name, as `name` gives it.
        public var description: String { base.rawValue }
    }

    /// What happened.
    public let kind: Kind
    /// The cache key of the call; empty for ``Kind/unavailable`` and ``Kind/available``.
    public let key: String
    /// The adapter's type name (`AutoCache`, `RedisCache` …), or an empty string without one.
    public let adapter: String
    /// How long the cache operation took.
    public let duration: Duration
    /// Why, for misses of stored values that could not be used, errors, bypasses and stale answers.
    public let reason: String?
    /// The adapter's error, for ``Kind/error``.
    public let error: (any Error)?
    /// The tokens the hit saved, input and output together (``CacheSavings/tokens``), for ``Kind/hit``.
    public let tokensSaved: Int?
    /// What the hit saved: the provider time, tokens and price of the call that stored the answer, for
    /// ``Kind/hit`` and ``Kind/awaited``.
    public internal(set) var savings: CacheSavings? = nil
    /// The call's response type (`User`; `[User]` for ``StructuredClient/createIterable(model:messages:responseModel:mode:options:cache:cacheTTL:cachePolicy:streamCaching:label:)``);
    /// empty for ``Kind/unavailable`` and ``Kind/available``.
    public internal(set) var responseType = ""
    /// The label the call was given, for counting by label (see ``StructuredClient/statisticsByLabel``).
    public internal(set) var label: String? = nil
    /// For a ``Kind/miss`` when the configuration's `explainsMisses` is on: the call's key and
    /// canonical payload.
    public internal(set) var payload: CachePayload? = nil
    /// For a ``Kind/miss`` when the configuration explains misses and records payloads: where the call
    /// differs from the last one recorded with the same model, mode and response type.
    public internal(set) var changes: [CachePayload.Difference] = []

    /// One line for logs; the reason and the error have anything shaped like a credential replaced by
    /// `***` (an adapter's error may name a URL with a password).
    public var description: String {
        var text = "cache \(kind) \(key.prefix(12))… adapter=\(adapter) duration=\(duration)"
        if let reason { text += " reason=" + Redactor.standard.redact(reason) }
        if let tokensSaved { text += " tokensSaved=\(tokensSaved)" }
        if let providerTime = savings?.providerTime { text += " providerTimeSaved=\(providerTime)" }
        if let label { text += " label=" + label }
        if !changes.isEmpty { text += " changed=" + changes.map(\.path).joined(separator: ",") }
        if let error { text += " error=" + Redactor.standard.redact("\(error)") }
        return text
    }
}

/// Running totals of a client's cache use, and what its hits saved.
public struct CacheStatistics: Sendable, Hashable {
    /// Calls answered from the cache.
    public var hits = 0
    /// Calls the cache could not answer, including those whose read failed (also counted in
    /// ``errors``).
    public var misses = 0
    /// Answers stored.
    public var stores = 0
    /// Cache failures (each treated as a miss or a skipped store).
    public var errors = 0
    /// Times a server behind the cache became unavailable (its circuit breaker opened).
    public var outages = 0
    /// Calls that did not use the cache.
    public var bypasses = 0
    /// Tokens the hits (and the awaited answers) saved, input and output together.
    public var tokensSaved = 0
    /// Prompt tokens the hits saved, those the provider would have read from its prompt cache
    /// included (see ``CacheSavings/inputTokens``).
    public var inputTokensSaved = 0
    /// Generated tokens the hits saved.
    public var outputTokensSaved = 0
    /// Of ``inputTokensSaved``, those the provider would have read from its prompt cache.
    public var cachedInputTokensSaved = 0
    /// Provider time the hits saved: for each, how long the call that stored its answer waited for the
    /// provider (entries that do not say add nothing).
    public var providerTimeSaved = Duration.zero
    /// The price of the tokens the hits saved, for models with a price in the configuration's
    /// ``StructuredClient/Configuration/prices``.
    public var costSaved = 0.0
    /// Calls answered by an expired entry because the provider failed (``CacheEvent/Kind/stale``); not
    /// counted as hits.
    public var staleAnswers = 0
    /// Calls that missed and were answered by the identical call of another process sharing the cache
    /// (``CacheEvent/Kind/awaited``), without calling the provider.
    public var awaitedAnswers = 0

    /// The share of reads that hit, from 0 to 1 (0 before any read).
    public var hitRate: Double {
        hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
    }

    /// Counts `event`.
    mutating func count(_ event: CacheEvent) {
        switch event.kind {
        case .hit, .awaited:
            if event.kind == .hit { hits += 1 } else { awaitedAnswers += 1 }
            guard let savings = event.savings else { return }
            tokensSaved += savings.tokens
            inputTokensSaved += savings.inputTokens
            outputTokensSaved += savings.outputTokens
            cachedInputTokensSaved += savings.cachedInputTokens
            providerTimeSaved += savings.providerTime ?? .zero
            costSaved += savings.cost ?? 0
        case .miss: misses += 1
        case .store: stores += 1
        case .error: errors += 1
        case .unavailable: outages += 1
        case .available: break
        case .stale: staleAnswers += 1
        default: bypasses += 1
        }
    }
}
