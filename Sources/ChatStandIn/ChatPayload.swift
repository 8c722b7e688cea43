// Builders of OpenAI-format JSON for tests: completions (text or tool calls), stream chunks (content
// deltas, tool-call deltas, usage) and the server-sent event bytes that carry them.

package import StructuredCache

/// OpenAI chat completion payloads as servers send them.
package enum ChatPayload {
    /// A usage object.
    package static func usage(prompt: Int, completion: Int) -> JSONValue {
        [
            "prompt_tokens": .int(prompt), "completion_tokens": .int(completion),
            "total_tokens": .int(prompt + completion),
        ]
    }

    /// A completion whose message is text.
    package static func completion(
        content: String, model: String = "gpt-test", id: String = "chatcmpl-test", promptTokens: Int = 11,
        completionTokens: Int = 7, finishReason: String = "stop"
    ) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion", "created": 1_700_000_000, "model": .string(model),
            "choices": [
                [
                    "index": 0, "message": ["role": "assistant", "content": .string(content), "refusal": nil],
                    "logprobs": nil, "finish_reason": .string(finishReason),
                ]
            ],
            "usage": usage(prompt: promptTokens, completion: completionTokens),
            "system_fingerprint": "fp_test",
        ]
    }

    /// A completion whose message calls one tool.
    package static func toolCallCompletion(
        name: String, arguments: String, callID: String = "call_test", model: String = "gpt-test",
        id: String = "chatcmpl-test", promptTokens: Int = 11, completionTokens: Int = 7
    ) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion", "created": 1_700_000_000, "model": .string(model),
            "choices": [
                [
                    "index": 0,
                    "message": [
                        "role": "assistant", "content": nil,
                        "tool_calls": [
                            [
                                "id": .string(callID), "type": "function",
                                "function": ["name": .string(name), "arguments": .string(arguments)],
                            ]
                        ],
                    ],
                    "logprobs": nil, "finish_reason": "tool_calls",
                ]
            ],
            "usage": usage(prompt: promptTokens, completion: completionTokens),
        ]
    }

    /// One `chat.completion.chunk` with a delta for choice 0.
    package static func chunk(
        content: String? = nil, role: String? = nil, toolCalls: [JSONValue]? = nil, finishReason: String? = nil,
        id: String = "chatcmpl-stream", model: String = "gpt-test"
    ) -> JSONValue {
        var delta = JSONObject()
        if let role { delta["role"] = .string(role) }
        if let content { delta["content"] = .string(content) }
        if let toolCalls { delta["tool_calls"] = .array(toolCalls) }
        return [
            "id": .string(id), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
            "system_fingerprint": "fp_test",
            "choices": [
                [
                    "index": 0, "delta": .object(delta), "logprobs": nil,
                    "finish_reason": finishReason.map(JSONValue.string) ?? nil,
                ]
            ],
        ]
    }

    /// One tool-call piece for a chunk's `tool_calls`.
    package static func toolCallDelta(
        index: Int = 0, id: String? = nil, name: String? = nil, arguments: String?
    ) -> JSONValue {
        var function = JSONObject()
        if let name { function["name"] = .string(name) }
        if let arguments { function["arguments"] = .string(arguments) }
        var call: JSONObject = ["index": .int(index)]
        if let id {
            call["id"] = .string(id)
            call["type"] = "function"
        }
        call["function"] = .object(function)
        return .object(call)
    }

    /// The final chunk of a stream that asked for usage: no choices, only usage.
    package static func usageChunk(
        promptTokens: Int = 11, completionTokens: Int = 7, id: String = "chatcmpl-stream", model: String = "gpt-test"
    ) -> JSONValue {
        [
            "id": .string(id), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": .string(model),
            "choices": [], "usage": usage(prompt: promptTokens, completion: completionTokens),
        ]
    }

    /// The chunks of a streamed text answer: a role chunk, one chunk per delta, a finish chunk, and a
    /// usage chunk when `usage` is given.
    package static func contentChunks(
        _ deltas: [String], usage: (prompt: Int, completion: Int)? = (11, 7)
    ) -> [JSONValue] {
        var chunks = [chunk(content: "", role: "assistant")]
        chunks += deltas.map { chunk(content: $0) }
        chunks.append(chunk(finishReason: "stop"))
        if let usage { chunks.append(usageChunk(promptTokens: usage.prompt, completionTokens: usage.completion)) }
        return chunks
    }

    /// The chunks of a streamed tool call whose arguments arrive in `argumentDeltas`.
    package static func toolCallChunks(
        name: String, argumentDeltas: [String], callID: String = "call_stream",
        usage: (prompt: Int, completion: Int)? = (11, 7)
    ) -> [JSONValue] {
        var chunks = [
            chunk(
                role: "assistant", toolCalls: [toolCallDelta(id: callID, name: name, arguments: "")])
        ]
        chunks += argumentDeltas.map { chunk(toolCalls: [toolCallDelta(arguments: $0)]) }
        chunks.append(chunk(finishReason: "tool_calls"))
        if let usage { chunks.append(usageChunk(promptTokens: usage.prompt, completionTokens: usage.completion)) }
        return chunks
    }

    /// The event-stream bytes of `payloads`: `data: <json>` and a blank line each, then `data: [DONE]`.
    package static func eventStream(_ payloads: [JSONValue], done: Bool = true) -> [UInt8] {
        var bytes: [UInt8] = []
        for payload in payloads {
            bytes += Array("data: ".utf8) + payload.jsonBytes(.compact) + Array("\n\n".utf8)
        }
        if done { bytes += Array("data: [DONE]\n\n".utf8) }
        return bytes
    }
}
