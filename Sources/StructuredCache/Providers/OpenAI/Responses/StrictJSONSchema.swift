// A pydantic schema rewritten for OpenAI's strict structured outputs, as the openai package's
// `to_strict_json_schema` rewrites it for Instructor's Responses handler.

import StructuredCacheCore

/// The openai package's `_ensure_strict_json_schema`: every object closed (`additionalProperties:
/// false` unless it says otherwise) with all its properties required, `null` defaults dropped,
/// single-member `allOf`s flattened, and each `$ref` that has sibling keywords inlined (strict mode
/// allows no keyword beside a `$ref`).
///
/// Optional fields stay nullable (`anyOf` with `null`), so requiring them changes nothing a decoder
/// accepts: the model writes `null` where it would have left a field out.
enum StrictJSONSchema {
    /// How deep `$ref`s may be inlined into each other, so that a model referring to itself with
    /// sibling keywords (which the openai package would inline forever) ends instead.
    private static let maximumInlining = 32

    /// The strict form of `schema`.
    ///
    /// - Parameter schema: A JSON Schema, as pydantic writes it.
    /// - Returns: The schema OpenAI's strict mode accepts.
    static func make(_ schema: JSONValue) -> JSONValue {
        ensureStrict(schema, root: schema, inlined: 0)
    }

    private static func ensureStrict(_ schema: JSONValue, root: JSONValue, inlined: Int) -> JSONValue {
        guard var object = schema.objectValue else { return schema }
        for member in ["$defs", "definitions"] {
            guard var definitions = object[member]?.objectValue else { continue }
            for (name, definition) in definitions {
                definitions[name] = ensureStrict(definition, root: root, inlined: inlined)
            }
            object[member] = .object(definitions)
        }
        if object["type"]?.stringValue == "object", object["additionalProperties"] == nil {
            object["additionalProperties"] = false
        }
        if var properties = object["properties"]?.objectValue {
            object["required"] = .array(properties.keys.map(JSONValue.string))
            for (name, property) in properties {
                properties[name] = ensureStrict(property, root: root, inlined: inlined)
            }
            object["properties"] = .object(properties)
        }
        if let items = object["items"], items.objectValue != nil {
            object["items"] = ensureStrict(items, root: root, inlined: inlined)
        }
        if let variants = object["anyOf"]?.arrayValue {
            object["anyOf"] = .array(variants.map { ensureStrict($0, root: root, inlined: inlined) })
        }
        if let parts = object["allOf"]?.arrayValue {
            if parts.count == 1 {
                for (key, value) in ensureStrict(parts[0], root: root, inlined: inlined).objectValue ?? [:] {
                    object[key] = value
                }
                object["allOf"] = nil
            } else {
                object["allOf"] = .array(parts.map { ensureStrict($0, root: root, inlined: inlined) })
            }
        }
        if object["default"]?.isNull == true { object["default"] = nil }
        if let reference = object["$ref"]?.stringValue, object.count > 1, inlined < maximumInlining,
            let resolved = resolve(reference, in: root)?.objectValue
        {
            // The schema's own keywords win over those of the definition it refers to.
            var merged = object
            for (key, value) in resolved where merged[key] == nil { merged[key] = value }
            merged["$ref"] = nil
            return ensureStrict(.object(merged), root: root, inlined: inlined + 1)
        }
        return .object(object)
    }

    /// The value a local reference (`#/$defs/Name`) points to.
    private static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#/") else { return nil }
        var value = root
        for component in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            guard let next = value[String(component)], next.objectValue != nil else { return nil }
            value = next
        }
        return value
    }
}
