// Gemini's GenerateContentResponse read into the neutral completion and chunks: text and function
// calls of non-thought parts, finish reasons in OpenAI's words, blocked prompts and answers as
// refusals, usage with cached tokens.

/// Reads Gemini's `GenerateContentResponse` (a whole answer, or one streamed chunk of it).
///
/// - Content is the text of the parts that are not thoughts (`"thought": true` parts are skipped);
///   each `functionCall` part is a ``ToolCall`` whose arguments are the compact JSON of its `args` and
///   whose id is the part's `id`, or `<responseId>-<candidate>-<call>` when the server gives none.
/// - `finishReason`: `STOP` is `stop` (`tool_calls` when the candidate calls functions), `MAX_TOKENS`
///   `length`, the content filters (`SAFETY`, `RECITATION`, `BLOCKLIST`, `PROHIBITED_CONTENT`, `SPII`,
///   `IMAGE_SAFETY` …) `content_filter`, any other reason its own name in lowercase
///   (`malformed_function_call`, `other` …).
/// - An answer stopped by a content filter, and a prompt blocked by `promptFeedback.blockReason` (no
///   candidates), carry a ``ChatMessage/refusal`` saying why, so that asking again is not tried.
/// - `usageMetadata`: `promptTokenCount` is the prompt, `candidatesTokenCount` plus
///   `thoughtsTokenCount` the completion, `totalTokenCount` the total, `cachedContentTokenCount` the
///   cached prompt tokens.
enum GeminiResponse {
    /// The finish reasons that mean a content filter stopped the answer.
    static let filterReasons: Set<String> = [
        "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "MODEL_ARMOR",
    ]

    /// Reads a whole response.
    ///
    /// - Parameter json: The response body.
    /// - Returns: The completion; its `raw` is `json`.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a Gemini response.
    static func completion(json: JSONValue) throws(ProviderError) -> ChatCompletion {
        try requireResponse(json)
        let responseID = json["responseId"]?.stringValue ?? ""
        var choices: [ChatCompletion.Choice] = []
        for (position, candidate) in (json["candidates"]?.arrayValue ?? []).enumerated() {
            let index = candidate["index"]?.intValue ?? position
            let parts = candidate["content"]?["parts"]?.arrayValue ?? []
            let text = self.text(of: parts)
            var calls: [ToolCall] = []
            for part in parts where !isThought(part) {
                guard let call = part["functionCall"] else { continue }
                calls.append(
                    ToolCall(
                        id: call["id"]?.stringValue ?? callID(responseID, candidate: index, call: calls.count),
                        name: call["name"]?.stringValue ?? "", arguments: (call["args"] ?? [:]).jsonString(.compact)))
            }
            var message = ChatMessage(
                role: .assistant, content: text.map(ChatMessage.Content.text), toolCalls: calls.isEmpty ? nil : calls)
            let reason = candidate["finishReason"]?.stringValue
            if let reason, filterReasons.contains(reason) {
                message.refusal = refusal(blocked: "the answer", reason: reason, detail: candidate["finishMessage"])
            }
            choices.append(
                ChatCompletion.Choice(
                    index: index, message: message, finishReason: finishReason(reason, callsFunctions: !calls.isEmpty)))
        }
        if choices.isEmpty, let reason = json["promptFeedback"]?["blockReason"]?.stringValue {
            var message = ChatMessage(role: .assistant, content: nil)
            message.refusal = refusal(
                blocked: "the prompt", reason: reason, detail: json["promptFeedback"]?["blockReasonMessage"])
            choices.append(ChatCompletion.Choice(index: 0, message: message, finishReason: "content_filter"))
        }
        return ChatCompletion(
            id: responseID, model: json["modelVersion"]?.stringValue ?? "", choices: choices,
            usage: usage(json["usageMetadata"]), raw: json)
    }

