// Prepares a request for a mode exactly as Instructor 1.16 prepares it for OpenAI: the same tool
// definition, response formats and prompt texts, so that the model sees what Instructor would send and
// the compatibility key hashes what Instructor hashes.

import StructuredCacheCore

/// A request prepared for a mode.
struct PreparedRequest: Sendable {
    /// What is sent.
    var request: ChatRequest
    /// The messages as Instructor 1.16 prepares and hashes them (its OpenAI handlers rewrite JSON-mode
    /// messages to role and content only). Dialects whose Instructor messages follow from the request
    /// alone leave it empty and write them in ``ChatDialect/instructorPayload(_:mode:schemaText:)``,
    /// off the path of every call.
    var hashedMessages: [JSONValue]
    /// The request members the mode set (`tools`, `tool_choice`, `response_format`): functions of the
    /// mode and the schema alone.
    var modeMembers: [String] = []
}

/// What each mode adds to a request for one schema, computed once per type and kept with its schema
/// (``SchemaCache/Entry/attachment(_:make:)``).
struct ModeArtifacts: Sendable {
    /// `tools` in tools mode.
    let tools: [JSONValue]
    /// `tool_choice` in tools mode.
    let toolChoice: JSONValue
    /// `response_format` in JSON-schema mode.
    let jsonSchemaFormat: JSONValue
    /// The instruction JSON and markdown modes add to the system message.
    let instruction: String

    init(schema: JSONValue) {
        let function = ModePreparation.functionDefinition(schema)
        tools = [["type": "function", "function": function]]
        toolChoice = ["type": "function", "function": ["name": function["name"]!]]
        jsonSchemaFormat = [
            "type": "json_schema",
            "json_schema": ["name": .string(ModePreparation.functionName(schema)), "schema": schema],
        ]
        instruction = ModePreparation.schemaInstruction(schema)
    }
}

/// Instructor 1.16's OpenAI mode handlers (`instructor/v2/providers/openai/handlers.py`).
enum ModePreparation {
    /// The instruction Instructor's JSON and MD_JSON handlers add to the system message: the text of its
    /// `dedent(f"""…""")` with the schema written by `json.dumps(schema, indent=2, ensure_ascii=False)`.
    ///
    /// - Parameters:
    ///   - schema: The response type's schema.
    ///   - lineBreaksBeforeSchema: 3 in the OpenAI handlers' text; its Anthropic handlers' text has 2.
    static func schemaInstruction(_ schema: JSONValue, lineBreaksBeforeSchema: Int = 3) -> String {
        let indent = String(repeating: " ", count: 12)
        return "\n\(indent)As a genius expert, your task is to understand the content and provide\n"
            + "\(indent)the parsed objects in json that match the following json_schema:"
            + String(repeating: "\n", count: lineBreaksBeforeSchema)
            + indent + schema.jsonString(JSONWritingOptions(ensureASCII: false, indent: 2))
            + "\n\n\(indent)Make sure to return an instance of the JSON, not the schema itself\n"
    }

    /// The user message MD_JSON mode appends.
    static let markdownRequest = "Return the correct JSON response within a ```json codeblock. not the JSON_SCHEMA"

    /// The function name of a response type: its title, with what OpenAI does not allow in a name
    /// (`^[a-zA-Z0-9_-]{1,64}$`) replaced.
    static func functionName(_ schema: JSONValue) -> String {
        let title =
            schema["title"]?.stringValue ?? schema["$ref"]?.stringValue?.split(separator: "/").last.map(String.init)
            ?? "Response"
        var scalars = String.UnicodeScalarView()
        for scalar in title.unicodeScalars.prefix(64) {
            let allowed =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
            scalars.append(allowed ? scalar : "_")
        }
        return String(scalars)
    }

    /// Instructor's `generate_openai_schema`: name, description (the docstring, or a sentence naming the
    /// type), and the schema without title and description, with `required` sorted.
    static func functionDefinition(_ schema: JSONValue) -> JSONValue {
        let name = functionName(schema)
        var parameters = JSONObject()
        for (key, value) in schema.objectValue ?? [:] where key != "title" && key != "description" {
            parameters[key] = value
        }
        let required = (schema["required"]?.arrayValue ?? []).compactMap(\.stringValue)
            .sorted(by: JSONWriter.codePointLess)
        parameters["required"] = .array(required.map(JSONValue.string))
        let description =
            schema["description"]?.stringValue
            ?? "Correctly extracted `\(name)` with all the required parameters with correct types"
        return ["name": .string(name), "description": .string(description), "parameters": .object(parameters)]
    }

