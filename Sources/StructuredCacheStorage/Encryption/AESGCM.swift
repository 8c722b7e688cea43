// AES-256-GCM with a 96-bit nonce and a 128-bit tag, the cipher of EncryptedCache: the system's
// libcrypto (OpenSSL's EVP interface) on Linux, CryptoKit on Darwin.

#if canImport(CryptoKit)
    import CryptoKit
    import Darwin
    import Foundation
#endif

/// AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, on raw buffers, so that a value
/// is encrypted straight into the bytes that are stored, and decrypted straight out of them.
///
/// Keys are prepared once (``prepare(_:)``) and used for many values. The associated data comes in two
/// parts, authenticated as their concatenation (``EncryptedCache`` passes its header and the cache key).
/// Made once per process, after a known-answer check.
package struct AESGCM: Sendable {
    /// The bytes of a key: AES-256.
    package static let keyByteCount = 32
    /// The bytes of a nonce: 96 bits, GCM's own size.
    package static let nonceByteCount = 12
    /// The bytes of a tag: 128 bits, GCM's full size.
    package static let tagByteCount = 16

    #if !canImport(CryptoKit)
        let crypto: LibCrypto
    #endif

    /// The cipher of this process, checked on first use; the failure, if it does not work, is kept.
    static let shared: Result<AESGCM, CacheError> = make()

    /// The process-wide cipher.
    ///
    /// - Returns: The cipher, checked against a known answer.
    /// - Throws: ``CacheError/Code/unsupported`` when libcrypto is missing or gives a wrong answer.
    package static func get() throws(CacheError) -> AESGCM {
        try shared.get()
    }

    private static func make() -> Result<AESGCM, CacheError> {
        #if canImport(CryptoKit)
            let cipher = AESGCM()
        #else
            let cipher: AESGCM
            switch LibCrypto.shared {
            case .success(let crypto): cipher = AESGCM(crypto: crypto)
            case .failure(let error): return .failure(error)
            }
        #endif
        do {
            try cipher.checkKnownAnswer()
            return .success(cipher)
        } catch {
            return .failure(error as? CacheError ?? .unsupported("AES-256-GCM failed its check: \(error)"))
        }
    }

    /// Makes `secret` ready to seal and open values.
    ///
    /// - Parameter secret: The 32 bytes of the key.
    /// - Returns: The prepared key.
    package func prepare(_ secret: [UInt8]) -> PreparedKey {
        precondition(secret.count == Self.keyByteCount, "AES-256 takes a 32-byte key")
        #if canImport(CryptoKit)
            return PreparedKey(secret: secret)
        #else
            return PreparedKey(secret: secret, crypto: crypto)
        #endif
    }

    /// Encrypts `plaintext` into `ciphertext`, of the same length, and writes the tag into `tag`.
    ///
    /// - Parameters:
    ///   - plaintext: The bytes to encrypt.
    ///   - key: The key.
    ///   - nonce: The 12 bytes of the nonce, never used twice with one key.
    ///   - firstData: The first part of the associated data.
    ///   - secondData: The second part of the associated data.
    ///   - ciphertext: Where the ciphertext goes; as long as `plaintext`.
    ///   - tag: Where the 16-byte tag goes.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails.
    package func seal(
        _ plaintext: UnsafeRawBufferPointer, key: PreparedKey, nonce: UnsafeRawBufferPointer,
        authenticating firstData: UnsafeRawBufferPointer, _ secondData: UnsafeRawBufferPointer,
        into ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer
    ) throws(CacheError) {
        precondition(nonce.count == Self.nonceByteCount)
        precondition(ciphertext.count == plaintext.count && tag.count == Self.tagByteCount)
        #if canImport(CryptoKit)
            do {
                let box = try AES.GCM.seal(
                    plaintext, using: key.symmetricKey, nonce: try AES.GCM.Nonce(data: nonce),
                    authenticating: Self.joined(firstData, secondData))
                _ = box.ciphertext.copyBytes(to: ciphertext)
                _ = box.tag.copyBytes(to: tag)
            } catch {
                throw .unsupported("CryptoKit's AES.GCM.seal failed: \(error)")
            }
        #else
            let context = try key.take()
            var written: Int32 = 0
            guard crypto.EVP_EncryptInit_ex(context, nil, nil, nil, Self.bytes(nonce)) == 1,
                authenticate(crypto.EVP_EncryptUpdate, context, firstData, secondData),
                feed(crypto.EVP_EncryptUpdate, context, plaintext, into: ciphertext.baseAddress),
                withUnsafeTemporaryAllocation(
                    of: UInt8.self, capacity: Self.tagByteCount,
                    { rest in crypto.EVP_EncryptFinal_ex(context, rest.baseAddress, &written) == 1 }),
                crypto.EVP_CIPHER_CTX_ctrl(context, LibCrypto.ctrlGCMGetTag, Int32(Self.tagByteCount), tag.baseAddress)
                    == 1
            else {
                key.discard(context)
                throw crypto.failure("encryption")
            }
            key.reuse(context)
        #endif
    }

    /// Decrypts `ciphertext` into `plaintext`, of the same length, if `tag` authenticates it and the
    /// associated data.
    ///
    /// When it does not, `plaintext` holds bytes that must not be used.
    ///
    /// - Parameters:
    ///   - ciphertext: The bytes to decrypt.
    ///   - key: The key.
    ///   - nonce: The 12 bytes of the nonce the ciphertext was made with.
    ///   - tag: The 16 bytes of the tag.
    ///   - firstData: The first part of the associated data.
    ///   - secondData: The second part of the associated data.
    ///   - plaintext: Where the plaintext goes; as long as `ciphertext`.
    /// - Returns: Whether the tag matched.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails (a tag that does not match is not
    ///   a failure of the cipher).
    package func open(
        _ ciphertext: UnsafeRawBufferPointer, key: PreparedKey, nonce: UnsafeRawBufferPointer,
        tag: UnsafeRawBufferPointer, authenticating firstData: UnsafeRawBufferPointer,
        _ secondData: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer
    ) throws(CacheError) -> Bool {
        precondition(nonce.count == Self.nonceByteCount)
        precondition(plaintext.count == ciphertext.count && tag.count == Self.tagByteCount)
        #if canImport(CryptoKit)
            let box: AES.GCM.SealedBox
            do {
                box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
            } catch {
                throw .unsupported("CryptoKit's AES.GCM.SealedBox refused a nonce or tag: \(error)")
            }
            do {
                let opened = try AES.GCM.open(
                    box, using: key.symmetricKey, authenticating: Self.joined(firstData, secondData))
                _ = opened.copyBytes(to: plaintext)
                return true
            } catch CryptoKitError.authenticationFailure {
                return false
            } catch {
                throw .unsupported("CryptoKit's AES.GCM.open failed: \(error)")
            }
        #else
            let context = try key.take()
            guard crypto.EVP_DecryptInit_ex(context, nil, nil, nil, Self.bytes(nonce)) == 1,
                authenticate(crypto.EVP_DecryptUpdate, context, firstData, secondData),
                feed(crypto.EVP_DecryptUpdate, context, ciphertext, into: plaintext.baseAddress),
                crypto.EVP_CIPHER_CTX_ctrl(
                    context, LibCrypto.ctrlGCMSetTag, Int32(Self.tagByteCount),
                    UnsafeMutableRawPointer(mutating: tag.baseAddress)) == 1
            else {
                key.discard(context)
                throw crypto.failure("decryption")
            }
            var written: Int32 = 0
            let authentic = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.tagByteCount) { rest in
                crypto.EVP_DecryptFinal_ex(context, rest.baseAddress, &written) > 0
            }
            if authentic {
                key.reuse(context)
            } else {
                // Nothing is left on this thread's OpenSSL error queue, for TLS to trip on later.
                crypto.ERR_clear_error()
                key.discard(context)
            }
            return authentic
        #endif
    }

    /// Fills `buffer` with random bytes from a cryptographically secure generator (libcrypto's
    /// `RAND_bytes`; `arc4random_buf` on Darwin).
    ///
    /// - Parameter buffer: The bytes to fill.
    /// - Throws: ``CacheError/Code/unsupported`` when the generator fails.
    package func fillRandom(_ buffer: UnsafeMutableRawBufferPointer) throws(CacheError) {
        guard let start = buffer.baseAddress, !buffer.isEmpty else { return }
        #if canImport(CryptoKit)
            arc4random_buf(start, buffer.count)
        #else
            guard crypto.RAND_bytes(start.assumingMemoryBound(to: UInt8.self), Int32(buffer.count)) == 1 else {
                throw crypto.failure("random bytes (RAND_bytes)")
            }
        #endif
    }

    #if canImport(CryptoKit)
        private static func joined(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> Data {
            var data = Data(capacity: first.count + second.count)
            data.append(contentsOf: first)
            data.append(contentsOf: second)
            return data
        }
    #else
        private typealias Update =
            @convention(c) (
                OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32
            ) -> Int32

        private static func bytes(_ buffer: UnsafeRawBufferPointer) -> UnsafePointer<UInt8>? {
            buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
        }

        /// Passes the two parts of the associated data through `update`: joined on the stack into one
        /// call when they are small (each call costs more than hashing a few hundred bytes), else one by one.
        private func authenticate(
            _ update: Update, _ context: OpaquePointer, _ first: UnsafeRawBufferPointer,
            _ second: UnsafeRawBufferPointer
        ) -> Bool {
            let count = first.count + second.count
            guard count <= 512, !first.isEmpty, !second.isEmpty else {
                return feed(update, context, first, into: nil) && feed(update, context, second, into: nil)
            }
            return withUnsafeTemporaryAllocation(byteCount: count, alignment: 16) { joined in
                UnsafeMutableRawBufferPointer(rebasing: joined[..<first.count]).copyMemory(from: first)
                UnsafeMutableRawBufferPointer(rebasing: joined[first.count...]).copyMemory(from: second)
                return feed(update, context, UnsafeRawBufferPointer(joined), into: nil)
            }
        }

        /// Passes `input` through `update`, into `output` (as many bytes) or, without one, as associated
        /// data; in pieces that fit the `int` lengths of OpenSSL.
        private func feed(
            _ update: Update, _ context: OpaquePointer, _ input: UnsafeRawBufferPointer,
            into output: UnsafeMutableRawPointer?
        ) -> Bool {
            guard var from = input.baseAddress, !input.isEmpty else { return true }
            var to = output
            var remaining = input.count
            while remaining > 0 {
                let piece = min(remaining, 1 << 30)
                var written: Int32 = 0
                let result = update(
                    context, to?.assumingMemoryBound(to: UInt8.self), &written,
                    from.assumingMemoryBound(to: UInt8.self),
                    Int32(piece))
                guard result == 1, output == nil || Int(written) == piece else { return false }
                from += piece
                to = to.map { $0 + piece }
                remaining -= piece
            }
            return true
        }
    #endif
}

