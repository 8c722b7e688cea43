// Gemini as a dialect: Instructor 1.16's GenAI mode handlers (a forced function declaration, or
// native JSON output with the schema), their answer checks and re-asks, and Gemini's stored responses.

import StructuredCacheCore

/// How structured answers are asked for and read through ``GeminiProvider``.
///
/// Mirrors Instructor 1.16's `instructor/v2/providers/genai/handlers.py`:
/// - tools mode: one function declaration named after the type, its parameters the schema in Gemini's
///   OpenAPI subset (``GeminiSchema``), and a forced call (`toolConfig.functionCallingConfig` mode `ANY`
///   with that one name allowed). The answer is the `args` of the one function call, the only part
///   that is not a thought.
/// - JSON mode, and JSON-schema mode (the same native structured output here):
///   `responseMimeType: application/json` with the schema as `responseJsonSchema`, or as
///   `responseSchema` in the OpenAPI subset when the provider is configured so. The answer is the text
///   of the parts that are not thoughts.
/// - Instructor's GenAI has no markdown JSON mode; that and any other mode is refused. Instructor's
///   deprecated `genai_tools`, `genai_json` and `genai_structured_outputs` are read as tools and JSON.
struct GeminiDialect: ChatDialect {
    /// Where JSON mode sends the schema.
    var jsonModeSchema: GeminiProvider.Configuration.JSONModeSchema = .responseJsonSchema

    var name: String { "Gemini" }

    /// The two modes Gemini has, by the name Instructor's GenAI client gives them.
    private enum Kind {
        case tools
        case json
    }

    private static func kind(of mode: Mode) -> Kind? {
        switch mode {
        case .tools, "genai_tools": return .tools
        case .json, .jsonSchema, "genai_json", "genai_structured_outputs": return .json
        default: return nil
        }
    }

    /// What each mode adds for one schema, computed once per type and kept with its schema.
    private struct Artifacts: Sendable {
        let tools: [JSONValue]
        let toolConfig: JSONValue
        let openAPIResponseSchema: JSONValue

        init(schema: JSONValue) {
            let name = ModePreparation.functionName(schema)
            let description =
                schema["description"]?.stringValue
                ?? "Correctly extracted `\(name)` with all the required parameters with correct types"
            let declaration: JSONValue = [
                "name": .string(name), "description": .string(description),
                "parameters": GeminiSchema.openAPISubset(schema),
            ]
            tools = [["functionDeclarations": [declaration]]]
            toolConfig = ["functionCallingConfig": ["mode": "ANY", "allowedFunctionNames": [.string(name)]]]
            openAPIResponseSchema = GeminiSchema.openAPISubset(schema, propertyOrdering: true)
        }
    }

    func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest {
        guard let kind = Self.kind(of: mode) else {
            throw ClientError(
                .invalidConfiguration,
                "mode \"\(mode.rawValue)\" is not one Gemini supports: use tools (\"\(Mode.tools.rawValue)\") or json "
                    + "(\"\(Mode.json.rawValue)\"; \"\(Mode.jsonSchema.rawValue)\" is the same native structured "
                    + "output); Instructor's GenAI client has no markdown JSON mode")
        }
        var prepared = request
        let artifacts = schema.attachment(Artifacts.self, make: Artifacts.init(schema:))
        switch kind {
        case .tools:
            prepared.tools = artifacts.tools
            prepared.toolChoice = artifacts.toolConfig
            // No Instructor key is made for Gemini, so no messages are written for one.
            return PreparedRequest(request: prepared, hashedMessages: [], modeMembers: ["tools", "toolConfig"])
        case .json:
            switch jsonModeSchema {
            case .responseJsonSchema:
                prepared.responseFormat = ["responseMimeType": "application/json", "responseJsonSchema": schema.schema]
            case .responseSchema:
                prepared.responseFormat = [
                    "responseMimeType": "application/json", "responseSchema": artifacts.openAPIResponseSchema,
                ]
            }
            // The schema is inside `generationConfig`, beside the caller's options, so it stays in the key.
            return PreparedRequest(request: prepared, hashedMessages: [])
        }
    }

    /// The body as sent, with the model (which Gemini takes in the URL) added.
    func wireBody(_ request: ChatRequest) throws -> JSONObject {
        var body = try GeminiRequestBody.make(request)
        body["model"] = .string(request.model)
        return body
    }

    func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String {
        guard let choice = completion.choices.first else {
            throw ResponseExtraction.MissingAnswer(description: "the response has no candidates")
        }
        if choice.finishReason == "length" {
            throw ClientError(
                .incompleteOutput, "the model stopped at its token limit before finishing the answer",
                attempts: [
                    .init(
                        error: ResponseExtraction.MissingAnswer(description: "finishReason MAX_TOKENS"),
                        completion: completion)
                ])
        }
        if let refusal = choice.message.refusal {
            throw ClientError(
                .refusal, "the model refused to answer: \(refusal)",
                attempts: [.init(error: ResponseExtraction.MissingAnswer(description: refusal), completion: completion)]
            )
        }
        if Self.kind(of: mode) == .tools { return try functionArguments(in: completion, choice: choice) }
        guard let text = choice.message.content?.text, !text.isEmpty else {
            throw ResponseExtraction.MissingAnswer(
                description: "the model returned no text" + Self.finishNote(choice.finishReason))
        }
        return text
    }

