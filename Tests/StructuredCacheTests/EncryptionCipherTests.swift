// The primitives of EncryptedCache against published answers: AES-256-GCM against NIST's CAVP vectors,
// HMAC-SHA256 against RFC 4231, HKDF-SHA256 against RFC 5869; and a missing libcrypto as a typed error.

import Foundation
import Testing

@testable import StructuredCacheStorage

struct EncryptionCipherTests {
    /// One vector: hexadecimal key, IV, plaintext, associated data, ciphertext and tag.
    struct GCMVector: Sendable, CustomTestStringConvertible {
        var group: String
        var key, iv, plaintext, aad, ciphertext, tag: String
        var testDescription: String { "\(group), key \(key.prefix(8))…" }
    }

    /// Vectors of NIST's `gcmEncryptExtIV256.rsp` (CAVP, GCM Validation System, "GCM Test Vectors
    /// (SP 800-38D)", gcmtestvectors.zip), the first two of each group shown; all with a 256-bit key,
    /// a 96-bit IV and a 128-bit tag; lengths in bits as the file gives them.
    static let nistVectors: [GCMVector] = [
        .init(
            group: "PTlen 0, AADlen 0", key: "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
            iv: "516c33929df5a3284ff463d7", plaintext: "", aad: "", ciphertext: "",
            tag: "bdc1ac884d332457a1d2664f168c76f0"),
        .init(
            group: "PTlen 0, AADlen 0", key: "5fe0861cdc2690ce69b3658c7f26f8458eec1c9243c5ba0845305d897e96ca0f",
            iv: "770ac1a5a3d476d5d96944a1", plaintext: "", aad: "", ciphertext: "",
            tag: "196d691e1047093ca4b3d2ef4baba216"),
        .init(
            group: "PTlen 0, AADlen 128", key: "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223",
            iv: "d79cf22d504cc793c3fb6c8a", plaintext: "", aad: "b96baa8c1c75a671bfb2d08d06be5f36", ciphertext: "",
            tag: "3e5d486aa2e30b22e040b85723a06e76"),
        .init(
            group: "PTlen 0, AADlen 128", key: "4457ff33683cca6ca493878bdc00373893a9763412eef8cddb54f91318e0da88",
            iv: "699d1f29d7b8c55300bb1fd2", plaintext: "", aad: "6749daeea367d0e9809e2dc2f309e6e3", ciphertext: "",
            tag: "d60c74d2517fde4a74e0cd4709ed43a9"),
        .init(
            group: "PTlen 128, AADlen 0", key: "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
            iv: "0d18e06c7c725ac9e362e1ce", plaintext: "2db5168e932556f8089a0622981d017d", aad: "",
            ciphertext: "fa4362189661d163fcd6a56d8bf0405a", tag: "d636ac1bbedd5cc3ee727dc2ab4a9489"),
        .init(
            group: "PTlen 128, AADlen 0", key: "460fc864972261c2560e1eb88761ff1c992b982497bd2ac36c04071cbb8e5d99",
            iv: "8a4a16b9e210eb68bcb6f58d", plaintext: "99e4e926ffe927f691893fb79a96b067", aad: "",
            ciphertext: "133fc15751621b5f325c7ff71ce08324", tag: "ec4e87e0cf74a13618d0b68636ba9fa7"),
        .init(
            group: "PTlen 104, AADlen 0", key: "82c4f12eeec3b2d3d157b0f992d292b237478d2cecc1d5f161389b97f999057a",
            iv: "7b40b20f5f397177990ef2d1", plaintext: "982a296ee1cd7086afad976945", aad: "",
            ciphertext: "ec8e05a0471d6b43a59ca5335f", tag: "113ddeafc62373cac2f5951bb9165249"),
        .init(
            group: "PTlen 104, AADlen 0", key: "db4340af2f835a6c6d7ea0ca9d83ca81ba02c29b7410f221cb6071114e393240",
            iv: "40e438357dd80a85cac3349e", plaintext: "8ddb3397bd42853193cb0f80c9", aad: "",
            ciphertext: "b694118c85c41abf69e229cb0f", tag: "c07f1b8aafbd152f697eb67f2a85fe45"),
        .init(
            group: "PTlen 408, AADlen 160", key: "24501ad384e473963d476edcfe08205237acfd49b5b8f33857f8114e863fec7f",
            iv: "9ff18563b978ec281b3f2794",
            plaintext:
                "27f348f9cdc0c5bd5e66b1ccb63ad920ff2219d14e8d631b3872265cf117ee86757accb158bd9abb3868fdc0d0b074b5f01b2c",
            aad: "adb5ec720ccf9898500028bf34afccbcaca126ef",
            ciphertext:
                "eb7cb754c824e8d96f7c6d9b76c7d26fb874ffbf1d65c6f64a698d839b0b06145dae82057ad55994cf59ad7f67c0fa5e85fab8",
            tag: "bc95c532fecc594c36d1550286a7a3f0"),
        .init(
            group: "PTlen 408, AADlen 160", key: "fb43f5ab4a1738a30c1e053d484a94254125d55dccee1ad67c368bc1a985d235",
            iv: "9fbb5f8252db0bca21f1c230",
            plaintext:
                "34b797bb82250e23c5e796db2c37e488b3b99d1b981cea5e5b0c61a0b39adb6bd6ef1f50722e2e4f81115cfcf53f842e2a6c08",
            aad: "98f8ae1735c39f732e2cbee1156dabeb854ec7a2",
            ciphertext:
                "871cd53d95a8b806bd4821e6c4456204d27fd704ba3d07ce25872dc604ea5c5ea13322186b7489db4fa060c1fd4159692612c8",
            tag: "07b48e4a32fac47e115d7ac7445d8330"),
        .init(
            group: "PTlen 408, AADlen 720", key: "148579a3cbca86d5520d66c0ec71ca5f7e41ba78e56dc6eebd566fed547fe691",
            iv: "b08a5ea1927499c6ecbfd4e0",
            plaintext:
                "9d0b15fdf1bd595f91f8b3abc0f7dec927dfd4799935a1795d9ce00c9b879434420fe42c275a7cd7b39d638fb81ca52b49dc41",
            aad:
                "e4f963f015ffbb99ee3349bbaf7e8e8e6c2a71c230a48f9d59860a29091d2747e01a5ca572347e247d25f56ba7ae8e05cde2be3c97931292c02370208ecd097ef692687fecf2f419d3200162a6480a57dad408a0dfeb492e2c5d",
            ciphertext:
                "2097e372950a5e9383c675e89eea1c314f999159f5611344b298cda45e62843716f215f82ee663919c64002a5c198d7878fd3f",
            tag: "adbecdb0d5c2224d804d2886ff9a5760"),
        .init(
            group: "PTlen 408, AADlen 720", key: "e49af19182faef0ebeeba9f2d3be044e77b1212358366e4ef59e008aebcd9788",
            iv: "e7f37d79a6a487a5a703edbb",
            plaintext:
                "461cd0caf7427a3d44408d825ed719237272ecd503b9094d1f62c97d63ed83a0b50bdc804ffdd7991da7a5b6dcf48d4bcd2cbc",
            aad:
                "19a9a1cfc647346781bef51ed9070d05f99a0e0192a223c5cd2522dbdf97d9739dd39fb178ade3339e68774b058aa03e9a20a9a205bc05f32381df4d63396ef691fefd5a71b49a2ad82d5ea428778ca47ee1398792762413cff4",
            ciphertext:
                "32ca3588e3e56eb4c8301b009d8b84b8a900b2b88ca3c21944205e9dd7311757b51394ae90d8bb3807b471677614f4198af909",
            tag: "3e403d035c71d88f1be1a256c89ba6ad"),
    ]

