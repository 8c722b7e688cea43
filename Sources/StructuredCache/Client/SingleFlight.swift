// Coalesces concurrent identical work: the first caller starts it, later callers wait for its result.

import StructuredCacheSupport
import Synchronization

/// Runs one operation per key at a time; callers that arrive while it runs share its result or error.
///
/// The operation runs in a task of its own, so one caller's cancellation does not fail the others; a
/// cancelled caller stops waiting at once, and when every caller has gone the operation is cancelled.
final class SingleFlight: Sendable {
    private struct Flight {
        let token: UInt64
        var waiters: [UInt64: CheckedContinuation<any Sendable, any Error>]
        var task: Task<Void, Never>?
    }

    private let flights = Lock<[String: Flight]>([:])
    private let counter = Atomic<UInt64>(0)

    /// Runs `operation` for `key`, or waits for the run already under way.
    ///
    /// - Parameters:
    ///   - key: What identifies identical work.
    ///   - operation: The work; its result must be the same for every caller of `key`.
    /// - Returns: The result, and whether it came from a run another caller started.
    func run<Result: Sendable>(
        _ key: String, _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> (Result, shared: Bool) {
        let waiter = counter.add(1, ordering: .relaxed).newValue
        let started = Lock(false)
        let value: any Sendable = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                let token: UInt64? = flights.withLock { flights in
                    if flights[key] != nil {
                        flights[key]!.waiters[waiter] = continuation
                        return nil
                    }
                    let token = counter.add(1, ordering: .relaxed).newValue
                    flights[key] = Flight(token: token, waiters: [waiter: continuation], task: nil)
                    return token
                }
                guard let token else { return }
                started.withLock { $0 = true }
                let task = Task {
                    let outcome: Swift.Result<any Sendable, any Error>
                    do { outcome = .success(try await operation()) } catch { outcome = .failure(error) }
                    let waiters = flights.withLock { flights -> [CheckedContinuation<any Sendable, any Error>] in
                        guard flights[key]?.token == token else { return [] }
                        return Array(flights.removeValue(forKey: key)!.waiters.values)
                    }
                    for waiting in waiters { waiting.resume(with: outcome) }
                }
                flights.withLock { flights in
                    if flights[key]?.token == token { flights[key]!.task = task }
                }
            }
        } onCancel: {
            let (continuation, abandoned) = flights.withLock {
                flights -> (CheckedContinuation<any Sendable, any Error>?, Task<Void, Never>?) in
                guard let continuation = flights[key]?.waiters.removeValue(forKey: waiter) else { return (nil, nil) }
                if flights[key]!.waiters.isEmpty {
                    return (continuation, flights.removeValue(forKey: key)!.task)
                }
                return (continuation, nil)
            }
            continuation?.resume(throwing: CancellationError())
            abandoned?.cancel()
        }
        if let result = value as? Result { return (result, !started.withLock { $0 }) }
        // Another type's work under the same key (two response types with one schema): run our own.
        return (try await operation(), false)
    }
}
