// A 256-bit key of EncryptedCache and the identifier that names it in every value it encrypts; printed,
// dumped and reported only by its identifier.

/// A 256-bit AES key and the identifier that names it in the header of every value it encrypts.
///
/// ```swift
/// let key = try EncryptionKey(identifier: "2025-01", bytes: Data(base64Encoded: secret) ?? Data())
/// ```
///
/// A key never shows in text: ``description``, ``debugDescription`` and `dump` print its identifier
/// alone, and no error or event of ``EncryptedCache`` holds a byte of it. Make one of 32 random bytes
/// (`openssl rand -base64 32`) kept in a secret store, or derive one per tenant with
/// ``derivedKey(forTenant:identifier:)``.
public struct EncryptionKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The name of the key, stored in the clear in the header of each value it encrypts, so that a
    /// reader knows which key opens the value: a version or a date (`2025-01`), never anything secret.
    public let identifier: String
    /// The identifier's UTF-8 bytes, as the header holds them.
    let identifierBytes: [UInt8]
    /// The 32 bytes of the key.
    let secret: [UInt8]

    /// The info that ``derivedKey(forTenant:identifier:)`` prefixes to the tenant's name.
    static let tenantInfoPrefix = "structuredcache/tenant-key/v1:"

    /// Creates a key.
    ///
    /// - Parameters:
    ///   - identifier: The key's name, 1 to 255 bytes of UTF-8, stored in the clear with each value.
    ///   - bytes: The key: exactly 32 bytes (AES-256), from a cryptographically secure generator.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when `bytes` are not 32 bytes long, or the
    ///   identifier is empty or longer than 255 bytes; the message gives the lengths, never the bytes.
    public init(identifier: String, bytes: some Sequence<UInt8>) throws(CacheError) {
        let identifierBytes = Array(identifier.utf8)
        guard (1...255).contains(identifierBytes.count) else {
            throw .invalidConfiguration(
                "an EncryptionKey identifier must be 1 to 255 bytes of UTF-8, got \(identifierBytes.count)")
        }
        let secret = Array(bytes)
        guard secret.count == AESGCM.keyByteCount else {
            throw .invalidConfiguration(
                "EncryptionKey \(identifier) must be \(AESGCM.keyByteCount) bytes long (AES-256), got \(secret.count)")
        }
        self.identifier = identifier
        self.identifierBytes = identifierBytes
        self.secret = secret
    }

    /// The key of one tenant, derived from this one (the master key) with HKDF-SHA256 (RFC 5869).
    ///
    /// The derivation, which any HKDF implementation reproduces: the input keying material is this key's
    /// 32 bytes, the salt is empty (RFC 5869's default of 32 zero bytes), the info is the UTF-8 bytes of
    /// `structuredcache/tenant-key/v1:` followed by `tenant`, and the output is 32 bytes. Different
    /// tenants get unrelated keys; knowing one tenant's key tells nothing of the master or of another's.
    ///
    /// - Parameters:
    ///   - tenant: The tenant's name, as exact UTF-8 (any string; the same name gives the same key).
    ///   - identifier: The derived key's identifier; the master's by default, so that no tenant's name
    ///     is written in the clear into the values.
    /// - Returns: The tenant's key.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when `identifier` is empty or longer than 255
    ///   bytes.
    public func derivedKey(forTenant tenant: String, identifier: String? = nil) throws(CacheError) -> EncryptionKey {
        let derived = HKDF.deriveKey(
            inputKeyMaterial: secret, salt: [], info: Array((Self.tenantInfoPrefix + tenant).utf8),
            byteCount: AESGCM.keyByteCount)
        return try EncryptionKey(identifier: identifier ?? self.identifier, bytes: derived)
    }

    /// `EncryptionKey(<identifier>)`: the identifier only.
    public var description: String { "EncryptionKey(\(identifier))" }

    /// The same as ``description``: the identifier only.
    public var debugDescription: String { description }

    /// A mirror of the identifier only, so that `dump` shows no byte of the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["identifier": identifier], displayStyle: .struct)
    }
}
