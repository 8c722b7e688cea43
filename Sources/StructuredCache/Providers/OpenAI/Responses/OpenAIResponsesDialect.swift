// OpenAI's Responses API as a dialect: the requests Instructor 1.16's RESPONSES_TOOLS handler makes,
// its re-asks and request-path key, a strict JSON schema text format, and JSON modes for the rest.

import Foundation
import StructuredCacheCore

/// How structured answers are asked for and read through OpenAI's Responses API.
///
/// - ``Mode/tools`` is Instructor 1.16's `RESPONSES_TOOLS`: one function tool
///   `{"type": "function", "name", "description", "parameters"}` whose parameters are the strict form
///   of the schema (``StrictJSONSchema``, as the openai package's `pydantic_function_tool` makes it;
///   `strict` is left out, which the Responses API reads as strict), `tool_choice`
///   `{"type": "function", "name"}`, and a `text.format` naming the same schema, as Instructor sends
///   it. The answer is the first function call's arguments. Re-asks are Instructor's: one user
///   message per function call quoting its arguments and the error.
/// - ``Mode/jsonSchema``: `text.format` `{"type": "json_schema", "name", "strict": true, "schema"}`
///   with the strict schema (the format Instructor's handler and the openai package's `parse` send).
///   The answer is the output text.
/// - ``Mode/json``: `text.format` `{"type": "json_object"}` and Instructor's schema instruction in the
///   system message; ``Mode/mdJSON``: the instruction and a request for a fenced JSON block, the answer
///   being its last JSON block. Both as Instructor's chat completion handlers prepare the messages.
/// - Re-asks outside tools mode append the answer as an assistant message and a user message with the
///   error, as Instructor's chat completion JSON handlers do.
///
/// Instructor 1.16 asks the Responses API in `RESPONSES_TOOLS` mode only, so only ``Mode/tools`` has
/// an Instructor key: `make_cache_key` of the caller's messages (a `null` content hashed as `[]`, as
/// Instructor's message conversion writes it), the model, `"responses_tools"` and the schema.
struct OpenAIResponsesDialect: ChatDialect {
    /// What each mode adds for one schema, computed once per type and kept with its schema.
    struct Artifacts: Sendable {
        let tool: JSONValue
        let toolChoice: JSONValue
        let format: JSONValue

        init(schema: JSONValue) {
            let name = ModePreparation.functionName(schema)
            let strict = StrictJSONSchema.make(schema)
            let description =
                schema["description"]?.stringValue
                ?? "Correctly extracted `\(name)` with all the required parameters with correct types"
            tool = [
                "type": "function", "name": .string(name), "parameters": strict, "description": .string(description),
            ]
            toolChoice = ["type": "function", "name": .string(name)]
            format = ["type": "json_schema", "name": .string(name), "strict": true, "schema": strict]
        }
    }

    /// Instructor's mode value for the Responses API, which its keys hash.
    static let instructorToolsMode: Mode = "responses_tools"

    /// The `store` member the provider sends when a request sets none.
    let store: Bool?

    var name: String { "OpenAI Responses" }

    func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest {
        var prepared = request
        let artifacts = schema.attachment(Artifacts.self, make: Artifacts.init(schema:))
        switch mode {
        case .tools:
            prepared.tools = [artifacts.tool]
            prepared.toolChoice = artifacts.toolChoice
            prepared.responseFormat = artifacts.format
            // Instructor's key hashes the messages; they are written only when that key is asked for.
            return PreparedRequest(request: prepared, hashedMessages: [], modeMembers: ["tools", "tool_choice"])
        case .jsonSchema:
            prepared.responseFormat = artifacts.format
            return PreparedRequest(request: prepared, hashedMessages: [])
        case .json, .mdJSON:
            // The format `{"type": "json_object"}` is the same object in both APIs.
            var json = try ModePreparation.prepare(request, mode: mode, schema: schema)
            json.modeMembers = []
            return json
        default:
            throw ClientError(
                .invalidConfiguration,
                "mode \"\(mode.rawValue)\" is not one the Responses API client prepares (tools, jsonSchema, json, "
                    + "mdJSON)")
        }
    }

