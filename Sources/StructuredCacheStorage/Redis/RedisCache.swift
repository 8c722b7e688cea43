// A CacheAdapter backed by Redis, so that many processes and machines share one cache.

public import Foundation
import StructuredCacheSupport
import Synchronization

/// A cache adapter that keeps values in Redis.
///
/// Values live under ``Configuration/keyPrefix`` (a namespace, `"structuredcache:"` by default) so
/// that ``removeAll()`` removes this cache's entries and nothing else. A time to live becomes
/// `SET key value PX milliseconds`, so Redis itself expires entries and every process sees the same
/// expiry. Keys and values are binary-safe. With ``Configuration/staleGrace``, Redis keeps each entry
/// that much longer for ``getStale(_:maxStaleness:)`` (see `RedisCache+Stale.swift`).
///
/// ```swift
/// let cache = try RedisCache(url: "redis://:secret@localhost:6379/0")
/// try await cache.set("answer", Data("42".utf8), ttl: .seconds(3600))
/// let value = try await cache.get("answer")
/// ```
///
/// The client is this package's own: RESP2 and RESP3 over plain sockets, a pool of pipelined
/// connections, connect and command timeouts, reconnection with backoff. Every failure is thrown as a
/// ``CacheError`` with a code to match on, as every adapter throws, so a caller can fail open: treat an
/// error from ``get(_:)`` as a miss and one from ``set(_:_:ttl:)`` as a skipped store. No connection is
/// made until the first command.
///
/// A command whose task is cancelled throws `CancellationError` at once rather than waiting for the
/// reply; the connection stays usable (the reply is read and dropped when it comes).
///
/// For a Redis Cluster, create the cache with ``init(cluster:configuration:)``: each command then goes to
/// the primary that serves its key's hash slot.
public final class RedisCache: CacheAdapter {
    /// The options this cache was created with.
    public let configuration: Configuration

    /// The server, or the cluster, that commands go to.
    let topology: RedisTopology
    let keyPrefix: String
    /// Told when a server's breaker opens or closes.
    let observers = RedisHealthObservers()
    /// Set once the server has said it does not know `UNLINK` (Redis before 4), so `DEL` is used.
    private let useDelete = Atomic<Bool>(false)
    /// How long past its expiry Redis keeps an entry, in milliseconds; `nil` without a grace.
    let graceMilliseconds: Int64?
    /// Set once the server has refused the script that reads a value and its TTL together (scripting
    /// denied by an ACL, or `EVAL` renamed away), so the two are read as separate commands.
    let scriptsRefused = Atomic<Bool>(false)
    /// The connection that waits for other processes' answers on (see ``SharedFlightCacheAdapter``).
    let subscriber: RedisSubscriber

    /// Creates a cache for the Redis server at `url`. No connection is opened yet.
    ///
    /// Accepted URLs:
    /// - `redis://[[user]:password@]host[:port][/db]`: TCP, IPv4 or IPv6 (`redis://[::1]:6379`); user
    ///   and password are percent-decoded; the port defaults to 6379 and the database to 0.
    /// - `rediss://…`: the same over TLS, with the default ``Configuration/TLS`` options unless
    ///   ``Configuration/tls`` is set (which also turns TLS on for a `redis://` URL).
    /// - `unix:///path/to/redis.sock[?db=N]`: a Unix domain socket.
    ///
    /// - Parameters:
    ///   - url: Where the server is.
    ///   - configuration: Everything else; every option has a default.
    /// - Throws: ``CacheError/Code/unsupported`` for TLS when the system's OpenSSL cannot be loaded;
    ///   ``CacheError/Code/invalidConfiguration`` for a malformed URL, an option out of range, or TLS
    ///   certificates or keys that cannot be read.
    public init(url: String, configuration: Configuration = Configuration()) throws {
        try Self.validate(configuration)
        self.configuration = configuration
        self.keyPrefix = configuration.keyPrefix
        self.graceMilliseconds = configuration.staleGrace.map { Int64(Self.milliseconds(roundingUp: $0)) }
        let topology = RedisTopology.standalone(
            RedisConnectionPool(
                configuration: try RedisConfiguration(url: url, options: configuration), observers: observers))
        self.topology = topology
        self.subscriber = RedisSubscriber { try await topology.anyNode() }
    }

