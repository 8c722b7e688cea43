// The tuning knobs of OpenAIProvider: its timeout, retries and their delays, size limits, streaming
// options.

extension OpenAIProvider {
    /// How an ``OpenAIProvider`` waits, retries and what it accepts; every property has a default.
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
        /// The largest server-sent event (and line) accepted in a stream. Default 16 MiB.
        public var maximumEventSize: Int
        /// Whether streaming requests ask for usage in the final chunk
        /// (`"stream_options": {"include_usage": true}`) when the request sets no `stream_options`.
        /// Turn it off for servers that reject the option. Default `true`.
        public var requestsStreamUsage: Bool

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - timeout: How long the endpoint may stay silent before an attempt fails.
        ///   - maxRetries: Retries of a transient failure after the first attempt.
        ///   - initialRetryDelay: The first backoff delay.
        ///   - maxRetryDelay: The longest delay between attempts.
        ///   - maximumResponseSize: The largest non-streamed body accepted, in bytes.
        ///   - maximumEventSize: The largest streamed event accepted, in bytes.
        ///   - requestsStreamUsage: Whether streaming requests ask for usage.
        public init(
            timeout: Duration = .seconds(60), maxRetries: Int = 2, initialRetryDelay: Duration = .milliseconds(500),
            maxRetryDelay: Duration = .seconds(20), maximumResponseSize: Int = 64 << 20,
            maximumEventSize: Int = 16 << 20, requestsStreamUsage: Bool = true
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
            self.requestsStreamUsage = requestsStreamUsage
        }

        var limits: ProviderTransport.Limits {
            ProviderTransport.Limits(
                timeout: timeout, maxRetries: maxRetries, initialRetryDelay: initialRetryDelay,
                maxRetryDelay: maxRetryDelay, maximumResponseSize: maximumResponseSize,
                maximumEventSize: maximumEventSize)
        }
    }
}