    func wireBody(_ request: ChatRequest) -> JSONObject { ResponsesRequestBody.make(request, store: store) }

    func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String {
        try ResponseExtraction.answerJSON(in: completion, mode: mode)
    }

    func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage] {
        guard mode == .tools else {
            return ResponseExtraction.reaskMessages(after: completion, error: error, mode: mode)
        }
        let problem = ResponseExtraction.describe(error)
        let calls = Self.functionCalls(in: completion)
        guard !calls.isEmpty else {
            return [.user("Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors")]
        }
        return calls.map { call in
            var details: [String] = []
            if !call.name.isEmpty { details.append("name=\(call.name)") }
            if !call.id.isEmpty { details.append("id=\(call.id)") }
            let suffix = details.isEmpty ? "" : " (tool call \(details.joined(separator: ", ")))"
            let arguments = call.arguments.trimmingCharacters(in: .whitespacesAndNewlines)
            if arguments.isEmpty || arguments == "{}" {
                return .user(
                    "Validation Error found:\n\(problem)\nThe function was called with empty arguments '{}'. "
                        + "You MUST populate ALL required fields in the function call according to the schema. "
                        + "Do not return empty arguments.\(suffix)")
            }
            return .user(
                "Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors with "
                    + "\(call.arguments)\(suffix)")
        }
    }

    func instructorPayload(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) throws -> CacheKeyPayload {
        guard mode == .tools else {
            throw ClientError(
                .invalidConfiguration,
                "Instructor 1.16 asks the Responses API only in its RESPONSES_TOOLS mode, so only mode tools has "
                    + "an Instructor key; mode \"\(mode.rawValue)\" has none")
        }
        var hashed = prepared
        hashed.hashedMessages = Self.instructorMessages(prepared.request.messages)
        return ClientCacheKey.instructor116Payload(
            prepared: hashed, mode: Self.instructorToolsMode, schemaText: schemaText)
    }

    func storedCompletion(_ raw: JSONValue) -> ChatCompletion? { try? ResponsesResponse.completion(raw) }

    private static let names = CacheEnvelope.UsageNames(
        input: ["input_tokens"], output: ["output_tokens"], cached: ["cached_tokens"])

    var usageNames: CacheEnvelope.UsageNames { Self.names }

    /// The response the stream's last event carries.
    func completion(streamedAs chunks: [ChatCompletionChunk]) throws -> ChatCompletion {
        guard let raw = chunks.last?.raw else { throw ProviderError.invalidResponse("the stream held no response") }
        return try ResponsesResponse.completion(raw["response"] ?? raw)
    }

    /// The messages as Instructor's message conversion hands them to its key: as the chat format
    /// writes them, with a missing or `null` content as `[]`.
    static func instructorMessages(_ messages: [ChatMessage]) -> [JSONValue] {
        messages.map { message in
            guard message.content == nil, var object = message.json.objectValue else { return message.json }
            object["content"] = []
            return .object(object)
        }
    }

    /// The function calls of a completion as Instructor's re-ask names them: the output item's `id`
    /// (else its `call_id`), its name and its arguments, from the Responses JSON when the completion
    /// has it.
    private static func functionCalls(in completion: ChatCompletion) -> [ToolCall] {
        guard let output = completion.raw["output"]?.arrayValue else { return completion.message?.toolCalls ?? [] }
        return output.compactMap { item in
            guard item["type"] == "function_call" || item["type"] == "tool_call" else { return nil }
            return ToolCall(
                id: item["id"]?.stringValue ?? item["call_id"]?.stringValue ?? "",
                name: item["name"]?.stringValue ?? "", arguments: ResponsesResponse.arguments(of: item))
        }
    }
}
