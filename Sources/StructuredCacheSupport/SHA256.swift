// SHA-256 (FIPS 180-4), streaming and one-shot, using the CPU's SHA instructions when it has them.

internal import CStructuredCacheSHA

/// The SHA-256 hash function.
///
/// Feed bytes with ``update(data:)`` (as often as needed, in pieces of any size) and read the
/// digest with ``finalize()``, or hash in one call with ``hash(data:)``:
///
/// ```swift
/// let digest = SHA256.hash(data: Array("abc".utf8))
/// print(digest)  // ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
/// ```
///
/// Where the CPU has SHA instructions (x86-64 SHA extensions, arm64 crypto extensions) the blocks
/// are compressed with them, chosen at run time; elsewhere a portable implementation runs. Both give
/// the same digests. Hashing allocates nothing per block.
public struct SHA256: Sendable {
    /// The number of bytes in a digest.
    public static let byteCount = 32
    /// The number of bytes the function consumes at a time.
    public static let blockByteCount = 64

    /// Which compression function runs; for tests and benchmarks that compare the two.
    package enum Implementation: Sendable {
        /// Portable Swift, on any CPU.
        case portable
        /// The CPU's SHA instructions, where it has them (otherwise portable).
        case hardware

        /// The fastest implementation this CPU runs.
        public static let best: Implementation =
            structuredcache_sha256_hardware_available() != 0 ? .hardware : .portable
    }

    private var state: SHA256Digest.Words = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    /// Bytes waiting for a full block, in inline storage so that hashing never allocates.
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    private var totalByteCount: UInt64 = 0
    package let implementation: Implementation

    /// Creates a hash function with no bytes consumed.
    public init() {
        implementation = .best
    }

    /// Creates a hash function that uses the given implementation (the tests force each one).
    ///
    /// - Parameter implementation: `.portable`, or `.hardware` (which falls back to portable on CPUs
    ///   without SHA instructions).
    package init(implementation: Implementation) {
        self.implementation = implementation == .hardware ? Implementation.best : .portable
    }

    /// Consumes bytes.
    ///
    /// - Parameter bytes: The next bytes of the message.
    /// - Complexity: O(*n*) in the number of bytes.
    public mutating func update(bufferPointer bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        totalByteCount &+= UInt64(remaining)
        if pendingCount > 0 {
            let taken = min(remaining, Self.blockByteCount - pendingCount)
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.advanced(by: pendingCount).copyMemory(from: input, byteCount: taken)
            }
            pendingCount += taken
            input += taken
            remaining -= taken
            guard pendingCount == Self.blockByteCount else { return }
            let full = pending
            withUnsafeBytes(of: full) { compress(blocks: $0.baseAddress!, count: 1) }
            pendingCount = 0
        }
        let blocks = remaining / Self.blockByteCount
        if blocks > 0 {
            compress(blocks: input, count: blocks)
            input += blocks * Self.blockByteCount
            remaining -= blocks * Self.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { block in
                block.baseAddress!.copyMemory(from: input, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Consumes bytes.
    ///
    /// - Parameter data: The next bytes of the message (`[UInt8]`, `Data`, a slice …).
    /// - Complexity: O(*n*) in the number of bytes.
    public mutating func update(data: some Sequence<UInt8>) {
        let consumed: Void? = data.withContiguousStorageIfAvailable { buffer in
            update(bufferPointer: UnsafeRawBufferPointer(buffer))
        }
        if consumed == nil {
            Array(data).withUnsafeBytes { update(bufferPointer: $0) }
        }
    }

    /// Consumes the UTF-8 bytes of a string.
    ///
    /// - Parameter string: The next part of the message.
    public mutating func update(string: String) {
        var string = string
        string.withUTF8 { update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    /// Pads the message and returns its digest.
    ///
    /// - Returns: The SHA-256 digest of every byte consumed.
    public consuming func finalize() -> SHA256Digest {
        let bitLength = totalByteCount &* 8
        // Padding: 0x80, zeros up to 56 bytes into a block, then the length; at most two blocks,
        // built on the stack.
        var tail:
            (
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let pendingBytes = pendingCount
        let blocks = pendingBytes < 56 ? 1 : 2
        let pendingCopy = pending
        withUnsafeMutableBytes(of: &tail) { raw in
            withUnsafeBytes(of: pendingCopy) {
                raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<pendingBytes]))
            }
            raw[pendingBytes] = 0x80
            raw.storeBytes(of: bitLength.bigEndian, toByteOffset: blocks * 64 - 8, as: UInt64.self)
        }
        withUnsafeBytes(of: tail) { compress(blocks: $0.baseAddress!, count: blocks) }
        return SHA256Digest(words: state)
    }

    /// Returns the digest of `data`.
    ///
    /// - Parameter data: The whole message.
    /// - Returns: Its SHA-256 digest.
    public static func hash(data: some Sequence<UInt8>) -> SHA256Digest {
        var function = SHA256()
        function.update(data: data)
        return function.finalize()
    }

    /// Returns the digest of the UTF-8 bytes of `string`.
    ///
    /// - Parameter string: The whole message.
    /// - Returns: Its SHA-256 digest.
    public static func hash(string: String) -> SHA256Digest {
        var function = SHA256()
        function.update(string: string)
        return function.finalize()
    }

    private mutating func compress(blocks: UnsafeRawPointer, count: Int) {
        let implementation = self.implementation
        withUnsafeMutableBytes(of: &state) { raw in
            let words = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
            switch implementation {
            case .hardware:
                structuredcache_sha256_hardware_blocks(words, blocks.assumingMemoryBound(to: UInt8.self), count)
            case .portable:
                Self.compressPortable(state: words, blocks: blocks, count: count)
            }
        }
    }
}
