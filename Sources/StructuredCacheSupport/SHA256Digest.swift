// The 32-byte result of SHA-256, printed as lowercase hex.

/// A SHA-256 digest.
///
/// Its ``description`` is the lowercase hexadecimal form (as Python's `hexdigest()` writes it).
public struct SHA256Digest: Sendable, Hashable, CustomStringConvertible {
    typealias Words = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    private let words: Words

    init(words: Words) { self.words = words }

    /// The first 128 bits of the digest, as two big-endian words.
    package var leading128Bits: (high: UInt64, low: UInt64) {
        (UInt64(words.0) << 32 | UInt64(words.1), UInt64(words.2) << 32 | UInt64(words.3))
    }

    /// The 32 bytes of the digest.
    public var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(32)
        withUnsafeBytes(of: words) { raw in
            for word in raw.bindMemory(to: UInt32.self) {
                withUnsafeBytes(of: word.bigEndian) { result.append(contentsOf: $0) }
            }
        }
        return result
    }

    /// The digest as 64 lowercase hexadecimal digits.
    public var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 64) { out in
            digits.withUTF8Buffer { hex in
                withUnsafeBytes(of: words) { raw in
                    var offset = 0
                    for word in raw.bindMemory(to: UInt32.self) {
                        var shift: UInt32 = 28
                        for _ in 0..<8 {
                            out[offset] = hex[Int((word >> shift) & 0xF)]
                            offset += 1
                            shift &-= 4
                        }
                    }
                }
            }
            return 64
        }
    }

    /// The digest as 64 lowercase hex digits.
    public var description: String { hexString }

    /// Whether two digests are the same 32 bytes.
    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        withUnsafeBytes(of: lhs.words) { left in
            withUnsafeBytes(of: rhs.words) { right in left.elementsEqual(right) }
        }
    }

    /// Hashes the digest's bytes.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: words) { hasher.combine(bytes: $0) }
    }
}
