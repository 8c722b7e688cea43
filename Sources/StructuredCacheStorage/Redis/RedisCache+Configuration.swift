// The options of RedisCache: everything that is not in the URL, grouped by concern, each with a default.

extension RedisCache {
    /// Options for a ``RedisCache``; every property has a default.
    ///
    /// Where the server is, which database, and (optionally) the credentials come from the URL given
    /// to ``RedisCache/init(url:configuration:)``; everything else is here, grouped by concern:
    /// ``connection``, ``authentication``, ``tls``, ``pool``, ``breaker``.
    ///
    /// ```swift
    /// var options = RedisCache.Configuration()
    /// options.keyPrefix = "myapp:llm:"
    /// options.connection.commandTimeout = .milliseconds(250)
    /// options.authentication.password = ProcessInfo.processInfo.environment["REDIS_PASSWORD"]
    /// let cache = try RedisCache(url: "redis://cache.internal:6379/2", configuration: options)
    /// ```
    ///
    /// The defaults are chosen for a cache in front of a model call that takes a second or more: a
    /// lookup is worth waiting for only while it is much cheaper than the call it saves. A healthy
    /// Redis answers in well under a millisecond, so a command that has waited
    /// ``Connection/commandTimeout`` (500 ms) is presumed lost, and the server is then skipped at once
    /// (a miss for a read, a skipped store for a write), as it is after
    /// ``CircuitBreaker/failureThreshold`` (3) refused or dropped connections in a row, until a probe,
    /// every ``CircuitBreaker/probeInterval`` (250 ms), finds it answering again. A hung server thus
    /// costs a call at most one command timeout, a dead one costs nothing once skipped, and hits come
    /// back within about a probe interval of the server's return, however long it was gone.
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

        /// How each connection is opened and how long it may take.
        public struct Connection: Sendable, Equatable {
            /// How long establishing a connection (TCP or Unix, the TLS handshake, `HELLO`/`AUTH`) may
            /// take. Default 1 s.
            public var connectTimeout: Duration
            /// How long any one command may wait for its reply; on expiry the command fails with
            /// ``CacheError/Code/timeout`` and its connection is closed. Default 500 ms.
            public var commandTimeout: Duration
            /// The name shown by `CLIENT LIST`, or `nil` for none. Default `"structuredcache"`.
            public var clientName: String?
            /// The protocol version to negotiate. Default ``ProtocolVersion/resp3`` (with RESP2 fallback).
            public var protocolVersion: ProtocolVersion
            /// The largest reply the client reads, in bytes; a larger one fails with
            /// ``CacheError/Code/valueTooLarge`` and closes its connection. Default 512 MiB.
            public var maximumReplySize: Int

            /// Creates connection options; every parameter has a default.
            ///
            /// - Parameters:
            ///   - connectTimeout: Limit on establishing a connection. Default 1 s.
            ///   - commandTimeout: Limit on waiting for one reply. Default 500 ms.
            ///   - clientName: The `CLIENT SETNAME` name, or `nil`. Default `"structuredcache"`.
            ///   - protocolVersion: RESP3 with fallback (default) or RESP2 only.
            ///   - maximumReplySize: The largest reply read, in bytes. Default 512 MiB.
            public init(
                connectTimeout: Duration = .seconds(1),
                commandTimeout: Duration = .milliseconds(500),
                clientName: String? = "structuredcache",
                protocolVersion: ProtocolVersion = .resp3,
                maximumReplySize: Int = 512 * 1024 * 1024
            ) {
                self.connectTimeout = connectTimeout
                self.commandTimeout = commandTimeout
                self.clientName = clientName
                self.protocolVersion = protocolVersion
                self.maximumReplySize = maximumReplySize
            }
        }

        /// Who the connections authenticate as; both override what the URL says.
        public struct Authentication: Sendable, Equatable {
            /// The ACL user name; `nil` for the URL's, or the `default` user.
            public var username: String?
            /// The password; `nil` for the URL's. Keeps secrets out of URLs and logs.
            public var password: String?

