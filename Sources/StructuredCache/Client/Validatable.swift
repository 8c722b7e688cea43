// The optional check a response type runs after decoding, as pydantic validators do.

/// A response type that checks itself after decoding.
///
/// When ``validate()`` throws, the client asks the model again with the error appended (as
/// Instructor's re-ask does), up to the call's `maxRetries`. A value that fails validation is never
/// stored, and a cached value is validated again when read.
///
/// ```swift
/// struct Age: Codable, Validatable {
///     var years: Int
///     func validate() throws {
///         guard (0...150).contains(years) else { throw ValidationFailure("years must be within 0...150, got \(years)") }
///     }
/// }
/// ```
public protocol Validatable {
    /// Checks the decoded value.
    ///
    /// - Throws: Any error; its description is what the model is told to fix.
    func validate() throws
}

/// A validation error with a message for the model.
public struct ValidationFailure: Error, CustomStringConvertible, Sendable {
    /// What is wrong, in words the model can act on.
    public let message: String

    /// Creates a validation error.
    ///
    /// - Parameter message: What is wrong.
    public init(_ message: String) { self.message = message }

    /// The reason the value is invalid.
    public var description: String { message }
}
