// Where chat completions come from: a request in, a completion (or a stream of chunks) out.

/// A source of chat completions: an HTTP endpoint, or a stand-in in tests.
///
/// The client never talks to a network itself; it asks its provider. A provider also says who it
/// talks to, as ``cacheIdentity``, so that cached answers of one endpoint or account are never
/// served for another.
public protocol ChatProvider: Sendable {
    /// A stable string identifying the endpoint and the account (for example the base URL and a
    /// SHA-256 of the API key). It scopes the client's default cache namespace, so it must be the same
    /// across restarts, differ between endpoints and credentials, and never contain a secret itself.
    var cacheIdentity: String { get }

    /// Sends `request` and returns the completion.
    ///
    /// - Parameter request: The request; its `stream` is `false`.
    /// - Returns: The completion.
    /// - Throws: ``ProviderError`` (or the provider's own typed error).
    func complete(_ request: ChatRequest) async throws -> ChatCompletion

    /// Sends `request` with streaming on, and returns its chunks as they arrive.
    ///
    /// Cancelling the task that iterates the stream cancels the request.
    ///
    /// - Parameter request: The request; its `stream` is `true`.
    /// - Returns: The chunks, ending when the endpoint ends the stream, or with an error.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error>
}
