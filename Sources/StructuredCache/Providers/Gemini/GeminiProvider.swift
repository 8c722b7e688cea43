// The chat provider for Google's Gemini API (the Generative Language API's generateContent), over
// URLSession: the neutral request translated into Gemini's body, its answers read back.

public import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``ChatProvider`` for Google's Gemini API.
///
/// ```swift
/// let gemini = GeminiProvider(apiKey: key)
/// let client = StructuredClient(provider: gemini, cache: try AutoCache(maxSize: 1_000))
/// let user = try await client.create(model: "gemini-2.5-flash", messages: [.user("Jason is 25.")],
///                                    responseModel: User.self)
/// ```
///
/// A request is POSTed to `{baseURL}/models/{model}:generateContent` (the model name percent-encoded
/// as one path segment; a name given as `models/…` or `tunedModels/…` keeps its collection), or, when
/// it streams, to `{baseURL}/models/{model}:streamGenerateContent?alt=sse`, with the key in an
/// `x-goog-api-key` header (never in the URL) and the extra `headers` (which win over the provider's
/// own). The body is the request translated into Gemini's format: system and developer messages as
/// `systemInstruction`, the turns as `contents` (`user` and `model`, tool calls as `functionCall` parts,
/// tool results as `functionResponse` parts), the options as `generationConfig`, the request's `tools`
/// as `tools`, its `toolChoice` as `toolConfig`, the members of its `responseFormat` merged into
/// `generationConfig`, and ``RequestOptions/extraBody`` merged at the top level (an object under
/// `generationConfig` into it), where the body has no member of that name; see ``ChatRequest`` for
/// what each option is.
///
/// Answers are read into ``ChatCompletion`` (its `raw` is Gemini's JSON): the text of the parts that
/// are not thoughts as content, `functionCall` parts as tool calls, the finish reason in OpenAI's words
/// (`STOP` → `stop`, `MAX_TOKENS` → `length`, `SAFETY` and the other filters → `content_filter`), a
/// blocked prompt or filtered answer as a refusal, and the usage with its cached prompt tokens.
///
/// Failures are ``ProviderError``s: an HTTP error status becomes `http` with the status and Google's
/// message; a malformed body `invalidResponse`; a broken connection `transport`; an endpoint silent for
/// longer than the configured `timeout` `timeout`; a cancelled task `cancelled`. 408, 429, 5xx, broken
/// connections and timeouts are retried, with exponential backoff and jitter or the server's
/// `Retry-After`, as ``Configuration`` bounds.
///
/// With ``StructuredClient``, tools mode sends one function declaration for the response type with a
/// forced call (`toolConfig` mode `ANY`), and JSON mode (and JSON-schema mode, the same native
/// structured output here) `responseMimeType: application/json` with the schema, as Instructor 1.16's
/// GenAI handlers do. Markdown JSON mode is not available, and neither is Instructor's key, which hashes
/// the printed form of google-genai SDK objects.
///
/// The provider owns one URLSession (ephemeral: no cookies, no cache) shared by its copies. The API key
/// is never part of a description, a log line or ``cacheIdentity``, and the errors it throws hide the
/// provider's credentials.
public struct GeminiProvider: ChatProvider, CustomStringConvertible, CustomReflectable {
    /// Google's base URL for the Gemini API, `https://generativelanguage.googleapis.com/v1beta`.
    public static let geminiBaseURL: URL = {
        guard let url = URL(string: "https://generativelanguage.googleapis.com/v1beta") else {
            preconditionFailure("a constant URL")
        }
        return url
    }()

    /// The base URL requests go under.
    public var baseURL: URL { connection.baseURL }
    /// Timeout, retries, limits and where JSON mode sends the schema.
    public let configuration: Configuration
    /// Who this provider talks to, for the client's cache namespace:
    /// `gemini:<base URL>;key=sha256:<hex of the API key>`, plus `;headers=sha256:<hex>` when extra
    /// headers are set (normalized as ``OpenAIProvider/cacheIdentity`` is).
    public var cacheIdentity: String { connection.cacheIdentity }

    let connection: ProviderConnection
    var transport: ProviderTransport { connection.transport }

