// Anthropic's Messages API as a dialect: Instructor 1.16's Anthropic handlers (its tool and JSON
// modes, their answer extraction and re-asks, its request-path key) and the API's native structured
// outputs as a third mode.

import StructuredCacheCore

/// How structured answers are asked for and read in Anthropic's Messages API.
///
/// - ``Mode/tools``: one tool named after the type, its `input_schema` the type's schema, forced
///   with `tool_choice {"type": "tool", "name": …, "disable_parallel_tool_use": true}`; with extended
///   thinking on (`extraBody["thinking"]["type"] == "enabled"`), `tool_choice` is `auto` and the
///   system prompt asks for the tool call alone, as Instructor does. The answer is the `input` of the
///   one `tool_use` block; none or several is a failed attempt.
/// - ``Mode/json``: Instructor's JSON instruction as the last system block; the answer is the last
///   JSON span of the last text block, read as Python's `json.loads(strict=False)` reads it (control
///   characters inside strings allowed).
/// - ``Mode/jsonSchema``: native structured outputs, `output_config.format` with the schema as the
///   Anthropic SDK transforms it; the answer is the last text block.
///
/// A `max_tokens` stop is ``ClientError/Code/incompleteOutput``, a `refusal` stop
/// ``ClientError/Code/refusal``; neither is asked again.
struct AnthropicDialect: ChatDialect {
    /// `max_tokens` when a call sets none.
    let maxTokens: Int

    var name: String { "Anthropic" }

    /// What each mode adds for one schema, made once per type and kept with its schema.
    private struct Artifacts: Sendable {
        let toolName: String
        let tool: JSONValue
        let instruction: String
        let outputFormat: JSONValue

        init(schema: JSONValue) {
            let function = ModePreparation.functionDefinition(schema)
            toolName = ModePreparation.functionName(schema)
            tool = ["name": .string(toolName), "description": function["description"] ?? "", "input_schema": schema]
            instruction = ModePreparation.schemaInstruction(schema, lineBreaksBeforeSchema: 2)
            outputFormat = ["type": "json_schema", "schema": AnthropicSchema.transform(schema)]
        }
    }

    /// The system text Instructor adds when thinking is on and the tool is no longer forced.
    static let toolCallOnly = "Return only the tool call and no additional text."

    func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest {
        let artifacts = schema.attachment(Artifacts.self, make: Artifacts.init(schema:))
        var prepared = request
        var members: [String] = []
        switch mode {
        case .tools:
            prepared.tools = [artifacts.tool]
            if request.options.extraBody["thinking"]?["type"]?.stringValue == "enabled" {
                prepared.toolChoice = ["type": "auto"]
                prepared.messages.append(.system(Self.toolCallOnly))
            } else {
                prepared.toolChoice = [
                    "type": "tool", "name": .string(artifacts.toolName), "disable_parallel_tool_use": true,
                ]
            }
            members = ["tools", "tool_choice"]
        case .json:
            prepared.messages.append(.system(artifacts.instruction))
        case .jsonSchema:
            prepared.responseFormat = artifacts.outputFormat
        default:
            throw ClientError(
                .invalidConfiguration,
                "mode \"\(mode.rawValue)\" is not one the Anthropic provider prepares (tools, json, jsonSchema)")
        }
        // Instructor's key hashes the messages as sent; they are written only when that key is asked for.
        return PreparedRequest(request: prepared, hashedMessages: [], modeMembers: members)
    }

    func wireBody(_ request: ChatRequest) throws -> JSONObject {
        try AnthropicRequestBody.make(request, defaultMaxTokens: maxTokens)
    }

