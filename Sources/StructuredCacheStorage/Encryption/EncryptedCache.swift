// An adapter that encrypts every value before it reaches another adapter (a shared Redis, a disk folder)
// and authenticates it on the way back: AES-256-GCM, the cache key bound to each value, key rotation.

public import Foundation

/// Encrypts the values of another adapter with AES-256-GCM, so that whoever can read the backend (a
/// shared Redis, a disk folder) reads nothing of the answers, and whoever can write it cannot make the
/// cache return a value it did not itself store under that key (it can still delete values, or put
/// back an older value of the same key while a key that encrypted it is held).
///
/// ```swift
/// let key = try EncryptionKey(identifier: "2025-01", bytes: secretBytes)  // 32 bytes from a secret store
/// let cache = try EncryptedCache(wrapping: try DiskCache(directory: folder), keys: .init(current: key))
/// ```
///
/// Each value is encrypted with a fresh random nonce under the current key; the header names the key,
/// and the header and the cache key are authenticated with the value, so that a value copied under
/// another key, altered, truncated, or written with a key this cache does not hold is refused. Cache
/// keys, TTLs and removals are passed on as they are: keys are not encrypted (the client's are SHA-256
/// digests of the request, which tell nothing of it).
///
/// ## Stored bytes (format version 1)
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 1 | format version, `0x01` |
/// | 1 | 1 | *n*, the length of the key identifier (1 to 255) |
/// | 2 | *n* | the key identifier (``EncryptionKey/identifier``), UTF-8 |
/// | 2 + *n* | 12 | the nonce, random for each value |
/// | 14 + *n* | *c* | the ciphertext, as long as the value |
/// | 14 + *n* + *c* | 16 | the GCM tag |
///
/// The cipher is AES-256-GCM (NIST SP 800-38D) with the key the identifier names, the 96-bit nonce
/// and a 128-bit tag; the associated data is the header (bytes 0 to 1 + *n*) followed by the UTF-8
/// bytes of the cache key. A value grows by 30 + *n* bytes. In Python's `cryptography`:
/// `AESGCM(key).decrypt(stored[2+n:14+n], stored[14+n:], stored[:2+n] + cache_key.encode())`.
///
/// ## Rotation
///
/// ``Keys/current`` encrypts every new value; ``Keys/previous`` only decrypt, so that the values
/// written before a rotation are read until they expire or are replaced. Where several processes share
/// the backend, first deploy the new key among the previous keys everywhere, then make it current: a
/// process that reads a value under a key it does not hold removes that value.
///
/// ## Values that cannot be used
///
/// A value that fails authentication, is truncated, has an unknown format version or names a key
/// that is not among the keys is removed from the wrapped adapter, and the read throws
/// ``CacheError/Code/corruptEntry``: `StructuredClient` reports it as an error event and a miss, calls
/// the provider and stores a new value. A failure of the wrapped adapter is thrown as it is.
///
/// The stale reads of ``StaleReadingCacheAdapter``, the remaining TTL that ``TieredCache`` promotes
/// with, the calls shared across processes of ``SharedFlightCacheAdapter`` (the value another process
/// stored is decrypted too) and the health of ``CacheHealthReporting`` are those of the wrapped adapter,
/// where it has them.
///
/// On Linux the cipher is the system's OpenSSL (`libcrypto.so.3`), loaded at run time, so that building
/// needs no OpenSSL; on Darwin it is CryptoKit. Keys never appear in a description, a `dump`, an error
/// or an event: only their identifiers do.
public final class EncryptedCache: CacheAdapter, CustomStringConvertible, CustomReflectable {
    /// The adapter that holds the encrypted values.
    public let wrapped: any CacheAdapter
    /// The keys: the current one encrypts, each decrypts what it encrypted.
    public let keys: Keys

    /// The format version written in every value, and the only one read.
    static let formatVersion: UInt8 = 1
    let cipher: AESGCM
    /// Every key made ready for the cipher, the current one first.
    let held: [HeldKey]
    /// The header of every value written: the format version and the current key's identifier.
    let header: [UInt8]
    /// The wrapped adapter, when it can tell how long a value has left.
    private let expiryReporting: (any ExpiryReportingCacheAdapter)?

