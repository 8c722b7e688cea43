// The on-disk cache: one file per key under a folder, safe across threads and processes, with TTLs kept
// inside the files and an optional byte budget.

public import Foundation
import StructuredCacheSupport
package import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A cache that keeps each value in its own file under a folder, shared safely by threads and processes.
///
/// ```swift
/// let cache = try DiskCache(directory: URL(fileURLWithPath: ".structured_cache"),
///                           configuration: .init(defaultTTL: .seconds(86_400), maxBytes: 512 << 20))
/// try await cache.set(key, data, ttl: .adapterDefault)
/// let hit = try await cache.get(key)
/// ```
///
/// **Files.** A key's file is named by the first 128 bits of the SHA-256 of its UTF-8 bytes, as 32 hex
/// digits: `<directory>/<first 2>/<other 30>`. Any key is safe (no path traversal, no length limit),
/// and keys cannot be chosen to share a file; the full key is stored in the file too, so even a
/// collision would read as a miss, never as another key's value. A file holds a small header (magic,
/// format version, expiry, lengths, checksums of the header and the value; see `DiskEntryFormat`), the
/// key and the value. Values are opaque bytes: nothing read from disk is ever executed or deserialized
/// into objects.
///
/// **A shared folder.** The folder is opened once, when the cache is created, and everything beneath it
/// is reached relative to that descriptor without following a symbolic link at any level, so no read,
/// write, sweep or removal ever touches anything outside it, whatever another process puts there. What
/// the cache did not make, where a fan-out folder or an entry belongs (a symbolic link, a folder, a
/// FIFO, a file of another user unless ``Configuration/acceptsEntriesOfOtherUsers``, a file over
/// ``Configuration/maxEntryBytes``), is a miss and is removed (a link itself, never what it points to).
/// A file's header is checked before room for a large file is allocated. If the folder is deleted, the
/// next write makes it again.
///
/// **Atomicity.** A write goes to a temporary file in the same folder, then is renamed over the entry,
/// so a reader in any process sees the old value or the new one, never a mix. A writer holds a lock on
/// its temporary file while it writes, so a crash mid-write leaves only a temporary file that no one
/// holds, which any process's next scan of the folder (a `sweep()`, or loading the byte-budget
/// index) removes; a write whose temporary file another process's `removeAll()` took away starts over.
/// The file an overwrite replaces is kept under a private temporary name and filled by a later write
/// instead of a newly created file, which makes overwriting several times faster on ext4; see
/// `DiskSpareFiles` for why a reader still gets the old value or the new one.
///
/// **Damage.** A file that is not an entry, is truncated, or fails a checksum is a miss and is removed.
/// A file written by a later format version is a miss and is left alone. An expired entry is a miss
/// and is removed; `sweep()` removes all of them at once. With ``Configuration/staleGrace``, an
/// expired entry is kept that much longer for `getStale(_:maxStaleness:)` (still a miss for `get`).
///
/// **Byte budget.** With ``Configuration/maxBytes``, the cache keeps an in-memory index of entry sizes
/// and recency (atime is not used). It is built on first need by scanning the folder, ordered by file
/// modification time; after that, every read and write moves an entry to the front, and reads refresh a
/// file's mtime when it is over a minute old so the order roughly survives restarts. Each process
/// enforces the budget over the entries it knows; `sweep()` rescans the folder, so running it now and
/// then keeps several processes sharing a folder within budget. The files a cache keeps from replaced
/// entries (at most 8, of at most 1 MiB each) are not entries and do not count against the budget.
///
/// **Threads.** The async methods run their file I/O on a small pool of dedicated threads, never on
/// Swift's cooperative pool. On Linux, a read whose path and pages the kernel already holds in memory
/// (the usual hit) is answered on the calling task instead, with calls that fail rather than wait for
/// the disk (`openat2` with `RESOLVE_CACHED`, `preadv2` with `RWF_NOWAIT`); everything else, and every
/// write, goes to the pool. Synchronous code calls synchronous twins of the same names
/// (`try cache.get(key)`), which block the calling thread for the I/O; use them from threads you own.
///
/// **Permissions.** Folders the cache creates are `0o700` and files ``Configuration/fileMode`` (`0o600`);
/// an existing folder keeps its permissions. Creation fails with a ``CacheError`` when the folder cannot
/// be created or written.
public final class DiskCache: CacheAdapter {
    /// The folder holding the entries.
    public let directory: URL
    /// The options the cache was created with.
    public let configuration: Configuration

    let clock: CacheClock
    /// How long past its expiry an entry's file is kept, in milliseconds; 0 without a grace.
    let graceMilliseconds: Int64
    /// The folder, held open for the cache's life.
    let folder: DiskFolder
    let fileMode: mode_t
    /// The effective user of the process, whose files are the cache's own.
    let userID = geteuid()
    /// Sizes and recency of entries; only kept when there is a byte budget.
    let index: Lock<DiskRecencyIndex>
    let io: IOThreadPool
    /// Files of replaced entries, kept for later writes to fill.
    let spares: DiskSpareFiles
    /// Whether the async API may answer reads on the calling task when the kernel holds everything they
    /// need (see `lookupWithoutWaiting`); cleared for good where the calls do not exist.
    package let readsWithoutWaiting = Atomic(true)

