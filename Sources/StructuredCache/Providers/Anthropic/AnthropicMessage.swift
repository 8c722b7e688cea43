// An answer of the Messages API read into a ChatCompletion: its text and tool_use blocks, its stop
// reason in OpenAI's words, and its usage with the prompt-cache tokens; the message itself kept as raw.

import StructuredCacheCore

/// Reads Anthropic's `message` objects.
enum AnthropicMessage {
    /// The completion a message is read as.
    ///
    /// The content is the text blocks' text; `tool_use` blocks become tool calls whose arguments are
    /// the compact JSON of their `input`; thinking blocks are left to ``ChatCompletion/raw``. A
    /// `refusal` stop becomes the message's refusal. Usage counts cached prompt tokens in the prompt
    /// (Anthropic's `input_tokens` leaves them out).
    ///
    /// - Parameter json: A message object.
    /// - Returns: The completion, with `json` as its raw form.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a message.
    static func completion(_ json: JSONValue) throws(ProviderError) -> ChatCompletion {
        guard json.objectValue != nil, let blocks = json["content"]?.arrayValue else {
            throw ProviderError.invalidResponse("an Anthropic message needs a \"content\" array")
        }
        var text = ""
        var hasText = false
        var calls: [ToolCall] = []
        for (position, block) in blocks.enumerated() {
            switch block["type"]?.stringValue {
            case "text":
                guard let piece = block["text"]?.stringValue else {
                    throw ProviderError.invalidResponse("content block \(position) is a text block without text")
                }
                text += piece
                hasText = true
            case "tool_use":
                guard let name = block["name"]?.stringValue else {
                    throw ProviderError.invalidResponse("content block \(position) is a tool_use block without a name")
                }
                calls.append(
                    ToolCall(
                        id: block["id"]?.stringValue ?? "", name: name,
                        arguments: (block["input"] ?? [:]).jsonString(.compact)))
            default:
                continue
            }
        }
        let stopReason = json["stop_reason"]?.stringValue
        var message = ChatMessage(
            role: .assistant, content: hasText || calls.isEmpty ? .text(text) : nil,
            toolCalls: calls.isEmpty ? nil : calls)
        if stopReason == "refusal" {
            message.refusal = text.isEmpty ? "the model declined to answer (stop_reason \"refusal\")" : text
        }
        return ChatCompletion(
            id: json["id"]?.stringValue ?? "", model: json["model"]?.stringValue ?? "",
            choices: [.init(index: 0, message: message, finishReason: stopReason.map(finishReason))],
            usage: usage(json["usage"]), raw: json)
    }

    /// A stop reason in OpenAI's words: `end_turn` and `stop_sequence` are `stop`, `max_tokens` (and a
    /// full context window) `length`, `tool_use` `tool_calls`, `refusal` `content_filter`; others as
    /// they are.
    static func finishReason(_ stopReason: String) -> String {
        switch stopReason {
        case "end_turn", "stop_sequence": return "stop"
        case "max_tokens", "model_context_window_exceeded": return "length"
        case "tool_use": return "tool_calls"
        case "refusal": return "content_filter"
        default: return stopReason
        }
    }

    /// Anthropic's usage: input tokens (uncached, cache writes and cache reads) and output tokens.
    static func usage(_ json: JSONValue?) -> ChatCompletion.Usage? {
        guard let json, json.objectValue != nil else { return nil }
        let written = json["cache_creation_input_tokens"]?.intValue
        let read = json["cache_read_input_tokens"]?.intValue
        return ChatCompletion.Usage(
            promptTokens: (json["input_tokens"]?.intValue ?? 0) + (written ?? 0) + (read ?? 0),
            completionTokens: json["output_tokens"]?.intValue ?? 0, cachedPromptTokens: read,
            cacheCreationTokens: written)
    }

    /// The HTTP status an error event's type stands for, so that an error inside a stream reads like
    /// the same error as a status (`overloaded_error` is 529, `rate_limit_error` 429 …).
    static func status(ofErrorType type: String?) -> Int? {
        switch type {
        case "invalid_request_error": return 400
        case "authentication_error": return 401
        case "billing_error": return 402
        case "permission_error": return 403
        case "not_found_error": return 404
        case "request_too_large": return 413
        case "rate_limit_error": return 429
        case "api_error": return 500
        case "timeout_error": return 504
        case "overloaded_error": return 529
        default: return nil
        }
    }
}
