// Gemini's own JSON for tests: GenerateContentResponses shaped as the API reference shows them,
// Google's error bodies, and `alt=sse` event streams of responses.

import ChatStandIn
import StructuredCache

enum GeminiPayload {
    static let model = "gemini-2.5-flash"

    /// `usageMetadata` as Gemini writes it.
    static func usage(prompt: Int = 8, candidates: Int = 12, thoughts: Int? = nil, cached: Int? = nil) -> JSONValue {
        var usage: JSONObject = [
            "promptTokenCount": .int(prompt), "candidatesTokenCount": .int(candidates),
            "totalTokenCount": .int(prompt + candidates + (thoughts ?? 0)),
            "promptTokensDetails": [["modality": "TEXT", "tokenCount": .int(prompt)]],
        ]
        if let thoughts { usage["thoughtsTokenCount"] = .int(thoughts) }
        if let cached { usage["cachedContentTokenCount"] = .int(cached) }
        return .object(usage)
    }

    /// A response with one candidate made of `parts`.
    static func response(
        parts: [JSONValue], finishReason: String? = "STOP", usage: JSONValue? = usage(),
        responseID: String = "resp-1", finishMessage: String? = nil
    ) -> JSONValue {
        var candidate: JSONObject = ["content": ["parts": .array(parts), "role": "model"]]
        if let finishReason { candidate["finishReason"] = .string(finishReason) }
        if let finishMessage { candidate["finishMessage"] = .string(finishMessage) }
        candidate["index"] = 0
        candidate["safetyRatings"] = [
            ["category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"],
            ["category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"],
        ]
        var response: JSONObject = ["candidates": [.object(candidate)]]
        if let usage { response["usageMetadata"] = usage }
        response["modelVersion"] = .string(model)
        response["responseId"] = .string(responseID)
        return .object(response)
    }

    /// A response whose text is `text`.
    static func text(_ text: String, finishReason: String? = "STOP", usage: JSONValue? = usage()) -> JSONValue {
        response(parts: [["text": .string(text)]], finishReason: finishReason, usage: usage)
    }

    /// A response that calls `name` with `args`.
    static func functionCall(_ name: String, args: JSONValue, id: String? = nil) -> JSONValue {
        var call: JSONObject = ["name": .string(name), "args": args]
        if let id { call["id"] = .string(id) }
        return response(parts: [["functionCall": .object(call)]])
    }

    /// A prompt blocked before any candidate.
    static func blockedPrompt(_ reason: String = "SAFETY") -> JSONValue {
        [
            "promptFeedback": [
                "blockReason": .string(reason),
                "safetyRatings": [["category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"]],
            ],
            "usageMetadata": ["promptTokenCount": 9, "totalTokenCount": 9],
            "modelVersion": .string(model), "responseId": "resp-blocked",
        ]
    }

    /// Google's error body.
    static func error(code: Int, message: String, status: String) -> JSONValue {
        ["error": ["code": .int(code), "message": .string(message), "status": .string(status), "details": []]]
    }

    /// An `alt=sse` stream of `responses`: unnamed events, CRLF line ends, no end marker.
    static func eventStream(_ responses: [JSONValue]) -> [UInt8] {
        responses.flatMap { Array("data: ".utf8) + $0.jsonBytes(.compact) + Array("\r\n\r\n".utf8) }
    }

    /// The streamed pieces of a text answer: one response per piece, the last with the finish reason
    /// and the whole usage.
    static func textChunks(_ pieces: [String], finishReason: String = "STOP") -> [JSONValue] {
        pieces.enumerated().map { position, piece in
            let last = position == pieces.count - 1
            return response(
                parts: [["text": .string(piece)]], finishReason: last ? finishReason : nil,
                usage: last ? usage() : ["promptTokenCount": 8, "totalTokenCount": 8])
        }
    }

    /// A streamed event-stream reply.
    static func streamReply(
        _ responses: [JSONValue], pieceSize: Int? = nil, cut: Bool = false,
        framing: LocalChatServer.StreamFraming = .chunked
    ) -> LocalChatServer.Reply {
        .eventStream(eventStream(responses), pieceSize: pieceSize, cut: cut, framing: framing)
    }
}
