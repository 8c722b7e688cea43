// A response type's JSON schema rewritten into the OpenAPI subset Gemini's function parameters (and
// `responseSchema`) accept, the way Instructor 1.16's `map_to_gemini_function_schema` rewrites it.

import Foundation

/// The conversion of a pydantic-shaped JSON schema into Gemini's `Schema` object.
///
/// As Instructor's `map_to_gemini_function_schema` does: every `$ref` is replaced by what it points
/// to (its sibling members dropped, as `jsonref` drops them) and `$defs` removed; an `enum` gains
/// `"format": "enum"`; an `anyOf` of one type and `null` becomes that type with `"nullable": true`;
/// and only the members Gemini's schema knows are kept (`description`, `enum`, `example`, `format`,
/// `nullable`, `items`, `required`, `type`, `anyOf`, `properties`), so `title`, `default`,
/// `additionalProperties` and the numeric and length bounds are dropped. Types are written in
/// capitals, as the google-genai SDK sends them.
///
/// Where Instructor would fail or send what Gemini rejects, the conversion does what the schema means:
/// a property named like a keyword (`enum`, `anyOf`) is a property; the members of `anyOf`
/// alternatives are filtered too; `"type": ["string", "null"]` is a nullable string; a `const` is a
/// one-value `enum`; an `enum` of non-strings (Gemini's enums are strings) is dropped and its type kept;
/// a recursive reference, which Gemini's inline schemas cannot express, is cut to `{"type": "OBJECT"}`
/// where it recurs.
enum GeminiSchema {
    /// The members of Gemini's `Schema` that Instructor's `FunctionSchema` keeps, in its order.
    private static let keptMembers = [
        "description", "enum", "example", "format", "nullable", "items", "required", "type", "anyOf", "properties",
    ]

    /// The OpenAPI-subset form of `schema`.
    ///
    /// - Parameters:
    ///   - schema: A JSON schema (`$defs` and `$ref` as pydantic writes them).
    ///   - propertyOrdering: Whether objects list their properties in `propertyOrdering`, as the
    ///     google-genai SDK adds for `responseSchema` (Gemini otherwise orders the answer's keys itself).
    /// - Returns: The Gemini schema.
    static func openAPISubset(_ schema: JSONValue, propertyOrdering: Bool = false) -> JSONValue {
        var converter = Converter(root: schema, propertyOrdering: propertyOrdering)
        return converter.convert(schema)
    }

    private struct Converter {
        let root: JSONValue
        let propertyOrdering: Bool
        /// The references being expanded, outermost first: one met again is a recursion.
        var expanding: [String] = []

        init(root: JSONValue, propertyOrdering: Bool) {
            self.root = root
            self.propertyOrdering = propertyOrdering
        }

        mutating func convert(_ node: JSONValue) -> JSONValue {
            guard let object = node.objectValue else { return node }
            if let reference = object["$ref"]?.stringValue {
                guard !expanding.contains(reference), let target = resolve(reference) else {
                    return ["type": "OBJECT"]
                }
                expanding.append(reference)
                defer { expanding.removeLast() }
                return convert(target)
            }
            var merged = JSONObject()
            for (key, value) in object {
                if key == "anyOf", let alternatives = value.arrayValue, alternatives.count == 2,
                    case let others = alternatives.filter({ $0["type"]?.stringValue != "null" }), others.count == 1
                {
                    // Instructor's `transformed.update(actual_type)`: the one type's members win.
                    for (innerKey, innerValue) in convert(others[0]).objectValue ?? [:] {
                        merged[innerKey] = innerValue
                    }
                    merged["nullable"] = true
                } else {
                    merged[key] = value
                }
            }
            return filtered(merged)
        }

        /// The kept members of an object node, each converted in turn.
        private mutating func filtered(_ node: JSONObject) -> JSONValue {
            var result = JSONObject()
            var type = node["type"]
            var nullable = node["nullable"]
            if let types = type?.arrayValue {
                // `["string", "null"]`: a nullable string.
                let named = types.compactMap(\.stringValue)
                let others = named.filter { $0 != "null" }
                type = others.count == 1 ? .string(others[0]) : nil
                if others.count < named.count { nullable = true }
            }
            var enumeration = node["enum"]
            if enumeration == nil, let constant = node["const"] { enumeration = [constant] }
            if let values = enumeration?.arrayValue, !values.allSatisfy({ $0.stringValue != nil }) {
                enumeration = nil
            }
            for key in keptMembers {
                switch key {
                case "enum":
                    if let enumeration {
                        result["enum"] = enumeration
                        result["format"] = "enum"
                    }
                case "format":
                    if result["format"] == nil, let format = node["format"] { result["format"] = format }
                case "nullable":
                    if let nullable { result["nullable"] = nullable }
                case "type":
                    if let name = type?.stringValue { result["type"] = .string(name.uppercased()) }
                case "items":
                    if let items = node["items"], items.objectValue != nil { result["items"] = convert(items) }
                case "anyOf":
                    if let alternatives = node["anyOf"]?.arrayValue {
                        result["anyOf"] = .array(alternatives.map { convert($0) })
                    }
                case "properties":
                    guard let properties = node["properties"]?.objectValue else { continue }
                    var converted = JSONObject(minimumCapacity: properties.count)
                    for (name, property) in properties { converted[name] = convert(property) }
                    result["properties"] = .object(converted)
                    if propertyOrdering { result["propertyOrdering"] = .array(properties.keys.map(JSONValue.string)) }
                default:
                    if let value = node[key] { result[key] = value }
                }
            }
            return .object(result)
        }

        /// The value a local JSON pointer (`#/$defs/Name`) designates in the root schema.
        private func resolve(_ reference: String) -> JSONValue? {
            guard reference.hasPrefix("#") else { return nil }
            var node = root
            let pointer = reference.dropFirst()
            guard !pointer.isEmpty else { return root }
            guard pointer.hasPrefix("/") else { return nil }
            for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
                let name = (String(token).removingPercentEncoding ?? String(token))
                    .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
                if let index = Int(name), let element = node[index] {
                    node = element
                } else if let member = node[name] {
                    node = member
                } else {
                    return nil
                }
            }
            return node
        }
    }
}
