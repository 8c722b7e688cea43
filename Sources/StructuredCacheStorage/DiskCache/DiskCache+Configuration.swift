// DiskCache's options: TTL, byte budget, the grace of expired entries, durability, file permissions, limits on what is read, and the
// clock.

extension DiskCache {
    /// How a ``DiskCache`` stores its entries. Every property has a default.
    public struct Configuration: Sendable {
        /// The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` (the default) for no expiry.
        public var defaultTTL: Duration?

        /// The most bytes the entry files may take (headers and keys included); `nil` (the default) for
        /// no limit. When a write takes the total over it, the least recently used entries are removed.
        /// A single entry larger than the budget is not stored. See ``DiskCache`` for how recency is
        /// tracked and how the budget behaves with several processes.
        public var maxBytes: Int?

        /// How long an entry's file is kept past its expiry for `getStale(_:maxStaleness:)`, the
        /// read a caller falls back on when what the cache stands in front of fails; `nil` (the default)
        /// for no grace: an expired entry is removed when next seen. During the grace the file stays (and
        /// counts against ``maxBytes``), `get` never returns it, and `sweep()` leaves it; after
        /// it, the file goes as an expired one does. Processes sharing a folder should agree on it: one
        /// without a grace removes the expired entries it reads.
        public var staleGrace: Duration?

        /// Whether each write is flushed to stable storage (`fsync` of the file, then of its folder)
        /// before it returns. Off by default: writes are atomic either way (a crash leaves the old value
        /// or none, never a torn one), but without it a power loss can lose the most recent writes,
        /// which for a cache costs only a recomputation. Turning it on makes writes several times slower.
        public var fsyncOnWrite: Bool

        /// The permission bits of entry files; `0o600` (owner read and write) by default. Must include
        /// owner read and write and nothing beyond `0o777`. Folders the cache creates are always `0o700`.
        public var fileMode: UInt16

        /// The largest entry file the cache writes or reads, in bytes (its header and key included); 64 MiB
        /// by default. A larger value is refused with ``CacheError/Code/valueTooLarge``, and a larger file
        /// found in the folder is a miss and is removed, so a planted huge (or sparse) file costs nothing.
        /// Processes sharing a folder should agree on it.
        public var maxEntryBytes: Int

        /// Whether entries written by other users are read. Off by default: a file in the folder owned by
        /// another user (root excepted) is foreign, a miss, and is removed where the folder allows it, since
        /// anyone who can write the folder could otherwise plant answers. Turn it on only for a folder
        /// several accounts share on purpose (with a ``fileMode`` that lets them read each other's entries).
        public var acceptsEntriesOfOtherUsers: Bool

        /// Whether the file an overwrite replaces is kept (at most 8 of at most 1 MiB, in the folder's
        /// `.spares` folder) and filled by a later write instead of a new file. On by default: on ext4 it
        /// makes overwriting a 2 KiB entry several times faster (see `docs/benchmarks.md`, "machinery"),
        /// since creating a file there costs far more than rewriting one; writes of new keys are not
        /// changed by it. Turn it off to keep no bytes of replaced values on disk after an overwrite.
        public var reusesReplacedFiles: Bool

        /// The clock TTLs are measured with; the continuous clock by default. Expiries are stored as wall
        /// time (the system time when the cache was created, moved on by this clock), so they mean the
        /// same in every process; tests pass a clock they can move.
        public var clock: any Clock<Duration>

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - defaultTTL: The TTL of values stored with ``CacheTTL/adapterDefault``; `nil` for no expiry.
        ///   - maxBytes: The byte budget of the entry files; `nil` for no limit.
        ///   - staleGrace: How long expired entries are kept for stale reads; `nil` for no grace.
        ///   - fsyncOnWrite: Whether writes are flushed to stable storage before returning.
        ///   - fileMode: The permission bits of entry files.
        ///   - maxEntryBytes: The largest entry file written or read.
        ///   - acceptsEntriesOfOtherUsers: Whether entries written by other users are read.
        ///   - reusesReplacedFiles: Whether files of replaced entries are kept for later writes.
        ///   - clock: The clock TTLs are measured with.
        public init(
            defaultTTL: Duration? = nil,
            maxBytes: Int? = nil,
            staleGrace: Duration? = nil,
            fsyncOnWrite: Bool = false,
            fileMode: UInt16 = 0o600,
            maxEntryBytes: Int = 64 << 20,
            acceptsEntriesOfOtherUsers: Bool = false,
            reusesReplacedFiles: Bool = true,
            clock: any Clock<Duration> = ContinuousClock()
        ) {
            self.defaultTTL = defaultTTL
            self.maxBytes = maxBytes
            self.staleGrace = staleGrace
            self.fsyncOnWrite = fsyncOnWrite
            self.fileMode = fileMode
            self.maxEntryBytes = maxEntryBytes
            self.acceptsEntriesOfOtherUsers = acceptsEntriesOfOtherUsers
            self.reusesReplacedFiles = reusesReplacedFiles
            self.clock = clock
        }

        func validate() throws {
            if let maxBytes, maxBytes <= 0 {
                throw CacheError.invalidConfiguration("DiskCache maxBytes must be > 0, got \(maxBytes)")
            }
            if maxEntryBytes <= DiskEntryFormat.headerSize {
                throw CacheError.invalidConfiguration(
                    "DiskCache maxEntryBytes must be > \(DiskEntryFormat.headerSize), got \(maxEntryBytes)")
            }
            if let defaultTTL, defaultTTL <= .zero {
                throw CacheError.invalidConfiguration("DiskCache defaultTTL must be > 0, got \(defaultTTL)")
            }
            if let staleGrace, staleGrace <= .zero {
                throw CacheError.invalidConfiguration("DiskCache staleGrace must be > 0, got \(staleGrace)")
            }
            guard fileMode & ~0o777 == 0, fileMode & 0o600 == 0o600 else {
                throw CacheError.invalidConfiguration(
                    "DiskCache fileMode must include 0o600 and stay within 0o777, got 0o\(String(fileMode, radix: 8))"
                )
            }
        }
    }
}
