// The URLSession a provider owns (ephemeral: no cookies, no cache), and the two ways it is used: a
// request whose whole body is awaited, and a streaming request that yields chunks as they arrive.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One URLSession, bridged to async callers through its delegate.
///
/// Every request of a provider goes through the same session (connections are reused); the session
/// is invalidated when the last copy of the provider goes away, after its requests in flight finish.
/// URLSession runs its work on its own threads: awaiting callers are suspended, never blocking.
final class HTTPSession: Sendable {
    private let session: URLSession
    private let delegate: HTTPSessionDelegate

    /// Creates a session with an ephemeral configuration.
    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieAcceptPolicy = .never
        configuration.httpShouldSetCookies = false
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.urlCredentialStorage = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let queue = OperationQueue()
        // One queue, one operation at a time: each task's callbacks run in order.
        queue.maxConcurrentOperationCount = 1
        queue.name = "StructuredCache.OpenAIProvider"
        delegate = HTTPSessionDelegate()
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: queue)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    /// Sends `request` and returns the whole response.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - timeout: How long the endpoint may stay silent.
    ///   - maximumSize: The largest body accepted.
    /// - Returns: The status, headers and body, whatever the status.
    /// - Throws: ``ProviderError``: `transport`, `timeout`, `cancelled`, or `invalidResponse` for an
    ///   oversized body.
    func send(
        _ request: URLRequest, timeout: Duration, maximumSize: Int
    ) async throws(ProviderError)
        -> BufferedTransfer.Reply
    {
        let control = TransferControl(timeout: timeout)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let transfer = BufferedTransfer(
                    control: control, url: request.url, maximumSize: maximumSize, continuation: continuation)
                start(request, transfer: transfer, control: control)
            }
        } onCancel: {
            control.cancel()
        }
        return try result.get()
    }

    /// Sends a streaming `request`, yielding its chunks into `output`.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - timeout: How long the endpoint may stay silent.
    ///   - decoder: Reads the provider's event stream.
    ///   - maximumEventSize: The largest event accepted.
    ///   - output: Where chunks go; this method never finishes it.
    /// - Returns: How the attempt ended.
    func stream<Decoder: ChatStreamDecoder>(
        _ request: URLRequest, timeout: Duration, decoder: Decoder, maximumEventSize: Int,
        into output: AsyncThrowingStream<ChatCompletionChunk, any Error>.Continuation
    ) async -> StreamOutcome {
        let control = TransferControl(timeout: timeout)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let transfer = StreamingTransfer(
                    control: control, url: request.url, decoder: decoder, maximumEventSize: maximumEventSize,
                    output: output, continuation: continuation)
                start(request, transfer: transfer, control: control)
            }
        } onCancel: {
            control.cancel()
        }
    }

    private func start(_ request: URLRequest, transfer: some HTTPTransfer, control: TransferControl) {
        let task = session.dataTask(with: request)
        delegate.register(transfer, for: task)
        // A cancellation that came first still lets the task start, so that its completion (with a
        // cancellation error) resumes the caller through the one path every outcome takes.
        let attached = control.attach(task)
        task.resume()
        if !attached { task.cancel() }
    }
}
