// A Responses API response object read into the neutral completion: its output items, its status
// in chat completion words, its usage, and the error of a response that failed.

import StructuredCacheCore

/// Reads OpenAI's response object (`"object": "response"`) into a ``ChatCompletion`` whose ``ChatCompletion/raw``
/// is the response as it arrived.
///
/// The output's `message` items give the content (their `output_text` parts, joined) and the refusal
/// (their `refusal` parts); `function_call` items give the tool calls, whose ids are the items'
/// `call_id`s; `reasoning` and other items are skipped. The status becomes a finish reason: `completed`
/// is `stop`, or `tool_calls` when the output calls a function; `incomplete` is `length` for
/// `max_output_tokens` and `content_filter` for `content_filter`.
enum ResponsesResponse {
    /// Reads a response body.
    ///
    /// - Parameter bytes: The UTF-8 body.
    /// - Returns: The completion.
    /// - Throws: ``ProviderError``: `http` for a failed response (with its error's message),
    ///   `invalidResponse` for a body that is not a finished response.
    static func completion(parsing bytes: some Collection<UInt8>) throws(ProviderError) -> ChatCompletion {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw ProviderError.invalidResponse("the response is not JSON: \(error)", underlying: error)
        }
        return try completion(json)
    }

    /// Reads a response object.
    ///
    /// - Parameter json: The response object.
    /// - Returns: The completion.
    /// - Throws: ``ProviderError``: `http` for a failed response, `invalidResponse` for one that is not
    ///   a finished response.
    static func completion(_ json: JSONValue) throws(ProviderError) -> ChatCompletion {
        guard json.objectValue != nil else {
            throw ProviderError.invalidResponse("a response must be a JSON object")
        }
        if let failure = failure(in: json) { throw failure }
        let status = json["status"]?.stringValue
        if let status, !["completed", "incomplete"].contains(status) {
            throw ProviderError.invalidResponse(
                "the response is \(status), not finished (background responses are not supported)")
        }
        guard let output = json["output"]?.arrayValue else {
            throw ProviderError.invalidResponse("a response needs an \"output\" array")
        }
        var texts: [String] = []
        var refusals: [String] = []
        var calls: [ToolCall] = []
        for (position, item) in output.enumerated() {
            switch item["type"]?.stringValue {
            case "message":
                for part in item["content"]?.arrayValue ?? [] {
                    switch part["type"]?.stringValue {
                    case "output_text": texts.append(part["text"]?.stringValue ?? "")
                    case "refusal": refusals.append(part["refusal"]?.stringValue ?? "")
                    default: break
                    }
                }
            case "function_call":
                calls.append(try toolCall(item, position: position))
            default:
                break
            }
        }
        var message = ChatMessage(
            role: .assistant, content: texts.isEmpty ? nil : .text(texts.joined()),
            toolCalls: calls.isEmpty ? nil : calls)
        if !refusals.isEmpty { message.refusal = refusals.joined() }
        return ChatCompletion(
            id: json["id"]?.stringValue ?? "", model: json["model"]?.stringValue ?? "",
            created: json["created_at"]?.intValue,
            choices: [.init(index: 0, message: message, finishReason: finishReason(of: json))],
            usage: usage(json["usage"]), raw: json)
    }

    /// The finish reason, in chat completion words, of a finished response.
    static func finishReason(of json: JSONValue) -> String {
        if json["status"] == "incomplete" {
            switch json["incomplete_details"]?["reason"]?.stringValue {
            case "content_filter": return "content_filter"
            default: return "length"
            }
        }
        let callsAFunction = json["output"]?.arrayValue?.contains { $0["type"] == "function_call" } ?? false
        return callsAFunction ? "tool_calls" : "stop"
    }

    /// The usage of a response (`input_tokens`, `output_tokens`, `total_tokens`,
    /// `input_tokens_details.cached_tokens`).
    static func usage(_ json: JSONValue?) -> ChatCompletion.Usage? {
        guard let json, json.objectValue != nil else { return nil }
        return ChatCompletion.Usage(
            promptTokens: json["input_tokens"]?.intValue ?? 0, completionTokens: json["output_tokens"]?.intValue ?? 0,
            totalTokens: json["total_tokens"]?.intValue,
            cachedPromptTokens: json["input_tokens_details"]?["cached_tokens"]?.intValue)
    }

    /// The error of a failed response (`"status": "failed"`, or any non-null `error`), with its message.
    static func failure(in json: JSONValue) -> ProviderError? {
        var error = json["error"]
        if error?.isNull == true { error = nil }
        guard error != nil || json["status"] == "failed" else { return nil }
        let details = error.map(OpenAIProvider.errorDetails(in:))
        var message = details?.message ?? "the response failed without saying why"
        if let code = error?["code"]?.stringValue { message += " (\(code))" }
        return ProviderError(code: .http, status: details?.status, message: message)
    }

    private static func toolCall(_ item: JSONValue, position: Int) throws(ProviderError) -> ToolCall {
        guard let name = item["name"]?.stringValue else {
            throw ProviderError.invalidResponse("output item \(position) is a function call without a \"name\"")
        }
        return ToolCall(
            id: item["call_id"]?.stringValue ?? item["id"]?.stringValue ?? "", name: name,
            arguments: arguments(of: item))
    }

    /// A function call item's arguments as JSON text: as sent, or the compact JSON of an object some
    /// servers send instead; empty when there are none.
    static func arguments(of item: JSONValue) -> String {
        switch item["arguments"] {
        case .string(let text): return text
        case .some(let value) where !value.isNull: return value.jsonString(.compact)
        default: return ""
        }
    }
}
