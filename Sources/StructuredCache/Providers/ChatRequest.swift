// A chat completions request: the conversation, the caller's options, and what a mode adds.

/// A request to a chat completions endpoint.
///
/// The caller's sampling, length and extra parameters are its ``options``; the mode adds tools, a tool
/// choice or a response format. ``body`` is the exact JSON object sent, which is also what the client's
/// cache key hashes, so every parameter that can change the answer changes the key.
public struct ChatRequest: Sendable, Hashable {
    /// The model name.
    public var model: String
    /// The conversation.
    public var messages: [ChatMessage]
    /// Sampling, length and extra body parameters (``RequestOptions/extraBody`` members are sent as
    /// they are).
    public var options: RequestOptions
    /// How many choices to generate.
    public var n: Int?
    /// Tool definitions, in OpenAI's format.
    public var tools: [JSONValue]?
    /// Which tool to call (`"auto"`, `"required"`, or a specific function).
    public var toolChoice: JSONValue?
    /// The response format (`{"type": "json_object"}`, a JSON schema …).
    public var responseFormat: JSONValue?
    /// Whether the answer streams as server-sent events.
    public var stream: Bool

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - model: The model name.
    ///   - messages: The conversation.
    ///   - options: Sampling, length and extra body parameters.
    ///   - n: How many choices to generate.
    ///   - tools: Tool definitions.
    ///   - toolChoice: Which tool to call.
    ///   - responseFormat: The response format.
    ///   - stream: Whether the answer streams.
    public init(
        model: String, messages: [ChatMessage], options: RequestOptions = RequestOptions(), n: Int? = nil,
        tools: [JSONValue]? = nil, toolChoice: JSONValue? = nil, responseFormat: JSONValue? = nil,
        stream: Bool = false
    ) {
        self.model = model
        self.messages = messages
        self.options = options
        self.n = n
        self.tools = tools
        self.toolChoice = toolChoice
        self.responseFormat = responseFormat
        self.stream = stream
    }

    /// The request body as sent: `model`, `messages`, then each parameter that is set, then
    /// ``RequestOptions/extraBody`` (whose members never replace typed ones).
    public var body: JSONObject {
        var body = JSONObject(minimumCapacity: 8 + options.extraBody.count)
        body["model"] = .string(model)
        body["messages"] = .array(messages.map(\.json))
        if let temperature = options.temperature { body["temperature"] = .double(temperature) }
        if let topP = options.topP { body["top_p"] = .double(topP) }
        if let maxTokens = options.maxTokens { body["max_tokens"] = .int(maxTokens) }
        if let maxCompletionTokens = options.maxCompletionTokens {
            body["max_completion_tokens"] = .int(maxCompletionTokens)
        }
        if let stop = options.stop { body["stop"] = .array(stop.map(JSONValue.string)) }
        if let seed = options.seed { body["seed"] = .int(seed) }
        if let n { body["n"] = .int(n) }
        if let presencePenalty = options.presencePenalty { body["presence_penalty"] = .double(presencePenalty) }
        if let frequencyPenalty = options.frequencyPenalty { body["frequency_penalty"] = .double(frequencyPenalty) }
        if let tools { body["tools"] = .array(tools) }
        if let toolChoice { body["tool_choice"] = toolChoice }
        if let responseFormat { body["response_format"] = responseFormat }
        if stream { body["stream"] = true }
        for (key, value) in options.extraBody where body[key] == nil { body[key] = value }
        return body
    }
}
