// The typed error of JSON parsing: what went wrong and at which byte.

public import StructuredCacheSupport

/// An error thrown when JSON text cannot be read.
///
/// ``offset`` is the zero-based offset, in the UTF-8 bytes of the input, of the first byte that could
/// not be read.
public struct JSONParseError: Error, CustomStringConvertible, Sendable, Equatable, CodedError {
    /// What kind of problem was found.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `tooDeep`.
        public let description: String
        private init(_ name: String) { description = name }

        /// A character that cannot start or continue a value here.
        public static let unexpectedCharacter = Code("unexpectedCharacter")
        /// The text ends inside a value.
        public static let unexpectedEnd = Code("unexpectedEnd")
        /// A number that does not follow JSON's grammar.
        public static let invalidNumber = Code("invalidNumber")
        /// A bad escape, a raw control character or a lone surrogate in a string.
        public static let invalidString = Code("invalidString")
        /// Bytes that are not UTF-8.
        public static let invalidUTF8 = Code("invalidUTF8")
        /// Arrays and objects nested deeper than the limit.
        public static let tooDeep = Code("tooDeep")
        /// More text after the value.
        public static let trailingData = Code("trailingData")
    }

    /// What kind of problem was found.
    public let code: Code
    /// The byte offset of the problem in the UTF-8 input.
    public let offset: Int
    /// A human-readable explanation.
    public let message: String

    init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// The code, the offset and the message, on one line, with anything shaped like a credential
    /// replaced by `***` (the message may quote the input).
    public var description: String { redactedDescription }

    package var descriptionDetail: String { " at byte \(offset)" }
}
