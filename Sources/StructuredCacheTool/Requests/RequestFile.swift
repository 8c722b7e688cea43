// A request file: a call described in JSON (model, messages, the response type's JSON Schema, mode,
// options, provider), whose cache key `structured-cache key` computes through the client's own path.

import Foundation
import StructuredCache
import StructuredCacheCore

/// A call described by a JSON file, for ``KeyCommand``.
///
/// ```json
/// {"model": "gpt-4.1-mini",
///  "messages": [{"role": "user", "content": "hello"}],
///  "schema": {"properties": {"name": {"title": "Name", "type": "string"}}, "required": ["name"],
///             "title": "User", "type": "object"},
///  "mode": "tools",
///  "options": {"temperature": 0.2},
///  "stream": false,
///  "provider": {"kind": "openai", "baseURL": "https://api.openai.com/v1", "apiKeyEnvironment": "OPENAI_API_KEY"},
///  "namespace": "myapp"}
/// ```
struct RequestFile {
    /// How a key is computed.
    enum Scheme {
        /// The client's default key: the whole prepared request under the provider's namespace.
        case standard
        /// Instructor 1.16's request-path key (``StructuredClient/KeyCompatibility/instructor116``).
        case instructor116
        /// Instructor's `make_cache_key` of the file's messages, model, schema and mode as written.
        case makeCacheKey
    }

    /// The members a request file may have.
    static let members = ["model", "messages", "schema", "mode", "options", "stream", "provider", "namespace"]

    /// The provider kinds, and the environment variable each reads its API key from by default.
    static let providerKinds: [(kind: String, keyVariable: String)] = [
        ("openai", "OPENAI_API_KEY"), ("openai-responses", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"),
        ("gemini", "GEMINI_API_KEY"),
    ]

    /// Mode names a file may use besides the mode's own value: the library's and Instructor's.
    static let modeNames: [String: Mode] = [
        "tools": .tools, "json": .json, "jsonSchema": .jsonSchema, "mdJSON": .mdJSON,
        "TOOLS": .tools, "JSON": .json, "JSON_SCHEMA": .jsonSchema, "MD_JSON": .mdJSON,
    ]

    /// The file's path, for messages.
    let path: String
    private let model: String
    /// The messages as written, for `make_cache_key`.
    private let messagesJSON: [JSONValue]
    private let messages: [ChatMessage]
    private let schema: JSONValue
    /// The mode as written, for `make_cache_key`; `tools` when the file names none.
    private let modeText: String
    private let options: RequestOptions
    private let stream: Bool
    private let provider: any ChatProvider
    private let namespace: String?

    /// Reads and checks a request file.
    ///
    /// - Parameter path: Where it is.
    /// - Throws: A failure naming the member that is missing or wrong.
    init(path: String) throws(ToolError) {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .failure("cannot read the request file \(path)")
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .failure("\(path) is not JSON: \(error)")
        }
        func fail(_ message: String) -> ToolError { .failure("\(path): \(message)") }
        guard let object = json.objectValue else { throw fail("a request is a JSON object") }
        if let unknown = object.keys.first(where: { !Self.members.contains($0) }) {
            throw fail("unknown member \"\(unknown)\"; a request has \(Self.members.joined(separator: ", "))")
        }
        guard let model = object["model"]?.stringValue else { throw fail("\"model\" must be the model's name") }
        guard let messages = object["messages"]?.arrayValue else {
            throw fail("\"messages\" must be an array of chat messages")
        }
        guard let schema = object["schema"], schema.objectValue != nil else {
            throw fail("\"schema\" must be the response type's JSON Schema (an object)")
        }
        self.model = model
        messagesJSON = messages
        do {
            self.messages = try messages.map(ChatMessage.init(json:))
        } catch {
            throw fail("\"messages\" holds a message that is not a chat message: \(error)")
        }
        self.schema = schema
        if let mode = object["mode"], mode.stringValue == nil { throw fail("\"mode\" must be a string") }
        modeText = object["mode"]?.stringValue ?? "tools"
        if let stream = object["stream"], stream.boolValue == nil { throw fail("\"stream\" must be true or false") }
        stream = object["stream"]?.boolValue ?? false
        if let namespace = object["namespace"], namespace.stringValue == nil {
            throw fail("\"namespace\" must be a string")
        }
        namespace = object["namespace"]?.stringValue
        do {
            options = try Self.options(object["options"])
            provider = try Self.provider(object["provider"])
        } catch {
            throw fail(error.message)
        }
    }

    /// The mode the client prepares the request for.
    private var mode: Mode { Self.modeNames[modeText] ?? Mode(rawValue: modeText) }

