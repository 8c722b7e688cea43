// Why the RESP decoder rejected its input. Internal: the connection wraps it in a CacheError.
// Kept free of Foundation so that the fuzz target can compile the decoder files on their own.

/// A malformed or over-limit reply seen by ``RESPDecoder``.
struct RESPDecodingError: Error, Equatable, CustomStringConvertible {
    /// What was wrong with the input.
    enum Code: String, Equatable, Sendable {
        /// The first byte of a value is not a RESP type marker.
        case invalidTypeByte
        /// A line does not end in CR LF, or a bulk payload is not followed by CR LF.
        case missingCRLF
        /// A length or count is not a valid decimal integer, or is negative where that is not allowed.
        case invalidLength
        /// An integer reply is not a valid signed 64-bit decimal integer.
        case invalidInteger
        /// A double, boolean, null, big number or verbatim string is malformed.
        case invalidScalar
        /// A line (simple string, error, number or header) is longer than the limit.
        case lineTooLong
        /// A bulk string, or the reply as a whole, is longer than the limit.
        case replyTooLarge
        /// An aggregate declares more elements than the limit.
        case aggregateTooLarge
        /// Aggregates are nested deeper than the limit.
        case nestingTooDeep
        /// A RESP3 streamed string or aggregate (`$?`, `*?`); Redis never sends them.
        case unsupportedStreamedType
    }

    /// What was wrong with the input.
    let code: Code
    /// A human-readable explanation.
    let message: String

    var description: String { "\(code.rawValue): \(message)" }
}
