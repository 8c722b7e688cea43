// The neutral, OpenAI-shaped request translated into the body of Gemini's generateContent: system
// messages hoisted, turns as `contents` of `user` and `model`, options as `generationConfig`.

import StructuredCacheSupport

/// Builds the JSON body Gemini's `generateContent` and `streamGenerateContent` take from a
/// ``ChatRequest``.
///
/// - System and developer messages become `systemInstruction` (one text part each, wherever they are
///   in the conversation; Gemini has one system instruction).
/// - User messages are `user` turns; assistant messages `model` turns, their tool calls
///   `functionCall` parts (the arguments' JSON text read back into an object); tool messages `user`
///   turns with a `functionResponse` part named after the call they answer (the result's JSON object,
///   or `{"result": text}` for a result that is not one). Consecutive turns of one role are merged.
/// - Content parts: OpenAI's `text` parts become text parts, `image_url` parts with a data URL
///   `inlineData` (other URLs `fileData`), `input_audio` parts `inlineData`; parts without a `type`
///   are taken to be Gemini's own and sent as they are.
/// - ``RequestOptions`` become `generationConfig`: `temperature`, `topP`, `maxOutputTokens` (from
///   `maxTokens`, else `maxCompletionTokens`), `stopSequences`, `candidateCount` (from `n`), `seed`,
///   `presencePenalty`, `frequencyPenalty`.
/// - The request's `tools` are sent as `tools`, its `toolChoice` as `toolConfig`, and the members of its
///   `responseFormat` are merged into `generationConfig`; all three are Gemini values (the dialect sets
///   them).
/// - ``RequestOptions/extraBody`` members are merged at the top level of the body where it has no
///   member of that name (`safetySettings`, `cachedContent`, `labels` …); an object under
///   `generationConfig` is merged into it member by member, the members set above winning (`topK`,
///   `thinkingConfig`, `responseModalities` …). A `model` member is not sent: the model is in the URL.
enum GeminiRequestBody {
    /// The body for `request`.
    ///
    /// - Parameter request: The request.
    /// - Returns: The body's members: `contents`, then `systemInstruction`, `generationConfig`, `tools`
    ///   and `toolConfig` when they have something to say, then the extra members.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for a message Gemini has no form for (a role
    ///   it lacks, a tool result answering no known call, tool-call arguments that are not a JSON object,
    ///   a content part type it cannot take).
    static func make(_ request: ChatRequest) throws(ProviderError) -> JSONObject {
        var body = JSONObject(minimumCapacity: 5 + request.options.extraBody.count)
        var system: [JSONValue] = []
        var contents: [(role: String, parts: [JSONValue])] = []
        for (position, message) in request.messages.enumerated() {
            let role: String
            let parts: [JSONValue]
            switch message.role {
            case .system, .developer:
                system += try contentParts(message.content, position: position)
                continue
            case .user:
                role = "user"
                parts = try contentParts(message.content, position: position)
            case .assistant:
                role = "model"
                parts = try modelParts(message, position: position)
            case .tool:
                role = "user"
                parts = [try functionResponse(message, position: position, earlier: request.messages[..<position])]
            default:
                throw ProviderError(
                    code: .invalidRequest,
                    message: "message \(position) has the role \"\(message.role)\", which Gemini has no turn for")
            }
            if let last = contents.last, last.role == role {
                contents[contents.count - 1].parts += parts
            } else {
                contents.append((role, parts))
            }
        }
        body["contents"] = .array(contents.map { ["role": .string($0.role), "parts": .array($0.parts)] })
        if !system.isEmpty { body["systemInstruction"] = ["parts": .array(system)] }
        let configuration = generationConfig(request)
        if !configuration.isEmpty { body["generationConfig"] = .object(configuration) }
        if let tools = request.tools { body["tools"] = .array(tools) }
        if let toolChoice = request.toolChoice { body["toolConfig"] = toolChoice }
        for (key, value) in request.options.extraBody where body[key] == nil && key != "model" { body[key] = value }
        return body
    }

