// A request whose whole body is wanted at once (a non-streamed completion or an error body), collected
// up to a size limit and handed to the awaiting task when the task completes.

import Foundation
import StructuredCacheSupport
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Collects a response body and resumes the awaiting caller with it.
final class BufferedTransfer: HTTPTransfer {
    /// A complete response.
    struct Reply: Sendable {
        /// Status and headers.
        var head: HTTPResponseHead
        /// The body.
        var body: [UInt8]
    }

    private struct State {
        var body: [UInt8] = []
        var failure: ProviderError?
        var continuation: CheckedContinuation<Result<Reply, ProviderError>, Never>?
    }

    private let control: TransferControl
    private let url: URL?
    private let maximumSize: Int
    private let state: Lock<State>

    /// Creates the receiving end of one request.
    ///
    /// - Parameters:
    ///   - control: The request's timeout and cancellation.
    ///   - url: The request's URL, for messages.
    ///   - maximumSize: The largest body accepted.
    ///   - continuation: Resumed once, with the reply or the error.
    init(
        control: TransferControl, url: URL?, maximumSize: Int,
        continuation: CheckedContinuation<Result<Reply, ProviderError>, Never>
    ) {
        self.control = control
        self.url = url
        self.maximumSize = maximumSize
        state = Lock(State(continuation: continuation))
    }

    func receive(response: URLResponse) {
        control.noteActivity()
    }

    func receive(data: Data, response: URLResponse?) {
        control.noteActivity()
        let tooLarge = state.withLock { state -> Bool in
            guard state.failure == nil else { return false }
            guard state.body.count + data.count <= maximumSize else {
                state.failure = .invalidResponse("the response body is larger than the limit of \(maximumSize) bytes")
                state.body = []
                return true
            }
            state.body.append(contentsOf: data)
            return false
        }
        if tooLarge { control.abort() }
    }

    func complete(response: URLResponse?, error: (any Error)?) {
        let stop = control.finish()
        let result: Result<Reply, ProviderError>
        let (body, failure, continuation) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.body, state.failure, state.continuation)
        }
        if let failure {
            result = .failure(failure)
        } else if let error {
            result = .failure(control.failure(from: error, stop: stop, url: url))
        } else if let response = response as? HTTPURLResponse {
            result = .success(Reply(head: HTTPResponseHead(response), body: body))
        } else {
            result = .failure(.invalidResponse("the endpoint's answer is not an HTTP response"))
        }
        continuation?.resume(returning: result)
    }
}
