// A few dedicated threads for blocking file I/O, so DiskCache's async API never blocks Swift's
// cooperative thread pool.

import Dispatch
import Foundation
import StructuredCacheSupport
import Synchronization

/// A fixed set of threads that run blocking jobs, bridged to async callers by continuations.
///
/// Threads start on first use and live for the process. A fixed count bounds the threads a stalled disk
/// can tie up (a concurrent dispatch queue would keep adding them).
final class IOThreadPool: Sendable {
    /// The pool DiskCache instances share.
    static let shared = IOThreadPool(
        threadCount: max(2, min(8, ProcessInfo.processInfo.activeProcessorCount * 2)),
        name: "StructuredCache.DiskCache.io"
    )

    private struct Queue {
        var jobs: [(@Sendable () -> Void)?] = []
        var head = 0
        var started = false
    }

    private let queue = Lock(Queue())
    private let pending = DispatchSemaphore(value: 0)
    private let threadCount: Int
    private let name: String

    /// Creates a pool; its threads start with the first job.
    ///
    /// - Parameters:
    ///   - threadCount: How many jobs may block at once.
    ///   - name: The threads' name, as debuggers show it.
    init(threadCount: Int, name: String) {
        self.threadCount = threadCount
        self.name = name
    }

    /// Runs `body` on one of the pool's threads and returns its result to the awaiting task.
    ///
    /// - Parameter body: The blocking work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            submit {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        let mustStart = queue.withLock { queue -> Bool in
            queue.jobs.append(job)
            defer { queue.started = true }
            return !queue.started
        }
        if mustStart {
            for index in 0..<threadCount {
                let thread = Thread { [self] in work() }
                thread.name = "\(name).\(index)"
                thread.start()
            }
        }
        pending.signal()
    }

    private func work() {
        while true {
            pending.wait()
            let job = queue.withLock { queue -> (@Sendable () -> Void)? in
                guard queue.head < queue.jobs.count else { return nil }
                // Clear the slot: a finished job must not keep its captured value alive.
                let job = queue.jobs[queue.head].take()
                queue.head += 1
                // Compact now and then, so the array neither grows forever nor shifts on every pop.
                if queue.head >= 64, queue.head * 2 >= queue.jobs.count {
                    queue.jobs.removeFirst(queue.head)
                    queue.head = 0
                }
                return job
            }
            job?()
        }
    }
}
