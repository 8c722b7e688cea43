// A CacheAdapter backed by Redis, so that many processes and machines share one cache.

public import Foundation
import StructuredCacheSupport
import Synchronization

/// A cache adapter that keeps values in Redis.
///
/// Values live under ``Configuration/keyPrefix`` (a namespace, `"structuredcache:"` by default) so
/// that ``removeAll()`` removes this cache's entries and nothing else. A time to live becomes
/// `SET key value PX milliseconds`, so Redis itself expires entries and every process sees the same
/// expiry. Keys and values are binary-safe.
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
public final class RedisCache: CacheAdapter {
    /// The options this cache was created with.
    public let configuration: Configuration

    let pool: RedisConnectionPool
    let keyPrefix: String
    /// Set once the server has said it does not know `UNLINK` (Redis before 4), so `DEL` is used.
    private let useDelete = Atomic<Bool>(false)

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
        guard configuration.maximumValueSize > 0 else {
            throw CacheError.invalidConfiguration("maximumValueSize must be positive")
        }
        guard configuration.scanBatchSize > 0 else {
            throw CacheError.invalidConfiguration("scanBatchSize must be positive")
        }
        if let defaultTTL = configuration.defaultTTL, defaultTTL <= .zero {
            throw CacheError.invalidConfiguration("defaultTTL must be > 0, got \(defaultTTL)")
        }
        self.configuration = configuration
        self.keyPrefix = configuration.keyPrefix
        self.pool = RedisConnectionPool(configuration: try RedisConfiguration(url: url, options: configuration))
    }

    deinit {
        pool.shutdown()
    }

    /// Closes every connection. Later calls, and calls still waiting, throw ``CacheError/shutDown``.
    ///
    /// The cache also shuts down when it is deallocated; call this to release the connections sooner.
    public func shutdown() {
        pool.shutdown()
    }

    /// Returns the value stored under `key`, or `nil` when there is none or it has expired.
    ///
    /// - Parameter key: The key, without the prefix.
    /// - Returns: The stored bytes, or `nil` on a miss.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    public func get(_ key: String) async throws -> Data? {
        var command = RESPEncoder(argumentCount: 2, reservingCapacity: keyPrefix.utf8.count + key.utf8.count)
        command.append("GET")
        command.append(prefix: keyPrefix, key)
        switch try await pool.send(command) {
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
    /// A `ttl` becomes `SET … PX milliseconds`, rounded up to a whole millisecond; a `ttl` of zero or
    /// less removes the key, since such a value would already be expired.
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
            milliseconds = Self.milliseconds(roundingUp: ttl)
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
        let reply = try await pool.send(command)
        guard case .simpleString("OK") = reply else {
            throw CacheError.protocolError("unexpected reply to SET: \(Self.describe(reply))")
        }
    }

    /// Removes the value stored under `key`, if any (with `UNLINK`, or `DEL` on servers before Redis 4).
    ///
    /// - Parameter key: The key, without the prefix.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    public func remove(_ key: String) async throws {
        try await unlink { command in command.append(prefix: keyPrefix, key) }
    }

    /// Removes every value under this cache's key prefix, and nothing else.
    ///
    /// Walks the keyspace with `SCAN … MATCH <prefix>* COUNT n` (glob characters in the prefix escaped)
    /// and removes what it finds with `UNLINK` in batches; never `FLUSHDB`. Keys written while the
    /// walk runs may survive it.
    ///
    /// - Throws: ``CacheError``: `invalidConfiguration` when the key prefix is empty (that would remove
    ///   the whole database), or a connection or server error.
    public func removeAll() async throws {
        guard !keyPrefix.isEmpty else {
            throw CacheError.invalidConfiguration(
                "removeAll() needs a non-empty keyPrefix; it would empty the database")
        }
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
            var start = 0
            while start < keys.count {
                let slice = keys[start..<min(start + batch, keys.count)]
                start += batch
                try await unlink(count: slice.count) { command in
                    for key in slice { command.append(bytes: key) }
                }
            }
            cursor = next
        } while cursor != "0"
    }

    // MARK: - Internal

    /// Sends a command made of text arguments through the pool; for tests and diagnostics.
    ///
    /// - Parameter arguments: The command name and its arguments.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``.
    func command(_ arguments: [String]) async throws -> RESPValue {
        var encoder = RESPEncoder(argumentCount: arguments.count)
        for argument in arguments { encoder.append(argument) }
        return try await pool.send(encoder)
    }

    private func unlink(count: Int = 1, _ appendKeys: (inout RESPEncoder) -> Void) async throws {
        while true {
            let deleting = useDelete.load(ordering: .relaxed)
            var command = RESPEncoder(argumentCount: 1 + count)
            command.append(deleting ? "DEL" : "UNLINK")
            appendKeys(&command)
            do {
                let reply = try await pool.send(command)
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

    /// Whole milliseconds, rounded up and at least 1, capped far below what Redis would reject.
    static func milliseconds(roundingUp ttl: Duration) -> Int {
        let cap: Int64 = 1_000_000_000_000_000  // about 31,700 years
        return Int(min(max(1, ttl.milliseconds(roundingUp: true)), cap))
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