    /// Creates a cache that encrypts the values of `wrapped`.
    ///
    /// - Parameters:
    ///   - wrapped: The adapter that stores the encrypted values (any adapter, a ``TieredCache`` too).
    ///   - keys: The current key, and any previous ones whose values are still to be read.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher cannot be used (on Linux, the system's
    ///   `libcrypto.so.3` is missing, or fails a known-answer check);
    ///   ``CacheError/Code/invalidConfiguration`` when two keys have the same identifier.
    public init(wrapping wrapped: any CacheAdapter, keys: Keys) throws(CacheError) {
        let all = [keys.current] + keys.previous
        guard Set(all.map(\.identifierBytes)).count == all.count else {
            throw .invalidConfiguration(
                "EncryptedCache keys need distinct identifiers, got \(all.map(\.identifier).joined(separator: ", "))")
        }
        let cipher = try AESGCM.get()
        self.cipher = cipher
        held = all.map {
            HeldKey(identifier: $0.identifier, identifierBytes: $0.identifierBytes, prepared: cipher.prepare($0.secret))
        }
        self.wrapped = wrapped
        self.keys = keys
        header = [Self.formatVersion, UInt8(keys.current.identifierBytes.count)] + keys.current.identifierBytes
        let reporting = wrapped as? any ExpiryReportingCacheAdapter
        expiryReporting = reporting?.reportsRemainingTTL == true ? reporting : nil
    }

    /// Returns the value stored under `key`, decrypted and authenticated.
    ///
    /// - Parameter key: The key the value was stored under.
    /// - Returns: The value, or `nil` when the wrapped adapter has none.
    /// - Throws: ``CacheError/Code/corruptEntry`` when the stored value cannot be used (it has been
    ///   removed); the wrapped adapter's error when it fails.
    /// - Complexity: One read of the wrapped adapter, and one pass over the value.
    nonisolated(nonsending) public func get(_ key: String) async throws -> Data? {
        guard let stored = try await wrapped.get(key) else { return nil }
        // Opened here rather than through `opened(_:under:)`: a value that opens awaits nothing more.
        switch try open(stored, under: key) {
        case .value(let value): return value
        case .unusable(let reason): throw await removed(key, because: reason)
        }
    }

    /// Encrypts `value` under the current key and stores it in the wrapped adapter.
    ///
    /// - Parameters:
    ///   - key: The key to store the value under.
    ///   - value: The bytes to store.
    ///   - ttl: How long the value lives, passed on to the wrapped adapter.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails; the wrapped adapter's error.
    /// - Complexity: One pass over the value, and one write of the wrapped adapter.
    public func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        try await wrapped.set(key, try sealed(value, under: key), ttl: ttl)
    }

    /// Removes the value stored under `key` from the wrapped adapter.
    ///
    /// - Parameter key: The key to remove.
    /// - Throws: The wrapped adapter's error.
    public func remove(_ key: String) async throws {
        try await wrapped.remove(key)
    }

    /// Removes every value of the wrapped adapter.
    ///
    /// - Throws: The wrapped adapter's error.
    public func removeAll() async throws {
        try await wrapped.removeAll()
    }

    /// The value in `stored`, or, when it cannot be used, removes it and throws why.
    nonisolated(nonsending) private func opened(_ stored: Data, under key: String) async throws -> Data {
        switch try open(stored, under: key) {
        case .value(let value): return value
        case .unusable(let reason): throw await removed(key, because: reason)
        }
    }

    /// Removes the unusable value under `key` from the wrapped adapter (a failure to remove it is ignored:
    /// the read fails either way), and returns the error that reports it.
    nonisolated(nonsending) private func removed(_ key: String, because reason: String) async -> CacheError {
        try? await wrapped.remove(key)
        return .corruptEntry("EncryptedCache removed a value it cannot use: \(reason)")
    }

    /// `EncryptedCache(wrapping: <adapter type>, keys: …)`, with the keys' identifiers only.
    public var description: String {
        "EncryptedCache(wrapping: \(type(of: wrapped)), keys: \(keys))"
    }

    /// A mirror of the wrapped adapter and the keys (identifiers only).
    public var customMirror: Mirror {
        Mirror(self, children: ["wrapped": wrapped, "keys": keys], displayStyle: .class)
    }
}

