// Keeping credentials out of text meant for people (error messages, descriptions, logs). One type knows
// what a credential looks like, so that every error and every description hides the same things.

package import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Replaces credentials in text, and in errors, with `***`.
///
/// Hides, in this order:
/// - the configured secrets (an API key, the values of credential headers, a password), as they are
///   and percent-encoded, and echoes of them masked as servers mask keys (`abcd…wxyz`, `****wxyz`);
/// - whatever the configuration: the user info of URLs (`https://***@host`); the values of query
///   parameters whose names look like credentials (`api-key=***`, see ``isCredentialName(_:inQuery:)``);
///   `Bearer` and `Basic` credentials; tokens shaped like API keys (`sk-…`, `sk-proj-…`, and masked
///   echoes such as `sk-proj-****abcd` or `sk-...abcd`); words masked with `***`; JSON Web Tokens.
///
/// The rest of the text is kept, so that a message still says what failed.
package struct Redactor: Sendable, CustomStringConvertible, CustomReflectable {
    /// What replaces a credential.
    package static let mark = "***"

    /// The redactor that knows no secret, only the shapes of credentials: for descriptions of values
    /// made anywhere.
    package static let standard = Redactor(secrets: [])

    /// Secrets shorter than this are left to the shape rules: hiding every occurrence of one or two
    /// letters would wreck the text, and show where those letters are.
    static let minimumSecretLength = 4

    /// The configured secrets and their percent-encoded forms, longest first.
    private let secrets: [String]
    /// Per configured secret: a word ending in its last four characters after a mask (`…`, `...`, `*`).
    private let maskedEchoes: [NSRegularExpression]

    /// Creates a redactor that also hides `secrets` wherever they appear.
    ///
    /// - Parameter secrets: Credentials to hide verbatim; empty and very short ones are skipped.
    package init(secrets: some Sequence<String>) {
        var variants: Set<String> = []
        var echoes: [NSRegularExpression] = []
        for secret in secrets where secret.count >= Self.minimumSecretLength {
            variants.insert(secret)
            for allowed in [CharacterSet.alphanumerics, .urlQueryAllowed, .urlPasswordAllowed] {
                if let encoded = secret.addingPercentEncoding(withAllowedCharacters: allowed) {
                    variants.insert(encoded)
                }
            }
            // Servers that echo a key show its last four characters; a shorter secret would leave
            // nothing but the mask.
            if secret.count >= 8 {
                let tail = NSRegularExpression.escapedPattern(for: String(secret.suffix(4)))
                echoes.append(Self.pattern(#"(?<![\w\-])[\w\-]*(?:\*+|\.{3}|…)"# + tail + #"(?![\w\-])"#))
            }
        }
        self.secrets = variants.sorted { $0.count > $1.count }
        maskedEchoes = echoes
    }

    /// A redactor for what an OpenAI-compatible provider is configured with.
    ///
    /// - Parameters:
    ///   - apiKey: The API key.
    ///   - headers: The extra headers; the values of those named like credentials are secrets, with and
    ///     without an authentication scheme (`Bearer`, `Basic` …).
    ///   - baseURL: The base URL; its user, password and credential-like query values are secrets.
    package init(apiKey: String?, headers: [String: String], baseURL: URL) {
        var secrets: [String] = apiKey.map { [$0] } ?? []
        for (name, value) in headers where Self.isCredentialName(name) {
            secrets.append(value)
            if let space = value.firstIndex(of: " ") {
                secrets.append(value[value.index(after: space)...].trimmingCharacters(in: .whitespaces))
            }
        }
        if let components = URLComponents(url: baseURL, resolvingAgainstBaseURL: true) {
            // A user name beside a password is no secret; a user name alone is a token (`https://TOKEN@host`).
            let userInfo =
                components.password == nil
                ? [components.user, components.percentEncodedUser]
                : [components.password, components.percentEncodedPassword]
            secrets += userInfo.compactMap { $0 }
            for item in components.queryItems ?? [] where Self.isCredentialName(item.name) {
                if let value = item.value { secrets.append(value) }
            }
        }
        self.init(secrets: secrets)
    }

    // MARK: - Text

    /// `text` with every credential replaced by ``mark``.
    ///
    /// - Parameter text: Any text.
    /// - Returns: The text without credentials.
    package func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: Self.mark)
        }
        for echo in maskedEchoes { text = Self.replace(echo, in: text, with: Self.mark) }
        text = Self.replace(Self.userInfo, in: text, with: Self.mark + "@")
        text = Self.replace(Self.parameter, in: text) { groups in
            guard let name = groups[1], Self.isCredentialName(name, inQuery: groups[0]?.isEmpty == false) else {
                return nil
            }
            return (groups[0] ?? "") + name + "=" + Self.mark
        }
        text = Self.replace(Self.authorization, in: text) { groups in
            (groups[0] ?? groups[1] ?? "") + " " + Self.mark
        }
        for shape in [Self.keyShaped, Self.masked, Self.webToken] {
            text = Self.replace(shape, in: text, with: Self.mark)
        }
        return text
    }

    /// Whether a query parameter or header named `name` may carry a credential.
    ///
    /// Case, `-` and `_` are ignored; the name is a credential's when it contains `key`, `token`,
    /// `secret`, `passw`, `auth`, `signature`, `credential`, `cookie` or `session` (but does not end in
    /// `tokens`, as `max_tokens` does), or, in a query, is `code`, `sig`, `pwd`, `pass` or `jwt`.
    ///
    /// - Parameters:
    ///   - name: The parameter's or header's name.
    ///   - inQuery: Whether the name is a URL query's (or a header's); outside a query, short names
    ///     such as `code` are ordinary words (`Code=-1004` in an `NSError`'s description).
    package static func isCredentialName(_ name: String, inQuery: Bool = true) -> Bool {
        let folded = String(name.lowercased().unicodeScalars.filter(CharacterSet.alphanumerics.contains))
        if inQuery, ["code", "sig", "pwd", "pass", "jwt"].contains(folded) { return true }
        // Counts of tokens (`max_tokens`, `prompt_tokens`) are not credentials.
        if folded.hasSuffix("tokens") { return false }
        return ["key", "token", "secret", "passw", "auth", "signature", "credential", "cookie", "session"].contains {
            folded.contains($0)
        }
    }

    // MARK: - Errors

    /// `error`, or an error that says the same without credentials when any of its texts holds one.
    ///
    /// A `URLError` stays a `URLError` with the same code, its failing URL and description redacted
    /// (other user info, such as the URL a platform error nests, is dropped). Another error that
    /// shows a credential becomes an error whose descriptions are the redacted ones of the original.
    package func redact(_ error: any Error) -> any Error {
        if let error = error as? any RedactableError { return error.redacted(by: self) }
        let texts = [
            String(describing: error), String(reflecting: error), error.localizedDescription,
            "\((error as NSError).userInfo)",
        ]
        guard texts.contains(where: { redact($0) != $0 }) else { return error }
        if let error = error as? URLError {
            var userInfo: [String: Any] = [NSLocalizedDescriptionKey: redact(error.localizedDescription)]
            if let url = error.failingURL.flatMap({ URL(string: redact($0.absoluteString)) }) {
                userInfo[NSURLErrorFailingURLErrorKey] = url
            }
            return URLError(error.code, userInfo: userInfo)
        }
        return RedactedError(
            description: redact(texts[0]), debugDescription: redact(texts[1]), errorDescription: redact(texts[2]))
    }

    // MARK: - Descriptions of the redactor itself

    /// How many secrets the redactor knows; never the secrets.
    package var description: String { "Redactor(\(secrets.count) secret forms)" }

    /// A mirror without the secrets, so that `dump` shows none.
    package var customMirror: Mirror { Mirror(self, children: ["secretForms": secrets.count]) }

    // MARK: - Patterns

    /// The user info of a URL: everything between `://` and the last `@` of the authority.
    private static let userInfo = pattern(#"(?<=://)[^\s/?#"'<>\[\]]+@"#)
    /// A `name=value` pair, after the `?` or `&` that marks a query's; the name decides
    /// (``isCredentialName(_:inQuery:)``). A value that is a URL is not one: its own parts are
    /// redacted instead (`NSErrorFailingURLKey=https://host/v1?api-key=…` in an `NSError`). A value
    /// stops at `=` and brackets, so that a pair that is not a credential's cannot swallow one that is.
    private static let parameter = pattern(
        #"([?&]?)([A-Za-z0-9_.\-]+)=(?![A-Za-z][A-Za-z0-9+.\-]*://)[^\s&#;,"'<>=(){}\[\]]+"#)
    /// A credential after an authentication scheme, long enough not to be a word of prose.
    private static let authorization = pattern(
        #"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/=*…]{8,}|\b(?-i:(Basic))\s+[A-Za-z0-9+/]{8,}={0,2}"#)
    /// API keys by their vendors' prefixes: OpenAI's and Anthropic's `sk-` (with masked echoes such as
    /// `sk-...abcd`), restricted keys `rk-`, and, at their usual length, Groq, xAI, Perplexity, Hugging
    /// Face, GitHub, GitLab and Google keys.
    private static let keyShaped = pattern(
        #"\b(?:sk|rk)[-_][\w\-*.…]{2,}[\w*…]|\b(?:gsk_|xai-|pplx-|hf_|gh[pousr]_|github_pat_|glpat-|AIza)[\w\-]{16,}"#)
    /// A word masked with three or more `*`, as servers echo a key.
    private static let masked = pattern(#"[\w\-]+\*{3,}[\w\-*]*|\*{3,}[\w\-]+"#)
    /// A JSON Web Token: base64url header `eyJ…`, payload, and signature.
    private static let webToken = pattern(#"\beyJ[\w\-]{4,}\.[\w\-]{4,}(?:\.[\w\-]*)?"#)

    private static func pattern(_ text: String) -> NSRegularExpression {
        do {
            return try NSRegularExpression(pattern: text)
        } catch {
            preconditionFailure("invalid redaction pattern \(text): \(error)")
        }
    }

    private static func replace(_ pattern: NSRegularExpression, in text: String, with mark: String) -> String {
        let range = NSRange(text.startIndex..., in: text)
        guard pattern.firstMatch(in: text, range: range) != nil else { return text }
        return pattern.stringByReplacingMatches(
            in: text, range: range, withTemplate: NSRegularExpression.escapedTemplate(for: mark))
    }

    /// Replaces each match with what `replacement` makes of its groups (`nil` for a group that took no
    /// part), or leaves the match as it is when `replacement` returns `nil`.
    private static func replace(
        _ pattern: NSRegularExpression, in text: String, with replacement: ([String?]) -> String?
    ) -> String {
        let source = text as NSString
        var result = ""
        var copied = 0
        for match in pattern.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            let groups = (1..<match.numberOfRanges).map { index -> String? in
                let range = match.range(at: index)
                return range.location == NSNotFound ? nil : source.substring(with: range)
            }
            guard let replaced = replacement(groups) else { continue }
            result += source.substring(with: NSRange(location: copied, length: match.range.location - copied))
            result += replaced
            copied = match.range.location + match.range.length
        }
        guard copied > 0 else { return text }
        return result + source.substring(from: copied)
    }
}

/// An error of this package's that can give itself without credentials, its code and status kept.
package protocol RedactableError: Error {
    /// The error with its message and underlying error redacted by `redactor`.
    func redacted(by redactor: Redactor) -> Self
}

/// An error that showed a credential, standing in for it with its descriptions redacted.
struct RedactedError: Error, CustomStringConvertible, CustomDebugStringConvertible, LocalizedError {
    let description: String
    let debugDescription: String
    let errorDescription: String?
}

extension URL {
    /// The URL without user, password, query and fragment, for messages (a query may hold a key).
    package var redactedDescription: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: true) else { return "the endpoint" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "the endpoint"
    }
}