            /// Creates credentials.
            ///
            /// - Parameters:
            ///   - username: The ACL user; `nil` for the URL's.
            ///   - password: The password; `nil` for the URL's.
            public init(username: String? = nil, password: String? = nil) {
                self.username = username
                self.password = password
            }
        }

        /// How many connections are kept, and how a dropped one is replaced.
        public struct Pool: Sendable, Equatable {
            /// How many connections the cache opens at most; concurrent commands are pipelined on each.
            /// In a cluster they are shared among the primaries, at least one each (with the default
            /// 4 and three primaries, one per node). Default 4.
            public var size: Int
            /// How long a slot waits before reconnecting after a failed connection attempt.
            public var reconnectBackoff: Backoff

            /// Creates pool options.
            ///
            /// - Parameters:
            ///   - size: Connections opened at most. Default 4.
            ///   - reconnectBackoff: The reconnect policy. Default 100 ms doubling up to 5 s.
            public init(size: Int = 4, reconnectBackoff: Backoff = Backoff()) {
                self.size = size
                self.reconnectBackoff = reconnectBackoff
            }
        }

        /// How long to wait before reconnecting after a failed connection attempt.
        ///
        /// The first retry after a connection drops is immediate; each failed attempt doubles the wait,
        /// from ``initial`` up to ``maximum``. While waiting, commands that need the connection fail at
        /// once with ``CacheError/Code/connectionFailed`` instead of piling up. The
        /// ``CircuitBreaker``'s probe ends the wait as soon as the server answers again.
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

        /// When to stop asking a server that does not answer, and how to notice that it is back.
        ///
        /// Each server (each node of a cluster) has its own breaker. It opens on a command timeout, or
        /// after ``failureThreshold`` commands in a row failed to reach the server (a refused or dropped
        /// connection; an error reply does not count, the server answered). While it is open,
        /// commands to that server throw ``CacheError/Code/unavailable`` at once, which the client
        /// treats as a miss or a skipped store, and one probe at a time (a new connection and a
        /// `PING`, every ``probeInterval``) checks the server; the first probe that succeeds closes
        /// the breaker. Changes are reported to ``RedisCache/observeHealth(_:)`` and, through
        /// `StructuredClient`, as cache events.
        public struct CircuitBreaker: Sendable, Equatable {
            /// How many refused or dropped connections in a row open the breaker (a timeout opens it at
            /// once); 0 turns the breaker off. Default 3.
            public var failureThreshold: Int
            /// How often the probe checks a server whose breaker is open. Default 250 ms.
            public var probeInterval: Duration

            /// Creates breaker options.
            ///
            /// - Parameters:
            ///   - failureThreshold: Failures in a row that open the breaker; 0 for never. Default 3.
            ///   - probeInterval: The wait between probes while the breaker is open. Default 250 ms.
            public init(failureThreshold: Int = 3, probeInterval: Duration = .milliseconds(250)) {
                self.failureThreshold = failureThreshold
                self.probeInterval = probeInterval
            }

            /// A breaker that never opens: every command waits out its own timeout.
            public static let disabled = CircuitBreaker(failureThreshold: 0)
        }

        /// Prepended to every key, so that this cache's entries are told apart from everything else in
        /// the database and ``RedisCache/removeAll()`` touches only them. Default `"structuredcache:"`.
        public var keyPrefix: String
        /// The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` (the default) for no expiry.
        public var defaultTTL: Duration?
        /// How long Redis keeps an entry past its expiry for ``RedisCache/getStale(_:maxStaleness:)``, the
        /// read a caller falls back on when what the cache stands in front of fails; `nil` (the default)
        /// for no grace. With a grace, a TTL becomes `SET … PX ttl+grace` and reads run `GET` and `PTTL`
        /// together, in one script (``RedisCache/get(_:)`` treats a key with `grace` or less left as
        /// expired); without one, reads are a plain `GET`. Every process sharing the prefix should use the
        /// same grace: a client that knows nothing of it (Python Instructor's `RedisCache` included) sees
        /// entries in their grace as live, and reads entries written without a grace as expiring that much
        /// early.
        public var staleGrace: Duration?
        /// The largest value ``RedisCache/set(_:_:ttl:)`` accepts, in bytes. Default 512 MiB, Redis's own
        /// default limit.
        public var maximumValueSize: Int
        /// How many keys one `SCAN` step asks for, and how many keys one `UNLINK` removes, in
        /// ``RedisCache/removeAll()``. Default 500.
        public var scanBatchSize: Int
        /// How connections are opened, and the timeouts.
        public var connection: Connection
        /// The ACL user and password.
        public var authentication: Authentication
        /// TLS options, or `nil` (the default) for a plain connection; a `rediss://` URL turns TLS on
        /// with the defaults (`TLS()`: the system's trust store, the URL's host checked).
        public var tls: TLS?
        /// The connection pool.
        public var pool: Pool
        /// The circuit breaker.
        public var breaker: CircuitBreaker

