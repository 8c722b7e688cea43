// The tuning knobs of OpenAIResponsesProvider: its timeout, retries and their delays, size limits,
// and whether OpenAI keeps the responses it generates.

extension OpenAIResponsesProvider {
    /// How an ``OpenAIResponsesProvider`` waits, retries and what it accepts; every property has a default.
    public struct Configuration: Sendable, Hashable {
        /// How long the endpoint may stay silent (no response head, or no new body bytes) before the
        /// attempt fails with a `timeout` error. Default 60 s; a duration that is not positive means the
        /// default.
        public var timeout: Duration
        /// How many times a transient failure (408, 429, 5xx, a broken connection, a timeout) is retried
        /// after the first attempt. Default 2.
        public var maxRetries: Int
        /// The delay before the first retry when the server does not say; it doubles per retry, minus up
        /// to 25 % of jitter. Default 0.5 s.
        public var initialRetryDelay: Duration
        /// The longest delay between attempts. A server asking (with `Retry-After`) for a longer one
        /// gets its error thrown at once instead. Default 20 s.
        public var maxRetryDelay: Duration
        /// The largest non-streamed response body accepted. Default 64 MiB.
        public var maximumResponseSize: Int
        /// The largest server-sent event (and line) accepted in a stream. Default 16 MiB; a streamed
        /// `response.completed` event carries the whole response.
        public var maximumEventSize: Int
        /// The `store` member sent with every request whose `extraBody` sets none: `false` (the
        /// default) so that OpenAI keeps no response or conversation state the provider does not use;
        /// `true` to keep them (for `previous_response_id`, evals, the dashboard); `nil` to send no
        /// `store` and leave it to the server (OpenAI stores by default).
        public var store: Bool?

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - timeout: How long the endpoint may stay silent before an attempt fails.
        ///   - maxRetries: Retries of a transient failure after the first attempt.
        ///   - initialRetryDelay: The first backoff delay.
        ///   - maxRetryDelay: The longest delay between attempts.
        ///   - maximumResponseSize: The largest non-streamed body accepted, in bytes.
        ///   - maximumEventSize: The largest streamed event accepted, in bytes.
        ///   - store: The `store` member sent; `nil` for none.
        public init(
            timeout: Duration = .seconds(60), maxRetries: Int = 2, initialRetryDelay: Duration = .milliseconds(500),
            maxRetryDelay: Duration = .seconds(20), maximumResponseSize: Int = 64 << 20,
            maximumEventSize: Int = 16 << 20, store: Bool? = false
        ) {
            self.timeout = timeout > .zero ? timeout : .seconds(60)
            self.maxRetries = max(0, maxRetries)
            self.initialRetryDelay = max(.zero, initialRetryDelay)
            self.maxRetryDelay = max(.zero, maxRetryDelay)
            self.maximumResponseSize = max(1, maximumResponseSize)
            self.maximumEventSize = max(1, maximumEventSize)
            self.store = store
        }

        /// The shared knobs, bounded as the chat completions provider bounds them.
        var limits: ProviderTransport.Limits {
            OpenAIProvider.Configuration(
                timeout: timeout, maxRetries: maxRetries, initialRetryDelay: initialRetryDelay,
                maxRetryDelay: maxRetryDelay, maximumResponseSize: maximumResponseSize,
                maximumEventSize: maximumEventSize
            ).limits
        }
    }
}
