// The chat types through Foundation's coders: the JSON of OpenAI's format, round-tripped.

import ChatStandIn
import Foundation
import StructuredCache
import Testing

struct ChatTypesCodableTests {
    @Test func roundTripsThroughFoundationsCoders() throws {
        let completion = try ChatCompletion(
            json: ChatPayload.toolCallCompletion(name: "User", arguments: #"{"name": "a"}"#))
        let data = try JSONEncoder().encode(completion)
        let decoded = try JSONDecoder().decode(ChatCompletion.self, from: data)
        #expect(decoded.id == completion.id)
        #expect(decoded.message?.toolCalls == completion.message?.toolCalls)
        #expect(decoded.usage == completion.usage)

        let message = ChatMessage.tool("42", callID: "call_1")
        #expect(try JSONDecoder().decode(ChatMessage.self, from: JSONEncoder().encode(message)) == message)

        let request = ChatRequest(model: "m", messages: [.user("hi")], options: .init(temperature: 0.5, stop: ["\n"]))
        let body = try JSONValue(parsing: JSONEncoder().encode(request))
        #expect(body == .object(request.body))

        #expect(throws: (any Error).self) {
            try JSONDecoder().decode(ChatCompletion.self, from: Data(#"{"id": 1}"#.utf8))
        }
    }
}
