// The strict form of pydantic schemas against the openai package's own `to_strict_json_schema`, for
// every documented schema, and the bound on inlining a model that refers to itself.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct StrictJSONSchemaTests {
    @Test func theStrictSchemaIsTheOpenAIPackagesForEveryDocumentedSchema() throws {
        let rows = try #require(try Fixtures.json("responses-strict-schemas.json").arrayValue)
        #expect(rows.count == Twins.pydanticBlocks.count)
        for row in rows {
            let name = try #require(row["name"]?.stringValue)
            let type = try #require(Twins.pydanticBlocks[name], "\(name)")
            let strict = StrictJSONSchema.make(try SchemaCache.shared.entry(for: type).schema)
            #expect(strict == row["strict"], "\(name): \(strict.jsonString(.compact))")
        }
    }

    @Test func aSelfReferenceWithSiblingKeywordsStopsInlining() {
        let schema: JSONValue = [
            "$defs": [
                "Node": [
                    "properties": ["next": ["$ref": "#/$defs/Node", "description": "the next node"]],
                    "title": "Node", "type": "object",
                ]
            ],
            "$ref": "#/$defs/Node",
        ]
        let strict = StrictJSONSchema.make(schema)
        #expect(strict["$defs"]?["Node"]?["additionalProperties"] == false)
        #expect(strict["$defs"]?["Node"]?["required"] == ["next"])
    }
}