    /// How old a temporary file must be before `sweep()` removes it, on a file system where the lock
    /// that tells a live writer's files from a dead one's does not work: long enough that no live writer
    /// in any process is still filling it.
    static let staleTemporaryFileAge: Int64 = 10 * 60 * 1_000
    /// How old a file's mtime must be before a read refreshes it (for budget recency across restarts).
    static let recencyRefreshAge: Int64 = 60 * 1_000

    /// Opens (creating if needed) a cache in `directory`.
    ///
    /// Creating the folder and checking it can be written takes a few system calls on the calling thread;
    /// create the cache once, at startup.
    ///
    /// - Parameters:
    ///   - directory: A file URL of the folder to keep entries in; missing folders are created `0o700`.
    ///   - configuration: TTL, byte budget, durability, file mode and clock.
    /// - Throws: ``CacheError`` with ``CacheError/Code/invalidConfiguration`` for a bad configuration, a
    ///   non-file URL or a path that is not a folder; ``CacheError/Code/permissionDenied`` when the folder
    ///   cannot be created or written for lack of permission (or a read-only file system);
    ///   ``CacheError/Code/ioFailure`` for any other failure.
    public convenience init(directory: URL, configuration: Configuration = Configuration()) throws {
        try self.init(directory: directory, configuration: configuration, io: .shared)
    }

    /// Opens a cache whose async calls run their blocking file work on `io`.
    init(directory: URL, configuration: Configuration, io: IOThreadPool) throws {
        try configuration.validate()
        guard directory.isFileURL else {
            throw CacheError.invalidConfiguration("DiskCache needs a file URL, got \(directory)")
        }
        var path = directory.standardizedFileURL.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        self.directory = directory
        self.configuration = configuration
        self.clock = CacheClock(configuration.clock)
        self.graceMilliseconds = configuration.staleGrace?.milliseconds(roundingUp: true) ?? 0
        self.folder = try DiskFolder(path: path)
        self.spares = DiskSpareFiles(root: folder, enabled: configuration.reusesReplacedFiles)
        self.fileMode = mode_t(configuration.fileMode)
        self.index = Lock(DiskRecencyIndex())
        self.io = io
        try checkFolderIsWritable()
        // The files that caches which ended without being deinitialized kept for reuse.
        if spares.descriptor >= 0 {
            removeAbandonedTemporaryFiles(in: spares.descriptor, now: clock.wallMilliseconds())
        }
    }

    /// Checks that files can be created in the folder.
    private func checkFolderIsWritable() throws {
        // access() says yes to root even on a read-only mount; creating a file is the real test.
        let probe = DiskFolder.temporaryName("probe")
        let fd = POSIXFile.open(
            at: folder.descriptor, probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard fd >= 0 else { throw POSIXFile.error(errno, "write in the cache folder", folder.path) }
        POSIXFile.close(fd)
        unlinkat(folder.descriptor, probe, 0)
    }

    /// Returns the value of `key`, blocking the calling thread, as the synchronous `get` does.
    @usableFromInline
    func value(forKey key: String) throws -> Data? {
        try lookup(key)?.value
    }

    /// Returns the value of `key` if it is stale within `maxStaleness`, blocking the calling thread, as the
    /// synchronous `getStale` does.
    @usableFromInline
    func staleValue(forKey key: String, maxStaleness: Duration) throws -> (value: Data, staleness: Duration)? {
        guard graceMilliseconds > 0 else { return nil }
        return staleness(of: try lookup(key, stale: true), maxStaleness: maxStaleness)
    }

    /// An entry a stale read found, with how long ago it expired, if that is no longer than `maxStaleness`.
    func staleness(
        of entry: (value: Data, expiry: Int64)?, maxStaleness: Duration
    ) -> (value: Data, staleness: Duration)? {
        guard let (value, expiry) = entry, expiry != 0 else { return nil }
        let staleness = Duration.milliseconds(max(0, clock.wallMilliseconds() - expiry))
        return staleness <= maxStaleness ? (value, staleness) : nil
    }

    /// Stores `value` under `key` with `ttl`, blocking the calling thread, as the synchronous `set` does.
    @usableFromInline
    func store(_ value: Data, forKey key: String, ttl: CacheTTL) throws {
        var expiry: Int64 = 0
        if let ttl = ttl.resolved(defaultTTL: configuration.defaultTTL) {
            guard ttl > .zero else {
                try removeEntry(forKey: key)
                return
            }
            expiry = max(1, clock.wallMilliseconds().saturatingAdding(ttl.milliseconds(roundingUp: true)))
        }
        try store(value, forKey: key, expiry: expiry)
    }

    /// Removes the entry of `key`, if any, blocking the calling thread, as the synchronous `remove` does.
    @usableFromInline
    func removeEntry(forKey key: String) throws {
        var key = key
        try key.withUTF8 { bytes in
            let id = DiskEntryID(key: UnsafeRawBufferPointer(bytes))
            try id.withNames { names in
                guard let fanOut = try folder.openSubfolder(names.folder, creating: false) else { return }
                defer { POSIXFile.close(fanOut) }
                let code = DiskFolder.removeItem(names.file, in: fanOut)
                if code != 0, code != ENOENT {
                    throw POSIXFile.error(code, "remove", folder.describe(names.relativePath))
                }
            }
            forget(id)
        }
    }
}
