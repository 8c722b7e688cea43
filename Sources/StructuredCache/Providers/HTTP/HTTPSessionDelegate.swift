// The one delegate of a provider's URLSession: it routes each task's callbacks to the transfer that
// started it, so one session serves every request of the provider.

import Foundation
import StructuredCacheSupport
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Routes URLSession callbacks to per-task ``HTTPTransfer``s.
///
/// URLSession keeps its delegate strongly until the session is invalidated; the delegate keeps only the
/// transfers in flight, so nothing here holds the provider.
final class HTTPSessionDelegate: NSObject, URLSessionDataDelegate, Sendable {
    private let transfers = Lock<[Int: any HTTPTransfer]>([:])

    /// Routes `task`'s callbacks to `transfer` until the task completes.
    ///
    /// - Parameters:
    ///   - transfer: The receiving end.
    ///   - task: The task, not yet resumed (so no callback can come before this).
    func register(_ transfer: any HTTPTransfer, for task: URLSessionTask) {
        transfers.withLock { $0[task.taskIdentifier] = transfer }
    }

    private func transfer(for task: URLSessionTask) -> (any HTTPTransfer)? {
        transfers.withLock { $0[task.taskIdentifier] }
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void
    ) {
        transfer(for: dataTask)?.receive(response: response)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        transfer(for: dataTask)?.receive(data: data, response: dataTask.response)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let transfer = transfers.withLock { $0.removeValue(forKey: task.taskIdentifier) }
        transfer?.complete(response: task.response, error: error)
    }
}
