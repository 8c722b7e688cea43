// The typed error of RedisCache and its client: a stable code to match on, a message for people, and the
// underlying error where there is one.

package import StructuredCacheSupport

/// An error thrown by ``RedisCache``.
///
/// Match on ``code`` (`catch let error as RedisError where error.code == .timeout`); read ``message``
/// for a human explanation and ``underlying`` for the system or decoding error that caused it.
/// Every failure of the server or the network surfaces as one of these codes, so a caller can treat
/// them all as "the cache is unavailable" and carry on without it.
public struct RedisError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case tlsNotSupported
            case connectionFailed
            case connectionClosed
            case timeout
            case protocolError
            case serverError
            case authenticationFailed
            case valueTooLarge
            case shutDown
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL or a configuration value is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The URL asks for TLS (`rediss://`), which this client does not support yet.
        public static let tlsNotSupported = Code(.tlsNotSupported)
        /// No connection could be made: the name did not resolve, the server refused, or the client is
        /// waiting out its reconnect backoff after such a failure.
        public static let connectionFailed = Code(.connectionFailed)
        /// An established connection was lost before the reply arrived.
        public static let connectionClosed = Code(.connectionClosed)
        /// The server did not answer within the connect or command timeout.
        public static let timeout = Code(.timeout)
        /// The server sent bytes that are not valid RESP, or a reply of an unexpected shape.
        public static let protocolError = Code(.protocolError)
        /// The server answered with an error reply; ``RedisError/message`` holds its text.
        public static let serverError = Code(.serverError)
        /// The server rejected the credentials, or requires credentials that were not given.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// A value or reply is larger than the configured maximum.
        public static let valueTooLarge = Code(.valueTooLarge)
        /// The cache was shut down.
        public static let shutDown = Code(.shutDown)

        /// The code's name, such as `timeout`.
        public var description: String { base.rawValue }
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
    public var description: String {
        let cause = underlying.map { " (\($0))" } ?? ""
        return Redactor.standard.redact("RedisError.\(code): \(message)\(cause)")
    }

    /// The URL or a configuration value is invalid.
    ///
    /// - Parameter message: What is wrong.
    /// - Returns: The error.
    public static func invalidConfiguration(_ message: String) -> RedisError {
        RedisError(code: .invalidConfiguration, message: message)
    }

    /// The URL asks for TLS, which is not supported yet.
    public static var tlsNotSupported: RedisError {
        RedisError(
            code: .tlsNotSupported,
            message: "TLS is not supported yet: rediss:// URLs cannot be used; use redis:// or unix://")
    }

    /// No connection could be made.
    ///
    /// - Parameters:
    ///   - message: What failed.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func connectionFailed(_ message: String, underlying: (any Error)? = nil) -> RedisError {
        RedisError(code: .connectionFailed, message: message, underlying: underlying)
    }

    /// An established connection was lost.
    ///
    /// - Parameters:
    ///   - message: What happened.
    ///   - underlying: The system error, if any.
    /// - Returns: The error.
    public static func connectionClosed(_ message: String, underlying: (any Error)? = nil) -> RedisError {
        RedisError(code: .connectionClosed, message: message, underlying: underlying)
    }

    /// The server did not answer in time.
    ///
    /// - Parameter message: What timed out.
    /// - Returns: The error.
    public static func timeout(_ message: String) -> RedisError {
        RedisError(code: .timeout, message: message)
    }

    /// The server sent something that is not valid RESP or not the expected reply.
    ///
    /// - Parameters:
    ///   - message: What was wrong.
    ///   - underlying: The decoding error, if any.
    /// - Returns: The error.
    public static func protocolError(_ message: String, underlying: (any Error)? = nil) -> RedisError {
        RedisError(code: .protocolError, message: message, underlying: underlying)
    }

    /// The server answered with an error reply.
    ///
    /// - Parameter message: The server's error text, such as `WRONGTYPE Operation against a key…`.
    /// - Returns: The error.
    public static func serverError(_ message: String) -> RedisError {
        RedisError(code: .serverError, message: message)
    }

    /// The server rejected the credentials or requires some.
    ///
    /// - Parameter message: The server's error text.
    /// - Returns: The error.
    public static func authenticationFailed(_ message: String) -> RedisError {
        RedisError(code: .authenticationFailed, message: message)
    }

    /// A value or reply exceeds the configured maximum.
    ///
    /// - Parameter message: What was too large.
    /// - Returns: The error.
    public static func valueTooLarge(_ message: String) -> RedisError {
        RedisError(code: .valueTooLarge, message: message)
    }

    /// The cache was shut down.
    public static var shutDown: RedisError {
        RedisError(code: .shutDown, message: "the Redis cache has been shut down")
    }
}

extension RedisError: RedactableError {
    package func redacted(by redactor: Redactor) -> RedisError {
        RedisError(code: code, message: redactor.redact(message), underlying: underlying.map(redactor.redact))
    }
}
