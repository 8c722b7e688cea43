// The stored bytes of an EncryptedCache value (see EncryptedCache): header, nonce, ciphertext, tag.

package import Foundation

extension EncryptedCache {
    /// What a stored value holds.
    package enum Opened {
        /// The value, decrypted and authenticated.
        case value(Data)
        /// Nothing usable, and why.
        case unusable(String)
    }

    /// A key of ``keys``, ready for the cipher, and the identifier a header names it by.
    struct HeldKey: Sendable {
        let identifier: String
        let identifierBytes: [UInt8]
        let prepared: AESGCM.PreparedKey
    }

    /// The held key whose identifier is `identifier` (UTF-8 bytes, as a header holds them), if any.
    func heldKey(identifiedBy identifier: UnsafeRawBufferPointer) -> HeldKey? {
        for key in held where identifier.elementsEqual(key.identifierBytes) { return key }
        return nil
    }

    /// The bytes stored for `value` under `key`: the header, a fresh nonce, the ciphertext and the tag,
    /// written in one buffer.
    ///
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher or the random generator fails.
    package func sealed(_ value: Data, under key: String) throws -> Data {
        let encryptionKey = held[0].prepared
        let nonceStart = header.count
        let ciphertextStart = nonceStart + AESGCM.nonceByteCount
        let tagStart = ciphertextStart + value.count
        let count = tagStart + AESGCM.tagByteCount
        // Allocated uninitialized, written once, and handed to the Data as it is.
        guard let buffer = malloc(count) else { throw CacheError.valueTooLarge("no memory for \(count) bytes") }
        let out = UnsafeMutableRawBufferPointer(start: buffer, count: count)
        out.copyBytes(from: header)
        let nonce = UnsafeMutableRawBufferPointer(rebasing: out[nonceStart..<ciphertextStart])
        var cacheKey = key
        do {
            try cipher.fillRandom(nonce)
            try value.withUnsafeBytes { plaintext in
                try cacheKey.withUTF8 { cacheKey in
                    try cipher.seal(
                        plaintext, key: encryptionKey, nonce: UnsafeRawBufferPointer(nonce),
                        authenticating: UnsafeRawBufferPointer(rebasing: out[..<nonceStart]),
                        UnsafeRawBufferPointer(cacheKey), into: .init(rebasing: out[ciphertextStart..<tagStart]),
                        tag: .init(rebasing: out[tagStart...]))
                }
            }
        } catch {
            free(buffer)
            throw error
        }
        return Data(bytesNoCopy: buffer, count: count, deallocator: .free)
    }

    /// The value that `stored` holds under `key`, or why it holds none usable.
    ///
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails (not for a value that does not
    ///   authenticate: that is ``Opened/unusable(_:)``).
    package func open(_ stored: Data, under key: String) throws -> Opened {
        try stored.withUnsafeBytes { raw in try open(raw, under: key) }
    }

    /// The value that the stored bytes `raw` hold under `key`, or why they hold none usable; the value
    /// is decrypted straight into the buffer that the returned `Data` then owns.
    private func open(_ raw: UnsafeRawBufferPointer, under key: String) throws -> Opened {
        guard let version = raw.first else { return .unusable("it is empty") }
        guard version == Self.formatVersion else {
            return .unusable("its format version is \(version); this version reads \(Self.formatVersion)")
        }
        guard raw.count >= 2 else { return .unusable("it is truncated: 1 byte, shorter than its header") }
        let nonceStart = 2 + Int(raw[1])
        let ciphertextStart = nonceStart + AESGCM.nonceByteCount
        let tagStart = raw.count - AESGCM.tagByteCount
        guard tagStart >= ciphertextStart else {
            return .unusable("it is truncated: \(raw.count) bytes, shorter than its header, nonce and tag")
        }
        let identifier = UnsafeRawBufferPointer(rebasing: raw[2..<nonceStart])
        guard let held = heldKey(identifiedBy: identifier) else {
            return .unusable("it names a key that is not among the keys: \(Self.printable(identifier))")
        }
        let count = tagStart - ciphertextStart
        // Allocated uninitialized and handed to the Data as it is: no zeroing, no copy.
        guard let plaintext = malloc(max(count, 1)) else {
            throw CacheError.valueTooLarge("no memory for \(count) bytes")
        }
        var cacheKey = key
        let authentic: Bool
        do {
            authentic = try cacheKey.withUTF8 { cacheKey in
                try cipher.open(
                    .init(rebasing: raw[ciphertextStart..<tagStart]), key: held.prepared,
                    nonce: .init(rebasing: raw[nonceStart..<ciphertextStart]), tag: .init(rebasing: raw[tagStart...]),
                    authenticating: .init(rebasing: raw[..<nonceStart]), UnsafeRawBufferPointer(cacheKey),
                    into: UnsafeMutableRawBufferPointer(start: plaintext, count: count))
            }
        } catch {
            free(plaintext)
            throw error
        }
        guard authentic else {
            free(plaintext)
            return .unusable(
                "it fails authentication under key \(held.identifier): it was altered, stored under another "
                    + "cache key, or encrypted with another key of that identifier")
        }
        return .value(Data(bytesNoCopy: plaintext, count: count, deallocator: .free))
    }

    /// A stored identifier as text for a message: quoted, escaped, and cut at 64 characters.
    private static func printable(_ identifier: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: identifier, as: UTF8.self)
        return String(reflecting: text.count > 64 ? String(text.prefix(64)) + "…" : text)
    }
}
