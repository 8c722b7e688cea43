// A cache key compared by its exact Unicode scalars (UTF-8 bytes), never by String's canonical equivalence.

import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A string key whose equality and hash use its UTF-8 bytes.
///
/// Swift's `String ==` treats canonically equivalent strings ("é" and "e\u{301}") as equal; Python and
/// every other cache backend do not, so two such keys must name two entries.
///
/// The bytes are digested once, when the key is made: hashing then touches only the digest, and
/// equality rejects different keys by digest before comparing bytes. Dictionary probes compare several
/// keys per lookup, and each touch of a String costs a retain and a release.
struct ScalarKey: Hashable, DigestKey, Sendable {
    let string: String
    let digest: UInt64

    /// Seeds the digest per process, so the words fed to `Hasher` cannot be predicted from outside.
    private static let seed = UInt64.random(in: .min ... .max)

    init(_ string: String) {
        var string = string
        // Bridged or lazily-stored strings become native here, so the fast paths below apply.
        string.makeContiguousUTF8()
        digest = string.withUTF8 { XXHash64.hash(UnsafeRawBufferPointer($0), seed: Self.seed) }
        self.string = string
    }

    static func == (lhs: ScalarKey, rhs: ScalarKey) -> Bool {
        guard lhs.digest == rhs.digest else { return false }
        let fast = lhs.string.utf8.withContiguousStorageIfAvailable { left in
            rhs.string.utf8.withContiguousStorageIfAvailable { right in
                left.count == right.count
                    && (left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
        if let fast, let equal = fast { return equal }
        return ExactString.equal(lhs.string, rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(digest)
    }
}
