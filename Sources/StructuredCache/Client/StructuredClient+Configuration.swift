// The client's defaults: model, mode, retries, cache TTL and policy, stale answers, key scope, event sink.

extension StructuredClient {
    /// How the cache key is computed.
    public struct KeyCompatibility: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case standard
            case instructor116
        }

        /// Switched on exhaustively, so that a new kind of key cannot fall through to another's.
        let base: Base
        private init(_ base: Base) { self.base = base }

        /// The key covers the whole prepared request (messages, model, mode, schema, and every other
        /// parameter: sampling, tools, response format, stop, length …) and the namespace.
        public static let standard = KeyCompatibility(.standard)

        /// Instructor 1.16's request-path key: prepared messages, model, mode value and schema only, so
        /// that a Swift and a Python service share one cache. Calls that differ only in other parameters
        /// (temperature …) or in endpoint or credentials then share entries, as they do in Instructor.
        public static let instructor116 = KeyCompatibility(.instructor116)

        /// The scheme's name (`standard`, `instructor116`), for logs.
        public var description: String { base.rawValue }
    }

    /// The client's defaults; each can be overridden per call.
    public struct Configuration: Sendable {
        /// The model used when a call names none.
        public var defaultModel: String?
        /// The mode used when a call names none.
        public var mode: Mode
        /// How many times to ask again after an answer fails to decode or validate. Instructor's
        /// `max_retries` counts attempts: its `max_retries=2` is `maxRetries: 1` here.
        public var maxRetries: Int
        /// How long stored answers live; ``CacheTTL/adapterDefault`` (the default) for the adapter's
        /// default TTL, ``CacheTTL/never`` for no expiry whatever the adapter's default.
        public var cacheTTL: CacheTTL
        /// How calls use the cache.
        public var cachePolicy: CachePolicy
        /// The scope of cache keys. `nil` (the default) derives it from the provider's
        /// ``ChatProvider/cacheIdentity`` (endpoint and a hash of the credential), so that entries are
        /// never shared across endpoints or accounts; clients given the same explicit namespace share
        /// entries. Not used by ``KeyCompatibility/instructor116`` keys.
        public var namespace: String?
        /// How keys are computed.
        public var keyCompatibility: KeyCompatibility
        /// Whether each stored answer's request payload is kept too, one per model, mode and response
        /// type (the last stored), so that a ``CachePolicy/replayOnly`` miss can say which fields of
        /// the request changed since the recording. Default `false`.
        public var recordsPayloads: Bool
        /// Whether miss events carry the call's canonical payload (``CacheEvent/payload``) and, with
        /// ``recordsPayloads``, the fields that changed since the last recorded call
        /// (``CacheEvent/changes``): the answer to "why did this miss?". It costs a payload on every
        /// miss, and with recorded payloads one more read. Default `false`.
        public var explainsMisses: Bool
        /// Whether streaming calls use the cache, and how stored streams replay (see
        /// ``StreamCaching``); each call can override it. ``StreamCaching/off`` by default.
        public var streamCaching: StreamCaching
        /// Token prices by model name (as the call sends it), for the money hits save
        /// (``CacheSavings/cost``, ``CacheStatistics/costSaved``). Empty by default: no costs.
        public var prices: [String: TokenPrices]
        /// How long ago an entry may have expired and still answer a call whose provider failed (a
        /// transport error, a timeout, HTTP 408 or 429 after the provider's retries, HTTP 5xx); `nil` (the
        /// default) for never. It needs an adapter that keeps expired entries for a grace
        /// (``StaleReadingCacheAdapter``, with its configuration's `staleGrace`), and never reaches past
        /// that grace. The entry is decoded and validated as a hit is, reported as a
        /// ``CacheEvent/Kind/stale`` event and counted in ``CacheStatistics/staleAnswers``; when there is
        /// none, or it cannot be used, the provider's error is thrown. Other failures (other 4xx statuses,
        /// an answer that does not validate, cancellation) are never answered so, and neither are calls
        /// whose policy does not read the cache.
        public var staleIfError: Duration?
        /// Whether a miss coordinates with the other processes that share the cache, so that identical
        /// concurrent misses across them make one provider call (see ``SharedFlight``); `nil` (the
        /// default) for never. It needs an adapter that shares calls (``SharedFlightCacheAdapter``).
        public var sharedFlight: SharedFlight?
        /// Called with every cache event, on the calling task.
        public var onEvent: (@Sendable (CacheEvent) -> Void)?

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - defaultModel: The model used when a call names none.
        ///   - mode: The mode used when a call names none.
        ///   - maxRetries: How many times to ask again after a failed answer.
        ///   - cacheTTL: How long stored answers live; the adapter's default TTL unless given.
        ///   - cachePolicy: How calls use the cache.
        ///   - namespace: The scope of cache keys; derived from the provider when `nil`.
        ///   - keyCompatibility: How keys are computed.
        ///   - recordsPayloads: Whether stored answers keep their request payloads, for replay misses.
        ///   - explainsMisses: Whether miss events carry the payload and what changed.
        ///   - streamCaching: Whether streaming calls use the cache.
        ///   - prices: Token prices by model name, for the money hits save.
        ///   - staleIfError: How long ago an entry may have expired to answer when the provider fails.
        ///   - sharedFlight: Whether misses coordinate with other processes sharing the cache.
        ///   - onEvent: Called with every cache event.
        public init(
            defaultModel: String? = nil, mode: Mode = .tools, maxRetries: Int = 1, cacheTTL: CacheTTL = .adapterDefault,
            cachePolicy: CachePolicy = .use, namespace: String? = nil, keyCompatibility: KeyCompatibility = .standard,
            recordsPayloads: Bool = false, explainsMisses: Bool = false, staleIfError: Duration? = nil,
            streamCaching: StreamCaching = .off, prices: [String: TokenPrices] = [:], sharedFlight: SharedFlight? = nil,
            onEvent: (@Sendable (CacheEvent) -> Void)? = nil
        ) {
            self.defaultModel = defaultModel
            self.mode = mode
            self.maxRetries = maxRetries
            self.cacheTTL = cacheTTL
            self.cachePolicy = cachePolicy
            self.namespace = namespace
            self.keyCompatibility = keyCompatibility
            self.recordsPayloads = recordsPayloads
            self.explainsMisses = explainsMisses
            self.prices = prices
            self.streamCaching = streamCaching
            self.staleIfError = staleIfError
            self.sharedFlight = sharedFlight
            self.onEvent = onEvent
        }
    }
}
