// A chat completions request: the common parameters typed, anything else passed through as JSON.

/// A request to a chat completions endpoint.
///
/// The common parameters are typed; any other member of the request body goes into ``extraBody``
/// and is sent as is. ``body`` is the exact JSON object sent, which is also what the client's cache
/// key hashes, so every parameter that can change the answer changes the key.
public struct ChatRequest: Sendable, Hashable {
    /// The model name.
    public var model: String
    /// The conversation.
    public var messages: [ChatMessage]
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
    /// How many choices to generate.
    public var n: Int?
    /// Presence penalty.
    public var presencePenalty: Double?
    /// Frequency penalty.
    public var frequencyPenalty: Double?
    /// Tool definitions, in OpenAI's format.
    public var tools: [JSONValue]?
    /// Which tool to call (`"auto"`, `"required"`, or a specific function).
    public var toolChoice: JSONValue?
    /// The response format (`{"type": "json_object"}`, a JSON schema …).
    public var responseFormat: JSONValue?
    /// Whether the answer streams as server-sent events.
    public var stream: Bool
    /// Any other members of the request body, sent as they are.
    public var extraBody: JSONObject

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - model: The model name.
    ///   - messages: The conversation.
    ///   - temperature: Sampling temperature.
    ///   - topP: Nucleus sampling mass.
    ///   - maxTokens: The most tokens to generate.
    ///   - maxCompletionTokens: The most tokens to generate, reasoning included.
    ///   - stop: Sequences that end generation.
    ///   - seed: A seed for reproducible sampling.
    ///   - n: How many choices to generate.
    ///   - presencePenalty: Presence penalty.
    ///   - frequencyPenalty: Frequency penalty.
    ///   - tools: Tool definitions.
    ///   - toolChoice: Which tool to call.
    ///   - responseFormat: The response format.
    ///   - stream: Whether to stream the answer.
    ///   - extraBody: Other members of the request body.
    public init(
        model: String, messages: [ChatMessage], temperature: Double? = nil, topP: Double? = nil,
        maxTokens: Int? = nil, maxCompletionTokens: Int? = nil, stop: [String]? = nil, seed: Int? = nil,
        n: Int? = nil, presencePenalty: Double? = nil, frequencyPenalty: Double? = nil, tools: [JSONValue]? = nil,
        toolChoice: JSONValue? = nil, responseFormat: JSONValue? = nil, stream: Bool = false,
        extraBody: JSONObject = [:]
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.maxCompletionTokens = maxCompletionTokens
        self.stop = stop
        self.seed = seed
        self.n = n
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.stream = stream
        self.extraBody = extraBody
    }

    /// The request body as sent: `model`, `messages`, then each parameter that is set, then
    /// ``extraBody`` (whose members never replace typed ones).
    public var body: JSONObject {
        var body = JSONObject(minimumCapacity: 8 + extraBody.count)
        body["model"] = .string(model)
        body["messages"] = .array(messages.map(\.json))
        if let temperature { body["temperature"] = .double(temperature) }
        if let topP { body["top_p"] = .double(topP) }
        if let maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let maxCompletionTokens { body["max_completion_tokens"] = .int(maxCompletionTokens) }
        if let stop { body["stop"] = .array(stop.map(JSONValue.string)) }
        if let seed { body["seed"] = .int(seed) }
        if let n { body["n"] = .int(n) }
        if let presencePenalty { body["presence_penalty"] = .double(presencePenalty) }
        if let frequencyPenalty { body["frequency_penalty"] = .double(frequencyPenalty) }
        if let tools { body["tools"] = .array(tools) }
        if let toolChoice { body["tool_choice"] = toolChoice }
        if let responseFormat { body["response_format"] = responseFormat }
        if stream { body["stream"] = true }
        for (key, value) in extraBody where body[key] == nil { body[key] = value }
        return body
    }
}