    static func bytes(_ hex: String) -> [UInt8] { AESGCM.bytes(hex: hex) }

    @Test(arguments: nistVectors) func sealsAndOpensNISTVectors(_ vector: GCMVector) throws {
        let cipher = try AESGCM.get()
        let key = cipher.prepare(Self.bytes(vector.key))
        let (iv, plaintext, aad) = (Self.bytes(vector.iv), Self.bytes(vector.plaintext), Self.bytes(vector.aad))
        let (ciphertext, tag) = (Self.bytes(vector.ciphertext), Self.bytes(vector.tag))
        let sealed = try cipher.seal(plaintext, key: key, nonce: iv, authenticating: aad)
        #expect(sealed.ciphertext == ciphertext)
        #expect(sealed.tag == tag)
        #expect(try cipher.open(ciphertext, key: key, nonce: iv, tag: tag, authenticating: aad) == plaintext)
        // The associated data may come in two parts, anywhere split: the same tag.
        let split = aad.count / 3
        let twoParts = try cipher.seal(
            plaintext, key: key, nonce: iv, authenticating: Array(aad[..<split]), Array(aad[split...]))
        #expect(twoParts.tag == tag)
    }

    @Test(arguments: nistVectors) func refusesNISTVectorsWithAnyBitChanged(_ vector: GCMVector) throws {
        let cipher = try AESGCM.get()
        let (secret, iv, aad) = (Self.bytes(vector.key), Self.bytes(vector.iv), Self.bytes(vector.aad))
        let key = cipher.prepare(secret)
        let (ciphertext, tag) = (Self.bytes(vector.ciphertext), Self.bytes(vector.tag))
        func flipped(_ bytes: [UInt8], _ bit: Int) -> [UInt8] {
            var bytes = bytes
            bytes[bit / 8] ^= 1 << (bit % 8)
            return bytes
        }
        for bit in [0, 7, 127] {
            #expect(
                try cipher.open(ciphertext, key: key, nonce: iv, tag: flipped(tag, bit), authenticating: aad) == nil)
            #expect(
                try cipher.open(ciphertext, key: key, nonce: flipped(iv, bit % 96), tag: tag, authenticating: aad)
                    == nil)
            #expect(
                try cipher.open(
                    ciphertext, key: cipher.prepare(flipped(secret, bit)), nonce: iv, tag: tag, authenticating: aad)
                    == nil)
        }
        if !ciphertext.isEmpty {
            #expect(try cipher.open(flipped(ciphertext, 3), key: key, nonce: iv, tag: tag, authenticating: aad) == nil)
        }
        #expect(try cipher.open(ciphertext, key: key, nonce: iv, tag: tag, authenticating: aad + [0]) == nil)
        // The prepared key still opens and seals the vector after every refusal.
        #expect(try cipher.open(ciphertext, key: key, nonce: iv, tag: tag, authenticating: aad) != nil)
        #expect(
            try cipher.seal(
                cipher.open(ciphertext, key: key, nonce: iv, tag: tag, authenticating: aad) ?? [], key: key, nonce: iv,
                authenticating: aad
            ).tag == tag)
    }

    @Test func onePreparedKeyServesManyThreadsAtOnce() async throws {
        // Contexts are taken and given back by tasks at once; every value opens to what was sealed.
        let cipher = try AESGCM.get()
        let key = cipher.prepare(Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<200 {
                        let plaintext = [UInt8](repeating: UInt8(truncatingIfNeeded: task &* 31 &+ index), count: index)
                        let nonce = [UInt8](repeating: UInt8(task), count: 11) + [UInt8(truncatingIfNeeded: index)]
                        let sealed = try cipher.seal(plaintext, key: key, nonce: nonce, authenticating: [UInt8(task)])
                        #expect(
                            try cipher.open(
                                sealed.ciphertext, key: key, nonce: nonce, tag: sealed.tag,
                                authenticating: [UInt8(task)])
                                == plaintext)
                        if index % 50 == 0 {
                            #expect(
                                try cipher.open(
                                    sealed.ciphertext, key: key, nonce: nonce, tag: sealed.tag, authenticating: [])
                                    == nil)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func sealsLargeAndEmptyValuesAsOpenSSLDoes() throws {
        // A value across many blocks, with an odd tail, round-trips; an empty one has only a tag.
        let cipher = try AESGCM.get()
        let key = cipher.prepare(Self.bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = Self.bytes("cafebabefacedbaddecaf888")
        let large = (0..<300_001).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let sealed = try cipher.seal(large, key: key, nonce: nonce, authenticating: [1, 2], [3])
        #expect(sealed.ciphertext.count == large.count && sealed.ciphertext != large)
        #expect(
            try cipher.open(sealed.ciphertext, key: key, nonce: nonce, tag: sealed.tag, authenticating: [1], [2, 3])
                == large)
        let empty = try cipher.seal([], key: key, nonce: nonce, authenticating: [])
        #expect(empty.ciphertext.isEmpty && empty.tag.count == 16)
        #expect(try cipher.open([], key: key, nonce: nonce, tag: empty.tag, authenticating: []) == [])
    }

    @Test func fillsNoncesWithFreshRandomBytes() throws {
        let cipher = try AESGCM.get()
        var seen = Set<[UInt8]>()
        for _ in 0..<1_000 {
            var nonce = [UInt8](repeating: 0, count: 12)
            try nonce.withUnsafeMutableBytes { try cipher.fillRandom($0) }
            seen.insert(nonce)
        }
        #expect(seen.count == 1_000)
    }

    // MARK: HMAC and HKDF

    @Test func hmacMatchesRFC4231() {
        // RFC 4231, test cases 2 (a short key) and 6 (a key longer than a block, hashed first).
        #expect(
            HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
                == Self.bytes("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"))
        #expect(
            HMACSHA256.authenticationCode(
                for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
                key: [UInt8](repeating: 0xAA, count: 131))
                == Self.bytes("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
    }

    @Test func hkdfMatchesRFC5869() {
        // RFC 5869, appendix A, test cases 1 to 3 (SHA-256): the PRK and the OKM of each.
        let cases: [(ikm: [UInt8], salt: [UInt8], info: [UInt8], length: Int, prk: String, okm: String)] = [
            (
                [UInt8](repeating: 0x0B, count: 22), Array(0x00...0x0C), Array(0xF0...0xF9), 42,
                "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
            ),
            (
                Array(0x00...0x4F), Array(0x60...0xAF), Array(0xB0...0xFF), 82,
                "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87"
            ),
            (
                [UInt8](repeating: 0x0B, count: 22), [], [], 42,
                "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
            ),
        ]
        for (index, test) in cases.enumerated() {
            let prk = HKDF.extract(inputKeyMaterial: test.ikm, salt: test.salt)
            #expect(prk == Self.bytes(test.prk), "RFC 5869 A.\(index + 1), PRK")
            #expect(
                HKDF.deriveKey(inputKeyMaterial: test.ikm, salt: test.salt, info: test.info, byteCount: test.length)
                    == Self.bytes(test.okm), "RFC 5869 A.\(index + 1), OKM")
        }
    }

    // MARK: Loading libcrypto

    @Test func aMissingLibcryptoIsATypedError() {
        #expect(throws: Never.self) { try AESGCM.get() }
        guard case .failure(let missing) = LibCrypto.load(["libcrypto-missing.so.42"]) else {
            Issue.record("a missing library loaded")
            return
        }
        #expect(missing.code == .unsupported)
        #expect(missing.message.contains("EncryptedCache needs the system's OpenSSL 3 (libcrypto.so.3)"), "\(missing)")
        #expect(missing.message.contains("libcrypto-missing.so.42"), "\(missing)")
        guard case .failure(let notCrypto) = LibCrypto.load(["libc.so.6"]) else {
            Issue.record("libc passed for libcrypto")
            return
        }
        #expect(notCrypto.code == .unsupported)
        #expect(notCrypto.message.contains("libc.so.6 has no function EVP_CIPHER_CTX_new"), "\(notCrypto)")
    }
}
