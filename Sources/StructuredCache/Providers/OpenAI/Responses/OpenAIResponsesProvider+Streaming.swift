// Streaming responses: the request asks for server-sent events, and the Responses API's named events
// flow to the consumer as neutral chunks as they come.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension OpenAIResponsesProvider {
    /// Sends `request` with streaming on and returns its chunks as they arrive.
    ///
    /// The body gets `"stream": true`; the named events are read as `ResponsesStreamDecoder`
    /// describes. The stream ends at `response.completed` or `response.incomplete`, whose chunk
    /// carries the finish reason and the usage (its ``ChatCompletionChunk/raw`` holds the whole
    /// response); `response.failed` and `error` events end it with an `http` error; a body that ends
    /// before either end event ends it with a `transport` error. A JSON answer to the streaming
    /// request is delivered as the chunk it amounts to. Failures before the first chunk are retried
    /// as ``complete(_:)`` retries them; later ones are not, so no chunk is delivered twice.
    /// Cancelling the task that iterates, or dropping the stream, cancels the HTTP request.
    ///
    /// - Parameter request: The request.
    /// - Returns: The chunks, ending normally or with a ``ProviderError`` that shows none of the
    ///   provider's credentials.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        var streaming = request
        streaming.stream = true
        let urlRequest = Result { () throws(ProviderError) in
            try makeURLRequest(body: body(for: streaming), streaming: true)
        }
        return transport.stream(
            urlRequest, decoder: ResponsesStreamDecoder(maximumEventSize: configuration.maximumEventSize))
    }
}
