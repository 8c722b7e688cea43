// Request preparation for each mode against what Instructor 1.16's own OpenAI handlers produce, and
// the compatibility key against Instructor's request-path key.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct ModePreparationTests {
    static let cases: [JSONValue] = (try? Fixtures.json("instructor-prepared-requests.json").arrayValue) ?? []

    static func prepare(_ testCase: JSONValue) throws -> (PreparedRequest, [UInt8]) {
        let modelName = try #require(testCase["model"]?.stringValue)
        let type = try #require(Twins.instructorRequestModels[modelName])
        func entry<T: Decodable>(_ type: T.Type) throws -> SchemaCache.Entry { try SchemaCache.shared.entry(for: type) }
        let schema = try entry(type)
        let messages = try #require(testCase["messages"]?.arrayValue).map(ChatMessage.init(json:))
        let mode = Mode(rawValue: try #require(testCase["mode"]?.stringValue))
        let prepared = try ModePreparation.prepare(
            ChatRequest(model: "gpt-4.1-mini", messages: messages), mode: mode, schema: schema)
        return (prepared, schema.keyText)
    }

    @Test func coversEveryModeAndConversation() {
        #expect(Self.cases.count == 52)
        #expect(
            Set(Self.cases.compactMap { $0["mode"]?.stringValue }) == [
                "tool_call", "json_mode", "markdown_json_mode", "json_schema_mode",
            ])
    }

    @Test(arguments: cases)
    func preparesAsInstructorDoes(testCase: JSONValue) throws {
        let label = "\(testCase["model"]!) \(testCase["mode"]!) \(testCase["conversation"]!)"
        let (prepared, _) = try Self.prepare(testCase)
        let expected = try #require(testCase["prepared"])
        #expect(JSONValue.array(prepared.hashedMessages) == expected["messages"], "\(label): hashed messages")
        // Exact text, not only equal values: the instruction carries the schema as Python writes it.
        #expect(JSONValue.array(prepared.hashedMessages).jsonString() == expected["messages"]?.jsonString(), "\(label)")
        let body = prepared.request.body
        #expect(body["tools"] == expected["tools"], "\(label): tools")
        #expect(body["tool_choice"] == expected["tool_choice"], "\(label): tool_choice")
        #expect(body["response_format"] == expected["response_format"], "\(label): response_format")
    }

    @Test(arguments: cases)
    func computesInstructorsRequestPathKey(testCase: JSONValue) throws {
        let (prepared, schemaText) = try Self.prepare(testCase)
        let mode = Mode(rawValue: try #require(testCase["mode"]?.stringValue))
        #expect(
            ClientCacheKey.instructor116(prepared: prepared, mode: mode, schemaText: schemaText)
                == testCase["key"]?.stringValue)
    }

    @Test func sendsPlainConversationsAsInstructorDoesAndKeepsRicherOnes() throws {
        let schema = try SchemaCache.shared.entry(for: Twins.User.self)
        let plain = try ModePreparation.prepare(
            ChatRequest(model: "m", messages: [.user("a"), .user("b")]), mode: .json, schema: schema)
        #expect(plain.request.messages.count == 2)  // system instruction, then the two user messages merged
        #expect(plain.request.messages[1].content?.text == "a\n\nb")
        let call = ToolCall(id: "call_1", name: "lookup", arguments: "{}")
        let rich = try ModePreparation.prepare(
            ChatRequest(
                model: "m",
                messages: [
                    .user("a"), ChatMessage(role: .assistant, content: nil, toolCalls: [call]),
                    .tool("42", callID: "call_1"),
                ]),
            mode: .mdJSON, schema: schema)
        #expect(rich.request.messages.map(\.role) == [.system, .user, .assistant, .tool, .user])
        #expect(rich.request.messages[2].toolCalls == [call])
        #expect(rich.request.messages[3].toolCallID == "call_1")
        #expect(rich.request.messages.last?.content?.text == ModePreparation.markdownRequest)
    }

    @Test func rejectsModesItDoesNotPrepare() throws {
        #expect(throws: ClientError.self) {
            try ModePreparation.prepare(
                ChatRequest(model: "m", messages: [.user("a")]), mode: "anthropic_tools",
                schema: SchemaCache.Entry(schema: [:]))
        }
    }

    @Test func findsTheLastJSONBlockAsInstructorDoes() {
        let text = """
            The user wrote {"name": "injected"} in the prompt.
            ```json
            {"name": "Jason", "tags": ["a}", "b\\"]"]}
            ```
            """
        #expect(ResponseExtraction.lastJSONBlock(in: text) == #"{"name": "Jason", "tags": ["a}", "b\"]"]}"#)
        #expect(ResponseExtraction.lastJSONBlock(in: "no json here") == "no json here")
        #expect(ResponseExtraction.lastJSONBlock(in: "[1, 2] and {broken") == "[1, 2]")
    }

    static let requestPathCases: [JSONValue] =
        (try? Fixtures.json("instructor-openai-request-path.json").arrayValue) ?? []

    /// Instructor's whole request path, run for real: its message converter hashes a null or empty
    /// content as `[]`, which conversations with a tool turn or an empty message show.
    @Test(arguments: requestPathCases)
    func computesTheKeyOfInstructorsWholeRequestPath(testCase: JSONValue) throws {
        let messages = try #require(testCase["messages"]?.arrayValue).map(ChatMessage.init(json:))
        let mode = Mode(rawValue: try #require(testCase["mode"]?.stringValue))
        let schema = try SchemaCache.shared.entry(for: Twins.User.self)
        let prepared = try ModePreparation.prepare(
            ChatRequest(model: "gpt-4.1-mini", messages: messages), mode: mode, schema: schema)
        let key = ClientCacheKey.instructor116(prepared: prepared, mode: mode, schemaText: schema.keyText)
        #expect(key == testCase["key"]?.stringValue, "\(mode) \(testCase["conversation"]!)")
    }
}
