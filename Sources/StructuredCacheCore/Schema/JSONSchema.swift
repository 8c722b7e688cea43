// jsonSchema(for:): the pydantic-identical JSON Schema of a Decodable type, computed once per type.

import StructuredCacheSupport
import Synchronization

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

/// The schemas computed so far, with their key text, by type: the one per-type cache of schemas.
package final class SchemaCache: Sendable {
    package static let shared = SchemaCache()

    /// One type's schema, and what layers above derive from it once (see ``attachment(_:make:)``).
    package final class Entry: Sendable {
        /// The schema.
        package let schema: JSONValue
        /// The schema as `json.dumps(schema, sort_keys=True)` writes it: the bytes a cache key hashes.
        package let keyText: [UInt8]
        /// The name of the type described (`User`), for counting calls by type.
        package let typeName: String
        private let attachments = Lock<[ObjectIdentifier: any Sendable]>([:])

        package init(schema: JSONValue, typeName: String = "") {
            self.schema = schema
            self.typeName = typeName
            keyText = schema.jsonBytes(.pythonSorted)
        }

        /// What a layer above derives from the schema (a request's tool definitions, say), made on first
        /// use and kept with the schema, so that the schema layer need not know what it is.
        ///
        /// - Parameters:
        ///   - type: The type of the derived value; one value of each type is kept.
        ///   - make: Derives the value from the schema; two threads that race may both call it.
        /// - Returns: The kept value.
        package func attachment<Value: Sendable>(_ type: Value.Type, make: (JSONValue) -> Value) -> Value {
            let id = ObjectIdentifier(type)
            if let value = attachments.withLock({ $0[id] }) as? Value { return value }
            let value = make(schema)
            return attachments.withLock { attachments in
                if let existing = attachments[id] as? Value { return existing }
                attachments[id] = value
                return value
            }
        }
    }

    private let entries = Lock<[ObjectIdentifier: Entry]>([:])

    /// The entry of `type`, its schema computed on first use.
    ///
    /// - Throws: ``SchemaError`` when the type cannot be described.
    package func entry<T: Decodable>(for type: T.Type) throws -> Entry {
        let id = ObjectIdentifier(type)
        if let entry = entries.withLock({ $0[id] }) { return entry }
        // Walk outside the lock: a type's decoding code runs here, and two threads that race only
        // compute the same schema twice.
        let schema = try SchemaBuilder(root: type).build(type)
        let entry = Entry(schema: schema, typeName: "\(type)")
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
package func uncachedJSONSchema<T: Decodable>(for type: T.Type) throws -> JSONValue {
    try SchemaBuilder(root: type).build(type)
}
