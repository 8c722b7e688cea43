// Streaming completions: the request asks for server-sent events, a driver task runs the attempts
// (retrying those that failed before yielding anything), and chunks flow to the consumer as they come.

import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension OpenAIProvider {
    /// Sends `request` with streaming on and returns its chunks as they arrive.
    ///
    /// The body gets `"stream": true`, and `"stream_options": {"include_usage": true}` unless the
    /// request sets `stream_options` (or ``Configuration/requestsStreamUsage`` is off), so the last
    /// chunk carries the usage. ``ChatCompletionAccumulator`` assembles the chunks into the completion.
    ///
    /// The stream ends at `[DONE]`. A server that closes the connection cleanly without `[DONE]` after
    /// at least one chunk ends the stream normally too (several do); a connection cut in the middle
    /// of an event, or while the body is still arriving, ends it with a `transport` error. An error the
    /// server reports in the stream (an `error` event, or a payload with an `"error"` member) ends it
    /// with an `http` error, a payload that is not a chunk with `invalidResponse`. Chunks yielded
    /// before an error stay valid. Failures before the first chunk (429, 5xx, a refused connection)
    /// are retried as ``complete(_:)`` retries them; failures after it are not, so no chunk is
    /// delivered twice.
    ///
    /// The request starts at once, not at the first iteration. Cancelling the task that iterates the
    /// stream, or dropping the stream, cancels the HTTP request. Chunks are buffered without bound
    /// while the consumer is slower than the endpoint.
    ///
    /// - Parameter request: The request.
    /// - Returns: The chunks, ending normally or with a ``ProviderError`` that shows none of the
    ///   provider's credentials.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        let urlRequest = Result { () throws(ProviderError) in
            try makeURLRequest(body: streamingBody(for: request), streaming: true)
        }
        return transport.stream(
            urlRequest, decoder: ChatCompletionStreamDecoder(maximumEventSize: configuration.maximumEventSize))
    }

    /// The body of a streaming request: `stream` on and, unless set, `stream_options` asking for usage.
    func streamingBody(for request: ChatRequest) -> [UInt8] {
        var body = request.body
        body["stream"] = true
        if configuration.requestsStreamUsage, body["stream_options"] == nil {
            body["stream_options"] = ["include_usage": true]
        }
        return JSONValue.object(body).jsonBytes(.compact)
    }
}
