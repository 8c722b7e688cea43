// The chat provider for OpenAI's Responses API (`POST {baseURL}/responses`), over URLSession, with
// its own wire format and the dialect that asks it for structured answers.

public import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``ChatProvider`` for OpenAI's Responses API.
///
/// ```swift
/// let provider = OpenAIResponsesProvider(apiKey: key)
/// let client = StructuredClient(provider: provider, cache: try AutoCache(maxSize: 1_000),
///                               configuration: .init(defaultModel: "gpt-4.1-mini", mode: .jsonSchema))
/// ```
///
/// Requests are POSTed to `{baseURL}/responses` (a base URL's query is kept) as compact JSON, with an
/// `Authorization: Bearer` header when an API key is given and the extra `headers` (which win over the
/// provider's own). The neutral ``ChatRequest`` is translated as `ResponsesRequestBody` describes:
/// messages become `input` items (system messages stay in place rather than moving to
/// `instructions`), tool calls and results become `function_call` and `function_call_output` items;
/// `maxCompletionTokens` (else `maxTokens`), `temperature` and `top_p` are sent, while `stop`, `seed`,
/// the penalties and `n`, which the Responses API does not take, are not; ``ChatRequest/tools`` and
/// ``ChatRequest/toolChoice`` are sent in the Responses shape (`{"type": "function", "name", …}`),
/// ``ChatRequest/responseFormat`` as `text.format`; `extraBody` members are added at the top level.
/// `store` is `false` unless ``Configuration/store`` or `extraBody` says otherwise, so OpenAI keeps no
/// state the provider never reads back.
///
/// The response object becomes a ``ChatCompletion`` whose ``ChatCompletion/raw`` is the response as it
/// arrived: output text is the content, `refusal` parts the refusal, `function_call` items the tool
/// calls (their ids are the `call_id`s), `reasoning` items are skipped; `incomplete` responses finish
/// with `length` (`max_output_tokens`) or `content_filter`; usage reads `input_tokens`,
/// `output_tokens`, `total_tokens` and `input_tokens_details.cached_tokens`.
///
/// With ``StructuredClient``, use ``Mode/jsonSchema``: the answer comes as strict structured output
/// (`text.format` with the schema in OpenAI's strict form). ``Mode/tools`` (the client's default)
/// sends what Instructor 1.16's `RESPONSES_TOOLS` mode sends, and is the only mode with an
/// ``StructuredClient/KeyCompatibility/instructor116`` key. ``Mode/json`` and ``Mode/mdJSON`` work too.
///
/// Failures are ``ProviderError``s as ``OpenAIProvider`` throws them (an HTTP error status is `http`
/// with the message of OpenAI's error body), plus `http` for a response that failed (its error's
/// message). Transient failures are retried as ``Configuration`` bounds. The API key is never part of
/// a description, an error or ``cacheIdentity``.
public struct OpenAIResponsesProvider: ChatProvider, CustomStringConvertible, CustomReflectable {
    /// The base URL requests go under.
    public var baseURL: URL { connection.baseURL }
    /// Timeout, retries, limits and `store`.
    public let configuration: Configuration
    /// Who this provider talks to, for the client's cache namespace:
    /// `openai-responses:<base URL>;key=sha256:<hex of the API key>`, plus `;headers=sha256:<hex>`
    /// when extra headers are set, normalized as ``OpenAIProvider/cacheIdentity`` is. It differs from
    /// the chat completions provider's at the same endpoint, so their entries never mix.
    public var cacheIdentity: String { connection.cacheIdentity }

    let connection: ProviderConnection
    var transport: ProviderTransport { connection.transport }

    /// Creates a provider for OpenAI's Responses API.
    ///
    /// - Parameters:
    ///   - baseURL: The API's base URL, `https://api.openai.com/v1` by default; requests go to
    ///     `{baseURL}/responses` (a base URL that already ends with `/responses` is used as is).
    ///   - apiKey: The key sent as `Authorization: Bearer <key>`; `nil` for servers that need none or
    ///     for keys sent in `headers`.
    ///   - headers: Extra headers sent with every request (organization, project …).
    ///   - configuration: Timeout, retries, limits and `store`.
    public init(
        baseURL: URL = OpenAIProvider.openAIBaseURL, apiKey: String?, headers: [String: String] = [:],
        configuration: Configuration = Configuration()
    ) {
        self.configuration = configuration
        connection = ProviderConnection(
            kind: "openai-responses", baseURL: baseURL, apiKey: apiKey,
            credentials: { [.init(name: "Authorization", value: "Bearer \($0)")] }, headers: headers,
            limits: configuration.limits)
    }

    /// Sends `request` and returns the completion, retrying transient failures.
    ///
    /// A request that asks for streaming (``ChatRequest/stream``) is streamed, and the completion is
    /// the response its final event carries.
    ///
    /// - Parameter request: The request.
    /// - Returns: The completion; its ``ChatCompletion/raw`` is the Responses API's response object.
    /// - Throws: ``ProviderError``: `http` (with status and OpenAI's message, or a failed response's
    ///   message), `invalidResponse`, `transport`, `timeout`, `cancelled`, or `invalidRequest` for a base
    ///   URL or header that cannot be sent. Its message shows none of the provider's credentials.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        do {
            if request.stream {
                var last: [ChatCompletionChunk] = []
                for try await chunk in stream(request) { last = [chunk] }
                return try dialect.completion(streamedAs: last)
            }
            let urlRequest = try makeURLRequest(body: body(for: request), streaming: false)
            let bytes = try await transport.send(urlRequest, httpError: OpenAIProvider.httpError)
            return try ResponsesResponse.completion(parsing: bytes)
        } catch {
            // Error bodies echo keys (OpenAI's 401 does, masked) and URLSession's errors carry the URL.
            throw transport.redactor.redact(error)
        }
    }

    /// The provider without its secrets: base URL, header names, timeout, `store`.
    public var description: String {
        let store = configuration.store.map { "\($0)" } ?? "nil"
        return connection.description(
            of: "OpenAIResponsesProvider", details: "timeout: \(configuration.timeout), store: \(store)")
    }

    /// A mirror without the secrets, so `dump` and debuggers show no key either.
    public var customMirror: Mirror { connection.mirror(of: self, configuration: configuration) }

    // MARK: - Requests

    /// The body sent for `request`, as compact JSON.
    func body(for request: ChatRequest) -> [UInt8] {
        JSONValue.object(ResponsesRequestBody.make(request, store: configuration.store)).jsonBytes(.compact)
    }

    /// Builds the POST of `body` to the responses endpoint.
    ///
    /// - Parameters:
    ///   - body: The JSON body.
    ///   - streaming: Whether the answer is an event stream.
    /// - Returns: The request.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for an unusable base URL or header.
    func makeURLRequest(body: [UInt8], streaming: Bool) throws(ProviderError) -> URLRequest {
        try connection.request(path: "responses", body: body, streaming: streaming)
    }
}

extension OpenAIResponsesProvider: DialectSpeaking {
    /// The Responses API's dialect, sending the configured `store`.
    var dialect: any ChatDialect { OpenAIResponsesDialect(store: configuration.store) }
}
