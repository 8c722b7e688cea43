// The storage contract every cache backend keeps: bytes in, bytes out, with an optional time to live.

public import Foundation

/// A place where StructuredCache keeps cached values.
///
/// An adapter stores opaque bytes under string keys. It knows nothing of what a key means or of what
/// a value holds; the client decides both. Every adapter keeps the same contract:
///
/// - ``get(_:)`` returns `nil` when the key is missing **or expired**; it never returns an expired value.
/// - ``set(_:_:ttl:)`` honours the time to live: after `ttl` has passed the value is gone; ``CacheTTL/never``
///   never expires, and ``CacheTTL/adapterDefault`` is the adapter's configured default (no expiry when
///   it has none).
/// - Every method is safe to call from many tasks and threads at once.
/// - A value read back is byte-for-byte the value written.
///
/// Errors are thrown only for real failures of the backend (an unreachable server, an unwritable
/// folder). The adapters of this package report every failure of their backend as a ``CacheError``, so
/// one `catch` covers them all; the client treats a throwing `get` as a miss and a throwing `set` as a
/// skipped store, whatever the error, so a broken cache never fails an LLM call.
public protocol CacheAdapter: Sendable {
    /// Returns the value stored under `key`, or `nil` when there is none or it has expired.
    ///
    /// - Parameter key: The key the value was stored under.
    /// - Returns: The stored bytes, or `nil` on a miss.
    /// - Throws: ``CacheError`` when the backend cannot be read.
    nonisolated(nonsending) func get(_ key: String) async throws -> Data?

    /// Stores `value` under `key`, replacing any earlier value.
    ///
    /// - Parameters:
    ///   - key: The key to store the value under.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives: a duration, ``CacheTTL/never``, or ``CacheTTL/adapterDefault``.
    ///     A duration of zero or less removes the key.
    /// - Throws: ``CacheError`` when the backend cannot be written.
    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws

    /// Removes the value stored under `key`, if any.
    ///
    /// - Parameter key: The key to remove.
    /// - Throws: ``CacheError`` when the backend cannot be written.
    func remove(_ key: String) async throws

    /// Removes every value this adapter stored, and nothing else.
    ///
    /// - Throws: ``CacheError`` when the backend cannot be written.
    func removeAll() async throws
}

extension CacheAdapter {
    /// Stores `value` under `key` with the adapter's default TTL (``CacheTTL/adapterDefault``).
    ///
    /// - Parameters:
    ///   - key: The key to store the value under.
    ///   - value: The bytes to store.
    /// - Throws: ``CacheError`` when the backend cannot be written.
    public func set(_ key: String, _ value: Data) async throws {
        try await set(key, value, ttl: .adapterDefault)
    }
}
