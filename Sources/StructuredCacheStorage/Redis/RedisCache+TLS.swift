// How RedisCache speaks TLS: which certificates it trusts, which it presents, which name it checks.

extension RedisCache.Configuration {
    /// TLS options for a ``RedisCache``: set ``RedisCache/Configuration/tls``, or use a `rediss://` URL,
    /// which turns TLS on with the defaults (`TLS()`).
    ///
    /// By default the server's certificate chain is checked against the system's trust store and its
    /// host name against the URL's host. On Linux TLS uses the system's OpenSSL (`libssl.so.3`), loaded
    /// when the first TLS cache is created; without it, creating the cache throws
    /// ``CacheError/Code/unsupported``.
    ///
    /// ```swift
    /// var options = RedisCache.Configuration()
    /// options.tls = .init(trustRoots: .file("/etc/redis/ca.crt"))
    /// let cache = try RedisCache(url: "rediss://cache.internal:6380", configuration: options)
    /// ```
    public struct TLS: Sendable, Equatable {
        /// PEM-encoded certificates or a key, given as text or as the path of a file.
        public struct PEM: Sendable, Equatable, CustomStringConvertible {
            enum Source: Sendable, Equatable {
                case text(String)
                case file(String)
            }

            let source: Source

            /// PEM text, such as `"-----BEGIN CERTIFICATE-----\n…"`.
            ///
            /// - Parameter pem: One or more PEM blocks.
            /// - Returns: The PEM.
            public static func text(_ pem: String) -> PEM { PEM(source: .text(pem)) }

            /// A PEM file.
            ///
            /// - Parameter path: The file's path; it is read when the cache is created.
            /// - Returns: The PEM.
            public static func file(_ path: String) -> PEM { PEM(source: .file(path)) }

            /// `file(path)`, or `text(N bytes)`: never the text itself, which may be a private key.
            public var description: String {
                switch source {
                case .text(let text): "text(\(text.utf8.count) bytes)"
                case .file(let path): "file(\(path))"
                }
            }
        }

        /// How much of the server's certificate is checked.
        public struct Verification: Hashable, Sendable, CustomStringConvertible {
            private let name: String
            private init(_ name: String) { self.name = name }

            /// The chain up to a trusted root, and the host name (or IP address) it was issued for.
            public static let full = Verification("full")
            /// The chain up to a trusted root, but not the name: any certificate the roots signed is
            /// accepted.
            public static let chainOnly = Verification("chainOnly")
            /// No verification at all: any server, or anyone in between, is accepted. Only for tests
            /// against servers with self-signed certificates; the traffic is encrypted but not
            /// authenticated.
            public static let dangerouslyDisabled = Verification("dangerouslyDisabled")

            /// The verification's name, such as `full`.
            public var description: String { name }
        }

        /// The certificates that may sign the server's chain; `nil` (the default) for the system's
        /// trust store.
        public var trustRoots: PEM?
        /// The certificate chain presented to a server that asks for one (mutual TLS), leaf first.
        public var clientCertificate: PEM?
        /// The private key of ``clientCertificate``.
        public var clientKey: PEM?
        /// The name sent as SNI and checked against the server's certificate; `nil` (the default) for
        /// the URL's host.
        public var serverName: String?
        /// How much of the server's certificate is checked. Default ``Verification/full``.
        public var verification: Verification

        /// Creates TLS options; every parameter has a default.
        ///
        /// - Parameters:
        ///   - trustRoots: The CA certificates to trust; `nil` for the system's trust store.
        ///   - clientCertificate: The client certificate chain for mutual TLS, or `nil`.
        ///   - clientKey: Its private key, or `nil`.
        ///   - serverName: The name to send and check; `nil` for the URL's host.
        ///   - verification: How much to check. Default ``Verification/full``.
        public init(
            trustRoots: PEM? = nil,
            clientCertificate: PEM? = nil,
            clientKey: PEM? = nil,
            serverName: String? = nil,
            verification: Verification = .full
        ) {
            self.trustRoots = trustRoots
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.serverName = serverName
            self.verification = verification
        }
    }
}

extension RedisCache.Configuration.TLS: CustomStringConvertible, CustomReflectable {
    /// Every option, with the client key shown only as `<redacted>` (or `none`).
    public var description: String {
        "TLS(trustRoots: \(trustRoots.map { "\($0)" } ?? "system"), "
            + "clientCertificate: \(clientCertificate.map { "\($0)" } ?? "none"), "
            + "clientKey: \(clientKey == nil ? "none" : "<redacted>"), serverName: \(serverName ?? "the URL's host"), "
            + "verification: \(verification))"
    }

    /// A mirror without the client key, so that `dump` and debuggers show none.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "trustRoots": trustRoots.map { "\($0)" } as Any,
                "clientCertificate": clientCertificate.map { "\($0)" } as Any,
                "clientKey": clientKey.map { _ in "<redacted>" } as Any, "serverName": serverName as Any,
                "verification": verification,
            ],
            displayStyle: .struct)
    }
}

extension RedisCache.Configuration.TLS.PEM: CustomReflectable {
    /// A mirror that shows no PEM text, which may be a private key.
    public var customMirror: Mirror {
        Mirror(self, children: ["source": description], displayStyle: .struct)
    }
}
