// The chat provider for Anthropic's Messages API (`POST /v1/messages`), over URLSession: requests in
// the API's own format, answers read into completions with the message kept, structured answers asked
// for as Instructor asks Claude for them.

public import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``ChatProvider`` for Anthropic's Messages API.
///
/// ```swift
/// let claude = AnthropicProvider(apiKey: key)
/// let client = StructuredClient(provider: claude, cache: try AutoCache(maxSize: 1_000))
/// let user = try await client.create(
///     model: "claude-haiku-4-5", messages: [.system("Be terse."), .user("Jason is 25.")],
///     responseModel: User.self)
/// ```
///
/// Requests are POSTed to `{baseURL}/messages` with `x-api-key`, `anthropic-version` and, when
/// configured, `anthropic-beta` headers, then the extra `headers` (which win). How a ``ChatRequest``
/// is written in the API's terms (system messages hoisted to `system`, tool calls as `tool_use`
/// blocks, `max_tokens` always set) is described at ``complete(_:)``.
///
/// Through ``StructuredClient`` the modes are Instructor's for Anthropic: ``Mode/tools`` forces one
/// tool named after the type whose `input_schema` is the type's schema (with extended thinking on,
/// the tool choice is `auto`, as the API requires); ``Mode/json`` adds Instructor's JSON instruction to
/// `system` and reads the last text block; ``Mode/jsonSchema`` uses the API's native structured
/// outputs (`output_config.format`, on the models that support it). Failed answers are asked for
/// again as the API expects: the assistant's turn, then a `tool_result` with `is_error: true`.
///
/// The message each answer came from is the completion's ``ChatCompletion/raw``, stored with cached
/// answers and restored on a hit; usage counts prompt-cache writes and reads. 429, 529 (overloaded)
/// and other 5xx answers are retried, after `retry-after` when the server gives it. The API key never
/// appears in a description, an error or ``cacheIdentity``.
public struct AnthropicProvider: ChatProvider, DialectSpeaking, CustomStringConvertible, CustomReflectable {
    /// Anthropic's own base URL, `https://api.anthropic.com/v1`.
    public static let anthropicBaseURL: URL = {
        guard let url = URL(string: "https://api.anthropic.com/v1") else { preconditionFailure("a constant URL") }
        return url
    }()

    /// The base URL requests go under.
    public var baseURL: URL { connection.baseURL }
    /// Timeout, retries, limits and defaults.
    public let configuration: Configuration
    /// Who this provider talks to, for the client's cache namespace:
    /// `anthropic:<base URL>;key=sha256:<hex of the API key>`, plus `;headers=sha256:<hex>` when
    /// extra headers are set (normalized as ``OpenAIProvider/cacheIdentity`` is).
    public var cacheIdentity: String { connection.cacheIdentity }

    let connection: ProviderConnection
    var transport: ProviderTransport { connection.transport }

    /// Creates a provider for the Messages API.
    ///
    /// - Parameters:
    ///   - baseURL: The API's base URL; requests go to `{baseURL}/messages`.
    ///   - apiKey: The key sent as `x-api-key`; `nil` for gateways that authenticate otherwise.
    ///   - headers: Extra headers sent with every request.
    ///   - configuration: Timeout, retries, limits and defaults.
    public init(
        baseURL: URL = AnthropicProvider.anthropicBaseURL, apiKey: String?, headers: [String: String] = [:],
        configuration: Configuration = Configuration()
    ) {
        self.configuration = configuration
        connection = ProviderConnection(
            kind: "anthropic", baseURL: baseURL, apiKey: apiKey, credentials: { [.init(name: "x-api-key", value: $0)] },
            headers: headers, limits: configuration.limits)
    }

    var dialect: any ChatDialect { AnthropicDialect(maxTokens: configuration.maxTokens) }

    /// Sends `request` and returns the completion, retrying transient failures.
    ///
    /// The body is written in the Messages API's terms: system and developer messages become the
    /// top-level `system` (text blocks); tool calls become `tool_use` blocks and tool messages
    /// `tool_result` blocks; OpenAI-style `image_url` parts become `image` blocks; `max_tokens` is the
    /// request's, else ``Configuration/maxTokens``; `stop` is sent as `stop_sequences`; the request's
    /// `tools`, `toolChoice` and `responseFormat` are sent as `tools`, `tool_choice` and
    /// `output_config.format`; `extraBody` members (`top_k`, `thinking`, `metadata` …) as they are. A
    /// request with `stream` on is streamed and its events assembled into the same message.
    ///
    /// - Parameter request: The request.
    /// - Returns: The completion; its ``ChatCompletion/raw`` is the message.
    /// - Throws: ``ProviderError``: `http` (with status and the API's message), `invalidResponse`,
    ///   `transport`, `timeout`, `cancelled`, or `invalidRequest` for a parameter the API does not have
    ///   (`n` above 1, `seed`, penalties), a base URL or a header that cannot be sent. No error shows
    ///   the API key.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        do {
            if request.stream {
                var chunks: [ChatCompletionChunk] = []
                for try await chunk in stream(request) { chunks.append(chunk) }
                return try dialect.completion(streamedAs: chunks)
            }
            let urlRequest = try makeURLRequest(request, streaming: false)
            let body = try await transport.send(urlRequest, httpError: AnthropicStreamDecoder.httpError)
            let message: JSONValue
            do {
                message = try JSONValue(parsing: body)
            } catch {
                throw ProviderError.invalidResponse("the response is not JSON: \(error)", underlying: error)
            }
            return try AnthropicMessage.completion(message)
        } catch {
            throw transport.redactor.redact(error)
        }
    }

    /// Sends `request` with streaming on and returns its chunks as they arrive.
    ///
    /// Each event that changes the message is one chunk, with the event as its
    /// ``ChatCompletionChunk/raw`` (see ``ChatCompletionChunk``): text deltas as content, a tool's
    /// `partial_json` as its arguments, the stop reason and the cumulative usage at the end. The
    /// stream ends at `message_stop`; an `error` event ends it with an `http` error (an
    /// `overloaded_error` has status 529), a body cut before `message_stop` with a `transport` error.
    /// Failures before the first chunk are retried; cancelling the iterating task cancels the request.
    ///
    /// - Parameter request: The request.
    /// - Returns: The chunks.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        var request = request
        request.stream = true
        let urlRequest = Result { () throws(ProviderError) in try makeURLRequest(request, streaming: true) }
        return transport.stream(
            urlRequest, decoder: AnthropicStreamDecoder(maximumEventSize: configuration.maximumEventSize))
    }

    /// The provider without its secrets: base URL, header names, version, timeout.
    public var description: String {
        connection.description(
            of: "AnthropicProvider", details: "version: \(configuration.version), timeout: \(configuration.timeout)")
    }

    /// A mirror without the secrets, so `dump` and debuggers show no key either.
    public var customMirror: Mirror { connection.mirror(of: self, configuration: configuration) }

    private func makeURLRequest(_ request: ChatRequest, streaming: Bool) throws(ProviderError) -> URLRequest {
        let body = try AnthropicRequestBody.make(request, defaultMaxTokens: configuration.maxTokens)
        var fixed: [ProviderConnection.Header] = [.init(name: "anthropic-version", value: configuration.version)]
        if !configuration.betas.isEmpty {
            fixed.append(.init(name: "anthropic-beta", value: configuration.betas.joined(separator: ",")))
        }
        return try connection.request(
            path: "messages", body: JSONValue.object(body).jsonBytes(.compact), streaming: streaming,
            fixedHeaders: fixed)
    }
}
