// Turns the named server-sent events of a streamed Responses API answer into neutral chunks: text and
// function-call argument deltas as they come, the finished response's status and usage at the end.

import StructuredCacheCore

/// Decodes a streamed Responses API body into ``ChatCompletionChunk``s as bytes arrive.
///
/// Each event's JSON names its type (`"type"`, which the `event:` line repeats):
///
/// - `response.output_item.added` for a `function_call` item starts a tool call (its `call_id` and
///   name); `response.function_call_arguments.delta` adds to the arguments of the call whose item it
///   names. Tool calls are numbered in the order their items appear, from 0. A call whose arguments
///   came without deltas gets them from its `response.output_item.done`.
/// - `response.output_text.delta` is content; `response.refusal.delta` a chunk without content (its
///   text is in ``ChatCompletionChunk/raw``).
/// - `response.completed` and `response.incomplete` end the stream with a chunk carrying the finish
///   reason (as ``ResponsesResponse`` names it) and the usage; later bytes are ignored.
/// - `response.failed` and `error` end it with an `http` error carrying the server's message.
/// - `response.created`, `response.in_progress`, other events and keep-alives deliver nothing.
///
/// The Responses stream has a definite end, so a body that ends before `response.completed` or
/// `response.incomplete` was cut: ``finish()`` throws a `transport` error.
package struct ResponsesStreamDecoder: ChatStreamDecoder {
    private struct State {
        var id = ""
        var model = ""
        /// Tool call numbers by output item id and by output index.
        var callsByItem: [String: Int] = [:]
        var callsByOutput: [Int: Int] = [:]
        /// The calls whose arguments arrived as deltas.
        var callsWithDeltas: Set<Int> = []
        var callCount = 0
        var done = false
    }

    private var parser: ServerSentEventParser
    private var state = State()

    /// Whether `response.completed` or `response.incomplete` arrived.
    var isDone: Bool { state.done }

    /// Creates a decoder.
    ///
    /// - Parameter maximumEventSize: The largest line and event data accepted, in bytes.
    package init(maximumEventSize: Int = ServerSentEventParser.defaultMaximumEventSize) {
        parser = ServerSentEventParser(maximumEventSize: maximumEventSize)
    }

    package mutating func decode(
        _ bytes: some Collection<UInt8>, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        guard !state.done else { return }
        // The closure must not touch `self` while `parser` (part of `self`) is being mutated.
        var state = self.state
        defer { self.state = state }
        try parser.parse(bytes) { (event) throws(ProviderError) in
            guard !state.done else { return }
            try Self.handle(event, &state, body)
        }
    }

    package mutating func finish() throws(ProviderError) {
        guard !state.done else { return }
        if parser.finish() {
            throw ProviderError(code: .transport, message: "the event stream ended in the middle of an event")
        }
        throw ProviderError(
            code: .transport, message: "the event stream ended before response.completed or response.incomplete")
    }

    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        OpenAIProvider.httpError(status: status, body: body)
    }

    static func chunks(ofWholeBody body: [UInt8]) throws -> [ChatCompletionChunk] {
        let completion = try ResponsesResponse.completion(parsing: body)
        let message = completion.message
        let calls = (message?.toolCalls ?? []).enumerated().map { index, call in
            ChatCompletionChunk.ToolCallDelta(index: index, id: call.id, name: call.name, arguments: call.arguments)
        }
        let delta = ChatCompletionChunk.Delta(
            index: 0, role: "assistant", content: message?.content?.text, toolCalls: calls,
            finishReason: completion.choices.first?.finishReason)
        return [
            ChatCompletionChunk(
                id: completion.id, model: completion.model, choices: [delta], usage: completion.usage,
                raw: completion.raw)
        ]
    }

    private static func handle(
        _ event: ServerSentEvent, _ state: inout State, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        if event.type == "error" { throw ChatCompletionStreamDecoder.streamError(event.data) }
        guard let json = try event.json() else { return }
        guard json.objectValue != nil else {
            throw ProviderError.invalidResponse(
                "a stream event is not a JSON object: \(ProviderError.excerpt(event.data))")
        }
        if json["type"] == nil, let error = json["error"], !error.isNull {
            throw ChatCompletionStreamDecoder.streamError(event.data, json: json)
        }
        let type = json["type"]?.stringValue ?? event.type
        func chunk(_ delta: ChatCompletionChunk.Delta?, usage: ChatCompletion.Usage? = nil) -> ChatCompletionChunk {
            ChatCompletionChunk(
                id: state.id, model: state.model, choices: delta.map { [$0] } ?? [], usage: usage, raw: json)
        }
        func call(_ index: Int, id: String? = nil, name: String? = nil, arguments: String? = nil) -> ChatCompletionChunk
        {
            chunk(.init(index: 0, toolCalls: [.init(index: index, id: id, name: name, arguments: arguments)]))
        }
        switch type {
        case "error":
            throw ChatCompletionStreamDecoder.streamError(event.data, json: json)
        case "response.created", "response.in_progress":
            state.id = json["response"]?["id"]?.stringValue ?? state.id
            state.model = json["response"]?["model"]?.stringValue ?? state.model
        case "response.output_item.added":
            guard let item = json["item"], item["type"] == "function_call" else { return }
            let index = state.callCount
            state.callCount += 1
            if let output = json["output_index"]?.intValue { state.callsByOutput[output] = index }
            if let id = item["id"]?.stringValue { state.callsByItem[id] = index }
            try body(call(index, id: item["call_id"]?.stringValue ?? "", name: item["name"]?.stringValue ?? ""))
        case "response.function_call_arguments.delta":
            let index = callIndex(json, &state)
            state.callsWithDeltas.insert(index)
            try body(call(index, arguments: json["delta"]?.stringValue ?? ""))
        case "response.output_item.done":
            guard let item = json["item"], item["type"] == "function_call" else { return }
            let index = callIndex(json, &state)
            guard !state.callsWithDeltas.contains(index), let arguments = item["arguments"]?.stringValue,
                !arguments.isEmpty
            else { return }
            try body(call(index, arguments: arguments))
        case "response.output_text.delta":
            try body(chunk(.init(index: 0, content: json["delta"]?.stringValue ?? "", toolCalls: [])))
        case "response.refusal.delta":
            try body(chunk(.init(index: 0, toolCalls: [])))
        case "response.completed", "response.incomplete":
            guard let response = json["response"], response.objectValue != nil else {
                throw ProviderError.invalidResponse("a \(type) event carries no response")
            }
            state.id = response["id"]?.stringValue ?? state.id
            state.model = response["model"]?.stringValue ?? state.model
            state.done = true
            try body(
                chunk(
                    .init(index: 0, toolCalls: [], finishReason: ResponsesResponse.finishReason(of: response)),
                    usage: ResponsesResponse.usage(response["usage"])))
        case "response.failed":
            throw ResponsesResponse.failure(in: json["response"] ?? [:])
                ?? ProviderError(code: .http, message: "the response failed without saying why")
        default:
            return
        }
    }

    /// The number of the tool call an event names, by its item id or output index; a call that was
    /// never announced gets the next number.
    private static func callIndex(_ json: JSONValue, _ state: inout State) -> Int {
        let item = json["item_id"]?.stringValue ?? json["item"]?["id"]?.stringValue
        let output = json["output_index"]?.intValue
        if let item, let index = state.callsByItem[item] { return index }
        if let output, let index = state.callsByOutput[output] { return index }
        let index = state.callCount
        state.callCount += 1
        if let item { state.callsByItem[item] = index }
        if let output { state.callsByOutput[output] = index }
        return index
    }
}
