// What a provider's streamed body is read with: its event stream turned into chunks as bytes arrive,
// its error bodies into typed errors, and the whole JSON answer of a server that did not stream.

/// Reads one wire format's streamed answer into ``ChatCompletionChunk``s.
///
/// A decoder is fed the body as it arrives, split anywhere; it delivers each chunk it completes and
/// says when the stream is done. ``finish()`` checks, when the body ends, that it ended the way the
/// format says a whole answer ends.
protocol ChatStreamDecoder: Sendable {
    /// Whether the format's end-of-stream marker arrived (later bytes are ignored).
    var isDone: Bool { get }

    /// Reads more of the body, delivering each chunk it completes.
    ///
    /// - Parameters:
    ///   - bytes: The next bytes of the body.
    ///   - body: Called with each chunk, in order.
    /// - Throws: ``ProviderError``: `invalidResponse` for a malformed event, `http` for an error the
    ///   server sent inside the stream. Chunks delivered before stay valid.
    mutating func decode(
        _ bytes: some Collection<UInt8>, _ body: (ChatCompletionChunk) throws(ProviderError) -> Void
    ) throws(ProviderError)

    /// Ends the body.
    ///
    /// - Throws: ``ProviderError``: `transport` when the body was cut off, `invalidResponse` when it
    ///   held no answer.
    mutating func finish() throws(ProviderError)

    /// The error for an HTTP error status, with the message of the provider's error body.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - body: The response body.
    /// - Returns: An `http` error.
    static func httpError(status: Int, body: [UInt8]) -> ProviderError

    /// The chunks equivalent to a whole JSON answer, for servers that answer a streaming request
    /// without streaming.
    ///
    /// - Parameter body: The JSON body.
    /// - Returns: The chunks.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when it is not an answer.
    static func chunks(ofWholeBody body: [UInt8]) throws -> [ChatCompletionChunk]
}