    static func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest {
        var prepared = request
        let messages = request.messages.map(\.json)
        let artifacts = schema.attachment(ModeArtifacts.self, make: ModeArtifacts.init(schema:))
        switch mode {
        case .tools:
            prepared.tools = artifacts.tools
            prepared.toolChoice = artifacts.toolChoice
            return PreparedRequest(request: prepared, hashedMessages: messages, modeMembers: ["tools", "tool_choice"])
        case .jsonSchema:
            prepared.responseFormat = artifacts.jsonSchemaFormat
            return PreparedRequest(request: prepared, hashedMessages: messages, modeMembers: ["response_format"])
        case .json, .mdJSON:
            if mode == .json { prepared.responseFormat = ["type": "json_object"] }
            var hashed = injectInstruction(artifacts.instruction, into: messages)
            if mode == .mdJSON { hashed.append(["role": "user", "content": .string(markdownRequest)]) }
            hashed = mergeConsecutiveMessages(hashed)
            // Plain role-and-content conversations are sent exactly as Instructor sends them; richer
            // messages (tool calls, names) keep their members and only gain the instruction.
            if request.messages.allSatisfy(isPlain) {
                prepared.messages = try hashed.map(ChatMessage.init(json:))
            } else {
                var kept = try injectInstruction(artifacts.instruction, into: messages).map(ChatMessage.init(json:))
                if mode == .mdJSON { kept.append(.user(markdownRequest)) }
                prepared.messages = kept
            }
            return PreparedRequest(
                request: prepared, hashedMessages: hashed, modeMembers: mode == .json ? ["response_format"] : [])
        default:
            throw ClientError(
                .invalidConfiguration,
                "mode \"\(mode.rawValue)\" is not one the OpenAI-compatible client prepares (tools, json, jsonSchema, mdJSON)"
            )
        }
    }

    private static func isPlain(_ message: ChatMessage) -> Bool {
        message.name == nil && message.toolCalls == nil && message.toolCallID == nil && message.extra.isEmpty
            && message.content != nil
    }

    /// Adds the instruction as Instructor does: to the first message's text when it is a system
    /// message, or as a new system message in front.
    static func injectInstruction(_ instruction: String, into messages: [JSONValue]) -> [JSONValue] {
        var messages = messages
        guard let first = messages.first?.objectValue, first["role"]?.stringValue == "system" else {
            messages.insert(["role": "system", "content": .string(instruction)], at: 0)
            return messages
        }
        var system = first
        switch first["content"] {
        case .string(let text):
            system["content"] = .string(text + "\n\n" + instruction)
        case .array(var parts) where !parts.isEmpty:
            if var part = parts[0].objectValue {
                part["text"] = .string((part["text"]?.stringValue ?? "") + "\n\n" + instruction)
                parts[0] = .object(part)
            }
            system["content"] = .array(parts)
        default:
            messages.insert(["role": "system", "content": .string(instruction)], at: 0)
            return messages
        }
        messages[0] = .object(system)
        return messages
    }

    /// Instructor's `merge_consecutive_messages`: role and content only; consecutive messages of one
    /// role joined (text with a blank line between, or content parts when any content is not text).
    static func mergeConsecutiveMessages(_ messages: [JSONValue]) -> [JSONValue] {
        let flat = messages.allSatisfy { message in
            guard let content = message["content"] else { return true }
            return content.stringValue != nil
        }
        var merged: [(role: String, content: JSONValue)] = []
        for message in messages {
            let role = message["role"]?.stringValue ?? "user"
            var content = message["content"] ?? ""
            if content.isNull { content = "" }
            if !flat, let text = content.stringValue { content = [["type": "text", "text": .string(text)]] }
            if let last = merged.last, last.role == role {
                switch (last.content, content) {
                case (.string(let before), .string(let after)) where flat:
                    merged[merged.count - 1].content = .string(before + "\n\n" + after)
                case (.array(let before), .array(let after)):
                    merged[merged.count - 1].content = .array(before + after)
                case (.array(let before), let single):
                    merged[merged.count - 1].content = .array(before + [single])
                default:
                    merged.append((role, content))
                }
            } else {
                merged.append((role, content))
            }
        }
        return merged.map { ["role": .string($0.role), "content": $0.content] }
    }
}
