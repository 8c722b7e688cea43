// A whole completion as one stream chunk, for servers that answer a streaming request with a plain
// JSON completion: the consumer still gets chunks, and assembling them gives the same completion.

extension ChatCompletionChunk {
    /// Makes the single chunk equivalent to a whole completion.
    ///
    /// - Parameter completion: A non-streamed completion.
    /// - Throws: ``ProviderError`` with code `invalidResponse` (not expected for a parsed completion).
    init(completion: ChatCompletion) throws {
        var object = JSONObject(minimumCapacity: 6)
        object["id"] = .string(completion.id)
        object["object"] = "chat.completion.chunk"
        if let created = completion.created { object["created"] = .int(created) }
        object["model"] = .string(completion.model)
        let rawChoices = completion.raw["choices"]?.arrayValue ?? []
        object["choices"] = .array(
            completion.choices.enumerated().map { position, choice in
                var delta = choice.message.json.objectValue ?? [:]
                if let calls = delta["tool_calls"]?.arrayValue {
                    // Deltas number their tool calls; whole messages do not.
                    delta["tool_calls"] = .array(
                        calls.enumerated().map { index, call in
                            var call = call.objectValue ?? [:]
                            call["index"] = .int(index)
                            return .object(call)
                        })
                }
                var choiceObject: JSONObject = [
                    "index": .int(choice.index), "delta": .object(delta),
                    "finish_reason": choice.finishReason.map(JSONValue.string) ?? .null,
                ]
                if position < rawChoices.count, let logprobs = rawChoices[position]["logprobs"] {
                    choiceObject["logprobs"] = logprobs
                }
                return .object(choiceObject)
            })
        if let usage = completion.raw["usage"], !usage.isNull { object["usage"] = usage }
        if let fingerprint = completion.raw["system_fingerprint"] { object["system_fingerprint"] = fingerprint }
        try self.init(json: .object(object))
    }
}
