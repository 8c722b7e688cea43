// The Responses API body made from the neutral request: conversation turns as input items, content
// parts in the Responses shape, the options the API takes (and those it does not), extras and store.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ResponsesRequestBodyTests {
    @Test func translatesEveryKindOfTurnIntoInputItems() throws {
        let call = ToolCall(id: "call_1", name: "lookup", arguments: #"{"q": "Jason"}"#)
        let messages: [ChatMessage] = [
            .system("Be terse."),
            .developer("Answer in JSON."),
            ChatMessage(
                role: .user,
                content: .parts([
                    ["type": "text", "text": "Who is this?"],
                    ["type": "image_url", "image_url": ["url": "https://example.com/a.png", "detail": "low"]],
                    ["type": "image_url", "image_url": ["url": "data:image/png;base64,AAAA"]],
                    ["type": "file", "file": ["file_id": "file-1"]],
                    ["type": "input_text", "text": "already native"],
                ]), name: "jason"),
            ChatMessage(role: .assistant, content: nil, toolCalls: [call]),
            .tool("Jason, 25", callID: "call_1"),
            ChatMessage(role: .assistant, content: .text("Checking."), toolCalls: [call]),
            ChatMessage(role: .assistant, content: .text("Done."), extra: ["phase": "final_answer"]),
        ]
        let expected: [JSONValue] = [
            ["role": "system", "content": "Be terse."],
            ["role": "developer", "content": "Answer in JSON."],
            [
                "role": "user",
                "content": [
                    ["type": "input_text", "text": "Who is this?"],
                    ["type": "input_image", "image_url": "https://example.com/a.png", "detail": "low"],
                    ["type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "auto"],
                    ["type": "input_file", "file_id": "file-1"],
                    ["type": "input_text", "text": "already native"],
                ],
            ],
            ["type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": #"{"q": "Jason"}"#],
            ["type": "function_call_output", "call_id": "call_1", "output": "Jason, 25"],
            ["role": "assistant", "content": "Checking."],
            ["type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": #"{"q": "Jason"}"#],
            ["role": "assistant", "content": "Done.", "phase": "final_answer"],
        ]
        #expect(ResponsesRequestBody.inputItems(messages) == expected)
    }

    @Test func sendsTheOptionsTheResponsesAPITakesAndNoOthers() {
        let options = RequestOptions(
            temperature: 0.3, topP: 0.9, maxTokens: 100, maxCompletionTokens: 200, stop: ["\n"], seed: 7,
            presencePenalty: 0.1, frequencyPenalty: 0.2, extraBody: ["reasoning": ["effort": "low"], "model": "other"])
        let request = ChatRequest(model: "gpt-test", messages: [.user("a")], options: options, n: 2)
        let body = ResponsesRequestBody.make(request, store: false)
        let expected: JSONValue = [
            "model": "gpt-test", "input": [["role": "user", "content": "a"]], "max_output_tokens": 200,
            "temperature": 0.3, "top_p": 0.9, "reasoning": ["effort": "low"], "store": false,
        ]
        #expect(JSONValue.object(body) == expected)
        let onlyMaxTokens = ChatRequest(model: "m", messages: [], options: .init(maxTokens: 100))
        #expect(ResponsesRequestBody.make(onlyMaxTokens, store: nil)["max_output_tokens"] == 100)
    }

    @Test func theFormatGoesInTextBesideTheCallersOtherTextMembers() {
        var request = ChatRequest(
            model: "m", messages: [], options: .init(extraBody: ["text": ["verbosity": "low", "format": "ignored"]]))
        #expect(ResponsesRequestBody.make(request, store: nil)["text"] == ["verbosity": "low", "format": "ignored"])
        request.responseFormat = ["type": "json_object"]
        #expect(
            ResponsesRequestBody.make(request, store: nil)["text"] == [
                "verbosity": "low", "format": ["type": "json_object"],
            ])
    }

    @Test func storeIsTheConfiguredOneUnlessTheRequestSetsIt() {
        var request = ChatRequest(model: "m", messages: [])
        #expect(ResponsesRequestBody.make(request, store: false)["store"] == false)
        #expect(ResponsesRequestBody.make(request, store: true)["store"] == true)
        #expect(ResponsesRequestBody.make(request, store: nil)["store"] == nil)
        request.options.extraBody["store"] = true
        #expect(ResponsesRequestBody.make(request, store: false)["store"] == true)
        request.stream = true
        #expect(ResponsesRequestBody.make(request, store: false)["stream"] == true)
    }

    @Test func chatStyleToolsAndChoicesAreFlattened() {
        let request = ChatRequest(
            model: "m", messages: [],
            tools: [
                [
                    "type": "function",
                    "function": [
                        "name": "User", "description": "d", "parameters": ["type": "object"], "strict": false,
                    ],
                ],
                ["type": "web_search"],
            ], toolChoice: ["type": "function", "function": ["name": "User"]])
        let body = ResponsesRequestBody.make(request, store: nil)
        #expect(
            body["tools"] == [
                [
                    "type": "function", "name": "User", "description": "d", "parameters": ["type": "object"],
                    "strict": false,
                ],
                ["type": "web_search"],
            ])
        #expect(body["tool_choice"] == ["type": "function", "name": "User"])
        var automatic = request
        automatic.toolChoice = "auto"
        #expect(ResponsesRequestBody.make(automatic, store: nil)["tool_choice"] == "auto")
    }
}