extension EncryptedCache: StaleReadingCacheAdapter {
    /// Returns the wrapped adapter's stale value under `key`, decrypted and authenticated.
    ///
    /// - Parameters:
    ///   - key: The key the value was stored under.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil` when the wrapped adapter has none or
    ///   keeps no expired values (it is no ``StaleReadingCacheAdapter``).
    /// - Throws: ``CacheError/Code/corruptEntry`` when the stored value cannot be used (it has been
    ///   removed); the wrapped adapter's error when it fails.
    public func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        guard let reader = wrapped as? any StaleReadingCacheAdapter,
            let found = try await reader.getStale(key, maxStaleness: maxStaleness)
        else { return nil }
        return (try await opened(found.value, under: key), found.staleness)
    }
}

extension EncryptedCache: ExpiryReportingCacheAdapter {
    var reportsRemainingTTL: Bool { expiryReporting != nil }

    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        guard let expiryReporting else { return try await get(key).map { ($0, nil) } }
        guard let found = try await expiryReporting.getWithRemainingTTL(key) else { return nil }
        return (try await opened(found.value, under: key), found.remaining)
    }
}

extension EncryptedCache: SharedFlightCacheAdapter {
    /// Whether the wrapped adapter shares calls across processes (``RedisCache``, or a ``TieredCache``
    /// with one).
    public var sharesFlights: Bool {
        (wrapped as? any SharedFlightCacheAdapter)?.sharesFlights ?? false
    }

    /// Takes the lease on `key` through the wrapped adapter, or waits for another process's value there,
    /// and decrypts and authenticates that value.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - lease: How long the lease lasts unless renewed.
    ///   - wait: How long to wait at most.
    ///   - readsStoredValue: Whether a value already stored ends the wait.
    /// - Returns: The lease, another process's value (decrypted), or ``CacheClaim/timedOut``.
    /// - Throws: ``CacheError/Code/corruptEntry`` when that value cannot be used (it has been removed);
    ///   ``CacheError/Code/unsupported`` when the wrapped adapter does not share calls; its error.
    public func claim(
        _ key: String, lease: Duration, wait: Duration, readsStoredValue: Bool
    ) async throws -> CacheClaim {
        let claim = try await sharingAdapter().claim(
            key, lease: lease, wait: wait, readsStoredValue: readsStoredValue)
        guard case .stored(let stored) = claim else { return claim }
        return .stored(try await opened(stored, under: key))
    }

    /// Extends a lease through the wrapped adapter.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - duration: How long it lasts from now.
    /// - Returns: Whether the lease was still held.
    /// - Throws: ``CacheError/Code/unsupported`` when the wrapped adapter does not share calls; its error.
    public func renew(_ lease: CacheLease, for duration: Duration) async throws -> Bool {
        try await sharingAdapter().renew(lease, for: duration)
    }

    /// Ends a lease through the wrapped adapter.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - stored: Whether a value was stored.
    /// - Throws: ``CacheError/Code/unsupported`` when the wrapped adapter does not share calls; its error.
    public func release(_ lease: CacheLease, stored: Bool) async throws {
        try await sharingAdapter().release(lease, stored: stored)
    }

    private func sharingAdapter() throws(CacheError) -> any SharedFlightCacheAdapter {
        guard let sharing = wrapped as? any SharedFlightCacheAdapter, sharing.sharesFlights else {
            throw .unsupported("the adapter EncryptedCache wraps does not share calls across processes")
        }
        return sharing
    }
}

extension EncryptedCache: CacheHealthReporting {
    /// The health of the servers behind the wrapped adapter, when it reports theirs.
    public var health: [CacheHealth] {
        (wrapped as? any CacheHealthReporting)?.health ?? []
    }

    /// Calls `observer` with every change the wrapped adapter reports, when it reports its servers' health.
    ///
    /// - Parameter observer: Called with each change; must return quickly.
    public func observeHealth(_ observer: @escaping @Sendable (CacheHealth) -> Void) {
        (wrapped as? any CacheHealthReporting)?.observeHealth(observer)
    }
}
