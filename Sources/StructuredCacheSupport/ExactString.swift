// Strings compared as Python compares them: by their exact Unicode scalars, not by canonical equivalence.
// Inlinable: the JSON objects of Core and the keys of AutoCache compare and hash them on their hot paths.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A string whose equality and hash use its UTF-8 bytes, that is its exact Unicode scalars.
///
/// Swift's `String` equality uses canonical equivalence, under which "é" and "e\u{301}" are equal;
/// Python's does not, and neither may a cache key.
package struct ExactString: Hashable, Sendable {
    package let value: String

    @inlinable package init(_ value: String) { self.value = value }

    @inlinable package static func == (lhs: ExactString, rhs: ExactString) -> Bool {
        equal(lhs.value, rhs.value)
    }

    /// Whether two strings have the same Unicode scalars (the same UTF-8 bytes).
    @inlinable
    package static func equal(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in
                left.count == right.count
                    && (left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
        if let result = fast ?? nil { return result }
        return a.utf8.elementsEqual(b.utf8)
    }

    @inlinable package func hash(into hasher: inout Hasher) {
        var copy = value
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