    /// The answer, checking in tools mode that the call is to the function the request declared (as
    /// Instructor's `parse_genai_tools` does): a call to another one is a failed attempt.
    func answerJSON(in completion: ChatCompletion, for request: ChatRequest, mode: Mode) throws -> String {
        let answer = try answerJSON(in: completion, mode: mode)
        guard Self.kind(of: mode) == .tools,
            let expected = request.tools?.first?["functionDeclarations"]?[0]?["name"]?.stringValue,
            let called = completion.choices.first?.message.toolCalls?.first?.name, called != expected
        else { return answer }
        throw ResponseExtraction.MissingAnswer(
            description: "the model called the function \(called); the request declared \(expected)")
    }

    /// Instructor's `parse_genai_tools`: the arguments of the one function call, which must be the only
    /// part that is not a thought (an empty text part, which carries only a thought signature, aside).
    private func functionArguments(in completion: ChatCompletion, choice: ChatCompletion.Choice) throws -> String {
        let calls = choice.message.toolCalls ?? []
        let parts = Self.parts(of: completion)?.filter { part in
            !GeminiResponse.isThought(part) && !(part["functionCall"] == nil && part["text"]?.stringValue == "")
        }
        if calls.count > 1 || (parts?.count ?? 1) > 1 {
            throw ResponseExtraction.MissingAnswer(
                description: "Instructor does not support multiple function calls, use List[Model] instead")
        }
        guard let call = calls.first else {
            throw ResponseExtraction.MissingAnswer(
                description: "Please return your response as a function call" + Self.finishNote(choice.finishReason))
        }
        return call.arguments
    }

    private static func finishNote(_ reason: String?) -> String {
        guard let reason, reason != "stop", reason != "tool_calls" else { return "" }
        return " (finish reason \(reason))"
    }

    /// The parts of the first candidate, as Gemini sent them.
    private static func parts(of completion: ChatCompletion) -> [JSONValue]? {
        completion.raw["candidates"]?[0]?["content"]?["parts"]?.arrayValue
    }

    /// Instructor's GenAI re-asks. Tools: the model's turn with its function call, then a
    /// `functionResponse` to that call whose response is `{"error": …}` (Instructor sends it under the
    /// role `tool`; Gemini takes function responses in `user` turns). JSON: the model's turn, then
    /// Instructor's message naming the error and quoting the rejected text (Instructor sends that
    /// message as a model turn; as a user turn it asks for an answer rather than continuing one).
    func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage] {
        let problem = ResponseExtraction.describe(error)
        var messages: [ChatMessage] = []
        if let parts = Self.parts(of: completion), !parts.isEmpty {
            // Sent back as they came, thoughts and thought signatures included, as Gemini asks.
            messages.append(ChatMessage(role: .assistant, content: .parts(parts)))
        } else if let message = completion.message, message.content != nil || message.toolCalls != nil {
            messages.append(ChatMessage(role: .assistant, content: message.content, toolCalls: message.toolCalls))
        }
        let message = completion.message
        if Self.kind(of: mode) == .tools {
            let text = "Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors"
            guard let call = message?.toolCalls?.first else { return messages + [.user(text)] }
            let response: JSONValue = [
                "functionResponse": ["name": .string(call.name), "response": ["error": .string(text)]]
            ]
            return messages + [ChatMessage(role: .user, content: .parts([response]))]
        }
        let attempt =
            message?.content?.text
            ?? "You must generate a response to the user's request that is consistent with the response model"
        return messages + [
            .user(
                "Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors in the following "
                    + "attempt:\n\(attempt)")
        ]
    }

    func instructorPayload(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) throws -> CacheKeyPayload {
        throw ClientError(
            .invalidConfiguration,
            "Instructor 1.16's cache key for Gemini cannot be reproduced: it hashes Python's printed form of "
                + "google-genai SDK objects (types.Content, GenerateContentConfig), which changes with that SDK's "
                + "version; use the standard key (KeyCompatibility.standard) instead")
    }

    func storedCompletion(_ raw: JSONValue) -> ChatCompletion? { try? GeminiResponse.completion(json: raw) }

    private static let names = CacheEnvelope.UsageNames(
        input: ["promptTokenCount"], output: ["candidatesTokenCount", "thoughtsTokenCount"],
        cached: ["cachedContentTokenCount"])

    var usageNames: CacheEnvelope.UsageNames { Self.names }

    /// The streamed responses merged into one.
    func completion(streamedAs chunks: [ChatCompletionChunk]) throws -> ChatCompletion {
        try GeminiResponse.completion(json: GeminiResponse.merged(chunks.map(\.raw)))
    }
}
