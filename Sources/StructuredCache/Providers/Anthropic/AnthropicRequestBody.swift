// A chat request in the Messages API's terms: system messages hoisted into `system`, tool calls and
// tool results as content blocks, `max_tokens` always set, and OpenAI-style image parts converted.

import StructuredCacheCore

/// Builds the body of `POST /v1/messages` from a ``ChatRequest``.
///
/// - System and developer messages become the top-level `system`, as a list of text blocks (what
///   Instructor sends), in their order.
/// - User and assistant messages keep their text; content parts pass through as blocks, except
///   OpenAI's `image_url` parts, which become `image` blocks (a `data:` URL as base64, else a URL
///   source). An assistant message's tool calls become `tool_use` blocks after its text.
/// - Tool messages become `tool_result` blocks in a user message (consecutive ones in the same
///   message, as the API requires); `extra["is_error"]` marks a failed result.
/// - `max_tokens` is the request's `maxTokens` (or `maxCompletionTokens`), else the provider's
///   default; `stop` becomes `stop_sequences`. `n`, `seed` and the penalties have no equivalent and
///   make the request fail with `invalidRequest` rather than be dropped.
/// - `tools` and `toolChoice` are sent as `tools` and `tool_choice`, `responseFormat` as
///   `output_config.format`; members of `extraBody` are sent as they are (`top_k`, `thinking`,
///   `metadata` …) unless a typed member set them.
enum AnthropicRequestBody {
    /// The body for `request`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - defaultMaxTokens: `max_tokens` when the request sets none.
    /// - Returns: The body's members.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for a parameter the API does not have.
    static func make(_ request: ChatRequest, defaultMaxTokens: Int) throws(ProviderError) -> JSONObject {
        let options = request.options
        for (name, isSet) in [
            ("n", request.n.map { $0 != 1 } ?? false), ("seed", options.seed != nil),
            ("presencePenalty", options.presencePenalty != nil), ("frequencyPenalty", options.frequencyPenalty != nil),
        ] where isSet {
            throw ProviderError(code: .invalidRequest, message: "Anthropic's Messages API has no equivalent of \(name)")
        }
        var body = JSONObject(minimumCapacity: 10 + options.extraBody.count)
        body["model"] = .string(request.model)
        body["max_tokens"] = .int(options.maxTokens ?? options.maxCompletionTokens ?? defaultMaxTokens)
        body["messages"] = .array(messages(request.messages))
        let system = systemBlocks(request.messages)
        if !system.isEmpty { body["system"] = .array(system) }
        if let temperature = options.temperature { body["temperature"] = .double(temperature) }
        if let topP = options.topP { body["top_p"] = .double(topP) }
        if let stop = options.stop { body["stop_sequences"] = .array(stop.map(JSONValue.string)) }
        if let tools = request.tools { body["tools"] = .array(tools) }
        if let toolChoice = request.toolChoice { body["tool_choice"] = toolChoice }
        if let format = request.responseFormat {
            var config = options.extraBody["output_config"]?.objectValue ?? [:]
            config["format"] = format
            body["output_config"] = .object(config)
        }
        if request.stream { body["stream"] = true }
        for (key, value) in options.extraBody where body[key] == nil { body[key] = value }
        return body
    }

    /// The system prompt as text blocks: each system (or developer) message's text, or its parts.
    static func systemBlocks(_ messages: [ChatMessage]) -> [JSONValue] {
        var blocks: [JSONValue] = []
        for message in messages where message.role == .system || message.role == .developer {
            switch message.content {
            case .text(let text) where !text.isEmpty:
                blocks.append(["type": "text", "text": .string(text)])
            case .parts(let parts):
                blocks += parts.filter { !($0.objectValue?.isEmpty ?? true) }
            default:
                break
            }
        }
        return blocks
    }

    /// The conversation without its system messages, in the API's format.
    static func messages(_ messages: [ChatMessage]) -> [JSONValue] {
        var converted: [JSONValue] = []
        var pendingResults: [JSONValue] = []
        func flushResults() {
            guard !pendingResults.isEmpty else { return }
            converted.append(["role": "user", "content": .array(pendingResults)])
            pendingResults = []
        }
        for message in messages where message.role != .system && message.role != .developer {
            if message.role == .tool {
                pendingResults.append(toolResult(message))
                continue
            }
            flushResults()
            var object = JSONObject(minimumCapacity: 2 + message.extra.count)
            object["role"] = .string(message.role.rawValue)
            object["content"] = content(of: message)
            for (key, value) in message.extra where object[key] == nil { object[key] = value }
            converted.append(.object(object))
        }
        flushResults()
        return converted
    }

    private static func content(of message: ChatMessage) -> JSONValue {
        let calls = message.toolCalls ?? []
        if calls.isEmpty, case .text(let text) = message.content { return .string(text) }
        var blocks: [JSONValue]
        switch message.content {
        case .text(let text): blocks = text.isEmpty ? [] : [["type": "text", "text": .string(text)]]
        case .parts(let parts): blocks = parts.map(block)
        case nil: blocks = []
        }
        for call in calls {
            let input = (try? JSONValue(parsing: call.arguments)).flatMap { $0.objectValue != nil ? $0 : nil } ?? [:]
            blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
        }
        return .array(blocks)
    }

    /// A content part as a block: OpenAI's `image_url` parts converted, everything else as it is.
    private static func block(_ part: JSONValue) -> JSONValue {
        guard part["type"]?.stringValue == "image_url",
            let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue
        else { return part }
        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
            url[..<comma].hasSuffix(";base64")
        {
            let mediaType = url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(";base64".count)
            return [
                "type": "image",
                "source": [
                    "type": "base64", "media_type": .string(String(mediaType)),
                    "data": .string(String(url[url.index(after: comma)...])),
                ],
            ]
        }
        return ["type": "image", "source": ["type": "url", "url": .string(url)]]
    }

    private static func toolResult(_ message: ChatMessage) -> JSONValue {
        var result: JSONObject = ["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? "")]
        switch message.content {
        case .text(let text): result["content"] = .string(text)
        case .parts(let parts): result["content"] = .array(parts.map(block))
        case nil: break
        }
        if let isError = message.extra["is_error"] { result["is_error"] = isError }
        return .object(result)
    }
}
