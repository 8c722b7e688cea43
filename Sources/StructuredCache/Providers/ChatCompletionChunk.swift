// One streamed piece of a chat completion: content and tool-call argument deltas, and usage at the end.

/// One chunk of a streamed chat completion (`chat.completion.chunk`).
public struct ChatCompletionChunk: Sendable, Hashable {
    /// What one choice adds in this chunk.
    public struct Delta: Sendable, Hashable {
        /// The choice's position.
        public var index: Int
        /// The role, in the first chunk.
        public var role: String?
        /// More content text.
        public var content: String?
        /// Tool-call pieces: the first piece of a call carries its id and name, later ones more arguments.
        public var toolCalls: [ToolCallDelta]
        /// Why generation stopped, in the last chunk of the choice.
        public var finishReason: String?

        init(
            index: Int, role: String? = nil, content: String? = nil, toolCalls: [ToolCallDelta] = [],
            finishReason: String? = nil
        ) {
            self.index = index
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
            self.finishReason = finishReason
        }
    }

    /// A piece of a tool call.
    public struct ToolCallDelta: Sendable, Hashable {
        /// Which of the message's tool calls this piece belongs to.
        public var index: Int
        /// The call's identifier, in its first piece.
        public var id: String?
        /// The function's name, in its first piece.
        public var name: String?
        /// More argument text.
        public var arguments: String?

        init(index: Int, id: String? = nil, name: String? = nil, arguments: String? = nil) {
            self.index = index
            self.id = id
            self.name = name
            self.arguments = arguments
        }
    }

    /// The completion's identifier.
    public var id: String
    /// The model that answers.
    public var model: String
    /// The choices' deltas.
    public var choices: [Delta]
    /// The tokens used, in the last chunk when the request asked for it.
    public var usage: ChatCompletion.Usage?
    /// The chunk as it arrived.
    public var raw: JSONValue

    /// Creates a chunk from its parts, as providers of other wire formats do.
    ///
    /// - Parameters:
    ///   - id: The completion's identifier.
    ///   - model: The model that answers.
    ///   - choices: The choices' deltas.
    ///   - usage: The tokens used so far, when the event carries them.
    ///   - raw: The event as the provider sent it.
    init(id: String, model: String, choices: [Delta], usage: ChatCompletion.Usage? = nil, raw: JSONValue) {
        self.id = id
        self.model = model
        self.choices = choices
        self.usage = usage
        self.raw = raw
    }

    /// Reads a chunk from its JSON.
    ///
    /// - Parameter json: One `data:` payload of the stream.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a chunk.
    public init(json: JSONValue) throws {
        guard json.objectValue != nil else {
            throw ProviderError.invalidResponse("a stream chunk must be a JSON object: \(json)")
        }
        id = json["id"]?.stringValue ?? ""
        model = json["model"]?.stringValue ?? ""
        choices = (json["choices"]?.arrayValue ?? []).enumerated().map { position, choice in
            let delta = choice["delta"] ?? [:]
            return Delta(
                index: choice["index"]?.intValue ?? position, role: delta["role"]?.stringValue,
                content: delta["content"]?.stringValue,
                toolCalls: (delta["tool_calls"]?.arrayValue ?? []).enumerated().map { order, call in
                    ToolCallDelta(
                        index: call["index"]?.intValue ?? order, id: call["id"]?.stringValue,
                        name: call["function"]?["name"]?.stringValue,
                        arguments: call["function"]?["arguments"]?.stringValue)
                },
                finishReason: choice["finish_reason"]?.stringValue)
        }
        usage = ChatCompletion.Usage(json: json["usage"])
        raw = json
    }
}
