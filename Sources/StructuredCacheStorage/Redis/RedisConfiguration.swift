// Everything a connection needs, parsed from a redis:// or unix:// URL and merged with the cache's options.

import StructuredCacheSupport

/// Where and how to connect: the parsed URL plus the options that shape each connection.
struct RedisConfiguration: Sendable, Equatable {
    /// Where the server listens.
    enum Endpoint: Sendable, Equatable, CustomStringConvertible {
        /// A TCP host name or address literal (IPv6 without brackets) and port.
        case tcp(host: String, port: Int)
        /// A Unix domain socket path.
        case unix(path: String)

        var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unix(let path): "unix:\(path)"
            }
        }
    }

    var endpoint: Endpoint
    var username: String?
    var password: String?
    var database = 0
    var clientName: String?
    var protocolVersion = RedisCache.Configuration.ProtocolVersion.resp3
    var connectTimeout = Duration.seconds(5)
    var commandTimeout = Duration.seconds(5)
    var decoderLimits = RESPDecoder.Limits()
    var poolSize = 4
    var reconnectBackoff = RedisCache.Configuration.Backoff()
    var breaker = RedisCache.Configuration.CircuitBreaker()
    /// The cache's key prefix, named in permission errors.
    var keyPrefix = ""
    /// The TLS options, or `nil` for a plain connection; a `rediss://` URL sets the defaults.
    var tls: RedisCache.Configuration.TLS?
    /// The OpenSSL context built from ``tls`` for every connection of one cache; `nil` until
    /// ``init(url:options:)`` builds it (a connection builds its own when it is missing).
    var tlsContext: RedisTLSContext?

    /// The name a TLS connection sends as SNI and checks the certificate against: the configured
    /// server name, else the URL's host; `nil` over a Unix socket without a configured name.
    var tlsServerName: String? {
        if let name = tls?.serverName { return name }
        if case .tcp(let host, _) = endpoint { return host }
        return nil
    }

    /// The port Redis listens on unless told otherwise.
    static let defaultPort = 6379

    /// Parses a URL; the options keep their defaults.
    ///
    /// Accepted forms: `redis://[[user]:password@]host[:port][/db][?db=N]`, where `host` may be an IPv6
    /// literal in brackets and user and password are percent-decoded, the same with `rediss://` for
    /// TLS (with the default ``RedisCache/Configuration/TLS`` options), and
    /// `unix://[[user]:password@]/path/to/socket[?db=N]`.
    ///
    /// - Parameter url: The URL.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` for anything malformed.
    init(url: String) throws(CacheError) {
        guard let separator = url.firstRange(of: "://") else {
            throw .invalidConfiguration("'\(Self.redacted(url))' is not a redis://, rediss:// or unix:// URL")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        var rest = Substring(url[separator.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if rest.contains("#") {
            throw .invalidConfiguration("a Redis URL cannot have a fragment")
        }
        var pathDatabase: Int?
        switch scheme {
        case "redis", "rediss":
            if scheme == "rediss" { tls = RedisCache.Configuration.TLS() }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            var authority = rest[..<slash]
            let path = rest[slash...]
            if let at = authority.lastIndex(of: "@") {
                try Self.parseUserInfo(authority[..<at], into: &username, &password)
                authority = authority[authority.index(after: at)...]
            }
            endpoint = try Self.parseHostAndPort(authority)
            if path.count > 1 {
                pathDatabase = try Self.parseDatabase(path.dropFirst())
            }
        case "unix":
            if let at = rest.firstIndex(of: "@"), !rest[..<at].contains("/") {
                try Self.parseUserInfo(rest[..<at], into: &username, &password)
                rest = rest[rest.index(after: at)...]
            }
            guard rest.hasPrefix("/"), rest.count > 1 else {
                throw .invalidConfiguration("a unix:// URL needs an absolute socket path, as in unix:///run/redis.sock")
            }
            endpoint = .unix(path: try Self.percentDecoded(rest, what: "socket path"))
        default:
            throw .invalidConfiguration("unsupported URL scheme '\(scheme)'; use redis://, rediss:// or unix://")
        }
        var queryDatabase: Int?
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch name {
            case "db":
                queryDatabase = try Self.parseDatabase(value)
            default:
                throw .invalidConfiguration("unsupported URL option '\(name)'; the only option is db")
            }
        }
        if let pathDatabase, let queryDatabase, pathDatabase != queryDatabase {
            throw .invalidConfiguration("the URL names two different databases")
        }
        database = pathDatabase ?? queryDatabase ?? 0
    }

    /// Parses a URL and applies the cache's options, validating them.
    ///
    /// - Parameters:
    ///   - url: The URL, as for ``init(url:)``.
    ///   - options: The cache's options; its credentials override the URL's.
    /// - Throws: ``CacheError`` as for ``init(url:)``, or ``CacheError/Code/invalidConfiguration`` for
    ///   an option out of range or TLS material that cannot be read; ``CacheError/Code/unsupported``
    ///   when TLS is asked for and the system's OpenSSL cannot be loaded.
    init(url: String, options: RedisCache.Configuration) throws(CacheError) {
        try self.init(url: url)
        if let user = options.authentication.username { username = user }
        if let secret = options.authentication.password { password = secret }
        clientName = options.connection.clientName
        protocolVersion = options.connection.protocolVersion
        connectTimeout = options.connection.connectTimeout
        commandTimeout = options.connection.commandTimeout
        poolSize = options.pool.size
        reconnectBackoff = options.pool.reconnectBackoff
        breaker = options.breaker
        keyPrefix = options.keyPrefix
        let maximumReplySize = options.connection.maximumReplySize
        decoderLimits.maximumBulkLength = maximumReplySize
        decoderLimits.maximumReplySize = maximumReplySize &+ 64 * 1024  // the framing around one value
        if let options = options.tls { tls = options }
        try validate()
        if let tls { tlsContext = try RedisTLSContext(tls) }
    }

    private func validate() throws(CacheError) {
        guard (1...1024).contains(poolSize) else {
            throw .invalidConfiguration("poolSize must be between 1 and 1024, not \(poolSize)")
        }
        guard connectTimeout > .zero, commandTimeout > .zero else {
            throw .invalidConfiguration("connectTimeout and commandTimeout must be positive")
        }
        if let tls, tls.verification == .full, tlsServerName == nil {
            throw .invalidConfiguration(
                "TLS over a Unix socket needs tls.serverName to check the certificate against "
                    + "(or verification .chainOnly)")
        }
        guard breaker.failureThreshold >= 0, breaker.probeInterval > .zero else {
            throw .invalidConfiguration("the breaker needs failureThreshold >= 0 and a positive probeInterval")
        }
        guard reconnectBackoff.initial >= .zero, reconnectBackoff.maximum >= reconnectBackoff.initial else {
            throw .invalidConfiguration("reconnectBackoff needs 0 <= initial <= maximum")
        }
        guard decoderLimits.maximumBulkLength > 0 else {
            throw .invalidConfiguration("maximumReplySize must be positive")
        }
        if let clientName {
            // Redis refuses names with spaces, newlines or other special characters.
            guard !clientName.isEmpty, clientName.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw .invalidConfiguration(
                    "clientName must be non-empty printable ASCII without spaces, not '\(clientName)'")
            }
        }
        if username != nil, password == nil {
            throw .invalidConfiguration("a user name was given without a password")
        }
    }

    // MARK: - Parsing helpers

    private static func parseUserInfo(
        _ info: Substring, into username: inout String?, _ password: inout String?
    ) throws(CacheError) {
        if let colon = info.firstIndex(of: ":") {
            let user = info[..<colon]
            username = user.isEmpty ? nil : try percentDecoded(user, what: "user name")
            password = try percentDecoded(info[info.index(after: colon)...], what: "password")
        } else if !info.isEmpty {
            username = try percentDecoded(info, what: "user name")
        }
    }

    private static func parseHostAndPort(_ authority: Substring) throws(CacheError) -> Endpoint {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw .invalidConfiguration("unterminated IPv6 address in the URL")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else {
                    throw .invalidConfiguration("unexpected text after the IPv6 address in the URL")
                }
                portText = after.dropFirst()
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else {
                throw .invalidConfiguration("IPv6 addresses in a URL must be in brackets, as in redis://[::1]:6379")
            }
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
        }
        guard !host.isEmpty else {
            throw .invalidConfiguration("the URL has no host")
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCIIDigit),
                let value = Int(portText), (1...65535).contains(value)
            else {
                // Not quoted unless it is a number: in `redis://user:password` (no "@host") the
                // password is what reads as the port.
                let quoted = !portText.isEmpty && portText.allSatisfy(\.isASCIIDigit) ? " '\(portText)'" : ""
                throw .invalidConfiguration("invalid port\(quoted) in the URL")
            }
            port = value
        }
        return .tcp(host: try percentDecoded(host, what: "host"), port: port)
    }

    private static func parseDatabase(_ text: Substring) throws(CacheError) -> Int {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy(\.isASCIIDigit), let value = Int(text) else {
            throw .invalidConfiguration("invalid database number '\(text)' in the URL")
        }
        return value
    }

    /// Decodes `%XX` escapes as UTF-8; a stray `%` or bytes that are not UTF-8 are errors.
    private static func percentDecoded(_ text: Substring, what: String) throws(CacheError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw .invalidConfiguration("invalid percent-escape in the URL's \(what)")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw .invalidConfiguration("the URL's \(what) is not UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The URL with its user info (and anything else shaped like a credential) replaced, for error
    /// messages.
    static func redacted(_ url: String) -> String {
        // Without a scheme, `user:password@host` is still user info before the last "@".
        if url.firstRange(of: "://") == nil, let at = url.lastIndex(of: "@") {
            return Redactor.mark + Redactor.standard.redact(String(url[at...]))
        }
        return Redactor.standard.redact(url)
    }
}

extension RedisConfiguration: CustomStringConvertible, CustomReflectable {
    /// The configuration without the password: where, which database, who, and the limits.
    var description: String {
        "RedisConfiguration(endpoint: \(endpoint), database: \(database), username: \(username ?? "none"), "
            + "password: \(password == nil ? "none" : "<redacted>"), clientName: \(clientName ?? "none"), "
            + "protocolVersion: \(protocolVersion), poolSize: \(poolSize), connectTimeout: \(connectTimeout), "
            + "commandTimeout: \(commandTimeout), tls: \(tls.map { "\($0)" } ?? "none"))"
    }

    /// A mirror without the password, so that `dump` of a cache, its pool or a connection shows none.
    var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "endpoint": endpoint, "username": username as Any,
                "password": password.map { _ in "<redacted>" } as Any,
                "database": database, "clientName": clientName as Any, "protocolVersion": protocolVersion,
                "connectTimeout": connectTimeout, "commandTimeout": commandTimeout, "decoderLimits": decoderLimits,
                "poolSize": poolSize, "reconnectBackoff": reconnectBackoff, "tls": tls as Any,
            ],
            displayStyle: .struct)
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
