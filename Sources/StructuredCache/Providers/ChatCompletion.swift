// A chat completion as the endpoint returned it: the parts the client reads, typed, and the whole
// JSON kept for everything else.

/// A chat completion: OpenAI's format, which every provider's answer is read into.
///
/// The members the client needs are typed; ``raw`` keeps the whole response as the provider sent it,
/// in the provider's own format (an Anthropic message, a Gemini response …), fields this type does
/// not model included (provider-specific usage details, logprobs …). On a cache hit,
/// `createWithCompletion` returns the completion read back from the stored raw JSON.
public struct ChatCompletion: Sendable, Hashable {
    /// One generated answer.
    public struct Choice: Sendable, Hashable {
        /// The choice's position.
        public var index: Int
        /// The generated message.
        public var message: ChatMessage
        /// Why generation stopped, in OpenAI's words whatever the provider (`"stop"`, `"length"`,
        /// `"tool_calls"`, `"content_filter"` …); the provider's own value is in ``ChatCompletion/raw``.
        public var finishReason: String?
    }

    /// The tokens a request used.
    public struct Usage: Sendable, Hashable {
        /// Tokens of the prompt.
        public var promptTokens: Int
        /// Tokens generated.
        public var completionTokens: Int
        /// Both.
        public var totalTokens: Int
        /// How many of the prompt tokens were read from the provider's prompt cache, when it says
        /// (OpenAI's `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`,
        /// Gemini's `cachedContentTokenCount`).
        public var cachedPromptTokens: Int?
        /// How many of the prompt tokens were written to the provider's prompt cache, when it says
        /// (Anthropic's `cache_creation_input_tokens`).
        public var cacheCreationTokens: Int?

        /// Creates a usage record.
        ///
        /// - Parameters:
        ///   - promptTokens: Tokens of the prompt, cached ones included.
        ///   - completionTokens: Tokens generated.
        ///   - totalTokens: Both; their sum when `nil`.
        ///   - cachedPromptTokens: Prompt tokens read from the provider's prompt cache.
        ///   - cacheCreationTokens: Prompt tokens written to the provider's prompt cache.
        public init(
            promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil, cachedPromptTokens: Int? = nil,
            cacheCreationTokens: Int? = nil
        ) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.totalTokens = totalTokens ?? promptTokens + completionTokens
            self.cachedPromptTokens = cachedPromptTokens
            self.cacheCreationTokens = cacheCreationTokens
        }

        init?(json: JSONValue?) {
            guard let json, json.objectValue != nil else { return nil }
            let prompt = json["prompt_tokens"]?.intValue ?? 0
            let completion = json["completion_tokens"]?.intValue ?? 0
            self.init(
                promptTokens: prompt, completionTokens: completion, totalTokens: json["total_tokens"]?.intValue,
                cachedPromptTokens: json["prompt_tokens_details"]?["cached_tokens"]?.intValue)
        }
    }

    /// The completion's identifier.
    public var id: String
    /// The model that answered.
    public var model: String
    /// When it was created, in seconds since 1970.
    public var created: Int?
    /// The generated answers.
    public var choices: [Choice]
    /// The tokens used, when reported.
    public var usage: Usage?
    /// The whole response as it arrived.
    public var raw: JSONValue

    /// Creates a completion from its parts, as providers of other wire formats do.
    ///
    /// - Parameters:
    ///   - id: The completion's identifier.
    ///   - model: The model that answered.
    ///   - created: When it was created, in seconds since 1970.
    ///   - choices: The generated answers.
    ///   - usage: The tokens used.
    ///   - raw: The response as the provider sent it.
    init(id: String, model: String, created: Int? = nil, choices: [Choice], usage: Usage?, raw: JSONValue) {
        self.id = id
        self.model = model
        self.created = created
        self.choices = choices
        self.usage = usage
        self.raw = raw
    }

    /// Reads a completion from its JSON.
    ///
    /// - Parameter json: The response body.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a chat completion.
    public init(json: JSONValue) throws {
        guard json.objectValue != nil, let choices = json["choices"]?.arrayValue else {
            throw ProviderError.invalidResponse("a chat completion needs a \"choices\" array")
        }
        id = json["id"]?.stringValue ?? ""
        model = json["model"]?.stringValue ?? ""
        created = json["created"]?.intValue
        self.choices = try choices.enumerated().map { position, choice in
            guard let message = choice["message"] else {
                throw ProviderError.invalidResponse("choice \(position) has no \"message\"")
            }
            let decoded: ChatMessage
            do {
                decoded = try ChatMessage(json: message)
            } catch {
                throw ProviderError.invalidResponse("choice \(position) has no valid \"message\"", underlying: error)
            }
            return Choice(
                index: choice["index"]?.intValue ?? position, message: decoded,
                finishReason: choice["finish_reason"]?.stringValue)
        }
        usage = Usage(json: json["usage"])
        raw = json
    }

    /// Reads a completion from JSON text.
    ///
    /// - Parameter bytes: The UTF-8 response body.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a chat completion.
    public init(parsing bytes: some Collection<UInt8>) throws {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw ProviderError.invalidResponse("the response is not JSON: \(error)", underlying: error)
        }
        try self.init(json: json)
    }

    /// The first choice's message, where structured answers are read from.
    public var message: ChatMessage? { choices.first?.message }
}