// MARK: - Arrays

extension AESGCM {
    /// Encrypts `plaintext`, for the known-answer check and the tests.
    ///
    /// - Parameters:
    ///   - plaintext: The bytes to encrypt.
    ///   - key: The key.
    ///   - nonce: The 12 bytes of the nonce.
    ///   - firstData: The first part of the associated data.
    ///   - secondData: The second part of the associated data.
    /// - Returns: The ciphertext and the tag.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails.
    func seal(
        _ plaintext: [UInt8], key: PreparedKey, nonce: [UInt8], authenticating firstData: [UInt8],
        _ secondData: [UInt8] = []
    ) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count)
        var tag = [UInt8](repeating: 0, count: Self.tagByteCount)
        try ciphertext.withUnsafeMutableBytes { ciphertext in
            try tag.withUnsafeMutableBytes { tag in
                try Self.withBuffers(plaintext, nonce, firstData, secondData) { buffers in
                    try seal(
                        buffers[0], key: key, nonce: buffers[1], authenticating: buffers[2], buffers[3],
                        into: ciphertext, tag: tag)
                }
            }
        }
        return (ciphertext, tag)
    }

    /// Decrypts `ciphertext`, for the known-answer check and the tests.
    ///
    /// - Parameters:
    ///   - ciphertext: The bytes to decrypt.
    ///   - key: The key.
    ///   - nonce: The 12 bytes of the nonce.
    ///   - tag: The 16 bytes of the tag.
    ///   - firstData: The first part of the associated data.
    ///   - secondData: The second part of the associated data.
    /// - Returns: The plaintext, or `nil` when the tag does not match.
    /// - Throws: ``CacheError/Code/unsupported`` when the cipher fails.
    func open(
        _ ciphertext: [UInt8], key: PreparedKey, nonce: [UInt8], tag: [UInt8], authenticating firstData: [UInt8],
        _ secondData: [UInt8] = []
    ) throws -> [UInt8]? {
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count)
        let authentic = try plaintext.withUnsafeMutableBytes { plaintext in
            try Self.withBuffers(ciphertext, nonce, tag, firstData, secondData) { buffers in
                try open(
                    buffers[0], key: key, nonce: buffers[1], tag: buffers[2], authenticating: buffers[3], buffers[4],
                    into: plaintext)
            }
        }
        return authentic ? plaintext : nil
    }

    /// Calls `body` with the bytes of every array of `arrays`, in order.
    private static func withBuffers<Result>(
        _ arrays: [UInt8]..., body: ([UnsafeRawBufferPointer]) throws -> Result
    ) throws -> Result {
        func next(_ index: Int, _ buffers: [UnsafeRawBufferPointer]) throws -> Result {
            guard index < arrays.count else { return try body(buffers) }
            return try arrays[index].withUnsafeBytes { buffer in
                try next(index + 1, buffers + [buffer])
            }
        }
        return try next(0, [])
    }

    /// Checks the cipher against a vector of NIST's `gcmEncryptExtIV256.rsp` (CAVP GCMVS; Keylen 256,
    /// IVlen 96, PTlen 408, AADlen 160, Taglen 128, Count 0), with one prepared key: it seals to the
    /// known ciphertext and tag, opens them again, and refuses them with one bit of the tag flipped.
    ///
    /// - Throws: ``CacheError/Code/unsupported`` when it does not.
    fileprivate func checkKnownAnswer() throws {
        let key = prepare(Self.bytes(hex: "24501ad384e473963d476edcfe08205237acfd49b5b8f33857f8114e863fec7f"))
        let nonce = Self.bytes(hex: "9ff18563b978ec281b3f2794")
        let plaintext = Self.bytes(
            hex:
                "27f348f9cdc0c5bd5e66b1ccb63ad920ff2219d14e8d631b3872265cf117ee86757accb158bd9abb3868fdc0d0b074b5f01b2c"
        )
        let associated = Self.bytes(hex: "adb5ec720ccf9898500028bf34afccbcaca126ef")
        let ciphertext = Self.bytes(
            hex:
                "eb7cb754c824e8d96f7c6d9b76c7d26fb874ffbf1d65c6f64a698d839b0b06145dae82057ad55994cf59ad7f67c0fa5e85fab8"
        )
        let tag = Self.bytes(hex: "bc95c532fecc594c36d1550286a7a3f0")
        // The associated data in two parts, as the cache passes it.
        let (first, second) = (Array(associated[..<7]), Array(associated[7...]))
        let sealed = try seal(plaintext, key: key, nonce: nonce, authenticating: first, second)
        guard sealed.ciphertext == ciphertext, sealed.tag == tag else {
            throw CacheError.unsupported("AES-256-GCM gave a wrong ciphertext for NIST's known answer")
        }
        var flipped = tag
        flipped[0] ^= 1
        guard try open(ciphertext, key: key, nonce: nonce, tag: tag, authenticating: first, second) == plaintext,
            try open(ciphertext, key: key, nonce: nonce, tag: flipped, authenticating: first, second) == nil
        else {
            throw CacheError.unsupported("AES-256-GCM did not check tags against NIST's known answer")
        }
    }

    /// The bytes of `hex`, two lowercase hexadecimal digits each.
    ///
    /// - Parameter hex: Lowercase hexadecimal digits, an even number of them.
    /// - Returns: The bytes.
    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8).map { $0 >= 0x61 ? $0 - 0x61 + 10 : $0 - 0x30 }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }
}
