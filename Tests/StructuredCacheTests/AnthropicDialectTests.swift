// The Anthropic dialect beside Instructor 1.16 run for real against a local Messages API server
// (Fixtures/instructor-anthropic-requests.json): the same request body and the same cache key, and
// native structured outputs' schemas as the Anthropic SDK transforms them.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheSupport

struct AnthropicDialectTests {
    static let cases: [JSONValue] = (try? Fixtures.json("instructor-anthropic-requests.json").arrayValue) ?? []
    static let transformed: [JSONValue] =
        (try? Fixtures.json("anthropic-transformed-schemas.json").arrayValue) ?? []

    static func prepare(_ testCase: JSONValue) throws -> (PreparedRequest, SchemaCache.Entry) {
        let name = try #require(testCase["model"]?.stringValue)
        let type = try #require(Twins.instructorRequestModels[name])
        func entry<T: Decodable>(_ type: T.Type) throws -> SchemaCache.Entry { try SchemaCache.shared.entry(for: type) }
        let schema = try entry(type)
        let messages = try #require(testCase["messages"]?.arrayValue).map(ChatMessage.init(json:))
        let sent = try #require(testCase["options"])
        var extra = JSONObject()
        if let thinking = sent["thinking"] { extra["thinking"] = thinking }
        let options = RequestOptions(
            maxTokens: sent["max_tokens"]?.intValue,
            stop: sent["stop_sequences"]?.arrayValue?.compactMap(\.stringValue),
            extraBody: extra)
        let prepared = try AnthropicDialect(maxTokens: 4096).prepare(
            ChatRequest(model: "claude-haiku-4-5", messages: messages, options: options),
            mode: Mode(rawValue: try #require(testCase["mode"]?.stringValue)), schema: schema)
        return (prepared, schema)
    }

    @Test func coversEveryModeConversationAndCall() {
        #expect(Self.cases.count == 59)
        #expect(
            Set(Self.cases.compactMap { $0["mode"]?.stringValue }) == ["tool_call", "json_mode", "json_schema_mode"])
        #expect(Set(Self.cases.compactMap { $0["call"]?.stringValue }) == ["plain", "sampling", "thinking"])
    }

    @Test(arguments: cases)
    func computesInstructorsKey(testCase: JSONValue) throws {
        let (prepared, schema) = try Self.prepare(testCase)
        let mode = Mode(rawValue: try #require(testCase["mode"]?.stringValue))
        let key = try AnthropicDialect(maxTokens: 4096).instructorKey(prepared, mode: mode, schemaText: schema.keyText)
        #expect(key == testCase["key"]?.stringValue, "\(testCase["model"]!) \(mode) \(testCase["conversation"]!)")
    }

    /// Tools and JSON modes send what Instructor sends; Instructor's JSON-schema mode falls back to JSON
    /// mode with this Anthropic SDK, while ours asks for native structured outputs.
    @Test(arguments: cases.filter { $0["mode"] != "json_schema_mode" })
    func sendsTheBodyInstructorSends(testCase: JSONValue) throws {
        let (prepared, _) = try Self.prepare(testCase)
        let body = try AnthropicDialect(maxTokens: 4096).wireBody(prepared.request)
        let sent = try #require(testCase["sent"]?.objectValue)
        let label = "\(testCase["model"]!) \(testCase["mode"]!) \(testCase["conversation"]!) \(testCase["call"]!)"
        #expect(JSONValue.object(body) == .object(sent), "\(label)")
        // Exact text of the JSON instruction, not only an equal value.
        #expect(body["system"]?.jsonString() == sent["system"]?.jsonString(), "\(label)")
    }

    @Test func nativeStructuredOutputsSendTheTransformedSchema() throws {
        let testCase = try #require(Self.cases.first { $0["mode"] == "json_schema_mode" && $0["model"] == "Defaults" })
        let (prepared, schema) = try Self.prepare(testCase)
        let body = try AnthropicDialect(maxTokens: 4096).wireBody(prepared.request)
        #expect(
            body["output_config"] == [
                "format": ["type": "json_schema", "schema": AnthropicSchema.transform(schema.schema)]
            ])
        // The schema goes in the output format alone: no tools, no JSON instruction in the system prompt.
        #expect(body["tools"] == nil && body["system"] == testCase["sent"]?["system"]?[0].map { [$0] })
    }

    @Test func transformsSchemasAsTheAnthropicSDKDoes() throws {
        #expect(Self.transformed.count == 26)
        for row in Self.transformed {
            let schema = try #require(row["schema"])
            let expected = try #require(row["transformed"])
            // Member order and the Python spelling of leftover keywords in descriptions, exactly.
            #expect(AnthropicSchema.transform(schema).jsonString() == expected.jsonString(), "\(row["name"]!)")
        }
    }

    @Test func writesPythonsSpellingOfLeftoverKeywords() {
        #expect(AnthropicSchema.pythonString("x") == "x")
        #expect(
            AnthropicSchema.pythonRepr(["a", "it's", 1, 0.5, true, nil, ["k": "v"]])
                == #"['a', "it's", 1, 0.5, True, None, {'k': 'v'}]"#)
    }
}
