// The options of RedisCache: everything that is not in the URL, each with a default.

extension RedisCache {
    /// Options for a ``RedisCache``; every property has a default.
    ///
    /// Where the server is, which database, and (optionally) the credentials come from the URL given
    /// to ``RedisCache/init(url:configuration:)``; everything else is here.
    ///
    /// ```swift
    /// var options = RedisCache.Configuration()
    /// options.keyPrefix = "myapp:llm:"
    /// options.commandTimeout = .milliseconds(250)
    /// let cache = try RedisCache(url: "redis://cache.internal:6379/2", configuration: options)
    /// ```
    public struct Configuration: Sendable {
        /// Which protocol version the connection negotiates.
        public struct ProtocolVersion: Hashable, Sendable, CustomStringConvertible {
            private let version: Int
            private init(_ version: Int) { self.version = version }

            /// Send `HELLO 3` (carrying AUTH and SETNAME) and fall back to RESP2 (`AUTH`,
            /// `CLIENT SETNAME`) when the server does not know `HELLO`, as Redis before 6 does.
            public static let resp3 = ProtocolVersion(3)
            /// Speak RESP2 only: never send `HELLO`.
            public static let resp2 = ProtocolVersion(2)

            /// `"RESP3"` or `"RESP2"`.
            public var description: String { "RESP\(version)" }
        }

        /// How long to wait before reconnecting after a failed connection attempt.
        ///
        /// The first retry after a connection drops is immediate; each failed attempt doubles the wait,
        /// from ``initial`` up to ``maximum``. While waiting, commands that need the connection fail at
        /// once with ``CacheError/Code/connectionFailed`` instead of piling up.
        public struct Backoff: Hashable, Sendable {
            /// The wait after the first failed attempt.
            public var initial: Duration
            /// The longest wait.
            public var maximum: Duration

            /// Creates a backoff policy.
            ///
            /// - Parameters:
            ///   - initial: The wait after the first failed attempt; default 100 ms.
            ///   - maximum: The longest wait; default 5 s.
            public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
                self.initial = initial
                self.maximum = maximum
            }
        }

        /// Prepended to every key, so that this cache's entries are told apart from everything else in
        /// the database and ``RedisCache/removeAll()`` touches only them. Default `"structuredcache:"`.
        public var keyPrefix: String
        /// How many connections the cache opens at most; concurrent commands are pipelined on each.
        /// Default 4.
        public var poolSize: Int
        /// How long establishing a TCP or Unix connection may take. Default 5 s.
        public var connectTimeout: Duration
        /// How long any one command may wait for its reply; on expiry the command fails with
        /// ``CacheError/Code/timeout`` and its connection is closed. Default 5 s.
        public var commandTimeout: Duration
        /// The name shown by `CLIENT LIST`, or `nil` for none. Default `"structuredcache"`.
        public var clientName: String?
        /// The ACL user name; overrides the one in the URL.
        public var username: String?
        /// The password; overrides the one in the URL (keeps secrets out of URLs and logs).
        public var password: String?
        /// The protocol version to negotiate. Default ``ProtocolVersion/resp3`` (with RESP2 fallback).
        public var protocolVersion: ProtocolVersion
        /// The largest value ``RedisCache/set(_:_:ttl:)`` accepts, in bytes. Default 512 MiB, Redis's own
        /// default limit.
        public var maximumValueSize: Int
        /// The largest reply the client reads, in bytes; a larger one fails with
        /// ``CacheError/Code/valueTooLarge`` and closes its connection. Default 512 MiB.
        public var maximumReplySize: Int
        /// The reconnect policy.
        public var reconnectBackoff: Backoff
        /// How many keys one `SCAN` step asks for, and how many keys one `UNLINK` removes, in
        /// ``RedisCache/removeAll()``. Default 500.
        public var scanBatchSize: Int
        /// The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` (the default) for no expiry.
        public var defaultTTL: Duration?
        /// TLS options; `nil` (the default) for a plain connection, unless the URL is `rediss://`, which
        /// uses `TLS()`. When set, a `redis://` URL uses TLS too.
        public var tls: TLS?

