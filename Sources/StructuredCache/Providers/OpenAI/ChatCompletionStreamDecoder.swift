// Turns the bytes of a streamed chat completion into chunks: server-sent events in, `[DONE]`, error
// events and malformed payloads recognised, and the rules for how a stream may end.

/// Decodes a `text/event-stream` chat completion body into ``ChatCompletionChunk``s as bytes arrive.
///
/// Each `message` event's data is one chunk's JSON; `[DONE]` ends the stream (later events are
/// ignored); blank data (keep-alives) and events of other types are skipped. An `error` event, or a
/// payload with an `"error"` member, ends the stream with that error.
///
/// When the input ends without `[DONE]` (``finish()``), the stream counts as complete if at least one
/// chunk arrived and no event was left half-read: several OpenAI-compatible servers close the
/// connection instead of sending `[DONE]`, and a cut in the middle of an event is still detected.
package struct ChatCompletionStreamDecoder: ChatStreamDecoder {
    private var parser: ServerSentEventParser
    /// Whether `[DONE]` arrived.
    public private(set) var isDone = false
    /// How many chunks were decoded.
    public private(set) var chunkCount = 0

    /// Creates a decoder.
    ///
    /// - Parameter maximumEventSize: The largest line and event data accepted, in bytes.
    public init(maximumEventSize: Int = ServerSentEventParser.defaultMaximumEventSize) {
        parser = ServerSentEventParser(maximumEventSize: maximumEventSize)
    }

    /// Reads more of the body, delivering each chunk it completes.
    ///
    /// - Parameters:
    ///   - bytes: The next bytes of the body, split anywhere.
    ///   - body: Called with each chunk, in order.
    /// - Throws: ``ProviderError``: `invalidResponse` for a payload that is not a chunk or an oversized
    ///   event, `http` for an error the server sent inside the stream. Chunks delivered before stay valid.
    /// - Complexity: O(*n*) in the number of bytes, plus the JSON reading of each chunk.
    public mutating func decode(
        _ bytes: some Collection<UInt8>, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        guard !isDone else { return }
        // The closure must not touch `self` while `parser` (part of `self`) is being mutated.
        var done = false
        var count = chunkCount
        defer {
            isDone = done
            chunkCount = count
        }
        try parser.parse(bytes) { (event) throws(ProviderError) in
            guard !done else { return }
            try Self.handle(event, done: &done, count: &count, body)
        }
    }

    /// Ends the body: checks that it ended in a way that delivered the whole completion.
    ///
    /// - Throws: ``ProviderError``: `transport` when the body ended inside an event (the connection was
    ///   cut), `invalidResponse` when it held no chunk at all.
    public mutating func finish() throws(ProviderError) {
        guard !isDone else { return }
        if let pending = parser.pendingEventData, Self.isDoneMarker(pending) {
            // `data: [DONE]` with its line ended but no blank line before the close: the server meant it.
            isDone = true
            return
        }
        if parser.finish() {
            throw ProviderError(code: .transport, message: "the event stream ended in the middle of an event")
        }
        if chunkCount == 0 {
            throw ProviderError.invalidResponse("the event stream ended without any chunk")
        }
    }

    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        OpenAIProvider.httpError(status: status, body: body)
    }

    static func chunks(ofWholeBody body: [UInt8]) throws -> [ChatCompletionChunk] {
        [try ChatCompletionChunk(completion: try ChatCompletion(parsing: body))]
    }

    private static func handle(
        _ event: ServerSentEvent, done: inout Bool, count: inout Int,
        _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        switch event.type {
        case "message":
            break
        case "error":
            throw streamError(event.data)
        default:
            return
        }
        if isDoneMarker(event.data) {
            done = true
            return
        }
        guard let json = try event.json() else { return }
        if let error = json["error"], !error.isNull {
            throw streamError(event.data, json: json)
        }
        let chunk: ChatCompletionChunk
        do {
            chunk = try ChatCompletionChunk(json: json)
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError.invalidResponse("a stream event is not a chunk: \(error)", underlying: error)
        }
        count += 1
        try body(chunk)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isDoneMarker(_ data: [UInt8]) -> Bool {
        guard data.count >= 6 else { return false }
        var start = data.startIndex
        var end = data.endIndex
        while start < end, isWhitespace(data[start]) { start += 1 }
        while end > start, isWhitespace(data[end - 1]) { end -= 1 }
        return data[start..<end].elementsEqual("[DONE]".utf8)
    }

    /// The error a server reported inside a stream, with its message and, when it gave one, its status.
    static func streamError(_ data: [UInt8], json: JSONValue? = nil) -> ProviderError {
        let json = json ?? (try? JSONValue(parsing: data))
        let details = json.map(OpenAIProvider.errorDetails(in:))
        let message =
            details?.message ?? (data.isEmpty ? "the server sent an error event" : ProviderError.excerpt(data))
        return ProviderError(code: .http, status: details?.status, message: message)
    }
}
