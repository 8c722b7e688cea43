// What one request's URLSession callbacks drive: the session's delegate routes each task's events to
// its transfer, which turns them into a reply or a stream of chunks.

import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The receiving end of one URLSession data task.
///
/// Callbacks arrive on the session's serial delegate queue, in order: possibly a response, then data,
/// then exactly one completion. ``receive(data:response:)`` may come without a response callback first
/// (a platform is free not to ask the delegate about responses), so it passes the task's response too.
protocol HTTPTransfer: AnyObject, Sendable {
    /// The response head arrived.
    ///
    /// - Parameter response: The response.
    func receive(response: URLResponse)

    /// More of the body arrived.
    ///
    /// - Parameters:
    ///   - data: The bytes.
    ///   - response: The task's response, for transfers that saw no response callback.
    func receive(data: Data, response: URLResponse?)

    /// The task ended.
    ///
    /// - Parameters:
    ///   - response: The task's response, if any arrived.
    ///   - error: Why it failed, or `nil` when the body arrived in full.
    func complete(response: URLResponse?, error: (any Error)?)
}

/// The status and headers of an HTTP response, with header names lowercased.
struct HTTPResponseHead: Sendable {
    /// The status code.
    var status: Int
    /// The headers, names lowercased.
    var headers: [String: String]

    init(status: Int, headers: [String: String] = [:]) {
        self.status = status
        self.headers = headers
    }

    init(_ response: HTTPURLResponse) {
        status = response.statusCode
        var headers: [String: String] = [:]
        for (name, value) in response.allHeaderFields {
            guard let name = name as? String else { continue }
            headers[name.lowercased()] = "\(value)"
        }
        self.headers = headers
    }

    /// Whether the status is a success (2xx).
    var isSuccess: Bool { (200..<300).contains(status) }

    /// Whether the body is a JSON document (rather than an event stream).
    var isJSON: Bool {
        guard let type = headers["content-type"]?.lowercased() else { return false }
        return type.hasPrefix("application/json") || type.contains("+json")
    }
}