        /// Creates options; every parameter has a default.
        ///
        /// - Parameters:
        ///   - keyPrefix: Prepended to every key. Default `"structuredcache:"`.
        ///   - defaultTTL: The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` for no expiry.
        ///   - staleGrace: How long Redis keeps expired entries for stale reads; `nil` for no grace.
        ///   - maximumValueSize: The largest value stored, in bytes. Default 512 MiB.
        ///   - scanBatchSize: Keys per `SCAN` step and per `UNLINK` in `removeAll()`. Default 500.
        ///   - connection: Timeouts, client name, protocol version, reply size limit.
        ///   - authentication: The ACL user and password; override the URL's.
        ///   - tls: TLS options, or `nil` for none (a `rediss://` URL then uses the defaults).
        ///   - pool: Connections per server and the reconnect backoff.
        ///   - breaker: When to skip a server that does not answer.
        public init(
            keyPrefix: String = "structuredcache:",
            defaultTTL: Duration? = nil,
            staleGrace: Duration? = nil,
            maximumValueSize: Int = 512 * 1024 * 1024,
            scanBatchSize: Int = 500,
            connection: Connection = Connection(),
            authentication: Authentication = Authentication(),
            tls: TLS? = nil,
            pool: Pool = Pool(),
            breaker: CircuitBreaker = CircuitBreaker()
        ) {
            self.keyPrefix = keyPrefix
            self.defaultTTL = defaultTTL
            self.staleGrace = staleGrace
            self.maximumValueSize = maximumValueSize
            self.scanBatchSize = scanBatchSize
            self.connection = connection
            self.authentication = authentication
            self.tls = tls
            self.pool = pool
            self.breaker = breaker
        }
    }
}

extension RedisCache.Configuration: CustomStringConvertible, CustomReflectable {
    /// Every option, with the password shown only as `<redacted>` (or `none`).
    public var description: String {
        "RedisCache.Configuration(keyPrefix: \"\(keyPrefix)\", defaultTTL: \(defaultTTL.map { "\($0)" } ?? "none"), "
            + "staleGrace: \(staleGrace.map { "\($0)" } ?? "none"), maximumValueSize: \(maximumValueSize), scanBatchSize: \(scanBatchSize), "
            + "connection: \(connection), authentication: \(authentication), tls: \(tls.map { "\($0)" } ?? "none"), "
            + "pool: \(pool), breaker: \(breaker))"
    }

    /// A mirror without the password, so that `dump` and debuggers show none.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "keyPrefix": keyPrefix, "defaultTTL": defaultTTL as Any, "staleGrace": staleGrace as Any,
                "maximumValueSize": maximumValueSize,
                "scanBatchSize": scanBatchSize, "connection": connection, "authentication": authentication,
                "tls": tls as Any, "pool": pool, "breaker": breaker,
            ],
            displayStyle: .struct)
    }
}

extension RedisCache.Configuration.Authentication: CustomStringConvertible, CustomReflectable {
    /// The user name, and the password only as `<redacted>` (or `none`).
    public var description: String {
        "Authentication(username: \(username ?? "none"), password: \(password == nil ? "none" : "<redacted>"))"
    }

    /// A mirror without the password.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["username": username as Any, "password": password.map { _ in "<redacted>" } as Any],
            displayStyle: .struct)
    }
}
