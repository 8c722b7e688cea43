// Builders of OpenAI Responses API JSON for tests, in the documented shapes: response objects (message,
// function call, refusal and reasoning items, usage, incomplete and failed statuses) and the named
// server-sent events of a streamed response.

import StructuredCache

enum ResponsesPayload {
    /// A usage object.
    static func usage(input: Int = 11, output: Int = 7, cached: Int = 0) -> JSONValue {
        [
            "input_tokens": .int(input), "input_tokens_details": ["cached_tokens": .int(cached)],
            "output_tokens": .int(output), "output_tokens_details": ["reasoning_tokens": 0],
            "total_tokens": .int(input + output),
        ]
    }

    /// A response object with `output` items.
    static func response(
        _ output: [JSONValue], id: String = "resp_test", model: String = "gpt-test", status: String = "completed",
        incompleteReason: String? = nil, usage: JSONValue = usage(), error: JSONValue = nil
    ) -> JSONValue {
        [
            "id": .string(id), "object": "response", "created_at": 1_741_476_542, "status": .string(status),
            "error": error, "incomplete_details": incompleteReason.map { ["reason": .string($0)] } ?? nil,
            "instructions": nil, "max_output_tokens": nil, "model": .string(model), "output": .array(output),
            "parallel_tool_calls": true, "previous_response_id": nil, "reasoning": ["effort": nil, "summary": nil],
            "store": false, "temperature": 1.0, "text": ["format": ["type": "text"]], "tool_choice": "auto",
            "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": usage, "user": nil, "metadata": [:],
        ]
    }

    /// A response whose output is one message with `text`.
    static func text(_ text: String, usage: JSONValue = usage()) -> JSONValue {
        response([message(text)], usage: usage)
    }

    /// A response whose output is one call of `name` with `arguments`.
    static func call(_ name: String, _ arguments: String, callID: String = "call_test") -> JSONValue {
        response([functionCall(name, arguments, callID: callID)])
    }

    /// An assistant `message` output item whose one `output_text` part is `text`.
    static func message(_ text: String, id: String = "msg_test", status: String = "completed") -> JSONValue {
        [
            "id": .string(id), "type": "message", "status": .string(status), "role": "assistant",
            "content": [["type": "output_text", "text": .string(text), "annotations": [], "logprobs": []]],
        ]
    }

    /// An assistant `message` output item whose one part is a `refusal`.
    static func refusal(_ text: String) -> JSONValue {
        [
            "id": "msg_refusal", "type": "message", "status": "completed", "role": "assistant",
            "content": [["type": "refusal", "refusal": .string(text)]],
        ]
    }

    /// A `function_call` output item.
    static func functionCall(
        _ name: String, _ arguments: String, callID: String = "call_test", id: String = "fc_test",
        status: String = "completed"
    ) -> JSONValue {
        [
            "id": .string(id), "type": "function_call", "status": .string(status), "arguments": .string(arguments),
            "call_id": .string(callID), "name": .string(name),
        ]
    }

    /// A `reasoning` output item.
    static let reasoning: JSONValue = ["id": "rs_test", "type": "reasoning", "summary": []]

    /// A failed response with an `error` object.
    static func failed(code: String = "server_error", message: String) -> JSONValue {
        response(
            [], status: "failed", usage: nil, error: ["code": .string(code), "message": .string(message)])
    }

    // MARK: - Streams

    /// The events of a streamed response: `response.created`, `response.in_progress`, the events of
    /// each item (its number is its output index), and `response.completed` (or the `end` given)
    /// carrying `final`.
    static func events(_ items: [[JSONValue]], final: JSONValue, end: String = "response.completed") -> [JSONValue] {
        var started = final.objectValue ?? [:]
        started["status"] = "in_progress"
        started["output"] = []
        started["usage"] = nil
        var events: [JSONValue] = [
            ["type": "response.created", "response": .object(started)],
            ["type": "response.in_progress", "response": .object(started)],
        ]
        events += items.flatMap { $0 }
        events.append(["type": .string(end), "response": final])
        return events.enumerated().map { number, event in
            var event = event.objectValue ?? [:]
            event["sequence_number"] = .int(number)
            return .object(event)
        }
    }

