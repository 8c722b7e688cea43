// Responses API response objects read into neutral completions: output items, statuses as finish
// reasons, usage, and the typed errors of failed, unfinished and malformed responses.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ResponsesResponseTests {
    static func error(_ json: JSONValue) -> ProviderError? {
        do {
            _ = try ResponsesResponse.completion(json)
            Issue.record("expected an error")
            return nil
        } catch {
            return error
        }
    }

    @Test func readsEveryKindOfOutputItem() throws {
        let json = ResponsesPayload.response([
            ResponsesPayload.reasoning,
            [
                "id": "msg_1", "type": "message", "status": "completed", "role": "assistant",
                "content": [
                    ["type": "output_text", "text": "Ja", "annotations": []],
                    ["type": "refusal", "refusal": "partly"],
                    ["type": "output_text", "text": "son", "annotations": []],
                ],
            ],
            ["type": "web_search_call", "id": "ws_1", "status": "completed"],
            ["id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "A", "arguments": ["x": 1]],
        ])
        let completion = try ResponsesResponse.completion(json)
        let message = try #require(completion.message)
        #expect(message.content?.text == "Jason" && message.refusal == "partly")
        #expect(message.toolCalls == [ToolCall(id: "call_1", name: "A", arguments: #"{"x":1}"#)])
        #expect(completion.choices.count == 1 && completion.choices[0].finishReason == "tool_calls")
        #expect(completion.raw == json)
    }

    @Test func readsUsageWhenThereIsSome() throws {
        let none = try ResponsesResponse.completion(ResponsesPayload.response([], usage: nil))
        #expect(none.usage == nil && none.message?.content == nil)
        let some = try ResponsesResponse.completion(
            ResponsesPayload.text("a", usage: ["input_tokens": 5, "output_tokens": 2]))
        #expect(some.usage == ChatCompletion.Usage(promptTokens: 5, completionTokens: 2))
    }

    @Test func failedAndUnfinishedResponsesAreTypedErrors() {
        let failed = Self.error(ResponsesPayload.failed(code: "rate_limit_exceeded", message: "Too many."))
        #expect(failed?.code == .http && failed?.message == "Too many. (rate_limit_exceeded)")
        let silent = Self.error(ResponsesPayload.response([], status: "failed"))
        #expect(silent?.code == .http && silent?.message == "the response failed without saying why")
        let errorBody = Self.error(["error": ["message": "Bad request", "type": "invalid_request_error"]])
        #expect(errorBody?.code == .http && errorBody?.message == "Bad request")
        for status in ["in_progress", "queued", "cancelled"] {
            let unfinished = Self.error(ResponsesPayload.response([], status: status))
            #expect(unfinished?.code == .invalidResponse && unfinished?.message.contains(status) == true)
        }
    }

    @Test func malformedResponsesAreInvalidResponses() {
        for json: JSONValue in [
            [1], "response", ["id": "resp_1", "status": "completed"], ["output": ["not": "an array"]],
            ResponsesPayload.response([["type": "function_call", "call_id": "c"]]),
        ] {
            #expect(Self.error(json)?.code == .invalidResponse, "\(json)")
        }
        #expect(throws: ProviderError.self) { try ResponsesResponse.completion(parsing: Array("{\"output\":".utf8)) }
    }
}
