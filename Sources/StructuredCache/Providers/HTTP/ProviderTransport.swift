// The HTTP side every provider shares: one URLSession, a POST with the provider's headers, the retry
// loop for whole answers and for streams, and credentials kept out of every error thrown.

import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends a provider's requests: whole answers with retries, and streams whose attempts are retried
/// until the first chunk.
///
/// Transient failures (408, 429, 5xx, a broken connection, a timeout) are retried as the
/// ``RetryPolicy`` says, with the server's `Retry-After` when it gives one. Every error leaving the
/// transport has the provider's credentials removed by its ``Redactor``.
struct ProviderTransport: Sendable {
    /// How long an endpoint may stay silent, how large its answers may be, and how failures are retried.
    struct Limits: Sendable {
        var timeout: Duration
        var maximumResponseSize: Int
        var maximumEventSize: Int
        var retryPolicy: RetryPolicy

        init(timeout: Duration, maximumResponseSize: Int, maximumEventSize: Int, retryPolicy: RetryPolicy) {
            self.timeout = timeout
            self.maximumResponseSize = maximumResponseSize
            self.maximumEventSize = maximumEventSize
            self.retryPolicy = retryPolicy
        }

        /// The limits of a provider's configuration, each knob brought into its range: a timeout that
        /// is not positive means 60 s, negative counts and delays mean none, sizes are at least 1.
        init(
            timeout: Duration, maxRetries: Int, initialRetryDelay: Duration, maxRetryDelay: Duration,
            maximumResponseSize: Int, maximumEventSize: Int
        ) {
            self.timeout = timeout > .zero ? timeout : .seconds(60)
            self.maximumResponseSize = max(1, maximumResponseSize)
            self.maximumEventSize = max(1, maximumEventSize)
            retryPolicy = RetryPolicy(
                maxRetries: max(0, maxRetries), initialDelay: max(.zero, initialRetryDelay),
                maxDelay: max(.zero, maxRetryDelay))
        }
    }

    let session: HTTPSession
    let limits: Limits
    /// Hides the provider's credentials in the errors thrown.
    let redactor: Redactor

    init(limits: Limits, redactor: Redactor) {
        self.limits = limits
        self.redactor = redactor
        session = HTTPSession()
    }

    static let cancelled = ProviderError(code: .cancelled, message: "the request was cancelled")

    /// A JSON POST of `body` to `url`, with `headers` set last (so that they win).
    ///
    /// - Parameters:
    ///   - url: The endpoint.
    ///   - body: The JSON body.
    ///   - streaming: Whether the answer is an event stream.
    ///   - headers: The provider's headers (credentials, versions, the caller's extra headers).
    /// - Returns: The request.
    func makeRequest(url: URL, body: [UInt8], streaming: Bool, headers: [(name: String, value: String)]) -> URLRequest {
        // URLSession's own timer (an idle timer too) backs up the provider's; it is set later, so that
        // the provider's timer, which the tests and documentation describe, is the one that fires.
        var request = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: limits.timeout.secondsValue * 2 + 1)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(streaming ? "text/event-stream" : "application/json", forHTTPHeaderField: "Accept")
        request.setValue("StructuredCache", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return request
    }

    /// Sends `request` until it succeeds or fails for good, and returns the success body.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - httpError: The error for an error status and its body, in the provider's terms.
    /// - Returns: The body of the 2xx response.
    /// - Throws: ``ProviderError`` (`http`, `transport`, `timeout`, `cancelled`, `invalidResponse` for an
    ///   oversized body), with the credentials removed.
    func send(
        _ request: URLRequest, httpError: (_ status: Int, _ body: [UInt8]) -> ProviderError
    ) async throws -> [UInt8] {
        var attempt = 0
        while true {
            let failure: ProviderError
            var head: HTTPResponseHead?
            switch await sendOnce(request) {
            case .success(let reply) where reply.head.isSuccess:
                return reply.body
            case .success(let reply):
                failure = httpError(reply.head.status, reply.body)
                head = reply.head
            case .failure(let error):
                failure = error
            }
            guard let delay = limits.retryPolicy.delay(after: failure, head: head, attempt: attempt) else {
                throw redactor.redact(failure)
            }
            do throws(ProviderError) {
                try await Self.sleep(for: delay)
            } catch {
                throw redactor.redact(error)
            }
            attempt += 1
        }
    }

    private func sendOnce(_ request: URLRequest) async -> Result<BufferedTransfer.Reply, ProviderError> {
        if Task.isCancelled { return .failure(Self.cancelled) }
        do throws(ProviderError) {
            return .success(
                try await session.send(request, timeout: limits.timeout, maximumSize: limits.maximumResponseSize))
        } catch {
            return .failure(error)
        }
    }

    /// Sends a streaming request and returns its chunks as they arrive.
    ///
    /// The request starts at once, not at the first iteration. Failures before the first chunk are
    /// retried; failures after it end the stream, so that no chunk is delivered twice. Cancelling the
    /// task that iterates, or dropping the stream, cancels the HTTP request.
    ///
    /// - Parameters:
    ///   - request: The request, or why it cannot be sent.
    ///   - decoder: Reads the provider's event stream; each attempt starts from this value.
    /// - Returns: The chunks, ending normally or with a ``ProviderError`` without credentials.
    func stream<Decoder: ChatStreamDecoder>(
        _ request: Result<URLRequest, ProviderError>, decoder: Decoder
    ) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        let (stream, output) = AsyncThrowingStream.makeStream(of: ChatCompletionChunk.self, throwing: (any Error).self)
        switch request {
        case .failure(let error):
            output.finish(throwing: redactor.redact(error))
        case .success(let request):
            let driver = Task { await drive(request, decoder: decoder, into: output) }
            output.onTermination = { _ in driver.cancel() }
        }
        return stream
    }

    private func drive<Decoder: ChatStreamDecoder>(
        _ request: URLRequest, decoder: Decoder,
        into output: AsyncThrowingStream<ChatCompletionChunk, any Error>.Continuation
    ) async {
        var attempt = 0
        while true {
            if Task.isCancelled {
                output.finish(throwing: Self.cancelled)
                return
            }
            let outcome = await session.stream(
                request, timeout: limits.timeout, decoder: decoder, maximumEventSize: limits.maximumEventSize,
                into: output)
            switch outcome {
            case .finished:
                output.finish()
                return
            case .failed(let error, let head, let yieldedChunks):
                guard !yieldedChunks, let delay = limits.retryPolicy.delay(after: error, head: head, attempt: attempt)
                else {
                    output.finish(throwing: redactor.redact(error))
                    return
                }
                do throws(ProviderError) {
                    try await Self.sleep(for: delay)
                } catch {
                    output.finish(throwing: redactor.redact(error))
                    return
                }
                attempt += 1
            }
        }
    }

    /// Sleeps before a retry; a cancellation ends the wait, and the retries, at once.
    static func sleep(for delay: Duration) async throws(ProviderError) {
        guard delay > .zero else {
            if Task.isCancelled { throw cancelled }
            return
        }
        do {
            try await Task.sleep(for: delay)
        } catch {
            throw cancelled
        }
    }
}
