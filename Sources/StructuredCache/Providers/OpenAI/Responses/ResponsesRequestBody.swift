// The body of a `POST /responses` made from the neutral chat request: the conversation as input
// items, the options the Responses API takes, the mode's tools and text format, the caller's extras.

import StructuredCacheCore

/// Translates a ``ChatRequest`` into the JSON body OpenAI's Responses API takes.
///
/// - `messages` become `input` items: system, developer, user and assistant messages stay
///   `{"role", "content"}` messages in place (as Instructor sends them, rather than hoisting the
///   system text into `instructions`, so their order and number are kept); chat-style content parts
///   become Responses parts (`text` → `input_text`, `image_url` → `input_image`, `file` →
///   `input_file`); an assistant message's tool calls follow it as `function_call` items and a tool
///   message becomes a `function_call_output` item. A message's `name` has no Responses equivalent and
///   is dropped; its other unmodelled members are sent as they are.
/// - `maxCompletionTokens` (else `maxTokens`) → `max_output_tokens`; `temperature`, `top_p`. The
///   Responses API takes no `stop`, `seed`, `presence_penalty`, `frequency_penalty` or `n`: they are
///   not sent.
/// - `tools` and `toolChoice` are sent as they are (chat-style `{"type": "function", "function": …}`
///   definitions and choices are flattened into the Responses shape); `responseFormat` is sent as
///   `text.format`, beside any other `text` members of `extraBody` (such as `verbosity`).
/// - `extraBody` members are added at the top level where the request set none; then `store` (from
///   the provider's configuration) unless `extraBody` set it; `stream` when the request streams.
enum ResponsesRequestBody {
    /// The body for `request`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - store: The `store` member to send when the request's `extraBody` sets none; `nil` for none.
    /// - Returns: The body's members.
    static func make(_ request: ChatRequest, store: Bool?) -> JSONObject {
        let options = request.options
        var body = JSONObject(minimumCapacity: 10 + options.extraBody.count)
        body["model"] = .string(request.model)
        body["input"] = .array(inputItems(request.messages))
        if let maximum = options.maxCompletionTokens ?? options.maxTokens { body["max_output_tokens"] = .int(maximum) }
        if let temperature = options.temperature { body["temperature"] = .double(temperature) }
        if let topP = options.topP { body["top_p"] = .double(topP) }
        if let tools = request.tools { body["tools"] = .array(tools.map(tool)) }
        if let toolChoice = request.toolChoice { body["tool_choice"] = self.toolChoice(toolChoice) }
        if let format = request.responseFormat {
            var text = options.extraBody["text"]?.objectValue ?? [:]
            text["format"] = format
            body["text"] = .object(text)
        }
        if request.stream { body["stream"] = true }
        for (key, value) in options.extraBody where body[key] == nil { body[key] = value }
        if let store, body["store"] == nil { body["store"] = .bool(store) }
        return body
    }

    /// The conversation as Responses input items.
    static func inputItems(_ messages: [ChatMessage]) -> [JSONValue] {
        var items: [JSONValue] = []
        items.reserveCapacity(messages.count)
        for message in messages {
            switch message.role {
            case .tool:
                var item: JSONObject = [
                    "type": "function_call_output", "call_id": .string(message.toolCallID ?? ""),
                    "output": content(message.content),
                ]
                for (key, value) in message.extra where item[key] == nil { item[key] = value }
                items.append(.object(item))
            case .assistant:
                let calls = message.toolCalls ?? []
                if calls.isEmpty || !(message.content?.text.isEmpty ?? true) {
                    items.append(roleItem(message, content: .string(message.content?.text ?? "")))
                }
                for call in calls {
                    items.append([
                        "type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
                        "arguments": .string(call.arguments),
                    ])
                }
            default:
                items.append(roleItem(message, content: content(message.content)))
            }
        }
        return items
    }

    private static func roleItem(_ message: ChatMessage, content: JSONValue) -> JSONValue {
        var item: JSONObject = ["role": .string(message.role.rawValue), "content": content]
        for (key, value) in message.extra where item[key] == nil { item[key] = value }
        return .object(item)
    }

    private static func content(_ content: ChatMessage.Content?) -> JSONValue {
        switch content {
        case .text(let text): return .string(text)
        case .parts(let parts): return .array(parts.map(part))
        case nil: return ""
        }
    }

    /// A chat content part in the Responses shape; parts already in it, and unknown ones, stay as they are.
    private static func part(_ part: JSONValue) -> JSONValue {
        switch part["type"]?.stringValue {
        case "text":
            return ["type": "input_text", "text": part["text"] ?? ""]
        case "image_url":
            // The chat shape nests the URL (`{"url", "detail"}`); some callers give it bare.
            let image = part["image_url"]
            let url = image?["url"]?.stringValue ?? image?.stringValue ?? ""
            return ["type": "input_image", "image_url": .string(url), "detail": image?["detail"] ?? "auto"]
        case "file":
            var converted: JSONObject = ["type": "input_file"]
            for (key, value) in part["file"]?.objectValue ?? [:] { converted[key] = value }
            return .object(converted)
        default:
            return part
        }
    }

    /// A chat-style function tool (`{"type": "function", "function": {…}}`) flattened; others as they are.
    private static func tool(_ tool: JSONValue) -> JSONValue {
        guard tool["type"] == "function", var function = tool["function"]?.objectValue else { return tool }
        function["type"] = "function"
        return .object(function)
    }

    /// A chat-style forced function (`{"type": "function", "function": {"name"}}`) flattened.
    private static func toolChoice(_ choice: JSONValue) -> JSONValue {
        guard choice["type"] == "function", let name = choice["function"]?["name"] else { return choice }
        return ["type": "function", "name": name]
    }
}