    /// Reads a response from its bytes.
    ///
    /// - Parameter bytes: The response body.
    /// - Returns: The completion.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not JSON or not a response.
    static func completion(parsing bytes: [UInt8]) throws(ProviderError) -> ChatCompletion {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw ProviderError.invalidResponse(
                "the response is not JSON (\(error.message)): \(ProviderError.excerpt(bytes))", underlying: error)
        }
        if let error = GeminiProvider.error(in: json) { throw error }
        return try completion(json: json)
    }

    /// Reads streamed responses into chunks, numbering each candidate's function calls across them.
    struct ChunkReader: Sendable {
        /// How many function calls each candidate made in earlier chunks.
        private var callCounts: [Int: Int] = [:]

        /// The chunk one streamed response is.
        ///
        /// - Parameter json: One `data:` payload.
        /// - Returns: The chunk; its `raw` is `json`.
        /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not a Gemini response.
        mutating func chunk(_ json: JSONValue) throws(ProviderError) -> ChatCompletionChunk {
            try GeminiResponse.requireResponse(json)
            let responseID = json["responseId"]?.stringValue ?? ""
            var deltas: [ChatCompletionChunk.Delta] = []
            for (position, candidate) in (json["candidates"]?.arrayValue ?? []).enumerated() {
                let index = candidate["index"]?.intValue ?? position
                let content = candidate["content"]
                let parts = content?["parts"]?.arrayValue ?? []
                var calls: [ChatCompletionChunk.ToolCallDelta] = []
                for part in parts where !GeminiResponse.isThought(part) {
                    guard let call = part["functionCall"] else { continue }
                    let order = callCounts[index, default: 0]
                    callCounts[index] = order + 1
                    calls.append(
                        ChatCompletionChunk.ToolCallDelta(
                            index: order,
                            id: call["id"]?.stringValue
                                ?? GeminiResponse.callID(responseID, candidate: index, call: order),
                            name: call["name"]?.stringValue ?? "",
                            arguments: (call["args"] ?? [:]).jsonString(.compact)))
                }
                let reason = candidate["finishReason"]?.stringValue
                deltas.append(
                    ChatCompletionChunk.Delta(
                        index: index, role: content == nil ? nil : "assistant", content: GeminiResponse.text(of: parts),
                        toolCalls: calls,
                        finishReason: GeminiResponse.finishReason(reason, callsFunctions: callCounts[index] != nil)))
            }
            if deltas.isEmpty, json["promptFeedback"]?["blockReason"]?.stringValue != nil {
                deltas.append(
                    ChatCompletionChunk.Delta(
                        index: 0, role: "assistant", content: nil, toolCalls: [], finishReason: "content_filter"))
            }
            return ChatCompletionChunk(
                id: responseID, model: json["modelVersion"]?.stringValue ?? "", choices: deltas,
                usage: GeminiResponse.usage(json["usageMetadata"]), raw: json)
        }
    }

    /// Streamed responses merged into the whole response they make: each candidate's parts in order,
    /// the last finish reason, usage and other members of each.
    ///
    /// - Parameter responses: The streamed responses, in order.
    /// - Returns: One response.
    static func merged(_ responses: [JSONValue]) -> JSONValue {
        var merged = JSONObject()
        var candidates: [Int: JSONObject] = [:]
        var order: [Int] = []
        for response in responses {
            for (key, value) in response.objectValue ?? [:] where key != "candidates" {
                if merged[key] == nil || !(value.stringValue?.isEmpty ?? false) { merged[key] = value }
            }
            for (position, candidate) in (response["candidates"]?.arrayValue ?? []).enumerated() {
                let index = candidate["index"]?.intValue ?? position
                if candidates[index] == nil { order.append(index) }
                var combined = candidates[index] ?? JSONObject()
                for (key, value) in candidate.objectValue ?? [:] {
                    guard key == "content", var content = combined["content"]?.objectValue else {
                        combined[key] = value
                        continue
                    }
                    let parts = (content["parts"]?.arrayValue ?? []) + (value["parts"]?.arrayValue ?? [])
                    for (member, memberValue) in value.objectValue ?? [:] where member != "parts" {
                        content[member] = memberValue
                    }
                    content["parts"] = .array(parts)
                    combined["content"] = .object(content)
                }
                candidates[index] = combined
            }
        }
        if !order.isEmpty {
            let list: [JSONValue] = order.compactMap { candidates[$0].map(JSONValue.object) }
            var result = JSONObject(minimumCapacity: merged.count + 1)
            result["candidates"] = .array(list)
            for (key, value) in merged { result[key] = value }
            return .object(result)
        }
        return .object(merged)
    }

    // MARK: - Pieces

    static func requireResponse(_ json: JSONValue) throws(ProviderError) {
        guard let object = json.objectValue else {
            throw ProviderError.invalidResponse("a Gemini response must be a JSON object: \(excerpt(json))")
        }
        if let candidates = object["candidates"] {
            guard candidates.arrayValue != nil else {
                throw ProviderError.invalidResponse("a Gemini response's \"candidates\" must be an array")
            }
            return
        }
        guard object["promptFeedback"] != nil || object["usageMetadata"] != nil else {
            throw ProviderError.invalidResponse(
                "a Gemini response needs \"candidates\" or \"promptFeedback\": \(excerpt(json))")
        }
    }

    /// Whether a part is one of the model's thoughts, which are not the answer.
    static func isThought(_ part: JSONValue) -> Bool { part["thought"]?.boolValue == true }

    /// The text of the non-thought text parts; `nil` when there is none.
    static func text(of parts: [JSONValue]) -> String? {
        var text: String?
        for part in parts where !isThought(part) {
            if let piece = part["text"]?.stringValue { text = (text ?? "") + piece }
        }
        return text
    }

    static func callID(_ responseID: String, candidate: Int, call: Int) -> String {
        "\(responseID.isEmpty ? "call" : responseID)-\(candidate)-\(call)"
    }

    static func finishReason(_ reason: String?, callsFunctions: Bool) -> String? {
        switch reason {
        case nil, "FINISH_REASON_UNSPECIFIED": return nil
        case "STOP": return callsFunctions ? "tool_calls" : "stop"
        case "MAX_TOKENS": return "length"
        case let reason? where filterReasons.contains(reason): return "content_filter"
        case let reason?: return reason.lowercased()
        }
    }

    private static func refusal(blocked what: String, reason: String, detail: JSONValue?) -> String {
        let text = "Gemini blocked \(what) (\(reason))"
        guard let detail = detail?.stringValue, !detail.isEmpty else { return text }
        return text + ": " + detail
    }

    static func usage(_ json: JSONValue?) -> ChatCompletion.Usage? {
        guard let json, json.objectValue != nil,
            json["totalTokenCount"] != nil || json["promptTokenCount"] != nil || json["candidatesTokenCount"] != nil
        else { return nil }
        let prompt = json["promptTokenCount"]?.intValue ?? 0
        let completion = (json["candidatesTokenCount"]?.intValue ?? 0) + (json["thoughtsTokenCount"]?.intValue ?? 0)
        return ChatCompletion.Usage(
            promptTokens: prompt, completionTokens: completion, totalTokens: json["totalTokenCount"]?.intValue,
            cachedPromptTokens: json["cachedContentTokenCount"]?.intValue)
    }

    private static func excerpt(_ json: JSONValue) -> String {
        ProviderError.excerpt(json.jsonBytes(.compact))
    }
}
