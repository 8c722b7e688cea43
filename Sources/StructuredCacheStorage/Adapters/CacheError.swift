// The one error of every cache adapter: a stable code to match on, a message for people, and the
// backend's own error where there is one. One type for all adapters, so that "the cache failed" takes
// one `catch`, whether the backend is memory, a folder or a Redis server.

public import StructuredCacheSupport

/// An error thrown by a cache adapter: ``AutoCache``, ``DiskCache``, ``TieredCache`` or ``RedisCache``.
///
/// Match on ``code`` (`catch let error as CacheError where error.code == .corruptEntry`); read
/// ``message`` for a human explanation and ``underlying`` for the system, network or decoding error
/// that caused it. Every failure of a backend (a folder, a server, the network) surfaces as one of
/// these codes, so a caller can treat them all as "the cache is unavailable" and carry on without it.
public struct CacheError: Error, CustomStringConvertible, Sendable, CodedError {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `timeout`.
        public let description: String
        private init(_ name: String) { description = name }

        /// A constructor argument, URL or configuration value is invalid or out of range.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A key cannot be used with this adapter.
        public static let invalidKey = Code("invalidKey")
        /// A stored entry is damaged; it was treated as a miss.
        public static let corruptEntry = Code("corruptEntry")
        /// Reading or writing the backing store failed.
        public static let ioFailure = Code("ioFailure")
        /// The process lacks the permissions the adapter needs.
        public static let permissionDenied = Code("permissionDenied")
        /// The operation or option is not supported by this adapter or platform (such as TLS for
        /// ``RedisCache`` where the system's OpenSSL is missing).
        public static let unsupported = Code("unsupported")
        /// A value or a server's reply is larger than the adapter stores or reads.
        public static let valueTooLarge = Code("valueTooLarge")
        /// No connection could be made: the name did not resolve, the server refused, or the adapter is
        /// waiting out its reconnect backoff after such a failure.
        public static let connectionFailed = Code("connectionFailed")
        /// An established connection was lost before the reply arrived.
        public static let connectionClosed = Code("connectionClosed")
        /// The server did not answer within the connect or command timeout.
        public static let timeout = Code("timeout")
        /// The server sent bytes that are not valid in its protocol, or a reply of an unexpected shape.
        public static let protocolError = Code("protocolError")
        /// The server answered with an error reply; ``CacheError/message`` holds its text.
        public static let serverError = Code("serverError")
        /// The server rejected the credentials, or requires credentials that were not given.
        public static let authenticationFailed = Code("authenticationFailed")
        /// The adapter was shut down.
        public static let shutDown = Code("shutDown")
        /// The server is skipped for now: its circuit breaker opened after repeated failures, and no
        /// probe has found it answering since. Nothing was sent.
        public static let unavailable = Code("unavailable")
    }

    /// What kind of failure happened.
    public let code: Code
    /// A human-readable explanation; for ``Code/serverError`` the server's own error text.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure happened.
    ///   - message: A human-readable explanation.
    ///   - underlying: The error that caused this one, if any.
    public init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The code, the message and any underlying error, on one line, with anything shaped like a
    /// credential (URL user info, credential query values, bearer tokens, API keys) replaced by `***`.
    public var description: String { redactedDescription }

    /// A constructor argument, URL or configuration value is invalid or out of range.
    ///
    /// - Parameter message: What is wrong.
    /// - Returns: The error.
    public static func invalidConfiguration(_ message: String) -> CacheError {
        CacheError(code: .invalidConfiguration, message: message)
    }

    /// A key cannot be used with this adapter.
    ///
    /// - Parameter message: Why not.
    /// - Returns: The error.
    public static func invalidKey(_ message: String) -> CacheError {
        CacheError(code: .invalidKey, message: message)
    }

    /// A stored entry is damaged.
    ///
    /// - Parameter message: What is wrong with it.
    /// - Returns: The error.
    public static func corruptEntry(_ message: String) -> CacheError {
        CacheError(code: .corruptEntry, message: message)
    }

    /// Reading or writing the backing store failed.
    ///
    /// - Parameters:
    ///   - message: What failed.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func ioFailure(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .ioFailure, message: message, underlying: underlying)
    }

    /// The process lacks the permissions the adapter needs.
    ///
    /// - Parameters:
    ///   - message: What was refused.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func permissionDenied(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .permissionDenied, message: message, underlying: underlying)
    }

    /// The operation or option is not supported.
    ///
    /// - Parameter message: What is not supported, and what to use instead.
    /// - Returns: The error.
    public static func unsupported(_ message: String) -> CacheError {
        CacheError(code: .unsupported, message: message)
    }

    /// A value or reply is larger than the adapter stores or reads.
    ///
    /// - Parameter message: What was too large.
    /// - Returns: The error.
    public static func valueTooLarge(_ message: String) -> CacheError {
        CacheError(code: .valueTooLarge, message: message)
    }

    /// No connection could be made.
    ///
    /// - Parameters:
    ///   - message: What failed.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func connectionFailed(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .connectionFailed, message: message, underlying: underlying)
    }

    /// An established connection was lost.
    ///
    /// - Parameters:
    ///   - message: What happened.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func connectionClosed(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .connectionClosed, message: message, underlying: underlying)
    }

    /// The server did not answer in time.
    ///
    /// - Parameter message: What timed out.
    /// - Returns: The error.
    public static func timeout(_ message: String) -> CacheError {
        CacheError(code: .timeout, message: message)
    }

    /// The server sent something its protocol does not allow, or not the expected reply.
    ///
    /// - Parameters:
    ///   - message: What was wrong.
    ///   - underlying: The decoding error, if any.
    /// - Returns: The error.
    public static func protocolError(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .protocolError, message: message, underlying: underlying)
    }

    /// The server answered with an error reply.
    ///
    /// - Parameter message: The server's error text, such as `WRONGTYPE Operation against a key…`.
    /// - Returns: The error.
    public static func serverError(_ message: String) -> CacheError {
        CacheError(code: .serverError, message: message)
    }

    /// The server rejected the credentials or requires some.
    ///
    /// - Parameter message: The server's error text.
    /// - Returns: The error.
    public static func authenticationFailed(_ message: String) -> CacheError {
        CacheError(code: .authenticationFailed, message: message)
    }

    /// The server is skipped until a probe finds it answering again.
    ///
    /// - Parameters:
    ///   - message: Which server, since when, and the failure that opened the breaker.
    ///   - underlying: That failure.
    /// - Returns: The error.
    public static func unavailable(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .unavailable, message: message, underlying: underlying)
    }

    /// The adapter was shut down; later calls, and calls still waiting, fail with this.
    public static var shutDown: CacheError {
        CacheError(code: .shutDown, message: "the cache has been shut down")
    }
}

extension CacheError: RedactableError {
    package func redacted(by redactor: Redactor) -> CacheError {
        CacheError(code: code, message: redactor.redact(message), underlying: underlying.map(redactor.redact))
    }
}
