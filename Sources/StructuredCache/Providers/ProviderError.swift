// The typed error of chat providers: HTTP status and the provider's own message where there is one.

public import StructuredCacheSupport

/// An error from a chat provider.
///
/// HTTP errors carry the status code and the message the provider put in its error body.
public struct ProviderError: Error, CustomStringConvertible, Sendable, CodedError {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `timeout`.
        public let description: String
        private init(_ name: String) { description = name }

        /// The endpoint answered with an HTTP error status (see ``ProviderError/status``).
        public static let http = Code("http")
        /// The connection failed or broke.
        public static let transport = Code("transport")
        /// The endpoint did not answer in time.
        public static let timeout = Code("timeout")
        /// The endpoint's answer is not what its format promises.
        public static let invalidResponse = Code("invalidResponse")
        /// The request cannot be sent (a bad URL, an unencodable body).
        public static let invalidRequest = Code("invalidRequest")
        /// The calling task was cancelled.
        public static let cancelled = Code("cancelled")
    }

    /// What kind of failure happened.
    public let code: Code
    /// The HTTP status, for ``Code/http`` errors.
    public let status: Int?
    /// A human-readable explanation; for HTTP errors, the provider's own message when it sent one.
    public let message: String
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - code: What kind of failure happened.
    ///   - status: The HTTP status, for HTTP errors.
    ///   - message: A human-readable explanation.
    ///   - underlying: The error that caused this one.
    public init(code: Code, status: Int? = nil, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.underlying = underlying
    }

    /// The code, status, message and underlying error on one line, with anything shaped like a
    /// credential (URL user info, credential query values, bearer tokens, API keys) replaced by `***`.
    public var description: String { redactedDescription }

    package var descriptionDetail: String { status.map { " \($0)" } ?? "" }

    /// The endpoint's answer is not what its format promises.
    ///
    /// - Parameters:
    ///   - message: What was wrong with the answer.
    ///   - underlying: The decoding error, if any.
    /// - Returns: The error.
    public static func invalidResponse(_ message: String, underlying: (any Error)? = nil) -> ProviderError {
        ProviderError(code: .invalidResponse, message: message, underlying: underlying)
    }

    /// An HTTP error status, with the provider's message.
    ///
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - message: The message of the provider's error body, or a summary of the status.
    /// - Returns: The error.
    public static func http(status: Int, message: String) -> ProviderError {
        ProviderError(code: .http, status: status, message: message)
    }

    /// Whether retrying the same request later may succeed (429, 5xx, a broken connection, a timeout).
    public var isTransient: Bool {
        switch code {
        case .http: return status == 429 || status == 408 || (status ?? 0) >= 500
        case .transport, .timeout: return true
        default: return false
        }
    }
}

extension ProviderError {
    /// The start of a body or an event's data as text, for messages: its first `limit` bytes, and `…`
    /// when there are more.
    static func excerpt(_ data: some Collection<UInt8>, limit: Int = 500) -> String {
        let text = String(decoding: data.prefix(limit), as: UTF8.self)
        return data.count > limit ? text + "…" : text
    }
}

extension ProviderError: RedactableError {
    package func redacted(by redactor: Redactor) -> ProviderError {
        ProviderError(
            code: code, status: status, message: redactor.redact(message), underlying: underlying.map(redactor.redact))
    }
}
