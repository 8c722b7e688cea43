// What the package's public errors share: a code to match on, a message for people, the error behind it
// where there is one, and one description with credentials hidden. Written once, so that every error
// reads alike in a log and none can forget the redaction.

/// An error with a code to match on, a message for people and, where there is one, the error that
/// caused it.
///
/// A conforming type keeps its own stored properties, codes and static factory members, and gives
/// ``redactedDescription`` as its `description`:
///
/// ```swift
/// public var description: String { redactedDescription }
/// ```
package protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// The type of ``code``: a struct of static members rather than an enum, so that a new code breaks
    /// no caller's exhaustive `switch`; its description is the code's name, such as `timeout`.
    associatedtype Code: CustomStringConvertible

    /// What kind of failure happened.
    var code: Code { get }
    /// A human-readable explanation.
    var message: String { get }
    /// The error that caused this one; `nil` by default, for errors that never have one.
    var underlying: (any Error)? { get }
    /// What the description shows between the code and the message (` at byte 12`, an HTTP status);
    /// empty by default.
    var descriptionDetail: String { get }
    /// What the description shows after the message; by default the underlying error, in parentheses.
    var descriptionCauses: String { get }
}

extension CodedError {
    package var underlying: (any Error)? { nil }

    package var descriptionDetail: String { "" }

    package var descriptionCauses: String { underlying.map { " (\($0))" } ?? "" }

    /// `Type.code<detail>: message<causes>` on one line, with anything shaped like a credential (URL user
    /// info, credential query values, bearer tokens, API keys) replaced by `***`: an underlying error or
    /// a server's message may quote a URL or a key.
    package var redactedDescription: String {
        Redactor.standard.redact("\(Self.self).\(code)\(descriptionDetail): \(message)\(descriptionCauses)")
    }
}
