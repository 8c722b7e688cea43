// Where a provider sends its requests and who it is: the endpoint under a base URL, headers that are
// safe to send, and a cache identity (a normalized base URL and hashes of the credentials) that is
// stable across restarts and free of secrets.

import Foundation
import StructuredCacheSupport

/// The endpoint, header checks and cache identity every HTTP provider builds the same way.
enum ProviderEndpoint {
    /// Query parameter names that may carry a credential; their values are hashed in the identity.
    private static let credentialWords = ["key", "token", "secret", "password", "auth", "sig"]

    /// Builds a provider's cache identity.
    ///
    /// - Parameters:
    ///   - kind: What the provider speaks (`openai-compatible`, `anthropic` …).
    ///   - baseURL: The base URL.
    ///   - apiKey: The API key, if any.
    ///   - headers: The extra headers.
    /// - Returns: `<kind>:<normalized URL>;key=sha256:<hex>|none[;headers=sha256:<hex>]`.
    static func identity(_ kind: String, baseURL: URL, apiKey: String?, headers: [String: String]) -> String {
        var identity = kind + ":" + normalized(baseURL)
        identity += ";key=" + (apiKey.map { "sha256:" + SHA256.hash(string: $0).hexString } ?? "none")
        if !headers.isEmpty {
            var hasher = SHA256()
            for (name, value) in headers.map({ ($0.key.lowercased(), $0.value) }).sorted(by: { $0.0 < $1.0 }) {
                // Lengths first, so that no two header sets can run together into the same text.
                hasher.update(string: "\(name.utf8.count):\(name)\(value.utf8.count):\(value)\n")
            }
            identity += ";headers=sha256:" + hasher.finalize().hexString
        }
        return identity
    }

    /// The base URL with scheme and host lowercased, no default port, no trailing slash, no fragment,
    /// and its credentials (user, password, credential-like query values) hashed.
    static func normalized(_ baseURL: URL) -> String {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: true) else {
            return "sha256:" + SHA256.hash(string: baseURL.absoluteString).hexString
        }
        let scheme = components.scheme?.lowercased()
        components.scheme = scheme
        if let host = components.host { components.host = host.lowercased() }
        if (scheme == "https" && components.port == 443) || (scheme == "http" && components.port == 80) {
            components.port = nil
        }
        if components.user != nil || components.password != nil {
            let userInfo = (components.user ?? "") + ":" + (components.password ?? "")
            components.user = "sha256-" + SHA256.hash(string: userInfo).hexString
            components.password = nil
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        components.percentEncodedPath = path
        components.fragment = nil
        if let items = components.queryItems, !items.isEmpty {
            components.queryItems = items.map { item in
                let name = item.name.lowercased()
                guard let value = item.value, credentialWords.contains(where: name.contains) else { return item }
                return URLQueryItem(name: item.name, value: "sha256:" + SHA256.hash(string: value).hexString)
            }
        }
        return components.string ?? baseURL.absoluteString
    }

    /// `{baseURL}/{path}`, keeping the base URL's query; a base URL already ending in `path` is kept.
    ///
    /// - Parameters:
    ///   - baseURL: The base URL.
    ///   - path: The endpoint's path below it, without a leading slash.
    /// - Returns: The URL, or `nil` when the base URL is not an absolute http or https URL.
    static func url(_ baseURL: URL, path: String) -> URL? {
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return nil }
        var base = components.percentEncodedPath
        while base.hasSuffix("/") { base.removeLast() }
        if !base.hasSuffix("/" + path) { base += "/" + path }
        components.percentEncodedPath = base
        components.fragment = nil
        return components.url
    }

    /// Why the key or a header cannot be sent, or `nil` when all can.
    ///
    /// - Parameters:
    ///   - secret: The API key.
    ///   - headers: The extra headers.
    /// - Returns: The problem, naming the header but never showing a value.
    static func headerProblem(secret: String?, headers: [String: String]) -> String? {
        // A line break in a header would let a value smuggle in headers of its own.
        func isUnsafe(_ text: String) -> Bool { text.utf8.contains { $0 == 0x0A || $0 == 0x0D || $0 == 0 } }
        if let secret, isUnsafe(secret) { return "the API key contains a line break or NUL" }
        for (name, value) in headers {
            let validName =
                !name.isEmpty
                && name.utf8.allSatisfy { byte in
                    byte > 0x20 && byte < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains(byte)
                }
            if !validName { return "the header name \"\(name)\" is not an HTTP token" }
            if isUnsafe(value) { return "the value of header \(name) contains a line break or NUL" }
        }
        return nil
    }
}