        /// Creates options; every parameter has a default.
        ///
        /// - Parameters:
        ///   - keyPrefix: Prepended to every key. Default `"structuredcache:"`.
        ///   - poolSize: Connections opened at most. Default 4.
        ///   - connectTimeout: Limit on establishing a connection. Default 5 s.
        ///   - commandTimeout: Limit on waiting for one reply. Default 5 s.
        ///   - clientName: The `CLIENT SETNAME` name, or `nil`. Default `"structuredcache"`.
        ///   - username: The ACL user; overrides the URL's.
        ///   - password: The password; overrides the URL's.
        ///   - protocolVersion: RESP3 with fallback (default) or RESP2 only.
        ///   - maximumValueSize: The largest value stored, in bytes. Default 512 MiB.
        ///   - maximumReplySize: The largest reply read, in bytes. Default 512 MiB.
        ///   - reconnectBackoff: The reconnect policy. Default 100 ms doubling up to 5 s.
        ///   - scanBatchSize: Keys per `SCAN` step and per `UNLINK` in `removeAll()`. Default 500.
        ///   - defaultTTL: The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` for no expiry.
        ///   - tls: TLS options, or `nil` for none (a `rediss://` URL then uses the defaults).
        public init(
            keyPrefix: String = "structuredcache:",
            poolSize: Int = 4,
            connectTimeout: Duration = .seconds(5),
            commandTimeout: Duration = .seconds(5),
            clientName: String? = "structuredcache",
            username: String? = nil,
            password: String? = nil,
            protocolVersion: ProtocolVersion = .resp3,
            maximumValueSize: Int = 512 * 1024 * 1024,
            maximumReplySize: Int = 512 * 1024 * 1024,
            reconnectBackoff: Backoff = Backoff(),
            scanBatchSize: Int = 500,
            defaultTTL: Duration? = nil,
            tls: TLS? = nil
        ) {
            self.keyPrefix = keyPrefix
            self.poolSize = poolSize
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.clientName = clientName
            self.username = username
            self.password = password
            self.protocolVersion = protocolVersion
            self.maximumValueSize = maximumValueSize
            self.maximumReplySize = maximumReplySize
            self.reconnectBackoff = reconnectBackoff
            self.scanBatchSize = scanBatchSize
            self.defaultTTL = defaultTTL
            self.tls = tls
        }
    }
}

extension RedisCache.Configuration: CustomStringConvertible, CustomReflectable {
    /// Every option, with the password shown only as `<redacted>` (or `none`).
    public var description: String {
        "RedisCache.Configuration(keyPrefix: \"\(keyPrefix)\", poolSize: \(poolSize), connectTimeout: \(connectTimeout), "
            + "commandTimeout: \(commandTimeout), clientName: \(clientName ?? "none"), "
            + "username: \(username ?? "none"), password: \(password == nil ? "none" : "<redacted>"), "
            + "protocolVersion: \(protocolVersion), maximumValueSize: \(maximumValueSize), "
            + "maximumReplySize: \(maximumReplySize), reconnectBackoff: \(reconnectBackoff.initial)..."
            + "\(reconnectBackoff.maximum), scanBatchSize: \(scanBatchSize), "
            + "defaultTTL: \(defaultTTL.map { "\($0)" } ?? "none"), tls: \(tls.map { "\($0)" } ?? "none"))"
    }

    /// A mirror without the password, so that `dump` and debuggers show none.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "keyPrefix": keyPrefix, "poolSize": poolSize, "connectTimeout": connectTimeout,
                "commandTimeout": commandTimeout, "clientName": clientName as Any, "username": username as Any,
                "password": password.map { _ in "<redacted>" } as Any, "protocolVersion": protocolVersion,
                "maximumValueSize": maximumValueSize, "maximumReplySize": maximumReplySize,
                "reconnectBackoff": reconnectBackoff, "scanBatchSize": scanBatchSize,
                "defaultTTL": defaultTTL as Any, "tls": tls as Any,
            ],
            displayStyle: .struct)
    }
}