    /// Creates a cache for a Redis Cluster, given some of its nodes. No connection is opened yet.
    ///
    /// On first use the cache asks the first seed that answers for the cluster's slot map
    /// (`CLUSTER SHARDS`, or `CLUSTER SLOTS` before Redis 7), then sends each command to the primary that
    /// serves its key's hash slot, with a pool of ``Configuration/Pool/size`` connections
    /// and a circuit breaker per primary. It follows `MOVED` and `ASK` redirections while slots are
    /// resharded, waits out `TRYAGAIN`, `CLUSTERDOWN` and `LOADING` within
    /// ``Configuration/Connection/commandTimeout``, and reloads the map when a primary fails
    /// and a replica takes its place. ``removeAll()`` walks every primary. With `rediss://` seeds (or
    /// ``Configuration/tls``), every node is reached over TLS, at the `tls-port` it announces.
    ///
    /// Keys that share a hash tag (`{user42}:profile`, `{user42}:history`) are kept in one slot.
    ///
    /// ```swift
    /// let cache = try RedisCache(
    ///     cluster: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7000", "redis://10.0.0.3:7000"],
    ///     configuration: .init(keyPrefix: "myapp:", authentication: .init(password: secret)))
    /// try await cache.set("answer", Data("42".utf8), ttl: .seconds(3600))
    /// ```
    ///
    /// - Parameters:
    ///   - seeds: `redis://[[user]:password@]host[:port]` (or `rediss://`) URLs of one or more nodes of
    ///     the cluster; credentials and TLS come from the first seed's URL or from `configuration`.
    ///   - configuration: Everything else, as for ``init(url:configuration:)``.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when there is no seed, a seed is malformed or
    ///   not a `redis://` or `rediss://` URL, or a seed names a database other than 0 (a cluster has only
    ///   database 0), or an option is out of range; ``CacheError/Code/unsupported`` for TLS when the
    ///   system's OpenSSL cannot be loaded.
    public init(cluster seeds: [String], configuration: Configuration = Configuration()) throws {
        try Self.validate(configuration)
        guard !seeds.isEmpty else {
            throw CacheError.invalidConfiguration("a Redis Cluster cache needs at least one seed URL")
        }
        let parsed = try seeds.map { try RedisConfiguration(url: $0, options: configuration) }
        for seed in parsed {
            guard seed.database == 0 else {
                throw CacheError.invalidConfiguration(
                    "a Redis Cluster has only database 0; the seed \(seed.endpoint) names database \(seed.database)")
            }
            guard case .tcp = seed.endpoint else {
                throw CacheError.invalidConfiguration(
                    "Redis Cluster seeds must be redis:// or rediss:// URLs, not \(seed.endpoint)")
            }
        }
        self.configuration = configuration
        self.keyPrefix = configuration.keyPrefix
        self.graceMilliseconds = configuration.staleGrace.map { Int64(Self.milliseconds(roundingUp: $0)) }
        let topology = RedisTopology.cluster(
            RedisClusterRouter(seeds: parsed.map(\.endpoint), template: parsed[0], observers: observers))
        self.topology = topology
        self.subscriber = RedisSubscriber { try await topology.anyNode() }
    }

    /// Checks the options that do not concern connections.
    private static func validate(_ configuration: Configuration) throws {
        guard configuration.maximumValueSize > 0 else {
            throw CacheError.invalidConfiguration("maximumValueSize must be positive")
        }
        guard configuration.scanBatchSize > 0 else {
            throw CacheError.invalidConfiguration("scanBatchSize must be positive")
        }
        if let defaultTTL = configuration.defaultTTL, defaultTTL <= .zero {
            throw CacheError.invalidConfiguration("defaultTTL must be > 0, got \(defaultTTL)")
        }
        if let staleGrace = configuration.staleGrace, staleGrace <= .zero {
            throw CacheError.invalidConfiguration("staleGrace must be > 0, got \(staleGrace)")
        }
    }

    deinit {
        subscriber.shutdown()
        topology.shutdown()
    }

    /// Closes every connection. Later calls, and calls still waiting, throw ``CacheError/shutDown``.
    ///
    /// The cache also shuts down when it is deallocated; call this to release the connections sooner.
    public func shutdown() {
        subscriber.shutdown()
        topology.shutdown()
    }

