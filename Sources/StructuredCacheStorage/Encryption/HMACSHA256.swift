// HMAC-SHA256 (RFC 2104) over the package's SHA-256, for HKDF.

import StructuredCacheSupport

/// HMAC with SHA-256 (RFC 2104, FIPS 198-1): a 32-byte code of a message under a key.
struct HMACSHA256 {
    /// The hash of the key's inner pad, ready for the message.
    private var inner = SHA256()
    /// The hash of the key's outer pad, ready for the inner digest.
    private var outer = SHA256()

    /// Prepares the code of a message under `key`.
    ///
    /// - Parameter key: The key, of any length (one longer than a block is hashed first, as RFC 2104 says).
    init(key: [UInt8]) {
        var block = key.count > SHA256.blockByteCount ? SHA256.hash(data: key).bytes : key
        block += repeatElement(0, count: SHA256.blockByteCount - block.count)
        inner.update(data: block.map { $0 ^ 0x36 })
        outer.update(data: block.map { $0 ^ 0x5C })
    }

    /// Consumes the next bytes of the message.
    ///
    /// - Parameter data: The bytes.
    mutating func update(data: some Sequence<UInt8>) {
        inner.update(data: data)
    }

    /// The code of every byte consumed.
    ///
    /// - Returns: The 32 bytes of the code.
    consuming func finalize() -> [UInt8] {
        outer.update(data: inner.finalize().bytes)
        return outer.finalize().bytes
    }

    /// The code of `message` under `key`.
    ///
    /// - Parameters:
    ///   - message: The message.
    ///   - key: The key.
    /// - Returns: The 32 bytes of the code.
    static func authenticationCode(for message: some Sequence<UInt8>, key: [UInt8]) -> [UInt8] {
        var function = HMACSHA256(key: key)
        function.update(data: message)
        return function.finalize()
    }
}
