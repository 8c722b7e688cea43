// Whether an adapter's backing server can be reached, and the protocol of adapters that say so.

/// Whether one server behind an adapter is being used or skipped.
///
/// An adapter that talks to servers (``RedisCache``, one per cluster node) skips a server that
/// stopped answering, so that calls do not wait for it, and uses it again once a probe finds it
/// answering. Each such change is reported as a `CacheHealth`.
public struct CacheHealth: Sendable, CustomStringConvertible {
    /// The server, as `host:port` or `unix:/path`.
    public let server: String
    /// Whether commands are sent to the server (`true`), or it is skipped (`false`).
    public let isAvailable: Bool
    /// Why it is skipped (the failure that opened the breaker), or how it came back.
    public let reason: String
    /// The failure that made the server unavailable; `nil` when it is available.
    public let error: CacheError?

    /// Creates a health report.
    ///
    /// - Parameters:
    ///   - server: The server.
    ///   - isAvailable: Whether it is used.
    ///   - reason: Why it changed.
    ///   - error: The failure that made it unavailable.
    public init(server: String, isAvailable: Bool, reason: String, error: CacheError? = nil) {
        self.server = server
        self.isAvailable = isAvailable
        self.reason = reason
        self.error = error
    }

    /// `"127.0.0.1:6379 unavailable: …"` or `"127.0.0.1:6379 available: …"`.
    public var description: String {
        "\(server) \(isAvailable ? "available" : "unavailable"): \(reason)"
    }
}

/// An adapter whose servers can become unavailable, and which reports when they do.
///
/// `StructuredClient` subscribes to the adapter it is given and reports each change as a
/// `CacheEvent` of kind `unavailable` or `available`.
public protocol CacheHealthReporting: CacheAdapter {
    /// The current state of every server the adapter has used.
    var health: [CacheHealth] { get }

    /// Calls `observer` with every later change, on whichever thread notices it, for the adapter's
    /// life. The observer must return quickly.
    ///
    /// - Parameter observer: Called with each change.
    func observeHealth(_ observer: @escaping @Sendable (CacheHealth) -> Void)
}
