// A cache key compared by its exact Unicode scalars (UTF-8 bytes), never by String's canonical equivalence.

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
struct ScalarKey: Hashable, Sendable {
    let string: String

    init(_ string: String) {
        var string = string
        // Bridged or lazily-stored strings become native here, so the fast paths below apply.
        string.makeContiguousUTF8()
        self.string = string
    }

    static func == (lhs: ScalarKey, rhs: ScalarKey) -> Bool {
        let fast = lhs.string.utf8.withContiguousStorageIfAvailable { left in
            rhs.string.utf8.withContiguousStorageIfAvailable { right in
                left.count == right.count
                    && (left.count == 0
                        || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
        if let fast, let equal = fast { return equal }
        return lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    func hash(into hasher: inout Hasher) {
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        }
        if hashed == nil {
            // Must feed the hasher exactly as the fast path does, or equal keys would hash apart.
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}
