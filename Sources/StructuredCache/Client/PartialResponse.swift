// A snapshot of a streamed answer: the JSON read so far, readable field by field, and the decoded
// answer on the last snapshot.

/// A snapshot of an answer as it streams in.
///
/// Read the fields that have arrived by name, with typed accessors:
///
/// ```swift
/// for try await snapshot in client.createPartial(messages: messages, responseModel: User.self) {
///     print(snapshot.name.string ?? "…", snapshot.address.city.string ?? "…")
///     if let user = snapshot.value { print("done:", user) }   // the last snapshot
/// }
/// ```
///
/// A field's value appears once it has started: strings grow as they stream, containers show the
/// elements read so far, and numbers and `true`/`false`/`null` appear only when complete (a number
/// is never shown before its last digit). The last snapshot carries ``value``, the whole answer
/// decoded and validated. A field that shares its name with a property of this type (`json`, `value`,
/// `isComplete`) is read with ``subscript(field:)``.
@dynamicMemberLookup
public struct PartialResponse<Response: Sendable>: Sendable {
    /// The answer's JSON so far, with open strings, arrays and objects closed.
    public let json: JSONValue
    /// The decoded, validated answer, on the last snapshot only.
    public let value: Response?

    /// Whether this is the last snapshot, with the whole answer in ``value``.
    public var isComplete: Bool { value != nil }

    /// The field `member` of the answer so far.
    ///
    /// - Parameter member: The field's coding key.
    public subscript(dynamicMember member: String) -> PartialValue { PartialValue(json[member]) }

    /// The field `field` of the answer so far (for names that properties of this type shadow).
    ///
    /// - Parameter field: The field's coding key.
    public subscript(field field: String) -> PartialValue { PartialValue(json[field]) }
}

/// A part of a streamed answer, read so far.
@dynamicMemberLookup
public struct PartialValue: Sendable, Hashable {
    /// The JSON of this part so far; `nil` when it has not started.
    public let json: JSONValue?

    init(_ json: JSONValue?) { self.json = json }

    /// Whether this part has started to arrive.
    public var isPresent: Bool { json != nil }

    /// The member `member` of this object so far.
    ///
    /// - Parameter member: The member's coding key.
    public subscript(dynamicMember member: String) -> PartialValue { PartialValue(json?[member]) }

    /// The element at `index` of this array so far.
    ///
    /// - Parameter index: A zero-based position.
    public subscript(index: Int) -> PartialValue { PartialValue(json?[index]) }

    /// The string so far.
    public var string: String? { json?.stringValue }
    /// The integer, once complete.
    public var int: Int? { json?.intValue }
    /// The number, once complete.
    public var double: Double? { json?.doubleValue }
    /// The Boolean, once complete.
    public var bool: Bool? { json?.boolValue }
    /// The elements so far.
    public var elements: [PartialValue] { json?.arrayValue?.map(PartialValue.init) ?? [] }

    /// Decodes this part (say, a nested object that has arrived whole) as `type`.
    ///
    /// - Parameter type: The type to decode.
    /// - Returns: The decoded value.
    /// - Throws: `DecodingError` when the part so far does not decode.
    public func decode<T: Decodable>(as type: T.Type) throws -> T {
        try StructuredClient.decodeAnswer(json ?? .null, as: type)
    }
}
