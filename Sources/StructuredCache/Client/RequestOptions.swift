// The sampling and length parameters of a call, which the cache key includes.

/// Parameters of a call besides the model, the messages and the mode.
///
/// Every parameter set here is sent, and is part of the cache key: calls that differ in any of them
/// never share an entry.
public struct RequestOptions: Sendable, Hashable {
    /// Sampling temperature.
    public var temperature: Double?
    /// Nucleus sampling mass.
    public var topP: Double?
    /// The most tokens to generate (`max_tokens`).
    public var maxTokens: Int?
    /// The most tokens to generate, reasoning included (`max_completion_tokens`).
    public var maxCompletionTokens: Int?
    /// Sequences that end generation.
    public var stop: [String]?
    /// A seed for reproducible sampling.
    public var seed: Int?
    /// Presence penalty.
    public var presencePenalty: Double?
    /// Frequency penalty.
    public var frequencyPenalty: Double?
    /// Any other members of the request body (`reasoning_effort`, `user` …), sent as they are.
    public var extraBody: JSONObject

    /// Creates options; every parameter is optional.
    ///
    /// - Parameters:
    ///   - temperature: Sampling temperature.
    ///   - topP: Nucleus sampling mass.
    ///   - maxTokens: The most tokens to generate.
    ///   - maxCompletionTokens: The most tokens to generate, reasoning included.
    ///   - stop: Sequences that end generation.
    ///   - seed: A seed for reproducible sampling.
    ///   - presencePenalty: Presence penalty.
    ///   - frequencyPenalty: Frequency penalty.
    ///   - extraBody: Other members of the request body.
    public init(
        temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, maxCompletionTokens: Int? = nil,
        stop: [String]? = nil, seed: Int? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil,
        extraBody: JSONObject = [:]
    ) {
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.stop = stop
        self.seed = seed
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.extraBody = extraBody
    }

    /// A request for `model` and `messages` with these options.
    func request(model: String, messages: [ChatMessage]) -> ChatRequest {
        ChatRequest(model: model, messages: messages, options: self)
    }
}
