// What a cache hit saved: the provider time and tokens of the call that stored the answer, and their
// price when the client knows the model's prices.

/// What one cache hit saved: what the call that stored the answer cost.
///
/// The figures are those of the call that stored the entry, every attempt of it included (an answer
/// that took a re-ask saves both requests). Tokens are counted in one sense for every provider (see
/// ``inputTokens``). An entry stored by another writer (Python's Instructor, or an older version)
/// records no provider time, and its tokens are read from its stored completion's usage.
public struct CacheSavings: Sendable, Hashable {
    /// How long the provider took to give the answer; `nil` when the entry does not say.
    public var providerTime: Duration?
    /// Prompt tokens, those read from the provider's prompt cache included (OpenAI's
    /// `prompt_tokens`; Anthropic's `input_tokens` plus its cache reads and writes; Gemini's
    /// `promptTokenCount`).
    public var inputTokens: Int
    /// Generated tokens, reasoning included.
    public var outputTokens: Int
    /// The prompt tokens the provider read from its own prompt cache (and billed at its cached rate).
    public var cachedInputTokens: Int
    /// The price of those tokens at the configuration's ``StructuredClient/Configuration/prices`` for
    /// the call's model; `nil` when the model has no price, or the entry no token counts.
    public var cost: Double?

    /// Input and output tokens together.
    public var tokens: Int { inputTokens + outputTokens }

    /// Creates a record of savings.
    ///
    /// - Parameters:
    ///   - providerTime: How long the provider took to give the answer.
    ///   - inputTokens: Prompt tokens, cached ones included.
    ///   - outputTokens: Generated tokens.
    ///   - cachedInputTokens: Prompt tokens read from the provider's prompt cache.
    ///   - cost: Their price.
    public init(
        providerTime: Duration? = nil, inputTokens: Int = 0, outputTokens: Int = 0, cachedInputTokens: Int = 0,
        cost: Double? = nil
    ) {
        self.providerTime = providerTime
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cost = cost
    }
}
