// The Responses dialect against what Instructor 1.16 in RESPONSES_TOOLS mode sent through the openai
// package and the key it looked up (recorded by a local server), each other mode's documented body,
// re-asks as Instructor writes them, and stored responses read back.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct OpenAIResponsesDialectTests {
    static let cases: [JSONValue] = (try? Fixtures.json("instructor-responses-requests.json").arrayValue) ?? []

    nonisolated(unsafe) static let models: [String: any Decodable.Type] = Twins.instructorRequestModels.merging(
        ["OptDefaultNone": Twins.OptDefaultNone.self]) { first, _ in first }

    static let dialect = OpenAIResponsesDialect(store: nil)

    static func entry<T: Decodable>(_ type: T.Type) throws -> SchemaCache.Entry {
        try SchemaCache.shared.entry(for: type)
    }

    static func prepare(_ testCase: JSONValue) throws -> (PreparedRequest, SchemaCache.Entry) {
        let name = try #require(testCase["model"]?.stringValue)
        let type = try #require(models[name])
        let schema = try entry(type)
        let messages = try #require(testCase["messages"]?.arrayValue).map(ChatMessage.init(json:))
        let prepared = try dialect.prepare(
            ChatRequest(model: "gpt-4.1-mini", messages: messages), mode: .tools, schema: schema)
        return (prepared, schema)
    }

    @Test func theVectorsCoverEveryModelAndConversation() {
        #expect(Self.cases.count == 15)
        #expect(Set(Self.cases.compactMap { $0["model"]?.stringValue }) == Set(Self.models.keys))
        #expect(Self.cases.allSatisfy { $0["path"] == "/v1/responses" })
    }

    // MARK: - Tools mode is Instructor's RESPONSES_TOOLS

    @Test(arguments: cases)
    func toolsModeSendsWhatInstructorSends(testCase: JSONValue) throws {
        let label = "\(testCase["model"]!) \(testCase["conversation"]!)"
        let (prepared, _) = try Self.prepare(testCase)
        let sent = ResponsesRequestBody.make(prepared.request, store: nil)
        let expected = try #require(testCase["body"]?.objectValue)
        if testCase["conversation"] == "tool_turn" {
            // Instructor sends chat-format tool turns as they are, which the Responses API rejects; they
            // are sent as function_call and function_call_output items instead.
            for member in ["model", "tools", "tool_choice", "text"] {
                #expect(sent[member] == expected[member], "\(label): \(member)")
            }
            #expect(sent["input"]?[1]?["type"] == "function_call" && sent["input"]?[2]?["call_id"] == "call_1")
        } else {
            #expect(JSONValue.object(sent) == .object(expected), "\(label)")
        }
        #expect(prepared.modeMembers == ["tools", "tool_choice"])
    }

    @Test(arguments: cases)
    func theInstructorKeyIsTheKeyInstructorLookedUp(testCase: JSONValue) throws {
        let (prepared, schema) = try Self.prepare(testCase)
        let key = try Self.dialect.instructorKey(prepared, mode: .tools, schemaText: schema.keyText)
        #expect(key == testCase["key"]?.stringValue, "\(testCase["model"]!) \(testCase["conversation"]!)")
    }

    @Test func theInstructorKeyHashesInstructorsModeValue() throws {
        let schema = try Self.entry(Twins.User.self)
        let prepared = try Self.dialect.prepare(
            ChatRequest(model: "m", messages: [.user("a")]), mode: .tools, schema: schema)
        let key = try Self.dialect.instructorKey(prepared, mode: .tools, schemaText: schema.keyText)
        #expect(
            key == makeCacheKey(messages: [.user("a")], model: "m", schema: schema.schema, mode: "responses_tools"))
        #expect(key != ClientCacheKey.instructor116(prepared: prepared, mode: .tools, schemaText: schema.keyText))
    }

    @Test(arguments: [Mode.jsonSchema, .json, .mdJSON])
    func otherModesHaveNoInstructorKey(mode: Mode) throws {
        let schema = try Self.entry(Twins.User.self)
        let prepared = try Self.dialect.prepare(
            ChatRequest(model: "m", messages: [.user("a")]), mode: mode, schema: schema)
        do {
            _ = try Self.dialect.instructorKey(prepared, mode: mode, schemaText: schema.keyText)
            Issue.record("expected an error")
        } catch let error as ClientError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains("RESPONSES_TOOLS"))
        }
    }

    // MARK: - The other modes

    @Test func jsonSchemaModeSendsAStrictTextFormat() throws {
        let schema = try Self.entry(Twins.OptDefaultNone.self)
        let prepared = try Self.dialect.prepare(
            ChatRequest(model: "m", messages: [.system("Be terse."), .user("a")]), mode: .jsonSchema, schema: schema)
        let body = ResponsesRequestBody.make(prepared.request, store: false)
        let expected: JSONValue = [
            "model": "m", "input": [["role": "system", "content": "Be terse."], ["role": "user", "content": "a"]],
            "text": [
                "format": [
                    "type": "json_schema", "name": "OptDefaultNone", "strict": true,
                    "schema": [
                        "properties": [
                            "nickname": ["anyOf": [["type": "string"], ["type": "null"]], "title": "Nickname"]
                        ],
                        "title": "OptDefaultNone", "type": "object", "additionalProperties": false,
                        "required": ["nickname"],
                    ],
                ]
            ],
            "store": false,
        ]
        #expect(JSONValue.object(body) == expected)
        #expect(prepared.modeMembers.isEmpty)
    }

    @Test func jsonModeSendsAJSONObjectFormatAndTheSchemaInstruction() throws {
        let schema = try Self.entry(Twins.User.self)
        let instruction = ModePreparation.schemaInstruction(schema.schema)
        let prepared = try Self.dialect.prepare(
            ChatRequest(model: "m", messages: [.system("Be terse."), .user("a")]), mode: .json, schema: schema)
        let body = ResponsesRequestBody.make(prepared.request, store: nil)
        let expected: JSONValue = [
            "model": "m",
            "input": [
                ["role": "system", "content": .string("Be terse.\n\n" + instruction)],
                ["role": "user", "content": "a"],
            ],
            "text": ["format": ["type": "json_object"]],
        ]
        #expect(JSONValue.object(body) == expected)

        let markdown = try Self.dialect.prepare(
            ChatRequest(model: "m", messages: [.user("a")]), mode: .mdJSON, schema: schema)
        let markdownBody = ResponsesRequestBody.make(markdown.request, store: nil)
        let expectedMarkdown: JSONValue = [
            "model": "m",
            "input": [
                ["role": "system", "content": .string(instruction)],
                ["role": "user", "content": .string("a\n\n" + ModePreparation.markdownRequest)],
            ],
        ]
        #expect(JSONValue.object(markdownBody) == expectedMarkdown)
    }

    @Test func rejectsModesItDoesNotPrepare() throws {
        let schema = try Self.entry(Twins.User.self)
        for mode: Mode in ["responses_tools", "anthropic_tools", "parallel_tool_call"] {
            #expect(throws: ClientError.self) {
                try Self.dialect.prepare(ChatRequest(model: "m", messages: [.user("a")]), mode: mode, schema: schema)
            }
        }
    }

    @Test func theWireBodyIsTheBodySentWithTheConfiguredStore() throws {
        let request = ChatRequest(model: "m", messages: [.user("a")], options: .init(maxTokens: 5))
        #expect(OpenAIResponsesDialect(store: false).wireBody(request)["store"] == false)
        #expect(OpenAIResponsesDialect(store: true).wireBody(request)["store"] == true)
        #expect(OpenAIResponsesDialect(store: nil).wireBody(request)["store"] == nil)
        let provider = OpenAIResponsesProvider(apiKey: "k")
        #expect(
            JSONValue.object(try #require(provider.dialect as? OpenAIResponsesDialect).wireBody(request)).jsonBytes(
                .compact) == provider.body(for: request))
    }

    // MARK: - Answers and re-asks

    @Test func readsTheAnswerOfEachMode() throws {
        let call = try ResponsesResponse.completion(
            ResponsesPayload.response([
                ResponsesPayload.reasoning, ResponsesPayload.functionCall("User", #"{"name": "first"}"#),
                ResponsesPayload.functionCall("User", #"{"name": "second"}"#, callID: "call_2", id: "fc_2"),
            ]))
        #expect(try Self.dialect.answerJSON(in: call, mode: .tools) == #"{"name": "first"}"#)
        let text = try ResponsesResponse.completion(ResponsesPayload.text(#"{"name": "x"}"#))
        #expect(try Self.dialect.answerJSON(in: text, mode: .jsonSchema) == #"{"name": "x"}"#)
        let fenced = try ResponsesResponse.completion(ResponsesPayload.text("Here:\n```json\n{\"name\": \"y\"}\n```"))
        #expect(try Self.dialect.answerJSON(in: fenced, mode: .mdJSON) == #"{"name": "y"}"#)
        #expect(throws: ResponseExtraction.MissingAnswer.self) { try Self.dialect.answerJSON(in: text, mode: .tools) }
    }

    @Test func aRefusalAndACutOffAnswerAreClientErrors() throws {
        let refused = try ResponsesResponse.completion(ResponsesPayload.response([ResponsesPayload.refusal("No.")]))
        #expect(throws: ClientError.self) { try Self.dialect.answerJSON(in: refused, mode: .jsonSchema) }
        do {
            _ = try Self.dialect.answerJSON(in: refused, mode: .tools)
        } catch let error as ClientError {
            #expect(error.code == .refusal && error.message.contains("No."))
        }
        let cut = try ResponsesResponse.completion(
            ResponsesPayload.response(
                [ResponsesPayload.message(#"{"na"#)], status: "incomplete", incompleteReason: "max_output_tokens"))
        do {
            _ = try Self.dialect.answerJSON(in: cut, mode: .jsonSchema)
            Issue.record("expected an error")
        } catch let error as ClientError {
            #expect(error.code == .incompleteOutput)
        }
    }

    @Test func toolsModeReasksAsInstructorDoes() throws {
        let error = ValidationFailure("value must be >= 0, got -5")
        let failure = ResponseExtraction.describe(error)
        let completion = try ResponsesResponse.completion(
            ResponsesPayload.response([
                ResponsesPayload.reasoning, ResponsesPayload.functionCall("Positive", #"{"value": -5}"#),
                ResponsesPayload.functionCall("Positive", " {} ", callID: "call_2", id: "fc_2"),
            ]))
        let messages = Self.dialect.reaskMessages(after: completion, error: error, mode: .tools)
        #expect(messages.map(\.role) == [.user, .user])
        #expect(
            messages[0].content?.text
                == "Validation Error found:\n\(failure)\nRecall the function correctly, fix the errors with "
                + #"{"value": -5} (tool call name=Positive, id=fc_test)"#)
        #expect(
            messages[1].content?.text
                == "Validation Error found:\n\(failure)\nThe function was called with empty arguments '{}'. You MUST "
                + "populate ALL required fields in the function call according to the schema. Do not return empty "
                + "arguments. (tool call name=Positive, id=fc_2)")
        let noCall = try ResponsesResponse.completion(ResponsesPayload.text("I'd rather chat."))
        #expect(
            Self.dialect.reaskMessages(after: noCall, error: error, mode: .tools).map { $0.content?.text } == [
                "Validation Error found:\n\(failure)\nRecall the function correctly, fix the errors"
            ])
    }

    @Test func otherModesReaskWithTheAnswerAndTheError() throws {
        let error = ValidationFailure("name: field required")
        let failure = ResponseExtraction.describe(error)
        let completion = try ResponsesResponse.completion(ResponsesPayload.text(#"{"nom": "x"}"#))
        let messages = Self.dialect.reaskMessages(after: completion, error: error, mode: .jsonSchema)
        #expect(messages.map(\.role) == [.assistant, .user])
        #expect(messages[0].content?.text == #"{"nom": "x"}"#)
        #expect(
            messages[1].content?.text == "Correct your JSON ONLY RESPONSE, based on the following errors:\n\(failure)")
        let input = ResponsesRequestBody.inputItems(messages)
        #expect(input[0] == ["role": "assistant", "content": #"{"nom": "x"}"#])
    }

    // MARK: - Stored completions

    @Test func readsStoredResponsesAndNothingElse() throws {
        let raw = ResponsesPayload.call("User", #"{"name": "Jason"}"#, callID: "call_9")
        let stored = try #require(Self.dialect.storedCompletion(raw))
        #expect(stored.raw == raw && stored.id == "resp_test")
        #expect(stored.message?.toolCalls?.first?.id == "call_9")
        #expect(stored.usage?.totalTokens == 18)
        #expect(Self.dialect.storedCompletion(["id": "chatcmpl-1", "choices": []]) == nil)
        let envelope = CacheEnvelope(modelJSON: "{}", rawJSON: raw.jsonString(.compact))
        #expect(
            envelope.tokens(Self.dialect.usageNames)
                == TokenCounts(input: stored.usage!.promptTokens, output: stored.usage!.completionTokens, cached: 0))
    }
}
