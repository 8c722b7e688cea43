// HKDF with SHA-256 (RFC 5869): keys derived from a master key, such as one per tenant.

/// The HMAC-based key derivation function of RFC 5869, with SHA-256.
enum HKDF {
    /// Derives `byteCount` bytes from `inputKeyMaterial`: extract, then expand.
    ///
    /// - Parameters:
    ///   - inputKeyMaterial: The secret to derive from (IKM).
    ///   - salt: The salt; empty for none, which RFC 5869 defines as 32 zero bytes (the same code).
    ///   - info: What the derived bytes are for; different infos give unrelated outputs.
    ///   - byteCount: How many bytes to derive (L), at most 255 × 32.
    /// - Returns: The derived bytes (OKM).
    static func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], byteCount: Int) -> [UInt8] {
        expand(
            pseudorandomKey: extract(inputKeyMaterial: inputKeyMaterial, salt: salt), info: info, byteCount: byteCount)
    }

    /// HKDF-Extract: the pseudorandom key of `inputKeyMaterial` (RFC 5869, section 2.2).
    ///
    /// - Parameters:
    ///   - inputKeyMaterial: The secret (IKM).
    ///   - salt: The salt; empty for none.
    /// - Returns: The 32 bytes of the pseudorandom key (PRK).
    static func extract(inputKeyMaterial: [UInt8], salt: [UInt8]) -> [UInt8] {
        // HMAC pads a short key with zeros, so an empty salt and 32 zero bytes give the same code.
        HMACSHA256.authenticationCode(for: inputKeyMaterial, key: salt)
    }

    /// HKDF-Expand: `byteCount` bytes of `pseudorandomKey` for `info` (RFC 5869, section 2.3).
    ///
    /// - Parameters:
    ///   - pseudorandomKey: The pseudorandom key (PRK), at least 32 bytes.
    ///   - info: What the bytes are for.
    ///   - byteCount: How many bytes (L), at most 255 × 32.
    /// - Returns: The bytes (OKM).
    static func expand(pseudorandomKey: [UInt8], info: [UInt8], byteCount: Int) -> [UInt8] {
        precondition(byteCount >= 0 && byteCount <= 255 * 32, "HKDF-SHA256 derives at most 8,160 bytes")
        var output: [UInt8] = []
        output.reserveCapacity(byteCount)
        var block: [UInt8] = []
        var counter: UInt8 = 1
        while output.count < byteCount {
            var function = HMACSHA256(key: pseudorandomKey)
            function.update(data: block)
            function.update(data: info)
            function.update(data: CollectionOfOne(counter))
            block = function.finalize()
            output += block.prefix(byteCount - output.count)
            counter &+= 1
        }
        return output
    }
}