    /// Creates a provider for the Gemini API.
    ///
    /// - Parameters:
    ///   - baseURL: The API's base URL, such as `https://generativelanguage.googleapis.com/v1beta` or a
    ///     gateway's; requests go to `{baseURL}/models/{model}:generateContent`.
    ///   - apiKey: The key sent as `x-goog-api-key`; `nil` for gateways that need none or for keys sent
    ///     in `headers`.
    ///   - headers: Extra headers sent with every request.
    ///   - configuration: Timeout, retries, limits and where JSON mode sends the schema.
    public init(
        baseURL: URL = GeminiProvider.geminiBaseURL, apiKey: String?, headers: [String: String] = [:],
        configuration: Configuration = Configuration()
    ) {
        self.configuration = configuration
        connection = ProviderConnection(
            kind: "gemini", baseURL: baseURL, apiKey: apiKey,
            credentials: { [.init(name: "x-goog-api-key", value: $0)] },
            headers: headers, limits: configuration.limits)
    }

    /// Sends `request` and returns the completion, retrying transient failures.
    ///
    /// A request that asks for streaming (``ChatRequest/stream``) is streamed and its chunks merged
    /// into the response they make, so the result is the same completion either way.
    ///
    /// - Parameter request: The request.
    /// - Returns: The completion; its `raw` is Gemini's response.
    /// - Throws: ``ProviderError``: `http` (with status and Google's message), `invalidResponse`,
    ///   `transport`, `timeout`, `cancelled`, or `invalidRequest` for a base URL, model name, header or
    ///   message that cannot be sent. Its message and underlying error show none of the provider's
    ///   credentials.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        do {
            if request.stream {
                var chunks: [ChatCompletionChunk] = []
                for try await chunk in stream(request) { chunks.append(chunk) }
                return try dialect.completion(streamedAs: chunks)
            }
            let urlRequest = try makeURLRequest(for: request, streaming: false)
            return try GeminiResponse.completion(
                parsing: try await transport.send(urlRequest, httpError: Self.httpError))
        } catch {
            throw transport.redactor.redact(error)
        }
    }

    /// The provider without its secrets: base URL, header names, timeout.
    public var description: String {
        connection.description(of: "GeminiProvider", details: "timeout: \(configuration.timeout)")
    }

    /// A mirror without the secrets, so `dump` and debuggers show no key either.
    public var customMirror: Mirror { connection.mirror(of: self, configuration: configuration) }

    // MARK: - Requests

    /// Builds the POST of `request`'s Gemini body to its model's endpoint.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - streaming: Whether to ask for an event stream.
    /// - Returns: The request.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for an unusable base URL, model name,
    ///   header or message.
    func makeURLRequest(for request: ChatRequest, streaming: Bool) throws(ProviderError) -> URLRequest {
        let method = streaming ? ":streamGenerateContent" : ":generateContent"
        let path = try Self.modelPath(request.model) + method
        let body = JSONValue.object(try GeminiRequestBody.make(request)).jsonBytes(.compact)
        return try connection.request(
            path: path, query: streaming ? [URLQueryItem(name: "alt", value: "sse")] : [], body: body,
            streaming: streaming)
    }

    /// The model's resource path, `models/<percent-encoded name>`.
    static func modelPath(_ model: String) throws(ProviderError) -> String {
        var collection = "models"
        var name = Substring(model)
        for prefix in ["models/", "tunedModels/"] where name.hasPrefix(prefix) {
            collection = String(prefix.dropLast())
            name = name.dropFirst(prefix.count)
            break
        }
        guard !name.isEmpty else {
            throw ProviderError(code: .invalidRequest, message: "the model name \"\(model)\" is empty")
        }
        let unreserved = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        guard let encoded = name.addingPercentEncoding(withAllowedCharacters: unreserved) else {
            throw ProviderError(code: .invalidRequest, message: "the model name \"\(model)\" cannot be encoded")
        }
        return collection + "/" + encoded
    }
}

extension GeminiProvider: DialectSpeaking {
    /// Gemini's way of asking for structured answers.
    var dialect: any ChatDialect { GeminiDialect(jsonModeSchema: configuration.jsonModeSchema) }
}
