// Timeouts and cancellation of one URLSession task: an idle timer that fires when the endpoint sends
// nothing for too long, and a cancel that works whether it comes before or after the task exists.

import Dispatch
import Foundation
import StructuredCacheSupport
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Cancels a task when the caller gives up or the endpoint stays silent too long.
///
/// The timeout is an idle timeout: it restarts whenever bytes arrive, so a stream may last as long as
/// it keeps sending, while an endpoint that sends nothing (no response, or a stalled body) for the
/// whole timeout ends the request. The timer runs on a Dispatch queue, never on the caller's task.
final class TransferControl: Sendable {
    /// Why a transfer was stopped from this side.
    enum Stop: Sendable {
        /// The calling task was cancelled.
        case cancelled
        /// The endpoint sent nothing for the whole timeout.
        case timedOut
        /// The receiving end gave up (an oversized or malformed body) and keeps its own error.
        case aborted
    }

    private struct State {
        var task: URLSessionDataTask?
        var stop: Stop?
        var lastActivity: UInt64
        var finished = false
    }

    private let state: Lock<State>
    private let timeoutNanoseconds: UInt64
    private let timeoutDescription: String

    /// Creates the control of one request.
    ///
    /// - Parameter timeout: How long the endpoint may stay silent.
    init(timeout: Duration) {
        timeoutNanoseconds = timeout.nanosecondsClamped
        timeoutDescription = "\(timeout)"
        state = Lock(State(lastActivity: DispatchTime.now().uptimeNanoseconds))
    }

    /// Takes charge of the task and starts the idle timer.
    ///
    /// - Parameter task: The task, before it is resumed.
    /// - Returns: `false` when the request was stopped already: the caller must cancel the task.
    func attach(_ task: URLSessionDataTask) -> Bool {
        let attached = state.withLock { state -> Bool in
            guard state.stop == nil else { return false }
            state.task = task
            state.lastActivity = DispatchTime.now().uptimeNanoseconds
            return true
        }
        if attached { scheduleCheck(afterNanoseconds: timeoutNanoseconds) }
        return attached
    }

    /// Notes that bytes arrived, which restarts the idle timeout.
    func noteActivity() {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { $0.lastActivity = now }
    }

    /// Stops the request because the calling task was cancelled.
    func cancel() { stop(.cancelled) }

    /// Stops the request because the receiving end gave up on it.
    func abort() { stop(.aborted) }

    /// Marks the task finished (its completion arrived) and says whether this side had stopped it.
    ///
    /// - Returns: Why this side stopped the task, or `nil`.
    func finish() -> Stop? {
        state.withLock { state in
            state.finished = true
            state.task = nil
            return state.stop
        }
    }

    /// The typed error for a task that completed with `error`.
    ///
    /// - Parameters:
    ///   - error: URLSession's error.
    ///   - stop: Why this side stopped the task, from ``finish()``.
    ///   - url: The request's URL, for the message.
    /// - Returns: `timeout`, `cancelled` or `transport`.
    func failure(from error: any Error, stop: Stop?, url: URL?) -> ProviderError {
        let target = url.map { " to \($0.redactedDescription)" } ?? ""
        switch stop {
        case .timedOut:
            return ProviderError(
                code: .timeout, message: "the request\(target) got no answer within \(timeoutDescription)",
                underlying: error)
        case .cancelled:
            return ProviderError(code: .cancelled, message: "the request\(target) was cancelled", underlying: error)
        case .aborted, nil:
            break
        }
        if let error = error as? URLError {
            switch error.code {
            case .timedOut:
                return ProviderError(
                    code: .timeout, message: "the request\(target) got no answer within \(timeoutDescription)",
                    underlying: error)
            case .cancelled:
                return ProviderError(
                    code: .cancelled, message: "the request\(target) was cancelled", underlying: error)
            default:
                break
            }
        }
        return ProviderError(
            code: .transport, message: "the request\(target) failed: \(error.localizedDescription)", underlying: error)
    }

    private func stop(_ reason: Stop) {
        let task = state.withLock { state -> URLSessionDataTask? in
            guard !state.finished else { return nil }
            if state.stop == nil { state.stop = reason }
            return state.task
        }
        task?.cancel()
    }

    private func scheduleCheck(afterNanoseconds delay: UInt64) {
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: delay))) { [weak self] in
            self?.checkIdle()
        }
    }

    private enum IdleDecision {
        case nothing
        case wait(UInt64)
        case cancel(URLSessionDataTask?)
    }

    private func checkIdle() {
        let now = DispatchTime.now().uptimeNanoseconds
        let decision = state.withLock { state -> IdleDecision in
            guard !state.finished, state.stop == nil else { return .nothing }
            let deadline = state.lastActivity &+ timeoutNanoseconds
            if now < deadline { return .wait(deadline - now) }
            state.stop = .timedOut
            return .cancel(state.task)
        }
        switch decision {
        case .nothing: break
        case .wait(let remaining): scheduleCheck(afterNanoseconds: remaining)
        case .cancel(let task): task?.cancel()
        }
    }
}

extension Duration {
    /// The duration in nanoseconds, clamped to `0...Int64.max`.
    var nanosecondsClamped: UInt64 {
        UInt64(max(0, nanoseconds()))
    }

    /// The duration in seconds.
    var secondsValue: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
