// A streamed completion request: bytes go through the event-stream decoder as they arrive and chunks
// go straight to the consumer's stream; the awaiting driver learns how the attempt ended.

import Foundation
import StructuredCacheSupport
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How one attempt ended.
enum StreamOutcome: Sendable {
    /// The stream ended normally (`[DONE]`, or a clean close after at least one chunk).
    case finished
    /// The attempt failed.
    ///
    /// - Parameters:
    ///   - error: The typed error.
    ///   - head: The response head, when one arrived (for `Retry-After`).
    ///   - yieldedChunks: Whether chunks were already delivered (then it must not be retried).
    case failed(ProviderError, head: HTTPResponseHead?, yieldedChunks: Bool)
}

/// Feeds one streaming response into the consumer's `AsyncThrowingStream`.
///
/// A success status with an event-stream body is decoded as it arrives, and each chunk is yielded at
/// once (from the session's delegate queue, so yields keep the stream's order). An error status has
/// its body collected for the error message. A success with a JSON body (a server that ignored
/// `"stream": true`) is read as a whole completion and yielded as its chunks.
///
/// The driver awaiting ``StreamOutcome`` decides about retrying: only an attempt that yielded nothing may
/// be retried, so a consumer never sees a chunk twice.
final class StreamingTransfer<Decoder: ChatStreamDecoder>: HTTPTransfer {
    typealias Outcome = StreamOutcome

    private enum Mode {
        case awaitingResponse
        case events
        case errorBody(HTTPResponseHead)
        case jsonBody(HTTPResponseHead)
    }

    private struct State {
        var decoder: Decoder
        var mode = Mode.awaitingResponse
        var body: [UInt8] = []
        var yielded = 0
        var continuation: CheckedContinuation<Outcome, Never>?
    }

    /// The most of an error body kept for its message.
    private static var maximumErrorBodySize: Int { 1 << 20 }

    private let control: TransferControl
    private let url: URL?
    private let maximumBodySize: Int
    private let output: AsyncThrowingStream<ChatCompletionChunk, any Error>.Continuation
    private let state: Lock<State>

    /// Creates the receiving end of one streaming attempt.
    ///
    /// - Parameters:
    ///   - control: The attempt's timeout and cancellation.
    ///   - url: The request's URL, for messages.
    ///   - decoder: Reads the provider's event stream (and its error and whole-JSON bodies).
    ///   - maximumEventSize: The largest event (and the largest JSON body) accepted.
    ///   - output: Where chunks go.
    ///   - continuation: Resumed once, when the attempt's outcome is known.
    init(
        control: TransferControl, url: URL?, decoder: Decoder, maximumEventSize: Int,
        output: AsyncThrowingStream<ChatCompletionChunk, any Error>.Continuation,
        continuation: CheckedContinuation<Outcome, Never>
    ) {
        self.control = control
        self.url = url
        self.maximumBodySize = maximumEventSize
        self.output = output
        state = Lock(State(decoder: decoder, continuation: continuation))
    }

    func receive(response: URLResponse) {
        control.noteActivity()
        state.withLock { state in
            if case .awaitingResponse = state.mode { state.mode = Self.mode(for: response) }
        }
    }

    func receive(data: Data, response: URLResponse?) {
        control.noteActivity()
        let resolution = state.withLock { state -> (CheckedContinuation<Outcome, Never>, Outcome)? in
            guard state.continuation != nil else { return nil }
            if case .awaitingResponse = state.mode, let response { state.mode = Self.mode(for: response) }
            switch state.mode {
            case .awaitingResponse, .events:
                // Counted outside `state` while the decoder (part of `state`) is being mutated.
                var yielded = state.yielded
                defer { state.yielded = yielded }
                do throws(ProviderError) {
                    try state.decoder.decode(data) { chunk in
                        output.yield(chunk)
                        yielded += 1
                    }
                } catch {
                    return Self.resolve(&state, .failed(error, head: nil, yieldedChunks: yielded > 0))
                }
                return state.decoder.isDone ? Self.resolve(&state, .finished) : nil
            case .errorBody:
                let room = Self.maximumErrorBodySize - state.body.count
                if room > 0 { state.body.append(contentsOf: data.prefix(room)) }
                return nil
            case .jsonBody:
                guard state.body.count + data.count <= maximumBodySize else {
                    let error = ProviderError.invalidResponse(
                        "the response body is larger than the limit of \(maximumBodySize) bytes")
                    return Self.resolve(&state, .failed(error, head: nil, yieldedChunks: false))
                }
                state.body.append(contentsOf: data)
                return nil
            }
        }
        if let (continuation, outcome) = resolution {
            if case .failed = outcome { control.abort() }
            continuation.resume(returning: outcome)
        }
    }

    func complete(response: URLResponse?, error: (any Error)?) {
        let stop = control.finish()
        let resolution = state.withLock { state -> (CheckedContinuation<Outcome, Never>, Outcome)? in
            guard state.continuation != nil else { return nil }
            if case .awaitingResponse = state.mode, let response { state.mode = Self.mode(for: response) }
            if let error {
                let head: HTTPResponseHead? = (response as? HTTPURLResponse).map(HTTPResponseHead.init)
                let failure = control.failure(from: error, stop: stop, url: url)
                return Self.resolve(&state, .failed(failure, head: head, yieldedChunks: state.yielded > 0))
            }
            switch state.mode {
            case .awaitingResponse:
                let failure = ProviderError.invalidResponse("the endpoint's answer is not an HTTP response")
                return Self.resolve(&state, .failed(failure, head: nil, yieldedChunks: false))
            case .events:
                do throws(ProviderError) {
                    try state.decoder.finish()
                    return Self.resolve(&state, .finished)
                } catch {
                    return Self.resolve(&state, .failed(error, head: nil, yieldedChunks: state.yielded > 0))
                }
            case .errorBody(let head):
                let failure = Decoder.httpError(status: head.status, body: state.body)
                return Self.resolve(&state, .failed(failure, head: head, yieldedChunks: false))
            case .jsonBody(let head):
                do {
                    for chunk in try Decoder.chunks(ofWholeBody: state.body) {
                        output.yield(chunk)
                        state.yielded += 1
                    }
                    return Self.resolve(&state, .finished)
                } catch {
                    let failure =
                        error as? ProviderError
                        ?? .invalidResponse("the response is not a chat completion: \(error)", underlying: error)
                    return Self.resolve(&state, .failed(failure, head: head, yieldedChunks: false))
                }
            }
        }
        if let (continuation, outcome) = resolution { continuation.resume(returning: outcome) }
    }

    private static func mode(for response: URLResponse) -> Mode {
        guard let response = response as? HTTPURLResponse else { return .events }
        let head = HTTPResponseHead(response)
        if !head.isSuccess { return .errorBody(head) }
        return head.isJSON ? .jsonBody(head) : .events
    }

    private static func resolve(
        _ state: inout State, _ outcome: Outcome
    ) -> (CheckedContinuation<Outcome, Never>, Outcome)? {
        guard let continuation = state.continuation else { return nil }
        state.continuation = nil
        state.body = []
        return (continuation, outcome)
    }
}
