// What Codable cannot say about a type (descriptions, titles, defaults, constraints), supplied by
// the type itself, and a way for a type to supply its whole schema.

/// A type that adds to the JSON Schema generated from its `Decodable` conformance.
///
/// Codable reveals field names and types; everything else pydantic puts into a schema (the class
/// docstring, field descriptions, defaults, constraints, titles) comes from here:
///
/// ```swift
/// struct User: Codable, JSONSchemaAnnotated {
///     var name: String
///     var age: Int
///
///     static let schemaAnnotations = SchemaAnnotations(
///         description: "A person mentioned in the text.",
///         fields: [
///             "name": .init(description: "The user's full name"),
///             "age": .init(minimum: 0, maximum: 150),
///         ])
/// }
/// ```
///
/// Field annotations are keyed by coding key (the name the field has in JSON). An annotation for a
/// field that `init(from:)` never decodes is an error, so a typo cannot silently go unnoticed.
public protocol JSONSchemaAnnotated: Decodable {
    /// The annotations of this type's schema.
    static var schemaAnnotations: SchemaAnnotations { get }
}

/// A type that supplies its whole JSON Schema, for shapes Codable cannot reveal (an enum with
/// associated values, a value decoded by hand).
///
/// The schema is used as given, inline wherever the type is used.
public protocol CustomJSONSchema: Decodable {
    /// The type's JSON Schema.
    static var jsonSchema: JSONValue { get }
    /// Any valid value of the type: schema generation hands it to the decoding code of types that
    /// contain this one, in place of a decoded value.
    static var schemaPlaceholder: Self { get }
}

/// The parts of a type's schema that Codable cannot reveal.
public struct SchemaAnnotations: Sendable {
    /// The schema's title; the type's name when `nil`.
    public var title: String?
    /// The type's description (pydantic's class docstring), cleaned as Python's `inspect.cleandoc`
    /// cleans a docstring.
    public var description: String?
    /// Annotations of single fields, by coding key.
    public var fields: [String: FieldAnnotation]
    /// Whether the schema forbids members it does not list (pydantic's `extra="forbid"`).
    public var forbidsAdditionalProperties: Bool

    /// Creates annotations.
    ///
    /// - Parameters:
    ///   - title: The schema's title; the type's name when `nil`.
    ///   - description: The type's description (pydantic's class docstring).
    ///   - fields: Annotations of single fields, by coding key.
    ///   - forbidsAdditionalProperties: Whether to add `"additionalProperties": false`.
    public init(
        title: String? = nil, description: String? = nil, fields: [String: FieldAnnotation] = [:],
        forbidsAdditionalProperties: Bool = false
    ) {
        self.title = title
        self.description = description
        self.fields = fields
        self.forbidsAdditionalProperties = forbidsAdditionalProperties
    }
}

/// What pydantic's `Field(...)` says about one field.
public struct FieldAnnotation: Sendable {
    /// How a field's default is shown.
    public enum Default: Sendable, Equatable {
        /// A default value, shown as `"default"` (pydantic's `= value`).
        case value(JSONValue)
        /// A default computed when needed, not shown (pydantic's `default_factory`).
        case factory
    }

    /// The field's title; derived from the key when `nil` (`full_name` → "Full Name").
    public var title: String?
    /// The field's description.
    public var description: String?
    /// The field's default. A field with a default is not required, so `init(from:)` must decode it
    /// with `decodeIfPresent` (and fall back to the default).
    public var defaultValue: Default?
    /// The allowed values (pydantic's `Literal[...]`): one value gives `const`, several give `enum`.
    public var literal: [JSONValue]?
    /// `minimum` (pydantic's `ge`).
    public var minimum: JSONValue?
    /// `maximum` (pydantic's `le`).
    public var maximum: JSONValue?
    /// `exclusiveMinimum` (pydantic's `gt`).
    public var exclusiveMinimum: JSONValue?
    /// `exclusiveMaximum` (pydantic's `lt`).
    public var exclusiveMaximum: JSONValue?
    /// `multipleOf`.
    public var multipleOf: JSONValue?
    /// `minLength` of a string.
    public var minLength: Int?
    /// `maxLength` of a string.
    public var maxLength: Int?
    /// `pattern` of a string.
    public var pattern: String?
    /// `minItems` of an array (pydantic's `min_length` on a list).
    public var minItems: Int?
    /// `maxItems` of an array (pydantic's `max_length` on a list).
    public var maxItems: Int?
    /// `format` of a string.
    public var format: String?
    /// `examples`.
    public var examples: [JSONValue]?

    /// Creates a field annotation; every part is optional.
    ///
    /// - Parameters:
    ///   - title: The field's title; derived from the key when `nil`.
    ///   - description: The field's description.
    ///   - defaultValue: The field's default (`.value(…)` shown, `.factory` not shown).
    ///   - literal: The allowed values.
    ///   - minimum: Inclusive lower bound of a number.
    ///   - maximum: Inclusive upper bound of a number.
    ///   - exclusiveMinimum: Exclusive lower bound of a number.
    ///   - exclusiveMaximum: Exclusive upper bound of a number.
    ///   - multipleOf: What a number must be a multiple of.
    ///   - minLength: Shortest string.
    ///   - maxLength: Longest string.
    ///   - pattern: Regular expression a string must match.
    ///   - minItems: Fewest array elements.
    ///   - maxItems: Most array elements.
    ///   - format: A string format (`email`, `uri` …).
    ///   - examples: Example values.
    public init(
        title: String? = nil, description: String? = nil, defaultValue: Default? = nil, literal: [JSONValue]? = nil,
        minimum: JSONValue? = nil, maximum: JSONValue? = nil, exclusiveMinimum: JSONValue? = nil,
        exclusiveMaximum: JSONValue? = nil, multipleOf: JSONValue? = nil, minLength: Int? = nil,
        maxLength: Int? = nil, pattern: String? = nil, minItems: Int? = nil, maxItems: Int? = nil,
        format: String? = nil, examples: [JSONValue]? = nil
    ) {
        self.title = title
        self.description = description
        self.defaultValue = defaultValue
        self.literal = literal
        self.minimum = minimum
        self.maximum = maximum
        self.exclusiveMinimum = exclusiveMinimum
        self.exclusiveMaximum = exclusiveMaximum
        self.multipleOf = multipleOf
        self.minLength = minLength
        self.maxLength = maxLength
        self.pattern = pattern
        self.minItems = minItems
        self.maxItems = maxItems
        self.format = format
        self.examples = examples
    }

    /// The members this annotation adds to the field's own (non-null) schema.
    var constraintMembers: [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if let minimum { members.append(("minimum", minimum)) }
        if let maximum { members.append(("maximum", maximum)) }
        if let exclusiveMinimum { members.append(("exclusiveMinimum", exclusiveMinimum)) }
        if let exclusiveMaximum { members.append(("exclusiveMaximum", exclusiveMaximum)) }
        if let multipleOf { members.append(("multipleOf", multipleOf)) }
        if let minLength { members.append(("minLength", .int(minLength))) }
        if let maxLength { members.append(("maxLength", .int(maxLength))) }
        if let pattern { members.append(("pattern", .string(pattern))) }
        if let minItems { members.append(("minItems", .int(minItems))) }
        if let maxItems { members.append(("maxItems", .int(maxItems))) }
        if let format { members.append(("format", .string(format))) }
        return members
    }
}
