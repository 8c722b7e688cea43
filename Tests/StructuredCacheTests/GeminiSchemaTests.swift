// Tests of GeminiSchema: the OpenAPI-subset parameters match what Instructor 1.16 and google-genai
// send for every pydantic fixture, and the schemas Instructor cannot convert get a sensible form.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore

@Suite struct GeminiSchemaTests {
    @Test func matchesInstructorsParametersForEveryFixtureItConverts() throws {
        let rows = try #require(try Fixtures.json("gemini-schemas.json").arrayValue)
        #expect(rows.count == 26)
        var compared = 0
        for row in rows {
            guard let expected = row["parameters"], let schema = row["schema"] else { continue }
            #expect(GeminiSchema.openAPISubset(schema) == expected, "\(row["name"] ?? nil)")
            compared += 1
        }
        #expect(compared == 23)
    }

    @Test func convertsASwiftTypesSchemaLikeInstructor() throws {
        let schema = try SchemaCache.shared.entry(for: Twins.OptionalNestedModel.Person.self).schema
        #expect(
            GeminiSchema.openAPISubset(schema) == [
                "type": "OBJECT",
                "properties": [
                    "address": [
                        "nullable": true, "required": ["city"], "type": "OBJECT",
                        "properties": ["city": ["type": "STRING"]],
                    ]
                ],
            ])
    }

    @Test func givesSchemasInstructorRejectsASensibleForm() throws {
        let rows = try #require(try Fixtures.json("gemini-schemas.json").arrayValue)
        func converted(_ name: String) throws -> JSONValue {
            let row = try #require(rows.first { $0["name"]?.stringValue == name })
            #expect(row["instructorError"] != nil)
            return GeminiSchema.openAPISubset(try #require(row["schema"]))
        }
        // Gemini's enums are strings: an integer enum keeps its type and loses the list.
        #expect(try converted("int_enum")["properties"]?["priority"] == ["type": "INTEGER"])
        // A recursive reference is cut where it recurs.
        let recursive = try converted("recursive_model")
        #expect(recursive["properties"]?["name"] == ["type": "STRING"])
        #expect(recursive["properties"]?["children"]?["items"] == ["type": "OBJECT"])
        // A `const` is a one-value enum; an integer enum is dropped.
        let literal = try converted("literal")
        #expect(literal["properties"]?["fixed"] == ["enum": ["only"], "format": "enum", "type": "STRING"])
        #expect(literal["properties"]?["num"] == ["type": "INTEGER"])
    }

    @Test func readsWhatPydanticDoesNotWriteButJSONSchemaAllows() {
        let schema: JSONValue = [
            "type": "object", "title": "Odd", "additionalProperties": false,
            "properties": [
                "enum": ["type": "string", "title": "Enum"],
                "anyOf": ["type": ["integer", "null"], "minimum": 0],
                "kind": ["const": "fixed", "type": "string"],
                "either": [
                    "anyOf": [
                        ["type": "object", "title": "A", "additionalProperties": false, "properties": [:]],
                        ["type": "string", "maxLength": 3],
                    ]
                ],
            ],
            "required": ["enum"],
        ]
        #expect(
            GeminiSchema.openAPISubset(schema) == [
                "type": "OBJECT", "required": ["enum"],
                "properties": [
                    "enum": ["type": "STRING"],
                    "anyOf": ["type": "INTEGER", "nullable": true],
                    "kind": ["enum": ["fixed"], "format": "enum", "type": "STRING"],
                    "either": ["anyOf": [["type": "OBJECT", "properties": [:]], ["type": "STRING"]]],
                ],
            ])
    }

    @Test func listsPropertiesInOrderWhenAsked() throws {
        let schema = try SchemaCache.shared.entry(for: Twins.NestedModelField.Person.self).schema
        let converted = GeminiSchema.openAPISubset(schema, propertyOrdering: true)
        #expect(converted["propertyOrdering"] == ["name", "address"])
        #expect(converted["properties"]?["address"]?["propertyOrdering"] == ["city"])
        #expect(GeminiSchema.openAPISubset(schema)["propertyOrdering"] == nil)
    }
}
