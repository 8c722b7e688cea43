// The typed error of StructuredClient: why no structured answer came back, with every attempt's failure.

public import StructuredCacheSupport

/// An error thrown by ``StructuredClient`` when it cannot return a structured answer.
///
/// Errors of the provider itself (HTTP, transport) are thrown as they are (``ProviderError``); a cache
/// never causes an error here (cache failures are reported as events and treated as misses).
public struct ClientError: Error, CustomStringConvertible, Sendable, CodedError {
    /// What kind of failure happened.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `refusal`.
        public let description: String
        private init(_ name: String) { description = name }

        /// Every attempt's answer failed to decode or validate (see ``ClientError/attempts``).
        public static let retriesExhausted = Code("retriesExhausted")
        /// The model stopped at its token limit before finishing the answer (`finish_reason` `length`).
        public static let incompleteOutput = Code("incompleteOutput")
        /// The model refused to answer.
        public static let refusal = Code("refusal")
        /// No model was given, to the call or in the configuration.
        public static let missingModel = Code("missingModel")
        /// A call option is out of range.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// Under ``CachePolicy/replayOnly``, the cache holds no answer for the call (see
        /// ``ClientError/payload``); the provider was not asked.
        public static let replayMiss = Code("replayMiss")
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
    /// For ``Code/replayMiss``: the call's key and canonical payload.
    public let payload: CachePayload?

    init(_ code: Code, _ message: String, attempts: [Attempt] = [], payload: CachePayload? = nil) {
        self.code = code
        self.message = message
        self.attempts = attempts
        self.payload = payload
    }

    /// The code, the message and each attempt's error, with anything shaped like a credential
    /// replaced by `***`.
    public var description: String { redactedDescription }

    package var descriptionCauses: String {
        attempts.enumerated().map { "\n  attempt \($0.offset + 1): \($0.element.error)" }.joined()
    }
}
