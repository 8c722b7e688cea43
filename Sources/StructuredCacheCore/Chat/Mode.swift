// How the response model is requested from the LLM, named by the values Instructor uses in its keys.

import StructuredCacheSupport

/// How the structured response is requested from the model.
///
/// The named values are Instructor's `Mode` values (what its request path hashes into a cache key);
/// any other string can be written as a literal (`let mode: Mode = "TOOLS"`).
public struct Mode: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The string hashed into cache keys.
    public let rawValue: String

    /// Creates a mode from its string value.
    ///
    /// - Parameter rawValue: The mode's string value.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Creates a mode from its string value.
    ///
    /// - Parameter rawValue: The mode's string value.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// A mode named by its Instructor value as a string literal (`"tool_call"`).
    public init(stringLiteral value: String) { self.rawValue = value }

    /// A forced function (tool) call whose parameters are the response schema: `"tool_call"`.
    public static let tools: Mode = "tool_call"
    /// The schema in a system message and a JSON response format: `"json_mode"`.
    public static let json: Mode = "json_mode"
    /// A `json_schema` response format: `"json_schema_mode"`.
    public static let jsonSchema: Mode = "json_schema_mode"
    /// The schema in the prompt and the answer in a fenced JSON block: `"markdown_json_mode"`.
    public static let mdJSON: Mode = "markdown_json_mode"

    /// The mode's Instructor value (`tool_call`, `json_mode` …).
    public var description: String { rawValue }

    /// Whether two modes are the same mode.
    public static func == (lhs: Mode, rhs: Mode) -> Bool {
        ExactString.equal(lhs.rawValue, rhs.rawValue)
    }

    /// Hashes the mode's value.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(rawValue))
    }
}
