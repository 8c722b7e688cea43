// The tuning knobs of AnthropicProvider: its timeout, retries and size limits (named as
// OpenAIProvider's), the default `max_tokens`, and the API version and beta features it asks for.

extension AnthropicProvider {
    /// How an ``AnthropicProvider`` waits, retries and what it sends by default; every property has a
    /// default.
    public struct Configuration: Sendable, Hashable {
        /// How long the endpoint may stay silent before the attempt fails with a `timeout` error.
        /// Default 60 s; a duration that is not positive means the default.
        public var timeout: Duration
        /// How many times a transient failure (408, 429, 529 overloaded, other 5xx, a broken
        /// connection, a timeout) is retried after the first attempt. Default 2.
        public var maxRetries: Int
        /// The delay before the first retry when the server does not say (with `retry-after`); it
        /// doubles per retry, minus up to 25 % of jitter. Default 0.5 s.
        public var initialRetryDelay: Duration
        /// The longest delay between attempts; a server asking for a longer one gets its error thrown
        /// at once. Default 20 s.
        public var maxRetryDelay: Duration
        /// The largest non-streamed response body accepted. Default 64 MiB.
        public var maximumResponseSize: Int
        /// The largest server-sent event accepted in a stream. Default 16 MiB.
        public var maximumEventSize: Int
        /// `max_tokens` for calls whose options set neither `maxTokens` nor `maxCompletionTokens`: the
        /// Messages API requires it. Default 4,096.
        public var maxTokens: Int
        /// The `anthropic-version` header. Default `2023-06-01`.
        public var version: String
        /// Beta features, sent as the `anthropic-beta` header (comma-separated); none by default.
        public var betas: [String]

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - timeout: How long the endpoint may stay silent before an attempt fails.
        ///   - maxRetries: Retries of a transient failure after the first attempt.
        ///   - initialRetryDelay: The first backoff delay.
        ///   - maxRetryDelay: The longest delay between attempts.
        ///   - maximumResponseSize: The largest non-streamed body accepted, in bytes.
        ///   - maximumEventSize: The largest streamed event accepted, in bytes.
        ///   - maxTokens: `max_tokens` when a call sets none.
        ///   - version: The `anthropic-version` header.
        ///   - betas: Beta features for the `anthropic-beta` header.
        public init(
            timeout: Duration = .seconds(60), maxRetries: Int = 2, initialRetryDelay: Duration = .milliseconds(500),
            maxRetryDelay: Duration = .seconds(20), maximumResponseSize: Int = 64 << 20,
            maximumEventSize: Int = 16 << 20, maxTokens: Int = 4_096, version: String = "2023-06-01",
            betas: [String] = []
        ) {
            let limits = ProviderTransport.Limits(
                timeout: timeout, maxRetries: maxRetries, initialRetryDelay: initialRetryDelay,
                maxRetryDelay: maxRetryDelay, maximumResponseSize: maximumResponseSize,
                maximumEventSize: maximumEventSize)
            self.timeout = limits.timeout
            self.maxRetries = limits.retryPolicy.maxRetries
            self.initialRetryDelay = limits.retryPolicy.initialDelay
            self.maxRetryDelay = limits.retryPolicy.maxDelay
            self.maximumResponseSize = limits.maximumResponseSize
            self.maximumEventSize = limits.maximumEventSize
            self.maxTokens = max(1, maxTokens)
            self.version = version
            self.betas = betas
        }

        var limits: ProviderTransport.Limits {
            ProviderTransport.Limits(
                timeout: timeout, maxRetries: maxRetries, initialRetryDelay: initialRetryDelay,
                maxRetryDelay: maxRetryDelay, maximumResponseSize: maximumResponseSize,
                maximumEventSize: maximumEventSize)
        }
    }
}