    /// The payload the request's key hashes, and the key, in `scheme`.
    ///
    /// - Throws: A failure when the client cannot key the request (a mode its provider's format cannot
    ///   prepare, Instructor's key for Gemini).
    func payload(_ scheme: Scheme) throws(ToolError) -> CachePayload {
        switch scheme {
        case .makeCacheKey:
            let mode = Mode(rawValue: modeText)
            let payload: JSONValue = [
                "messages": .array(messagesJSON), "mode": .string(modeText), "model": .string(model), "schema": schema,
            ]
            return CachePayload(
                key: makeCacheKey(messages: messagesJSON, model: model, schema: schema, mode: mode),
                text: payload.jsonString(.pythonSorted))
        case .standard, .instructor116:
            let client = StructuredClient(
                provider: provider,
                configuration: .init(
                    namespace: namespace, keyCompatibility: scheme == .instructor116 ? .instructor116 : .standard))
            do {
                return try client.cachePayload(
                    model: model, messages: messages, schema: schema, mode: mode, options: options, streaming: stream)
            } catch {
                throw .failure("\(path): \(error)")
            }
        }
    }

    /// The request body's other members, as the provider sends them: the known sampling and length
    /// parameters by their wire names, anything else as an extra member.
    private static func options(_ json: JSONValue?) throws(ToolError) -> RequestOptions {
        guard let json else { return RequestOptions() }
        guard let object = json.objectValue else { throw .failure("\"options\" must be an object") }
        var options = RequestOptions()
        func number(_ name: String) throws(ToolError) -> Double? {
            guard let value = object[name] else { return nil }
            guard let number = value.doubleValue else { throw .failure("\"options.\(name)\" must be a number") }
            return number
        }
        func integer(_ name: String) throws(ToolError) -> Int? {
            guard let value = object[name] else { return nil }
            guard let number = value.intValue else { throw .failure("\"options.\(name)\" must be a whole number") }
            return number
        }
        options.temperature = try number("temperature")
        options.topP = try number("top_p")
        options.presencePenalty = try number("presence_penalty")
        options.frequencyPenalty = try number("frequency_penalty")
        options.maxTokens = try integer("max_tokens")
        options.maxCompletionTokens = try integer("max_completion_tokens")
        options.seed = try integer("seed")
        if let stop = object["stop"] {
            if let single = stop.stringValue {
                options.stop = [single]
            } else if let list = stop.arrayValue?.compactMap(\.stringValue), list.count == stop.arrayValue?.count {
                options.stop = list
            } else {
                throw .failure("\"options.stop\" must be a string or an array of strings")
            }
        }
        let known = [
            "temperature", "top_p", "presence_penalty", "frequency_penalty", "max_tokens", "max_completion_tokens",
            "seed", "stop",
        ]
        for (name, value) in object where !known.contains(name) { options.extraBody[name] = value }
        return options
    }

    /// The provider a request goes to, which the default key's namespace is derived from.
    private static func provider(_ json: JSONValue?) throws(ToolError) -> any ChatProvider {
        let object = json?.objectValue ?? [:]
        if json != nil, json?.objectValue == nil { throw .failure("\"provider\" must be an object") }
        let allowed = ["kind", "baseURL", "apiKeyEnvironment", "headers"]
        if let unknown = object.keys.first(where: { !allowed.contains($0) }) {
            throw .failure("unknown member \"provider.\(unknown)\"; a provider has \(allowed.joined(separator: ", "))")
        }
        let kind = object["kind"]?.stringValue ?? "openai"
        guard let known = providerKinds.first(where: { $0.kind == kind }) else {
            throw .failure(
                "\"provider.kind\" must be one of \(providerKinds.map(\.kind).joined(separator: ", ")), got \"\(kind)\""
            )
        }
        var baseURL: URL?
        if let text = object["baseURL"] {
            guard let string = text.stringValue, let url = URL(string: string), url.scheme != nil else {
                throw .failure("\"provider.baseURL\" must be a URL")
            }
            baseURL = url
        }
        let variable: String?
        switch object["apiKeyEnvironment"] {
        case nil: variable = known.keyVariable
        case .null?: variable = nil
        case .string(let name)?: variable = name
        default: throw .failure("\"provider.apiKeyEnvironment\" must be an environment variable's name, or null")
        }
        let apiKey = variable.flatMap { ProcessInfo.processInfo.environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        if let given = object["headers"], given.objectValue == nil {
            throw .failure("\"provider.headers\" must be an object of header names and values")
        }
        var headers: [String: String] = [:]
        for (name, value) in object["headers"]?.objectValue ?? [:] {
            guard let value = value.stringValue else { throw .failure("\"provider.headers.\(name)\" must be a string") }
            headers[name] = value
        }
        switch kind {
        case "openai-responses":
            return OpenAIResponsesProvider(
                baseURL: baseURL ?? OpenAIProvider.openAIBaseURL, apiKey: apiKey, headers: headers)
        case "anthropic":
            return AnthropicProvider(
                baseURL: baseURL ?? AnthropicProvider.anthropicBaseURL, apiKey: apiKey, headers: headers)
        case "gemini":
            return GeminiProvider(baseURL: baseURL ?? GeminiProvider.geminiBaseURL, apiKey: apiKey, headers: headers)
        default:
            return OpenAIProvider(baseURL: baseURL ?? OpenAIProvider.openAIBaseURL, apiKey: apiKey, headers: headers)
        }
    }
}
