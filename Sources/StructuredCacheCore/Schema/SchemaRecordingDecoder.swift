// A Decoder that decodes nothing: it hands placeholder values to a type's init(from:) and records
// which keys it asks for, with which types, and whether it requires them.

import StructuredCacheSupport

/// What walking one type's `init(from:)` recorded.
final class ShapeRecord {
    enum Kind {
        case nothing
        case keyed
        case single
        case unkeyed
    }

    /// How a field was decoded.
    enum Presence {
        /// `decode(_:forKey:)`: the key must be present.
        case required
        /// `decodeIfPresent(_:forKey:)`: the key may be missing or null.
        case ifPresent
        /// `decode(Optional<X>.self, forKey:)`: the key must be present but may be null.
        case requiredNullable
    }

    struct Field {
        let key: String
        let presence: Presence
        /// The schema of the non-null value; `nil` when the field is a nested keyed container.
        let schema: JSONValue?
        /// The record of a nested keyed container decoded in place.
        let nested: ShapeRecord?
    }

    var kind = Kind.nothing
    private(set) var fields: [Field] = []
    private var seen: Set<ExactString> = []
    var singleSchema: JSONValue?
    /// Set when the decoding code reads `allKeys`: it chooses fields by what is present.
    var readsKeys = false

    func add(_ field: Field) {
        // A key decoded twice (say, tried as two types) keeps its first description.
        if seen.insert(ExactString(field.key)).inserted { fields.append(field) }
    }
}

/// The decoder handed to a type's `init(from:)` while its schema is recorded.
struct SchemaRecordingDecoder: Decoder {
    let builder: SchemaBuilder
    let record: ShapeRecord
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        if record.kind == .nothing { record.kind = .keyed }
        return KeyedDecodingContainer(
            RecordingKeyedContainer<Key>(builder: builder, record: record, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        if record.kind == .nothing { record.kind = .unkeyed }
        return RecordingUnkeyedContainer(codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        if record.kind == .nothing { record.kind = .single }
        return RecordingSingleValueContainer(builder: builder, record: record, codingPath: codingPath)
    }
}

/// Records each key a type decodes and answers with placeholder values.
struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let builder: SchemaBuilder
    let record: ShapeRecord
    let codingPath: [any CodingKey]

    var allKeys: [Key] {
        record.readsKeys = true
        return []
    }

    func contains(_ key: Key) -> Bool { true }

    func decodeNil(forKey key: Key) throws -> Bool { false }

    /// `decode(_:forKey:)`: a required field (a required but nullable one when `T` is an Optional).
    private func required<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try builder.inField(key.stringValue) {
            if let optional = type as? any OptionalSchemaProbe.Type {
                let schema = try builder.schema(ofErased: optional.wrappedDecodableType)
                record.add(.init(key: key.stringValue, presence: .requiredNullable, schema: schema, nested: nil))
                return optional.noneValue as! T
            }
            let (schema, value) = try builder.use(type, needsValue: true)
            record.add(.init(key: key.stringValue, presence: .required, schema: schema, nested: nil))
            return value!
        }
    }

    /// `decodeIfPresent(_:forKey:)`: an optional field; answers `nil`.
    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        try builder.inField(key.stringValue) {
            let unwrapped: any Decodable.Type = (type as? any OptionalSchemaProbe.Type)?.wrappedDecodableType ?? type
            let schema = try builder.schema(ofErased: unwrapped)
            record.add(.init(key: key.stringValue, presence: .ifPresent, schema: schema, nested: nil))
            return nil
        }
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try required(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try required(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try required(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try required(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try required(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try required(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try required(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try required(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try required(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try required(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try required(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try required(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try required(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try required(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try required(type, key) }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? { try optional(type, key) }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let nested = ShapeRecord()
        nested.kind = .keyed
        record.add(.init(key: key.stringValue, presence: .required, schema: nil, nested: nested))
        return KeyedDecodingContainer(
            RecordingKeyedContainer<NestedKey>(builder: builder, record: nested, codingPath: codingPath + [key]))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw builder.unsupported(
            "init(from:) decodes the array at \"\(key.stringValue)\" element by element, so its element type is "
                + "unknown; decode it as an array type, or supply the schema with CustomJSONSchema")
    }

    func superDecoder() throws -> any Decoder {
        throw builder.unsupported("init(from:) uses a super decoder; supply the schema with CustomJSONSchema")
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try superDecoder() }
}

/// Records the type of a value decoded on its own (a wrapper or a raw-value type).
struct RecordingSingleValueContainer: SingleValueDecodingContainer {
    let builder: SchemaBuilder
    let record: ShapeRecord
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeValue(type) }
    func decode(_ type: String.Type) throws -> String { try decodeValue(type) }
    func decode(_ type: Double.Type) throws -> Double { try decodeValue(type) }
    func decode(_ type: Float.Type) throws -> Float { try decodeValue(type) }
    func decode(_ type: Int.Type) throws -> Int { try decodeValue(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeValue(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeValue(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeValue(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeValue(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeValue(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeValue(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeValue(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeValue(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeValue(type) }

    private func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try builder.use(type, needsValue: true)
        if record.singleSchema == nil { record.singleSchema = schema }
        return value!
    }
}

/// An empty array: element types come from the Swift type, never from walking.
struct RecordingUnkeyedContainer: UnkeyedDecodingContainer {
    let codingPath: [any CodingKey]
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }

    private func atEnd() -> DecodingError {
        DecodingError.valueNotFound(
            Any.self, .init(codingPath: codingPath, debugDescription: "schema recording decodes empty arrays"))
    }

    mutating func decodeNil() throws -> Bool { throw atEnd() }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw atEnd() }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> { throw atEnd() }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw atEnd() }
    mutating func superDecoder() throws -> any Decoder { throw atEnd() }
}
