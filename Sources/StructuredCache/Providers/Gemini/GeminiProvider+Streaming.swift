// Streaming answers: the request goes to `streamGenerateContent?alt=sse`, a driver task runs the
// attempts (retrying those that failed before yielding anything), and chunks flow as they come.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension GeminiProvider {
    /// Sends `request` to the streaming endpoint and returns its chunks as they arrive.
    ///
    /// Each chunk is one of Gemini's partial responses: its new text, its function calls (a call
    /// arrives whole, as one tool-call piece with all of its arguments), and, in the last one, the
    /// finish reason and the usage. The stream ends when the server closes the body after at least one
    /// chunk; a body cut in the middle of an event ends it with a `transport` error, an error the server
    /// reports in the stream (`{"error": {…}}`) with an `http` error, and a body with no chunk with
    /// `invalidResponse`. A server that answers with a JSON body instead (an array of responses, or one)
    /// is read as those chunks. Chunks yielded before an error stay valid. Failures before the first
    /// chunk (429, 5xx, a refused connection) are retried as ``complete(_:)`` retries them; failures
    /// after it are not, so no chunk is delivered twice.
    ///
    /// The request starts at once, not at the first iteration. Cancelling the task that iterates the
    /// stream, or dropping the stream, cancels the HTTP request.
    ///
    /// - Parameter request: The request.
    /// - Returns: The chunks, ending normally or with a ``ProviderError`` that shows none of the
    ///   provider's credentials.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        let urlRequest = Result { () throws(ProviderError) in try makeURLRequest(for: request, streaming: true) }
        return transport.stream(
            urlRequest, decoder: GeminiStreamDecoder(maximumEventSize: configuration.maximumEventSize))
    }
}