    private static func generationConfig(_ request: ChatRequest) -> JSONObject {
        let options = request.options
        var configuration = JSONObject()
        if let temperature = options.temperature { configuration["temperature"] = .double(temperature) }
        if let topP = options.topP { configuration["topP"] = .double(topP) }
        if let maxTokens = options.maxTokens ?? options.maxCompletionTokens {
            configuration["maxOutputTokens"] = .int(maxTokens)
        }
        if let stop = options.stop { configuration["stopSequences"] = .array(stop.map(JSONValue.string)) }
        if let n = request.n { configuration["candidateCount"] = .int(n) }
        if let seed = options.seed { configuration["seed"] = .int(seed) }
        if let presencePenalty = options.presencePenalty { configuration["presencePenalty"] = .double(presencePenalty) }
        if let frequencyPenalty = options.frequencyPenalty {
            configuration["frequencyPenalty"] = .double(frequencyPenalty)
        }
        for (key, value) in request.responseFormat?.objectValue ?? [:] { configuration[key] = value }
        for (key, value) in options.extraBody["generationConfig"]?.objectValue ?? [:] where configuration[key] == nil {
            configuration[key] = value
        }
        return configuration
    }

    /// The parts of a user or system message's content.
    private static func contentParts(
        _ content: ChatMessage.Content?, position: Int
    ) throws(ProviderError) -> [JSONValue] {
        switch content {
        case .text(let text):
            return [["text": .string(text)]]
        case .parts(let parts):
            var converted: [JSONValue] = []
            for part in parts { converted.append(try contentPart(part, position: position)) }
            return converted
        case nil:
            return []
        }
    }

    private static func contentPart(_ part: JSONValue, position: Int) throws(ProviderError) -> JSONValue {
        guard let type = part["type"]?.stringValue else { return part }
        switch type {
        case "text":
            return ["text": part["text"] ?? ""]
        case "image_url":
            let url = part["image_url"]?["url"]?.stringValue ?? part["image_url"]?.stringValue ?? ""
            if let inline = inlineData(dataURL: url) { return inline }
            return ["fileData": ["fileUri": .string(url)]]
        case "input_audio":
            let format = part["input_audio"]?["format"]?.stringValue ?? "wav"
            return [
                "inlineData": [
                    "mimeType": .string("audio/" + format), "data": part["input_audio"]?["data"] ?? "",
                ]
            ]
        default:
            throw ProviderError(
                code: .invalidRequest,
                message: "message \(position) has a content part of type \"\(type)\", which Gemini cannot take")
        }
    }

    /// `data:<type>;base64,<data>` as an `inlineData` part.
    private static func inlineData(dataURL: String) -> JSONValue? {
        guard dataURL.hasPrefix("data:"), let comma = dataURL.firstIndex(of: ",") else { return nil }
        let header = dataURL[dataURL.index(dataURL.startIndex, offsetBy: 5)..<comma]
        guard header.hasSuffix(";base64") else { return nil }
        let mimeType = header.dropLast(";base64".count)
        return [
            "inlineData": [
                "mimeType": .string(mimeType.isEmpty ? "application/octet-stream" : String(mimeType)),
                "data": .string(String(dataURL[dataURL.index(after: comma)...])),
            ]
        ]
    }

    /// The parts of an assistant message: its content, then a `functionCall` per tool call.
    private static func modelParts(_ message: ChatMessage, position: Int) throws(ProviderError) -> [JSONValue] {
        var parts = try contentParts(message.content, position: position)
        if message.toolCalls?.isEmpty == false {
            // An assistant message that calls tools usually has empty text, which Gemini need not see.
            parts.removeAll { $0.objectValue?.count == 1 && $0["text"] == "" }
        }
        for call in message.toolCalls ?? [] {
            let arguments: JSONValue
            if call.arguments.allSatisfy(\.isWhitespace) {
                arguments = [:]
            } else if let parsed = try? JSONValue(parsing: call.arguments), parsed.objectValue != nil {
                arguments = parsed
            } else {
                throw ProviderError(
                    code: .invalidRequest,
                    message: "message \(position) calls \(call.name) with arguments that are not a JSON object")
            }
            parts.append(["functionCall": ["name": .string(call.name), "args": arguments]])
        }
        return parts
    }

    /// A tool message as a `functionResponse` part, named after the call it answers.
    private static func functionResponse(
        _ message: ChatMessage, position: Int, earlier: ArraySlice<ChatMessage>
    ) throws(ProviderError) -> JSONValue {
        let called = earlier.reversed().lazy.compactMap { previous in
            previous.toolCalls?.first { $0.id == message.toolCallID && message.toolCallID != nil }
        }.first
        guard let name = called?.name ?? message.name else {
            throw ProviderError(
                code: .invalidRequest,
                message: "message \(position) is a tool result for a call no earlier message made, and has no name")
        }
        let text = message.content?.text ?? ""
        let response: JSONValue
        if let parsed = try? JSONValue(parsing: text), parsed.objectValue != nil {
            response = parsed
        } else {
            response = ["result": .string(text)]
        }
        return ["functionResponse": ["name": .string(name), "response": response]]
    }
}
