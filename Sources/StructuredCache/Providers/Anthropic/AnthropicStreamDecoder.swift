// Turns the Messages API's named server-sent events into chunks as bytes arrive: text and tool input
// deltas, the stop reason and cumulative usage, `ping`s skipped, `error` events ending the stream.

/// Decodes an Anthropic `text/event-stream` body into ``ChatCompletionChunk``s.
///
/// Each event that changes the message becomes one chunk whose ``ChatCompletionChunk/raw`` is the
/// event: `message_start` (role, identifiers, input usage), `content_block_start` (a tool call's id
/// and name, or a block's initial text), `content_block_delta` (`text_delta` as content,
/// `input_json_delta.partial_json` as arguments of the block's tool call; thinking deltas add
/// nothing), `content_block_stop`, and `message_delta` (the stop reason in OpenAI's words and the
/// usage, which is cumulative). Tool calls are numbered in the order their blocks start, so the
/// first `tool_use` block is tool call 0 whatever thinking or text blocks come before it.
///
/// `message_stop` ends the stream; `ping` and event types this decoder does not know are skipped.
/// An `error` event ends it with an `http` error whose status stands for the error's type
/// (`overloaded_error` is 529). A body that ends before `message_stop` was cut off: a `transport`
/// error.
package struct AnthropicStreamDecoder: ChatStreamDecoder {
    private var parser: ServerSentEventParser
    package private(set) var isDone = false
    private var id = ""
    private var model = ""
    private var usage: JSONObject = [:]
    /// The tool call number of each content block that is a `tool_use` block, by block index.
    private var toolCallNumbers: [Int: Int] = [:]

    /// Creates a decoder.
    ///
    /// - Parameter maximumEventSize: The largest line and event data accepted, in bytes.
    package init(maximumEventSize: Int = ServerSentEventParser.defaultMaximumEventSize) {
        parser = ServerSentEventParser(maximumEventSize: maximumEventSize)
    }

    package mutating func decode(
        _ bytes: some Collection<UInt8>, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        guard !isDone else { return }
        var events: [ServerSentEvent] = []
        try parser.parse(bytes) { event in events.append(event) }
        for event in events where !isDone {
            if let chunk = try handle(event) { try body(chunk) }
        }
    }

    package mutating func finish() throws(ProviderError) {
        guard !isDone else { return }
        if parser.finish() {
            throw ProviderError(code: .transport, message: "the event stream ended in the middle of an event")
        }
        throw ProviderError(code: .transport, message: "the event stream ended before message_stop")
    }

    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        OpenAIProvider.httpError(status: status, body: body)
    }

    static func chunks(ofWholeBody body: [UInt8]) throws -> [ChatCompletionChunk] {
        let message: JSONValue
        do {
            message = try JSONValue(parsing: body)
        } catch {
            throw ProviderError.invalidResponse("the response is not JSON: \(error)", underlying: error)
        }
        _ = try AnthropicMessage.completion(message)
        var decoder = AnthropicStreamDecoder()
        var chunks: [ChatCompletionChunk] = []
        for event in AnthropicMessageAssembler.events(of: message) {
            if let chunk = try decoder.handle(type: event["type"]?.stringValue ?? "", event) { chunks.append(chunk) }
        }
        return chunks
    }

    private mutating func handle(_ event: ServerSentEvent) throws(ProviderError) -> ChatCompletionChunk? {
        // Anthropic names every event; an unnamed one carries its name in its `type`.
        if event.type == "ping" { return nil }
        guard let json = try event.json() else { return nil }
        let type = event.type == "message" ? json["type"]?.stringValue ?? "" : event.type
        return try handle(type: type, json)
    }

    private mutating func handle(type: String, _ json: JSONValue) throws(ProviderError) -> ChatCompletionChunk? {
        switch type {
        case "message_start":
            guard let message = json["message"], message.objectValue != nil else {
                throw ProviderError.invalidResponse("a message_start event has no message")
            }
            id = message["id"]?.stringValue ?? ""
            model = message["model"]?.stringValue ?? ""
            mergeUsage(message["usage"])
            return chunk(Delta(index: 0, role: "assistant", toolCalls: []), usage: true, raw: json)
        case "content_block_start":
            guard let index = json["index"]?.intValue, let block = json["content_block"] else {
                throw ProviderError.invalidResponse("a content_block_start event needs an index and a content_block")
            }
            switch block["type"]?.stringValue {
            case "tool_use":
                let number = toolCallNumbers.count
                toolCallNumbers[index] = number
                // A whole message read as events starts its tool blocks with their whole input.
                let input = block["input"].flatMap { $0.objectValue?.isEmpty == false ? $0.jsonString(.compact) : nil }
                let call = ToolCallDelta(
                    index: number, id: block["id"]?.stringValue, name: block["name"]?.stringValue, arguments: input)
                return chunk(Delta(index: 0, toolCalls: [call]), raw: json)
            case "text":
                let text = block["text"]?.stringValue ?? ""
                return chunk(Delta(index: 0, content: text.isEmpty ? nil : text, toolCalls: []), raw: json)
            default:
                return chunk(Delta(index: 0, toolCalls: []), raw: json)
            }
        case "content_block_delta":
            guard let index = json["index"]?.intValue, let delta = json["delta"] else {
                throw ProviderError.invalidResponse("a content_block_delta event needs an index and a delta")
            }
            switch delta["type"]?.stringValue {
            case "text_delta":
                return chunk(Delta(index: 0, content: delta["text"]?.stringValue, toolCalls: []), raw: json)
            case "input_json_delta":
                guard let number = toolCallNumbers[index] else {
                    throw ProviderError.invalidResponse("an input_json_delta for block \(index), which is no tool_use")
                }
                let call = ToolCallDelta(index: number, arguments: delta["partial_json"]?.stringValue)
                return chunk(Delta(index: 0, toolCalls: [call]), raw: json)
            default:
                return chunk(Delta(index: 0, toolCalls: []), raw: json)
            }
        case "content_block_stop":
            return chunk(Delta(index: 0, toolCalls: []), raw: json)
        case "message_delta":
            mergeUsage(json["usage"])
            let reason = json["delta"]?["stop_reason"]?.stringValue.map(AnthropicMessage.finishReason)
            return chunk(Delta(index: 0, toolCalls: [], finishReason: reason), usage: true, raw: json)
        case "message_stop":
            isDone = true
            return nil
        case "error":
            let error = json["error"]
            throw ProviderError(
                code: .http, status: AnthropicMessage.status(ofErrorType: error?["type"]?.stringValue),
                message: error?["message"]?.stringValue ?? "the server sent an error event")
        default:
            return nil
        }
    }

    private typealias Delta = ChatCompletionChunk.Delta
    private typealias ToolCallDelta = ChatCompletionChunk.ToolCallDelta

    /// Usage members as they arrive; `message_delta`'s counts are cumulative, so later values win.
    private mutating func mergeUsage(_ json: JSONValue?) {
        for (key, value) in json?.objectValue ?? [:] where !value.isNull { usage[key] = value }
    }

    private func chunk(_ delta: Delta, usage withUsage: Bool = false, raw: JSONValue) -> ChatCompletionChunk {
        ChatCompletionChunk(
            id: id, model: model, choices: [delta],
            usage: withUsage ? AnthropicMessage.usage(.object(usage)) : nil, raw: raw)
    }
}
