// The typed error of StructuredClient: why no structured answer came back, with every attempt's failure.

import StructuredCacheSupport

/// An error thrown by ``StructuredClient`` when it cannot return a structured answer.
///
/// Errors of the provider itself (HTTP, transport) are thrown as they are (``ProviderError``); a cache
/// never causes an error here (cache failures are reported as events and treated as misses).
public struct ClientError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case retriesExhausted
            case incompleteOutput
            case refusal
            case missingModel
            case invalidConfiguration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Every attempt's answer failed to decode or validate (see ``ClientError/attempts``).
        public static let retriesExhausted = Code(.retriesExhausted)
        /// The model stopped at its token limit before finishing the answer (`finish_reason` `length`).
        public static let incompleteOutput = Code(.incompleteOutput)
        /// The model refused to answer.
        public static let refusal = Code(.refusal)
        /// No model was given, to the call or in the configuration.
        public static let missingModel = Code(.missingModel)
        /// A call option is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { base.rawValue }
    }

    /// One attempt that did not produce a valid answer.
    public struct Attempt: Sendable {
        /// Why the answer was rejected (a decoding or validation error).
        public let error: any Error
        /// The completion that was rejected.
        public let completion: ChatCompletion
    }

    /// What kind of failure happened.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// Every failed attempt, in order, for ``Code/retriesExhausted``; the last completion for the others.
    public let attempts: [Attempt]

    init(_ code: Code, _ message: String, attempts: [Attempt] = []) {
        self.code = code
        self.message = message
        self.attempts = attempts
    }

    /// The code, the message and each attempt's error, with anything shaped like a credential
    /// replaced by `***`.
    public var description: String {
        var text = "ClientError.\(code): \(message)"
        for (index, attempt) in attempts.enumerated() { text += "\n  attempt \(index + 1): \(attempt.error)" }
        return Redactor.standard.redact(text)
    }
}
