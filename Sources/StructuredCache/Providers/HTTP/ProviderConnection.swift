// What every HTTP provider holds the same way: its base URL, its credential and extra headers, the cache
// identity they give, the transport that sends its requests, and descriptions that show no secret.

import Foundation
import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A provider's base URL, credentials and transport.
///
/// Requests carry, in this order, the provider's fixed headers (an API version), its credential
/// headers (made from the API key) and the caller's extra headers, which win over both. A key or
/// header that cannot be sent (a line break, a name that is not an HTTP token) and a base URL that is
/// not absolute http or https are found once, here, and make every request fail with
/// `invalidRequest` rather than send something else.
struct ProviderConnection: Sendable {
    /// The base URL requests go under.
    let baseURL: URL
    /// `<kind>:<normalized base URL>;key=…[;headers=…]` (``ProviderEndpoint/identity(_:baseURL:apiKey:headers:)``).
    let cacheIdentity: String
    /// Sends the requests; its redactor knows the credentials.
    let transport: ProviderTransport
    private let hasAPIKey: Bool
    private let credentialHeaders: [Header]
    private let headers: [String: String]
    private let problem: String?

    /// One header to send.
    struct Header: Sendable {
        var name: String
        var value: String
    }

    /// Creates the connection of one provider.
    ///
    /// - Parameters:
    ///   - kind: What the provider speaks, for its identity (`anthropic`, `gemini` …).
    ///   - baseURL: The base URL.
    ///   - apiKey: The API key, if any.
    ///   - credentials: The headers that carry the key (`Authorization: Bearer …`, `x-api-key: …`).
    ///   - headers: The caller's extra headers.
    ///   - limits: The transport's timeout, sizes and retries.
    init(
        kind: String, baseURL: URL, apiKey: String?, credentials: (String) -> [Header], headers: [String: String],
        limits: ProviderTransport.Limits
    ) {
        self.baseURL = baseURL
        self.headers = headers
        hasAPIKey = apiKey != nil
        credentialHeaders = apiKey.map(credentials) ?? []
        problem =
            ProviderEndpoint.url(baseURL, path: "x") == nil
            ? "the base URL \(baseURL.redactedDescription) is not an absolute http or https URL"
            : ProviderEndpoint.headerProblem(secret: apiKey, headers: headers)
        cacheIdentity = ProviderEndpoint.identity(kind, baseURL: baseURL, apiKey: apiKey, headers: headers)
        transport = ProviderTransport(
            limits: limits, redactor: Redactor(apiKey: apiKey, headers: headers, baseURL: baseURL))
    }

    /// The POST of `body` to `path` below the base URL.
    ///
    /// - Parameters:
    ///   - path: The endpoint's path below the base URL (a base URL already ending in it is kept).
    ///   - query: Query items added to the base URL's own.
    ///   - body: The JSON body.
    ///   - streaming: Whether the answer is an event stream.
    ///   - fixedHeaders: Headers the provider always sends, before its credentials.
    /// - Returns: The request.
    /// - Throws: ``ProviderError`` with code `invalidRequest` for an unusable base URL, key or header.
    func request(
        path: String, query: [URLQueryItem] = [], body: [UInt8], streaming: Bool, fixedHeaders: [Header] = []
    ) throws(ProviderError) -> URLRequest {
        if let problem { throw ProviderError(code: .invalidRequest, message: problem) }
        guard var url = ProviderEndpoint.url(baseURL, path: path) else {
            throw ProviderError(code: .invalidRequest, message: "the endpoint \(path) cannot be built")
        }
        if !query.isEmpty {
            guard var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else {
                throw ProviderError(code: .invalidRequest, message: "the endpoint \(path) cannot be built")
            }
            components.queryItems = (components.queryItems ?? []) + query
            guard let withQuery = components.url else {
                throw ProviderError(code: .invalidRequest, message: "the endpoint \(path) cannot be built")
            }
            url = withQuery
        }
        let sent = fixedHeaders + credentialHeaders + headers.map { Header(name: $0.key, value: $0.value) }
        return transport.makeRequest(
            url: url, body: body, streaming: streaming, headers: sent.map { ($0.name, $0.value) })
    }

    /// `<type>(baseURL: …, apiKey: <redacted>|none, headers: [names], <details>)`: the provider without
    /// its secrets.
    func description(of type: String, details: String) -> String {
        let names = headers.keys.map { $0.lowercased() }.sorted()
        return "\(type)(baseURL: \(baseURL.redactedDescription), apiKey: \(hasAPIKey ? "<redacted>" : "none"), "
            + "headers: \(names), \(details))"
    }

    /// A mirror of `subject` without the secrets, so `dump` and debuggers show no key either.
    func mirror(of subject: Any, configuration: Any) -> Mirror {
        Mirror(
            subject,
            children: [
                "baseURL": baseURL.redactedDescription, "cacheIdentity": cacheIdentity, "configuration": configuration,
            ])
    }
}
