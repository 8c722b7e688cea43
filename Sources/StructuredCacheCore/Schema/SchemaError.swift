// The typed error of schema generation: which type, where in it, and why it cannot be described.

public import StructuredCacheSupport

/// An error thrown when a type's JSON Schema cannot be produced.
///
/// The schema is never guessed: when a type's shape cannot be known for certain, generation stops
/// with this error, naming the type and the coding path (`Order.items.sku`) where it gave up.
public struct SchemaError: Error, CustomStringConvertible, Sendable, CodedError {
    /// What kind of problem was found.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, such as `dynamicKeys`.
        public let description: String
        private init(_ name: String) { description = name }

        /// A type whose shape Codable cannot reveal (a dictionary with non-String keys, a hand-decoded
        /// JSON array, a super decoder).
        public static let unsupportedType = Code("unsupportedType")
        /// The type's `init(from:)` threw when given placeholder values, so its fields are unknown.
        public static let rejectedPlaceholder = Code("rejectedPlaceholder")
        /// The type chooses what to decode from the keys present (an enum with associated values, or
        /// dynamic keys).
        public static let dynamicKeys = Code("dynamicKeys")
        /// An enum whose cases cannot be listed (it is not `CaseIterable`).
        public static let unenumerableEnum = Code("unenumerableEnum")
        /// A type that contains itself without an `Optional` or a collection in between.
        public static let unboundedRecursion = Code("unboundedRecursion")
        /// Schema annotations that contradict the type (a field that is never decoded, a default on a
        /// field decoded as required).
        public static let invalidAnnotation = Code("invalidAnnotation")
    }

    /// What kind of problem was found.
    public let code: Code
    /// The name of the type that could not be described.
    public let typeName: String
    /// The coding path, from the top-level type, where the problem was found.
    public let codingPath: [String]
    /// A human-readable explanation, with what to do about it.
    public let message: String
    /// The error the type's own decoding code threw, if any.
    public let underlying: (any Error)?

    init(_ code: Code, type: Any.Type, path: [String], _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.typeName = String(reflecting: type)
        self.codingPath = path
        self.message = message
        self.underlying = underlying
    }

    /// The code, the type, the coding path, the message and any underlying error, on one line, with
    /// anything shaped like a credential replaced by `***`.
    public var description: String { redactedDescription }

    package var descriptionDetail: String {
        let place = codingPath.isEmpty ? "" : " at \(codingPath.joined(separator: "."))"
        return ": cannot describe \(typeName)\(place)"
    }
}