    /// Returns the value stored under `key`, or `nil` when there is none or it has expired.
    ///
    /// A plain `GET`; with ``Configuration/staleGrace``, `GET` and `PTTL` in one script, and a key with
    /// the grace or less left is expired.
    ///
    /// - Parameter key: The key, without the prefix.
    /// - Returns: The stored bytes, or `nil` on a miss.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    nonisolated(nonsending) public func get(_ key: String) async throws -> Data? {
        if let graceMilliseconds { return try await liveValue(key, grace: graceMilliseconds) }
        return try await plainGet(key)
    }

    /// The value under `key` as `GET` returns it, whatever its TTL.
    nonisolated(nonsending) func plainGet(_ key: String) async throws -> Data? {
        var command = RESPEncoder(argumentCount: 2, reservingCapacity: keyPrefix.utf8.count + key.utf8.count)
        command.append("GET")
        command.append(prefix: keyPrefix, key)
        switch try await send(command, key: key) {
        case .bulkString(let bytes):
            return Data(bytes)
        case .null:
            return nil
        case let other:
            throw CacheError.protocolError("unexpected reply to GET: \(Self.describe(other))")
        }
    }

    /// Stores `value` under `key`, replacing any earlier value and its expiry.
    ///
    /// A `ttl` becomes `SET … PX milliseconds`, rounded up to a whole millisecond (plus
    /// ``Configuration/staleGrace``, when set); a `ttl` of zero or less removes the key, since such a
    /// value would already be expired.
    ///
    /// - Parameters:
    ///   - key: The key, without the prefix.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` for ``Configuration/defaultTTL``.
    /// - Throws: ``CacheError``: `valueTooLarge` above ``Configuration/maximumValueSize``, or a
    ///   connection or server error.
    public func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        guard value.count <= configuration.maximumValueSize else {
            throw CacheError.valueTooLarge(
                "a value of \(value.count) bytes exceeds maximumValueSize (\(configuration.maximumValueSize))")
        }
        var milliseconds: Int?
        if let ttl = ttl.resolved(defaultTTL: configuration.defaultTTL) {
            guard ttl > .zero else {
                try await remove(key)
                return
            }
            milliseconds = Self.milliseconds(roundingUp: ttl, plus: graceMilliseconds ?? 0)
        }
        var command = RESPEncoder(
            argumentCount: milliseconds == nil ? 3 : 5,
            reservingCapacity: keyPrefix.utf8.count + key.utf8.count + value.count)
        command.append("SET")
        command.append(prefix: keyPrefix, key)
        value.withUnsafeBytes { command.append(bytes: $0) }
        if let milliseconds {
            command.append("PX")
            command.append(milliseconds)
        }
        let reply = try await send(command, key: key)
        guard case .simpleString("OK") = reply else {
            throw CacheError.protocolError("unexpected reply to SET: \(Self.describe(reply))")
        }
    }

    /// Removes the value stored under `key`, if any (with `UNLINK`, or `DEL` on servers before Redis 4).
    ///
    /// - Parameter key: The key, without the prefix.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    public func remove(_ key: String) async throws {
        try await unlink(route: .key(key)) { command in command.append(prefix: keyPrefix, key) }
    }

    /// Removes every value under this cache's key prefix, and nothing else.
    ///
    /// Walks the keyspace with `SCAN … MATCH <prefix>* COUNT n` (glob characters in the prefix escaped)
    /// and removes what it finds with `UNLINK` in batches; never `FLUSHDB`. In a cluster, every primary
    /// is walked, and the keys found are removed in batches of one hash slot each, sent to the slot's
    /// current primary. Keys written while the walk runs may survive it.
    ///
    /// - Throws: ``CacheError``: `invalidConfiguration` when the key prefix is empty (that would remove
    ///   the whole database), or a connection or server error.
    public func removeAll() async throws {
        guard !keyPrefix.isEmpty else {
            throw CacheError.invalidConfiguration(
                "removeAll() needs a non-empty keyPrefix; it would empty the database")
        }
        switch topology {
        case .standalone(let pool):
            try await scan(pool) { keys in
                try await self.unlink(keys, route: .any)
            }
        case .cluster(let router):
            for pool in try await router.primaries() {
                try await scan(pool) { keys in
                    var bySlot: [Int: [[UInt8]]] = [:]
                    for key in keys { bySlot[RedisClusterSlot.slot(of: key), default: []].append(key) }
                    for (slot, keys) in bySlot {
                        try await self.unlink(keys, route: .slot(slot))
                    }
                }
            }
        }
    }

    /// Walks the keys under the prefix on one server with `SCAN`, handing each batch found (whole keys,
    /// prefix included) to `visit`.
    func scan(_ pool: RedisConnectionPool, _ visit: ([[UInt8]]) async throws -> Void) async throws {
        let pattern = Self.globEscaped(keyPrefix) + "*"
        let batch = configuration.scanBatchSize
        var cursor = "0"
        repeat {
            var scan = RESPEncoder(argumentCount: 6)
            scan.append("SCAN")
            scan.append(cursor)
            scan.append("MATCH")
            scan.append(pattern)
            scan.append("COUNT")
            scan.append(batch)
            let reply = try await pool.send(scan)
            guard let parts = reply.elements, parts.count == 2, let next = parts[0].string,
                let found = parts[1].elements
            else {
                throw CacheError.protocolError("unexpected reply to SCAN: \(Self.describe(reply))")
            }
            let keys = try found.map { key throws(CacheError) -> [UInt8] in
                guard case .bulkString(let bytes) = key else {
                    throw CacheError.protocolError("unexpected key in SCAN reply: \(Self.describe(key))")
                }
                return bytes
            }
            if !keys.isEmpty { try await visit(keys) }
            cursor = next
        } while cursor != "0"
    }

    /// Removes `keys` (whole keys, prefix included) in batches of at most ``Configuration/scanBatchSize``.
    private func unlink(_ keys: [[UInt8]], route: Route) async throws {
        let batch = configuration.scanBatchSize
        var start = 0
        while start < keys.count {
            let slice = keys[start..<min(start + batch, keys.count)]
            start += batch
            try await unlink(count: slice.count, route: route) { command in
                for key in slice { command.append(bytes: key) }
            }
        }
    }

    // MARK: - Internal

    /// Sends a command made of text arguments through the pool; for tests and diagnostics.
    ///
    /// - Parameter arguments: The command name and its arguments.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``.
    /// In a cluster, the command goes to the primary of the slot of its second argument, taken as a key.
    func command(_ arguments: [String]) async throws -> RESPValue {
        var encoder = RESPEncoder(argumentCount: arguments.count)
        for argument in arguments { encoder.append(argument) }
        return try await send(
            encoder, route: arguments.count > 1 ? .slot(RedisClusterSlot.slot(of: arguments[1])) : .any)
    }

    /// Where a command goes in a cluster.
    private enum Route {
        /// To the primary of this key's slot (the key without the prefix); the slot is computed only in a
        /// cluster.
        case key(String)
        /// To the primary of this slot.
        case slot(Int)
        /// To any primary (commands without a key), or to the single server.
        case any
    }

    /// Sends a command about one key of this cache.
    ///
    /// - Parameters:
    ///   - command: The encoded command.
    ///   - key: The key, without the prefix.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``.
    func send(_ command: RESPEncoder, key: String) async throws -> RESPValue {
        switch topology {
        case .standalone(let pool):
            return try await Self.send(command, standalone: pool)
        case .cluster(let router):
            return try await router.send(command, slot: RedisClusterSlot.slot(prefix: keyPrefix, key: key))
        }
    }

    /// Sends a command to the server, or in a cluster to the node `route` names.
    private func send(_ command: RESPEncoder, route: Route) async throws -> RESPValue {
        switch topology {
        case .standalone(let pool):
            return try await Self.send(command, standalone: pool)
        case .cluster(let router):
            switch route {
            case .key(let key):
                return try await router.send(command, slot: RedisClusterSlot.slot(prefix: keyPrefix, key: key))
            case .slot(let slot):
                return try await router.send(command, slot: slot)
            case .any:
                guard let pool = try await router.primaries().first else {
                    throw CacheError.connectionFailed("the Redis Cluster has no primary")
                }
                return try await pool.send(command)
            }
        }
    }

    /// Sends a command to a single server, explaining a `MOVED` reply: the server is a cluster node.
    private static func send(_ command: RESPEncoder, standalone pool: RedisConnectionPool) async throws -> RESPValue {
        do {
            return try await pool.send(command)
        } catch let error as CacheError
            where error.code == .serverError && (error.message.hasPrefix("MOVED ") || error.message.hasPrefix("ASK "))
        {
            throw CacheError.serverError(
                "\(pool.configuration.endpoint) is a Redis Cluster node and the key is served by another node "
                    + "(\(error.message)); create the cache with RedisCache(cluster:) to use a cluster")
        }
    }

    private func unlink(count: Int = 1, route: Route, _ appendKeys: (inout RESPEncoder) -> Void) async throws {
        while true {
            let deleting = useDelete.load(ordering: .relaxed)
            var command = RESPEncoder(argumentCount: 1 + count)
            command.append(deleting ? "DEL" : "UNLINK")
            appendKeys(&command)
            do {
                let reply = try await send(command, route: route)
                guard case .integer = reply else {
                    throw CacheError.protocolError("unexpected reply to UNLINK: \(Self.describe(reply))")
                }
                return
            } catch let error as CacheError
                where !deleting && error.code == .serverError && error.message.lowercased().contains("unknown command")
            {
                useDelete.store(true, ordering: .relaxed)
            }
        }
    }

    /// Whole milliseconds, rounded up and at least 1, plus `extra`, capped far below what Redis would reject.
    static func milliseconds(roundingUp ttl: Duration, plus extra: Int64 = 0) -> Int {
        let cap: Int64 = 1_000_000_000_000_000  // about 31,700 years
        return Int(min(max(1, ttl.milliseconds(roundingUp: true)).saturatingAdding(extra), cap))
    }

    /// Escapes Redis glob metacharacters so that the prefix matches only itself.
    static func globEscaped(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\^-".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    private static func describe(_ value: RESPValue) -> String {
        let text = String(describing: value)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