    /// The events of a message item at `output` whose text arrives as `deltas`.
    static func messageEvents(_ deltas: [String], output: Int = 0, id: String = "msg_test") -> [JSONValue] {
        let text = deltas.joined()
        var added = message("", id: id, status: "in_progress").objectValue ?? [:]
        added["content"] = []
        let part: JSONValue = ["type": "output_text", "annotations": [], "logprobs": [], "text": ""]
        let position: JSONObject = ["item_id": .string(id), "output_index": .int(output), "content_index": 0]
        func event(_ type: String, _ members: JSONObject) -> JSONValue {
            var event = position
            event["type"] = .string(type)
            for (key, value) in members { event[key] = value }
            return .object(event)
        }
        return [["type": "response.output_item.added", "output_index": .int(output), "item": .object(added)]]
            + [event("response.content_part.added", ["part": part])]
            + deltas.map { event("response.output_text.delta", ["delta": .string($0), "logprobs": []]) }
            + [
                event("response.output_text.done", ["text": .string(text), "logprobs": []]),
                event(
                    "response.content_part.done",
                    ["part": ["type": "output_text", "annotations": [], "logprobs": [], "text": .string(text)]]),
                ["type": "response.output_item.done", "output_index": .int(output), "item": message(text, id: id)],
            ]
    }

    /// The events of a function call item at `output` whose arguments arrive as `deltas`.
    static func callEvents(
        _ name: String, _ deltas: [String], output: Int = 0, callID: String = "call_test", id: String = "fc_test"
    ) -> [JSONValue] {
        let arguments = deltas.joined()
        let position: JSONObject = ["item_id": .string(id), "output_index": .int(output)]
        func event(_ type: String, _ members: JSONObject) -> JSONValue {
            var event = position
            event["type"] = .string(type)
            for (key, value) in members { event[key] = value }
            return .object(event)
        }
        return [
            [
                "type": "response.output_item.added", "output_index": .int(output),
                "item": functionCall(name, "", callID: callID, id: id, status: "in_progress"),
            ]
        ]
            + deltas.map { event("response.function_call_arguments.delta", ["delta": .string($0)]) }
            + [
                event("response.function_call_arguments.done", ["arguments": .string(arguments)]),
                [
                    "type": "response.output_item.done", "output_index": .int(output),
                    "item": functionCall(name, arguments, callID: callID, id: id),
                ],
            ]
    }

    /// The events of a reasoning item at `output`.
    static func reasoningEvents(output: Int = 0) -> [JSONValue] {
        [
            ["type": "response.output_item.added", "output_index": .int(output), "item": reasoning],
            ["type": "response.output_item.done", "output_index": .int(output), "item": reasoning],
        ]
    }

    /// A streamed text answer.
    static func textEvents(_ deltas: [String], usage: JSONValue = usage()) -> [JSONValue] {
        events([messageEvents(deltas)], final: text(deltas.joined(), usage: usage))
    }

    /// A streamed function call.
    static func callStreamEvents(_ name: String, _ deltas: [String]) -> [JSONValue] {
        events([callEvents(name, deltas)], final: call(name, deltas.joined()))
    }

    /// The event-stream bytes of `events`: each as `event: <type>` and `data: <json>`, with a
    /// keep-alive comment after the first.
    static func eventStream(_ events: [JSONValue]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (number, event) in events.enumerated() {
            bytes += Array("event: \(event["type"]?.stringValue ?? "message")\ndata: ".utf8)
            bytes += event.jsonBytes(.compact)
            bytes += Array("\n\n".utf8)
            if number == 0 { bytes += Array(": keep-alive\n\n".utf8) }
        }
        return bytes
    }
}
