// What a stored value says about itself, read as the client reads it: the answer, the completion, the
// LLM model that gave it and the function it was asked through (for tools that inspect a cache).

package import Foundation

/// A stored value read as the client reads its entries (Instructor's envelope, or a bare answer).
package struct CacheEntryContents: Sendable {
    /// The answer's JSON text; for a value that is not an envelope (an older bare answer), the whole value.
    package let answerJSON: String
    /// The completion's JSON text, when one was stored with the answer.
    package let completionJSON: String?
    /// The LLM model the completion names (its `model`, Gemini's `modelVersion`); `nil` without a
    /// completion, or one that names none.
    package let model: String?
    /// The function the answer was asked through in tools mode (the response type's name, as the tool
    /// was named after it); `nil` in other modes and without a completion.
    package let responseType: String?

    /// Reads a stored value.
    ///
    /// - Parameter bytes: The value, as an adapter returned it.
    /// - Returns: `nil` when the bytes are not UTF-8 text (not a value this client or Instructor stores).
    package init?(bytes: Data) {
        guard let envelope = CacheEnvelope(bytes: bytes) else { return nil }
        answerJSON = envelope.modelJSON
        completionJSON = envelope.rawJSON
        let completion = envelope.rawJSON.flatMap { try? JSONValue(parsing: $0) }.flatMap(Self.completion)
        model = completion.flatMap { $0.model.isEmpty ? nil : $0.model }
        responseType = completion?.message?.toolCalls?.first?.name
    }

    /// A stored completion read in the first wire format it reads as: OpenAI's chat completions,
    /// Anthropic's messages, OpenAI's Responses, Gemini's responses.
    private static func completion(_ json: JSONValue) -> ChatCompletion? {
        if let chat = try? ChatCompletion(json: json) { return chat }
        if let message = try? AnthropicMessage.completion(json) { return message }
        if let response = try? ResponsesResponse.completion(json) { return response }
        return try? GeminiResponse.completion(json: json)
    }
}
