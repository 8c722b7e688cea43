// The provider's cache identity: a normalized base URL and hashes of the credentials, stable across
// restarts and free of secrets.

import Foundation
import StructuredCacheSupport

extension OpenAIProvider {
    /// Query parameter names that may carry a credential; their values are hashed in the identity.
    private static let credentialWords = ["key", "token", "secret", "password", "auth", "sig"]

    /// Builds ``cacheIdentity``.
    ///
    /// - Parameters:
    ///   - baseURL: The base URL.
    ///   - apiKey: The API key, if any.
    ///   - headers: The extra headers.
    /// - Returns: `openai-compatible:<normalized URL>;key=sha256:<hex>|none[;headers=sha256:<hex>]`.
    static func identity(baseURL: URL, apiKey: String?, headers: [String: String]) -> String {
        var identity = "openai-compatible:" + normalized(baseURL)
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
}
