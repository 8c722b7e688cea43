// One message of a chat: a role, text or content parts, and the tool calls of an assistant message.

/// A chat message in OpenAI's chat completions format.
///
/// ```swift
/// let messages: [ChatMessage] = [.system("Be terse."), .user("Extract: Jason is 25.")]
/// ```
///
/// ``json`` is the message as sent over the wire and as hashed into cache keys; ``init(json:)``
/// reads one back, keeping members this type does not model in ``extra``.
public struct ChatMessage: Sendable, Hashable {
    /// Who wrote a message.
    public struct Role: RawRepresentable, Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
        /// The role's wire value.
        public let rawValue: String
        /// Creates a role from its wire value.
        ///
        /// - Parameter rawValue: The wire value (`"user"` …).
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A role named by a string literal (`"user"`).
        public init(stringLiteral value: String) { rawValue = value }
        /// Instructions for the model.
        public static let system: Role = "system"
        /// Instructions for reasoning models that replace `system`.
        public static let developer: Role = "developer"
        /// The person asking.
        public static let user: Role = "user"
        /// The model.
        public static let assistant: Role = "assistant"
        /// A tool's result.
        public static let tool: Role = "tool"
        /// The role's name as sent (`user`, `assistant` …).
        public var description: String { rawValue }
    }

    /// The content of a message.
    public enum Content: Sendable, Hashable {
        /// Plain text.
        case text(String)
        /// Content parts (text, images …) as OpenAI's format writes them.
        case parts([JSONValue])

        /// The text, or the concatenated text parts.
        public var text: String {
            switch self {
            case .text(let text): return text
            case .parts(let parts): return parts.compactMap { $0["text"]?.stringValue }.joined()
            }
        }

        var json: JSONValue {
            switch self {
            case .text(let text): return .string(text)
            case .parts(let parts): return .array(parts)
            }
        }
    }

    /// Who wrote the message.
    public var role: Role
    /// The content; `nil` for an assistant message that only calls tools.
    public var content: Content?
    /// The author's name, when the role has several.
    public var name: String?
    /// The tools an assistant message calls.
    public var toolCalls: [ToolCall]?
    /// The call a tool message answers.
    public var toolCallID: String?
    /// The model's refusal, when it declined to answer.
    public var refusal: String?
    /// Members of the wire format this type does not model, kept as they came.
    public var extra: JSONObject

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - role: Who wrote it.
    ///   - content: Its content.
    ///   - name: The author's name.
    ///   - toolCalls: The tools an assistant message calls.
    ///   - toolCallID: The call a tool message answers.
    ///   - extra: Other members to send as they are.
    public init(
        role: Role, content: Content?, name: String? = nil, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil,
        extra: JSONObject = [:]
    ) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.refusal = nil
        self.extra = extra
    }

    /// A system message.
    ///
    /// - Parameter text: The instructions.
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: .text(text)) }

    /// A developer message (the `system` of reasoning models).
    ///
    /// - Parameter text: The instructions.
    public static func developer(_ text: String) -> ChatMessage { ChatMessage(role: .developer, content: .text(text)) }

    /// A user message.
    ///
    /// - Parameter text: What the user says.
    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: .text(text)) }

    /// An assistant message.
    ///
    /// - Parameter text: What the model said.
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, content: .text(text)) }

    /// A tool result.
    ///
    /// - Parameters:
    ///   - text: The result.
    ///   - callID: The tool call it answers.
    public static func tool(_ text: String, callID: String) -> ChatMessage {
        ChatMessage(role: .tool, content: .text(text), toolCallID: callID)
    }

    /// The message as OpenAI's format writes it: `role`, then `content` and the other members set.
    public var json: JSONValue {
        var object = JSONObject(minimumCapacity: 2 + extra.count)
        object["role"] = .string(role.rawValue)
        if let content {
            object["content"] = content.json
        } else if toolCalls != nil {
            object["content"] = .null
        }
        if let name { object["name"] = .string(name) }
        if let toolCalls { object["tool_calls"] = .array(toolCalls.map(\.json)) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let refusal { object["refusal"] = .string(refusal) }
        for (key, value) in extra where object[key] == nil { object[key] = value }
        return .object(object)
    }

    /// Reads a message from OpenAI's format.
    ///
    /// - Parameter json: A message object.
    /// - Throws: `DecodingError.dataCorrupted` when it is not a message.
    public init(json: JSONValue) throws {
        guard let object = json.objectValue, let role = object["role"]?.stringValue else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a chat message needs a string \"role\": \(json)"))
        }
        self.role = Role(rawValue: role)
        switch object["content"] {
        case .string(let text): content = .text(text)
        case .array(let parts): content = .parts(parts)
        default: content = nil
        }
        name = object["name"]?.stringValue
        toolCalls = try object["tool_calls"]?.arrayValue.map { try $0.map(ToolCall.init(json:)) }
        toolCallID = object["tool_call_id"]?.stringValue
        refusal = object["refusal"]?.stringValue
        var extra = object
        for known in ["role", "content", "name", "tool_calls", "tool_call_id", "refusal"] { extra[known] = nil }
        self.extra = extra
    }
}

/// A function call an assistant message makes.
public struct ToolCall: Sendable, Hashable {
    /// The call's identifier, which a tool message's `tool_call_id` answers.
    public var id: String
    /// The tool type; `"function"`.
    public var type: String
    /// The function's name.
    public var name: String
    /// The arguments, as the JSON text the model wrote.
    public var arguments: String

    /// Creates a tool call.
    ///
    /// - Parameters:
    ///   - id: The call's identifier.
    ///   - name: The function's name.
    ///   - arguments: The arguments as JSON text.
    ///   - type: The tool type.
    public init(id: String, name: String, arguments: String, type: String = "function") {
        self.id = id
        self.type = type
        self.name = name
        self.arguments = arguments
    }

    /// The call as OpenAI's format writes it.
    public var json: JSONValue {
        [
            "id": .string(id), "type": .string(type),
            "function": ["name": .string(name), "arguments": .string(arguments)],
        ]
    }

    /// Reads a tool call from OpenAI's format.
    ///
    /// - Parameter json: A tool call object.
    /// - Throws: `DecodingError.dataCorrupted` when it is not a function call.
    public init(json: JSONValue) throws {
        guard let function = json["function"], let name = function["name"]?.stringValue else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "a tool call needs a function with a name: \(json)"))
        }
        id = json["id"]?.stringValue ?? ""
        type = json["type"]?.stringValue ?? "function"
        self.name = name
        // Some servers send the arguments as an object rather than as JSON text.
        switch function["arguments"] {
        case .string(let text): arguments = text
        case .some(let value): arguments = value.jsonString(.compact)
        case nil: arguments = ""
        }
    }
}
