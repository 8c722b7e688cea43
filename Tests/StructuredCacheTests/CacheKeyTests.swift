// makeCacheKey against every reference vector computed with Instructor's own code.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct CacheKeyTests {
    static let vectors: [JSONValue] = (try? Fixtures.json("key-vectors.json").arrayValue) ?? []

    @Test func hasTheReferenceVectors() {
        #expect(Self.vectors.count == 21)
    }

    @Test func reproducesTheDocumentedDigest() {
        let key = makeCacheKey(
            messages: [["role": "user", "content": "hello"]],
            model: "gpt-4.1-mini",
            schema: [
                "properties": ["name": ["title": "Name", "type": "string"]], "required": ["name"], "title": "User",
                "type": "object",
            ],
            mode: "TOOLS"
        )
        #expect(key == "2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe")
    }

    @Test(arguments: vectors)
    func reproducesTheVector(vector: JSONValue) throws {
        let name = try #require(vector["name"]?.stringValue)
        let messages = try #require(vector["messages"])
        let model = vector["model"]?.stringValue
        let mode = vector["mode"]?.stringValue.map(Mode.init(rawValue:))
        // A null schema in the file stands for "no response model" (the member is left out).
        let schema: JSONValue? = vector["schema"]?.isNull == false ? vector["schema"] : nil
        let payload = CacheKeyPayload(
            model: model, mode: mode, messages: { $0.write(messages) },
            schema: schema.map { schema in { $0.write(schema) } })
        #expect(payload.text() == vector["payload_json"]?.stringValue, "\(name): hashed text")
        let key = makeCacheKey(messages: try #require(messages.arrayValue), model: model, schema: schema, mode: mode)
        #expect(key == vector["key"]?.stringValue, "\(name): key")
        #expect(makeCacheKey(messages: messages, model: model, schema: schema, mode: mode) == key)
    }

    @Test func leavesTheSchemaOutWithoutAResponseModel() {
        let without = makeCacheKey(
            messages: [["role": "user", "content": "hello"]], model: "gpt-4.1-mini", mode: "TOOLS")
        #expect(without == "bd0ab7d057baf8e600284de368e318fe70c95be8e88717ab76e3b000ca184034")
        let withNull = makeCacheKey(
            messages: [["role": "user", "content": "hello"]], model: "gpt-4.1-mini", schema: .null, mode: "TOOLS")
        #expect(withNull != without)
    }

    @Test func modesCarryInstructorsValues() {
        #expect(Mode.tools.rawValue == "tool_call")
        #expect(Mode.json.rawValue == "json_mode")
        #expect(Mode.jsonSchema.rawValue == "json_schema_mode")
        #expect(Mode.mdJSON.rawValue == "markdown_json_mode")
        let literal: Mode = "TOOLS"
        #expect(literal == Mode("TOOLS"))
        #expect(literal != .tools)
        #expect(Mode("caf\u{E9}") != Mode("cafe\u{301}"))
    }

    @Test func keysDifferWhenAnyPartDiffers() {
        let messages: [JSONValue] = [["role": "user", "content": "hello"]]
        let base = makeCacheKey(messages: messages, model: "m", schema: ["title": "A"], mode: .tools)
        #expect(makeCacheKey(messages: messages, model: "m", schema: ["title": "A"], mode: .tools) == base)
        #expect(makeCacheKey(messages: messages, model: "n", schema: ["title": "A"], mode: .tools) != base)
        #expect(makeCacheKey(messages: messages, model: "m", schema: ["title": "B"], mode: .tools) != base)
        #expect(makeCacheKey(messages: messages, model: "m", schema: ["title": "A"], mode: .json) != base)
        #expect(
            makeCacheKey(
                messages: [["role": "user", "content": "hellO"]], model: "m", schema: ["title": "A"], mode: .tools)
                != base)
        #expect(
            makeCacheKey(messages: [["role": "user", "content": "cafe\u{301}"]], model: "m")
                != makeCacheKey(messages: [["role": "user", "content": "caf\u{E9}"]], model: "m"))
    }
}

extension CacheKeyTests {
    @Test func takesChatMessagesToo() throws {
        let messages: [ChatMessage] = [.system("Be terse."), .user("Extract: Jason")]
        let asJSON: [JSONValue] = [
            ["role": "system", "content": "Be terse."], ["role": "user", "content": "Extract: Jason"],
        ]
        #expect(
            try makeCacheKey(messages: messages, model: "gpt-4.1-mini", responseModel: Twins.User.self, mode: .tools)
                == makeCacheKey(messages: asJSON, model: "gpt-4.1-mini", responseModel: Twins.User.self, mode: .tools))
        // The runtime vector for this conversation, from Instructor's own request path.
        #expect(
            try makeCacheKey(messages: messages, model: "gpt-4.1-mini", responseModel: Twins.User.self, mode: .tools)
                == "00d299322354e746a7f8619a4a17c2a7ae2965deeff95a44ae7736a8ce9d1162")
        #expect(makeCacheKey(messages: messages, model: "m") == makeCacheKey(messages: asJSON, model: "m"))
    }
}
