// Property test: schemas of many generated nested types have a valid draft 2020-12 shape.

import Foundation
import StructuredCache
import Testing

struct JSONSchemaShapeTests {
    struct Box<A: Codable>: Codable {
        var value: A
        var label: String
    }

    struct Pair<A: Codable, B: Codable>: Codable {
        var first: A
        var second: B?
    }

    struct Tree<A: Codable>: Codable {
        var value: A
        var children: [Tree<A>]
    }

    enum Tag: String, Codable, CaseIterable { case x, y }

    nonisolated(unsafe) static let leaves: [any Codable.Type] = [
        String.self, Int.self, Double.self, Bool.self, Date.self, UUID.self, Tag.self, Twins.Address.self,
    ]

    /// A random type, composed at run time from the generic wrappers above.
    static func randomType(depth: Int, _ generator: inout SplitMix64) -> any Codable.Type {
        if depth == 0 || generator.next() % 4 == 0 {
            return leaves[Int(generator.next() % UInt64(leaves.count))]
        }
        let inner = randomType(depth: depth - 1, &generator)
        let other = randomType(depth: depth - 1, &generator)
        let choice = generator.next() % 6
        func wrap<A: Codable>(_ a: A.Type) -> any Codable.Type {
            func pair<B: Codable>(_ b: B.Type) -> any Codable.Type { Pair<A, B>.self }
            switch choice {
            case 0: return Box<A>.self
            case 1: return [A].self
            case 2: return A?.self
            case 3: return [String: A].self
            case 4: return Tree<A>.self
            default: return pair(other)
            }
        }
        return wrap(inner)
    }

    static let keywords: Set<String> = [
        "$defs", "$ref", "properties", "required", "title", "type", "items", "additionalProperties", "anyOf",
        "default", "enum", "const", "description", "format", "minLength", "maxLength", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "pattern", "minItems", "maxItems", "uniqueItems",
        "examples", "contentEncoding", "prefixItems",
    ]
    static let types: Set<String> = ["string", "integer", "number", "boolean", "array", "object", "null"]

    /// Every problem found in `schema`, a subschema at `path`.
    static func problems(in schema: JSONValue, definitions: JSONObject, path: String, isRoot: Bool) -> [String] {
        guard let object = schema.objectValue else { return ["\(path): a schema must be an object"] }
        var found: [String] = []
        for key in object.keys where !keywords.contains(key) { found.append("\(path): unknown keyword \(key)") }
        if object["$defs"] != nil && !isRoot { found.append("\(path): $defs below the root") }
        if let type = object["type"] {
            if type.stringValue.map(types.contains) != true { found.append("\(path): bad type \(type)") }
        }
        if let reference = object["$ref"] {
            let name = reference.stringValue?.split(separator: "/").last.map(String.init) ?? ""
            if reference.stringValue != "#/$defs/\(name)" || definitions[name] == nil {
                found.append("\(path): $ref \(reference) does not resolve")
            }
        }
        if let properties = object["properties"] {
            guard let members = properties.objectValue else { return found + ["\(path): properties is not an object"] }
            for (name, property) in members {
                found += problems(
                    in: property, definitions: definitions, path: "\(path)/properties/\(name)", isRoot: false)
            }
            for required in object["required"]?.arrayValue ?? [] where members[required.stringValue ?? ""] == nil {
                found.append("\(path): required \(required) is not a property")
            }
        }
        for key in ["items", "additionalProperties"] {
            if let sub = object[key] {
                found += problems(in: sub, definitions: definitions, path: "\(path)/\(key)", isRoot: false)
            }
        }
        for (index, choice) in (object["anyOf"]?.arrayValue ?? []).enumerated() {
            found += problems(in: choice, definitions: definitions, path: "\(path)/anyOf/\(index)", isRoot: false)
        }
        return found
    }

    @Test func generatedTypesHaveValidSchemas() throws {
        var generator = SplitMix64(seed: 2026)
        var seen = Set<String>()
        for _ in 0..<400 {
            let type = Self.randomType(depth: 4, &generator)
            guard seen.insert(String(reflecting: type)).inserted else { continue }
            func describe<T: Decodable>(_ type: T.Type) throws -> JSONValue { try jsonSchema(for: type) }
            let schema = try describe(type)
            let definitions = schema["$defs"]?.objectValue ?? [:]
            var found = Self.problems(in: schema, definitions: definitions, path: "#", isRoot: true)
            for (name, definition) in definitions {
                found += Self.problems(in: definition, definitions: definitions, path: "#/$defs/\(name)", isRoot: false)
            }
            #expect(found.isEmpty, "\(type): \(found)")
            // The text parses back to the same schema.
            #expect(try JSONValue(parsing: schema.jsonString()) == schema)
        }
        #expect(seen.count > 200)
    }
}
