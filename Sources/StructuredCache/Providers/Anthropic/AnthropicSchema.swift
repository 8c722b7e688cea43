// The JSON Schema the Messages API's structured outputs accept, made from a type's schema as the
// Anthropic SDK's `transform_schema` makes it: closed objects, supported keywords kept, the rest
// written into the description for the model to read.

import StructuredCacheCore

/// Anthropic's `transform_schema` (anthropic-sdk-python `lib/_parse/_transform.py`).
///
/// Objects get `additionalProperties: false`; `oneOf` becomes `anyOf`; strings keep only the
/// formats the API supports; arrays keep `minItems` of 0 or 1; `enum` and `const` of plain values
/// replace the type. Every other keyword (`default`, `minimum`, `maxLength` …) is removed and
/// appended to the description as `{name: value, …}` in Python's spelling, so the model still sees
/// it.
enum AnthropicSchema {
    private static let stringFormats: Set<String> = [
        "date-time", "time", "date", "duration", "email", "hostname", "uri", "ipv4", "ipv6", "uuid",
    ]

    /// The schema the API accepts for `schema`.
    ///
    /// - Parameter schema: A JSON Schema (a type's, from ``SchemaCache``).
    /// - Returns: The transformed schema.
    static func transform(_ schema: JSONValue) -> JSONValue {
        var rest = schema.objectValue ?? [:]
        var strict = JSONObject()
        if let definitions = take("$defs", from: &rest)?.objectValue {
            var transformed = JSONObject(minimumCapacity: definitions.count)
            for (name, definition) in definitions { transformed[name] = transform(definition) }
            strict["$defs"] = .object(transformed)
        }
        if let reference = take("$ref", from: &rest) {
            strict["$ref"] = reference
            return .object(strict)
        }
        var type = take("type", from: &rest)?.stringValue
        let anyOf = take("anyOf", from: &rest)?.arrayValue
        let oneOf = take("oneOf", from: &rest)?.arrayValue
        let allOf = take("allOf", from: &rest)?.arrayValue
        if let values = rest["enum"]?.arrayValue, !values.isEmpty, values.allSatisfy(isPrimitive) {
            strict["enum"] = take("enum", from: &rest)
        }
        if let constant = rest["const"], isPrimitive(constant) { strict["const"] = take("const", from: &rest) }
        let hasLiterals = strict["enum"] != nil || strict["const"] != nil
        if hasLiterals { type = nil }
        if let variants = anyOf ?? oneOf {
            strict["anyOf"] = .array(variants.map(transform))
        } else if let variants = allOf {
            strict["allOf"] = .array(variants.map(transform))
        } else if !hasLiterals, let type {
            strict["type"] = .string(type)
        }
        if let description = take("description", from: &rest) { strict["description"] = description }
        if let title = take("title", from: &rest) { strict["title"] = title }
        switch type {
        case "object":
            var properties = JSONObject()
            for (name, property) in take("properties", from: &rest)?.objectValue ?? [:] {
                properties[name] = transform(property)
            }
            strict["properties"] = .object(properties)
            rest["additionalProperties"] = nil
            strict["additionalProperties"] = false
            if let required = take("required", from: &rest) { strict["required"] = required }
        case "string":
            if let format = rest["format"]?.stringValue, stringFormats.contains(format) {
                strict["format"] = take("format", from: &rest)
            }
        case "array":
            if let items = take("items", from: &rest) { strict["items"] = transform(items) }
            if let minimum = rest["minItems"]?.intValue, minimum == 0 || minimum == 1 {
                strict["minItems"] = take("minItems", from: &rest)
            }
        default:
            break
        }
        if !rest.isEmpty {
            let leftovers = rest.map { "\($0.key): \(pythonString($0.value))" }.joined(separator: ", ")
            let description = strict["description"]?.stringValue.map { $0 + "\n\n" } ?? ""
            strict["description"] = .string(description + "{" + leftovers + "}")
        }
        return .object(strict)
    }

    /// Removes the member `key` from `object` and returns it.
    private static func take(_ key: String, from object: inout JSONObject) -> JSONValue? {
        defer { object[key] = nil }
        return object[key]
    }

    private static func isPrimitive(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .int, .bigInt, .double, .string: return true
        case .array, .object: return false
        }
    }

    /// What Python's `f"{value}"` writes for a value read from JSON.
    static func pythonString(_ value: JSONValue) -> String {
        if case .string(let text) = value { return text }
        return pythonRepr(value)
    }

    /// Python's `repr` of a value read from JSON.
    static func pythonRepr(_ value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .int(let number): return String(number)
        case .bigInt, .double: return value.jsonString(.python)
        case .string(let text): return pythonStringRepr(text)
        case .array(let items): return "[" + items.map(pythonRepr).joined(separator: ", ") + "]"
        case .object(let object):
            return "{" + object.map { pythonStringRepr($0.key) + ": " + pythonRepr($0.value) }.joined(separator: ", ")
                + "}"
        }
    }

    /// Python's `repr` of a string: single quotes unless the text has a single quote and no double one.
    private static func pythonStringRepr(_ text: String) -> String {
        let quote: Character = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if Character(scalar) == quote {
                    result += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + String(quote)
    }
}
