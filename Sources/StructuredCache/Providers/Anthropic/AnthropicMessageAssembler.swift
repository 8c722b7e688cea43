// Builds the message a streamed answer amounts to from its events, so that a streamed call returns,
// and stores, the same Anthropic message a non-streamed one would.

/// Assembles Anthropic stream events into the `message` object they describe.
///
/// `message_start` gives the message; each `content_block_start` adds a block, which its deltas
/// extend (text, thinking and signature appended; `partial_json` collected and parsed at
/// `content_block_stop`); `message_delta` sets the stop reason and the cumulative usage.
struct AnthropicMessageAssembler: Sendable {
    private var message: JSONObject = [:]
    private var blocks: [Int: JSONObject] = [:]
    private var order: [Int] = []
    private var partialJSON: [Int: String] = [:]

    /// Adds the next event.
    ///
    /// - Parameter event: An event's JSON, with its `type`.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when a tool's input does not parse.
    mutating func add(_ event: JSONValue) throws(ProviderError) {
        switch event["type"]?.stringValue {
        case "message_start":
            message = event["message"]?.objectValue ?? [:]
        case "content_block_start":
            guard let index = event["index"]?.intValue, let block = event["content_block"]?.objectValue else { return }
            if blocks[index] == nil { order.append(index) }
            blocks[index] = block
        case "content_block_delta":
            guard let index = event["index"]?.intValue, let delta = event["delta"], blocks[index] != nil else { return }
            switch delta["type"]?.stringValue {
            case "text_delta": append(delta["text"], to: "text", of: index)
            case "thinking_delta": append(delta["thinking"], to: "thinking", of: index)
            case "signature_delta": blocks[index]?["signature"] = delta["signature"]
            case "input_json_delta": partialJSON[index, default: ""] += delta["partial_json"]?.stringValue ?? ""
            default: break
            }
        case "content_block_stop":
            guard let index = event["index"]?.intValue, let text = partialJSON.removeValue(forKey: index) else {
                return
            }
            do {
                blocks[index]?["input"] = text.isEmpty ? [:] : try JSONValue(parsing: text)
            } catch {
                throw ProviderError.invalidResponse(
                    "the streamed input of tool block \(index) is not JSON: \(error)", underlying: error)
            }
        case "message_delta":
            for (key, value) in event["delta"]?.objectValue ?? [:] { message[key] = value }
            var usage = message["usage"]?.objectValue ?? [:]
            for (key, value) in event["usage"]?.objectValue ?? [:] where !value.isNull { usage[key] = value }
            message["usage"] = .object(usage)
        default:
            break
        }
    }

    /// The message so far.
    var assembled: JSONValue {
        var result = message
        result["content"] = .array(order.compactMap { blocks[$0].map(JSONValue.object) })
        return .object(result)
    }

    private mutating func append(_ piece: JSONValue?, to member: String, of index: Int) {
        let text = (blocks[index]?[member]?.stringValue ?? "") + (piece?.stringValue ?? "")
        blocks[index]?[member] = .string(text)
    }

    /// The events that stream `message`: its start with empty content, each block started whole and
    /// stopped, and the delta with its stop reason and usage.
    static func events(of message: JSONValue) -> [JSONValue] {
        var start = message.objectValue ?? [:]
        start["content"] = []
        var events: [JSONValue] = [["type": "message_start", "message": .object(start)]]
        for (index, block) in (message["content"]?.arrayValue ?? []).enumerated() {
            events.append(["type": "content_block_start", "index": .int(index), "content_block": block])
            events.append(["type": "content_block_stop", "index": .int(index)])
        }
        events.append([
            "type": "message_delta",
            "delta": [
                "stop_reason": message["stop_reason"] ?? .null, "stop_sequence": message["stop_sequence"] ?? .null,
            ],
            "usage": message["usage"] ?? [:],
        ])
        events.append(["type": "message_stop"])
        return events
    }
}