    func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String {
        let message = completion.raw
        switch message["stop_reason"]?.stringValue {
        case "max_tokens", "model_context_window_exceeded":
            throw ClientError(
                .incompleteOutput, "the model stopped at its token limit before finishing the answer",
                attempts: [
                    .init(
                        error: ResponseExtraction.MissingAnswer(description: "stop_reason max_tokens"),
                        completion: completion)
                ])
        case "refusal":
            let refusal = completion.message?.refusal ?? "stop_reason refusal"
            throw ClientError(
                .refusal, "the model refused to answer: \(refusal)",
                attempts: [.init(error: ResponseExtraction.MissingAnswer(description: refusal), completion: completion)]
            )
        default:
            break
        }
        let blocks = message["content"]?.arrayValue ?? []
        if mode == .tools {
            let calls = blocks.filter { $0["type"]?.stringValue == "tool_use" }
            guard calls.count == 1 else {
                throw ResponseExtraction.MissingAnswer(
                    description: calls.isEmpty
                        ? "the model did not call the tool" : "the model called \(calls.count) tools; one was expected")
            }
            return (calls[0]["input"] ?? [:]).jsonString(.compact)
        }
        guard let text = blocks.last(where: { $0["type"]?.stringValue == "text" })?["text"]?.stringValue else {
            throw ResponseExtraction.MissingAnswer(description: "the answer has no text block")
        }
        if mode == .jsonSchema { return text }
        return ResponseExtraction.escapingControlCharactersInStrings(
            ResponseExtraction.lastJSONBlock(in: text, allowingControlCharacters: true))
    }

    func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage] {
        let problem = ResponseExtraction.describe(error)
        let blocks = completion.raw["content"]?.arrayValue
        guard mode == .tools else {
            let lastText =
                blocks?.last { $0["type"]?.stringValue == "text" }?["text"]?.stringValue
                ?? "No text content found in response"
            return [
                .user(
                    "Validation Errors found:\n\(problem)\nRecall the function correctly, fix the errors found in "
                        + "the following attempt:\n\(lastText)")
            ]
        }
        let text = "Validation Error found:\n\(problem)\nRecall the function correctly, fix the errors"
        guard let blocks else { return [.user(text)] }
        // The assistant's own blocks go back as they came (thinking blocks with their signatures too,
        // which the API requires), without the members the API sent as null.
        let assistant = ChatMessage(role: .assistant, content: .parts(blocks.map(Self.droppingNulls)))
        let toolUseIDs = blocks.filter { $0["type"]?.stringValue == "tool_use" }.compactMap { $0["id"]?.stringValue }
        guard !toolUseIDs.isEmpty else {
            return [
                assistant,
                .user(
                    "Validation Error due to no tool invocation:\n\(problem)\nRecall the function correctly, fix the errors"
                ),
            ]
        }
        let results: [JSONValue] = toolUseIDs.map {
            ["type": "tool_result", "tool_use_id": .string($0), "content": .string(text), "is_error": true]
        }
        return [assistant, ChatMessage(role: .user, content: .parts(results))]
    }

    private static func droppingNulls(_ block: JSONValue) -> JSONValue {
        guard let object = block.objectValue else { return block }
        var kept = JSONObject(minimumCapacity: object.count)
        for (key, value) in object where !value.isNull { kept[key] = value }
        return .object(kept)
    }

    /// Instructor 1.16's key for Anthropic: the messages as sent (system messages hoisted out, so the
    /// system prompt is not in it), the model, the mode's value and the schema; `max_tokens`, the
    /// sampling parameters and the tools are left out, as Instructor leaves them out.
    func instructorPayload(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) -> CacheKeyPayload {
        var hashed = prepared
        hashed.hashedMessages = AnthropicRequestBody.messages(prepared.request.messages)
        return ClientCacheKey.instructor116Payload(prepared: hashed, mode: mode, schemaText: schemaText)
    }

    func storedCompletion(_ raw: JSONValue) -> ChatCompletion? { try? AnthropicMessage.completion(raw) }

    private static let names = CacheEnvelope.UsageNames(
        input: ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"], output: ["output_tokens"],
        cached: ["cache_read_input_tokens"])

    var usageNames: CacheEnvelope.UsageNames { Self.names }

    /// The message the stream's events describe (``AnthropicMessageAssembler``).
    func completion(streamedAs chunks: [ChatCompletionChunk]) throws -> ChatCompletion {
        var assembler = AnthropicMessageAssembler()
        for chunk in chunks { try assembler.add(chunk.raw) }
        return try AnthropicMessage.completion(assembler.assembled)
    }
}
