// A chat completion as the endpoint returned it: the parts the client reads, typed, and the whole
// JSON kept for everything else.

/// A chat completion in OpenAI's format.
///
/// The members the client needs are typed; ``raw`` keeps the whole response as it arrived, fields
/// this type does not model included (provider-specific usage details, logprobs …). On a cache hit,
/// `createWithCompletion` returns the completion read back from the stored raw JSON.
public struct ChatCompletion: Sendable, Hashable {
    /// One generated answer.
    public struct Choice: Sendable, Hashable {
        /// The choice's position.
        public var index: Int
        /// The generated message.
        public var message: ChatMessage
        /// Why generation stopped (`"stop"`, `"length"`, `"tool_calls"` …).
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

        /// Creates a usage record.
        ///
        /// - Parameters:
        ///   - promptTokens: Tokens of the prompt.
        ///   - completionTokens: Tokens generated.
        ///   - totalTokens: Both; their sum when `nil`.
        public init(promptTokens: Int, completionTokens: Int, totalTokens: Int? = nil) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.totalTokens = totalTokens ?? promptTokens + completionTokens
        }

        init?(json: JSONValue?) {
            guard let json, json.objectValue != nil else { return nil }
            let prompt = json["prompt_tokens"]?.intValue ?? 0
            let completion = json["completion_tokens"]?.intValue ?? 0
            self.init(promptTokens: prompt, completionTokens: completion, totalTokens: json["total_tokens"]?.intValue)
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
