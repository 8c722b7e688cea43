// The chat provider for OpenAI and every server that speaks its chat completions API (Azure-style
// deployments, Ollama, vLLM, llama.cpp's server, LM Studio …), over URLSession.

public import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``ChatProvider`` for OpenAI-compatible chat completion endpoints.
///
/// ```swift
/// let openAI = OpenAIProvider(apiKey: key)
/// let local = OpenAIProvider(baseURL: URL(string: "http://localhost:11434/v1")!, apiKey: nil)
/// let azure = OpenAIProvider(
///     baseURL: URL(string: "https://res.openai.azure.com/openai/deployments/gpt4o?api-version=2024-06-01")!,
///     apiKey: nil, headers: ["api-key": azureKey])
/// ```
///
/// Requests are POSTed to `{baseURL}/chat/completions` (a base URL's query, such as Azure's
/// `api-version`, is kept) with the request's ``ChatRequest/body`` as compact JSON, an
/// `Authorization: Bearer` header when an API key is given, and the extra `headers` (which win over
/// the provider's own, `Authorization` included).
///
/// Failures are ``ProviderError``s: an HTTP error status becomes `http` with the status and the
/// message of the provider's error body; a malformed body `invalidResponse`; a broken connection
/// `transport`; an endpoint silent for longer than the configured `timeout` `timeout`; a cancelled task `cancelled`.
/// 408, 429, 5xx, broken connections and timeouts are retried, with exponential backoff and jitter
/// or the server's `Retry-After`, as ``Configuration`` bounds.
///
/// The provider owns one URLSession (ephemeral: no cookies, no cache) shared by its copies and
/// invalidated when the last copy goes away. The API key is never part of a description, a log line
/// or ``cacheIdentity``, and the errors it throws hide the provider's credentials (the API key, the
/// values of credential headers, the base URL's user info and credential query values) and anything
/// shaped like one, such as the masked key a 401 body echoes.
public struct OpenAIProvider: ChatProvider, CustomStringConvertible, CustomReflectable {
    /// OpenAI's own base URL, `https://api.openai.com/v1`.
    public static let openAIBaseURL: URL = {
        guard let url = URL(string: "https://api.openai.com/v1") else { preconditionFailure("a constant URL") }
        return url
    }()

    /// The base URL requests go under.
    public var baseURL: URL { connection.baseURL }
    /// Timeout, retries and limits.
    public let configuration: Configuration
    /// Who this provider talks to, for the client's cache namespace:
    /// `openai-compatible:<base URL>;key=sha256:<hex of the API key>`, plus
    /// `;headers=sha256:<hex>` when extra headers are set.
    ///
    /// The base URL is normalized (scheme and host lowercased, default port and trailing slashes
    /// dropped, query kept; user and password, and query values whose names look like credentials,
    /// are replaced by their SHA-256). The key part is `key=none` without an API key. The headers'
    /// hash covers every extra header's lowercased name and value, since headers such as
    /// `OpenAI-Organization` or Azure's `api-key` change the account. The same configuration gives the
    /// same identity across restarts and machines; no secret appears in it.
    public var cacheIdentity: String { connection.cacheIdentity }

    let connection: ProviderConnection
    var transport: ProviderTransport { connection.transport }

    /// Creates a provider for an OpenAI-compatible endpoint.
    ///
    /// - Parameters:
    ///   - baseURL: The API's base URL, such as `https://api.openai.com/v1` or
    ///     `http://localhost:11434/v1`; requests go to `{baseURL}/chat/completions` (a base URL that
    ///     already ends with `/chat/completions` is used as is).
    ///   - apiKey: The key sent as `Authorization: Bearer <key>`; `nil` for servers that need none or
    ///     for keys sent in `headers` (Azure's `api-key`).
    ///   - headers: Extra headers sent with every request (organization, project, tenant …).
    ///   - configuration: Timeout, retries and limits.
    public init(
        baseURL: URL = OpenAIProvider.openAIBaseURL, apiKey: String?, headers: [String: String] = [:],
        configuration: Configuration = Configuration()
    ) {
        self.configuration = configuration
        connection = ProviderConnection(
            kind: "openai-compatible", baseURL: baseURL, apiKey: apiKey,
            credentials: { [.init(name: "Authorization", value: "Bearer \($0)")] }, headers: headers,
            limits: configuration.limits)
    }

    /// Sends `request` and returns the completion, retrying transient failures.
    ///
    /// A request whose body asks for streaming (`"stream": true`) is streamed and its chunks
    /// assembled, so the result is the same completion either way.
    ///
    /// - Parameter request: The request.
    /// - Returns: The completion.
    /// - Throws: ``ProviderError``: `http` (with status and the provider's message), `invalidResponse`,
    ///   `transport`, `timeout`, `cancelled`, or `invalidRequest` for a base URL or header that cannot
    ///   be sent. Its message and underlying error show none of the provider's credentials.
    public func complete(_ request: ChatRequest) async throws -> ChatCompletion {
        do {
            let body = request.body
            if body["stream"]?.boolValue == true {
                var accumulator = ChatCompletionAccumulator()
                for try await chunk in stream(request) { accumulator.add(chunk) }
                return try accumulator.makeCompletion()
            }
            let urlRequest = try makeURLRequest(body: JSONValue.object(body).jsonBytes(.compact), streaming: false)
            return try ChatCompletion(parsing: try await transport.send(urlRequest, httpError: Self.httpError))
        } catch {
            // Error bodies echo keys (OpenAI's 401 does, masked) and URLSession's errors carry the URL.
            throw transport.redactor.redact(error)
        }
    }

    /// The provider without its secrets: base URL, header names, timeout.
    public var description: String {
        connection.description(of: "OpenAIProvider", details: "timeout: \(configuration.timeout)")
    }

    /// A mirror without the secrets, so `dump` and debuggers show no key either.
    public var customMirror: Mirror { connection.mirror(of: self, configuration: configuration) }

    // MARK: - Requests

    /// Builds the POST of `body` to the chat completions endpoint.
    ///
    /// - Parameters:
    ///   - body: The JSON body.
    ///   - streaming: Whether the answer is an event stream.
    /// - Returns: The request.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for an unusable base URL or header.
    func makeURLRequest(body: [UInt8], streaming: Bool) throws(ProviderError) -> URLRequest {
        try connection.request(path: "chat/completions", body: body, streaming: streaming)
    }
}
