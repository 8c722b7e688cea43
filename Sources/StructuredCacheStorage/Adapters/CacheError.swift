// The typed error of the cache adapters: a stable code to match on, a message for people, and the
// underlying system error where there is one.

/// An error thrown by a cache adapter.
///
/// Match on ``code`` (`catch let error as CacheError where error.code == .corruptEntry`); read
/// ``message`` for a human explanation and ``underlying`` for the system error that caused it.
public struct CacheError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidConfiguration
            case invalidKey
            case corruptEntry
            case ioFailure
            case permissionDenied
            case unsupported
            case valueTooLarge
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A constructor argument or configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A key cannot be used with this adapter.
        public static let invalidKey = Code(.invalidKey)
        /// A stored entry is damaged; it was treated as a miss.
        public static let corruptEntry = Code(.corruptEntry)
        /// Reading or writing the backing store failed.
        public static let ioFailure = Code(.ioFailure)
        /// The process lacks the permissions the adapter needs.
        public static let permissionDenied = Code(.permissionDenied)
        /// The operation or option is not supported by this adapter or platform.
        public static let unsupported = Code(.unsupported)
        /// A value is larger than the adapter stores.
        public static let valueTooLarge = Code(.valueTooLarge)

        public var description: String { base.rawValue }
    }

    /// What kind of failure happened.
    public let code: Code
    /// A human-readable explanation.
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

    public var description: String {
        if let underlying {
            return "CacheError.\(code): \(message) (\(underlying))"
        }
        return "CacheError.\(code): \(message)"
    }

    /// A constructor argument or configuration value is out of range.
    public static func invalidConfiguration(_ message: String) -> CacheError {
        CacheError(code: .invalidConfiguration, message: message)
    }

    /// A key cannot be used with this adapter.
    public static func invalidKey(_ message: String) -> CacheError {
        CacheError(code: .invalidKey, message: message)
    }

    /// A stored entry is damaged.
    public static func corruptEntry(_ message: String) -> CacheError {
        CacheError(code: .corruptEntry, message: message)
    }

    /// Reading or writing the backing store failed.
    public static func ioFailure(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .ioFailure, message: message, underlying: underlying)
    }

    /// The process lacks the permissions the adapter needs.
    public static func permissionDenied(_ message: String, underlying: (any Error)? = nil) -> CacheError {
        CacheError(code: .permissionDenied, message: message, underlying: underlying)
    }

    /// The operation or option is not supported.
    public static func unsupported(_ message: String) -> CacheError {
        CacheError(code: .unsupported, message: message)
    }

    /// A value is larger than the adapter stores.
    public static func valueTooLarge(_ message: String) -> CacheError {
        CacheError(code: .valueTooLarge, message: message)
    }
}
