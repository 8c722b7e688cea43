// Turns the bytes of Gemini's `streamGenerateContent?alt=sse` into chunks: unnamed server-sent events
// whose data are partial GenerateContentResponses, errors inside the stream, and how it may end.

/// Decodes Gemini's event stream into ``ChatCompletionChunk``s as bytes arrive.
///
/// Each event's data is one `GenerateContentResponse` (Gemini names no events and sends no end
/// marker: the stream ends when the body does, and its last chunk carries the finish reason and the
/// usage). Blank data is skipped; a payload with an `"error"` member ends the stream with that error
/// (`http`, with the error's code as status). A body that ends in the middle of an event was cut
/// (`transport`); one that ends without any chunk held no answer (`invalidResponse`).
package struct GeminiStreamDecoder: ChatStreamDecoder {
    private var parser: ServerSentEventParser
    private var reader = GeminiResponse.ChunkReader()
    /// Gemini has no end marker; the stream is done when the body ends.
    let isDone = false
    /// How many chunks were decoded.
    private(set) var chunkCount = 0

    /// Creates a decoder.
    ///
    /// - Parameter maximumEventSize: The largest line and event data accepted, in bytes.
    package init(maximumEventSize: Int = ServerSentEventParser.defaultMaximumEventSize) {
        parser = ServerSentEventParser(maximumEventSize: maximumEventSize)
    }

    package mutating func decode(
        _ bytes: some Collection<UInt8>, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        // The closure must not touch `self` while `parser` (part of `self`) is being mutated.
        var reader = self.reader
        var count = chunkCount
        defer {
            self.reader = reader
            chunkCount = count
        }
        try parser.parse(bytes) { (event) throws(ProviderError) in
            guard event.type == "message", let json = try event.json() else { return }
            if let error = GeminiProvider.error(in: json) { throw error }
            let chunk = try reader.chunk(json)
            count += 1
            try body(chunk)
        }
    }

    package mutating func finish() throws(ProviderError) {
        if parser.finish() {
            throw ProviderError(code: .transport, message: "the event stream ended in the middle of an event")
        }
        if chunkCount == 0 {
            throw ProviderError.invalidResponse("the event stream ended without any chunk")
        }
    }

    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        GeminiProvider.httpError(status: status, body: body)
    }

    /// The chunks of a JSON body: an array of responses (what `streamGenerateContent` sends without
    /// `alt=sse`) or one response.
    static func chunks(ofWholeBody body: [UInt8]) throws -> [ChatCompletionChunk] {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: body)
        } catch {
            throw ProviderError.invalidResponse(
                "the response is not JSON (\(error.message)): \(ProviderError.excerpt(body))", underlying: error)
        }
        let responses = json.arrayValue ?? [json]
        guard !responses.isEmpty else { throw ProviderError.invalidResponse("the response holds no chunk") }
        var reader = GeminiResponse.ChunkReader()
        var chunks: [ChatCompletionChunk] = []
        for response in responses {
            if let error = GeminiProvider.error(in: response) { throw error }
            chunks.append(try reader.chunk(response))
        }
        return chunks
    }
}
