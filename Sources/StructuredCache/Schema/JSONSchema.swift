// jsonSchema(for:): the pydantic-identical JSON Schema of a Decodable type, computed once per type.

internal import Synchronization

/// Returns the JSON Schema of `type`, as pydantic's `model_json_schema()` writes it for the
/// equivalent pydantic model.
///
/// The schema is discovered from the type's `Decodable` conformance: its fields (named by their coding
/// keys, in decoding order), their types, and whether they are required (`decode`) or optional
/// (`decodeIfPresent`, which gives `anyOf [X, null]` with `"default": null`). Nested types and
/// `CaseIterable` enums go into `$defs`; titles are derived as pydantic derives them. What Codable
/// cannot reveal comes from ``JSONSchemaAnnotated``; a type can supply its whole schema with
/// ``CustomJSONSchema``.
///
/// ```swift
/// struct User: Codable { var name: String }
/// try jsonSchema(for: User.self).jsonString()
/// // {"properties": {"name": {"title": "Name", "type": "string"}}, "required": ["name"], "title": "User", "type": "object"}
/// ```
///
/// The first call for a type walks it; later calls return the stored schema without walking again.
/// It is safe to call from any thread.
///
/// - Parameter type: The type to describe.
/// - Returns: The schema, its object members in pydantic's order.
/// - Throws: ``SchemaError`` naming the type and the coding path when the type cannot be described
///   for certain (the schema is never guessed).
public func jsonSchema<T: Decodable>(for type: T.Type) throws -> JSONValue {
    try SchemaCache.shared.entry(for: type).schema
}

/// The schemas computed so far, with their key text, by type.
final class SchemaCache: Sendable {
    static let shared = SchemaCache()

    struct Entry: Sendable {
        /// The schema.
        let schema: JSONValue
        /// The schema as `json.dumps(schema, sort_keys=True)` writes it: the bytes a cache key hashes.
        let keyText: [UInt8]
        /// What each mode adds to a request for this schema, computed once.
        let modes: ModeArtifacts

        init(schema: JSONValue) {
            self.schema = schema
            keyText = schema.jsonBytes(.pythonSorted)
            modes = ModeArtifacts(schema: schema)
        }
    }

    private let entries = Lock<[ObjectIdentifier: Entry]>([:])

    func entry<T: Decodable>(for type: T.Type) throws -> Entry {
        let id = ObjectIdentifier(type)
        if let entry = entries.withLock({ $0[id] }) { return entry }
        // Walk outside the lock: a type's decoding code runs here, and two threads that race only
        // compute the same schema twice.
        let schema = try SchemaBuilder(root: type).build(type)
        let entry = Entry(schema: schema)
        return entries.withLock { entries in
            if let existing = entries[id] { return existing }
            entries[id] = entry
            return entry
        }
    }
}

/// Computes the schema of `type` without the per-type cache (to measure the first computation).
///
/// - Parameter type: The type to describe.
/// - Returns: The schema ``jsonSchema(for:)`` returns.
/// - Throws: ``SchemaError``.
@_spi(Benchmarks)
public func uncachedJSONSchema<T: Decodable>(for type: T.Type) throws -> JSONValue {
    try SchemaBuilder(root: type).build(type)
}
