// Files that held replaced DiskCache entries, kept by one cache to be filled by its next writes instead
// of creating new files.

import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files that held replaced entries, kept under private temporary names to be rewritten by later writes.
///
/// Creating a file, and freeing the one a rename replaces, make up most of the cost of a write on common
/// file systems: ext4, for one, looks past every recently freed inode before it hands out a new one, so a
/// cache that keeps overwriting entries writes slower and slower. So a write that replaces an entry
/// first gives the old file a second name, a fresh temporary name only this cache knows; once its own
/// rename has moved the entry's name to the new file, and if that temporary name is then the old file's
/// only link, no other writer in any process can reach the file, and it is kept here. A later write fills
/// a kept file (truncating what is left over) and renames it into place, where it would otherwise have
/// created a new one.
///
/// A reader that opened the old entry just before it was replaced, and reads it only while or after it
/// is rewritten, finds another key or a bad checksum in it, never a wrong value. It then sees that the
/// entry's path no longer names the file it opened (inode or change time differ) and reads the entry
/// now in place instead, so it still gets the old value or the new one. A damaged file is removed only
/// if the path still names it unchanged, so such a reader never removes the fresh entry; and a kept file
/// is never filled for the entry it came from.
///
/// Kept files are ordinary temporary files (`.<name>.<random>.tmp`): ``DiskCache/removeAllValues()``
/// and the sweep of other processes may remove them, in which case the write that wanted one creates a
/// new file. The cache removes the ones it still keeps when it is deinitialized, and every cache's are
/// removed when the process exits normally (`exit` or returning from `main`), since a cache kept in a
/// global is never deinitialized; after a crash they are left to ``DiskCache/sweep()``, like any
/// temporary file.
final class DiskSpareFiles: Sendable {
    /// One kept file.
    struct Spare: Sendable {
        /// Its private temporary path.
        let path: String
        /// Its size when it was kept.
        let size: Int
        /// Its permission bits.
        let mode: mode_t
        /// The entry it held, which it is never used for again.
        let origin: DiskEntryID
    }

    /// How many files are kept at most.
    static let capacity = 8
    /// The largest file kept; larger ones cost more in disk space than their creation costs in time.
    static let maximumSize = 1 << 20

    private let spares = Lock<[Spare]>([])

    /// The paths every cache of the process keeps, for the exit handler.
    private static let everyKept = Lock<Set<String>>([])
    /// Registers the exit handler, once.
    private static let removalAtExit: Void = {
        atexit { DiskSpareFiles.removeEveryKeptFile() }
    }()

    private static func removeEveryKeptFile() {
        let paths = everyKept.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in paths { unlink(path) }
    }

    /// Whether there is room for another file.
    var hasRoom: Bool { spares.withLock { $0.count < Self.capacity } }

    /// Takes the most recently kept file that did not hold `id`.
    ///
    /// - Parameter id: The entry about to be written.
    /// - Returns: The file, now owned by the caller, or `nil` if none fits.
    func take(for id: DiskEntryID) -> Spare? {
        let spare = spares.withLock { spares -> Spare? in
            guard let index = spares.lastIndex(where: { $0.origin != id }) else { return nil }
            return spares.remove(at: index)
        }
        if let spare { _ = Self.everyKept.withLock { $0.remove(spare.path) } }
        return spare
    }

    /// Keeps the file at `path` if it is a regular file of ours, small enough, reachable by `path` only,
    /// and there is room; otherwise removes `path`.
    ///
    /// - Parameters:
    ///   - path: The private temporary name given to a replaced entry's file.
    ///   - origin: The entry the file held.
    func keep(_ path: String, origin: DiskEntryID) {
        if let info = POSIXFile.linkStatus(path), POSIXFile.isRegularFile(info), info.st_nlink == 1,
            info.st_uid == geteuid(), Int(info.st_size) <= Self.maximumSize
        {
            let spare = Spare(path: path, size: Int(info.st_size), mode: info.st_mode & 0o7777, origin: origin)
            // Known to the exit handler before any other thread can take it.
            Self.removalAtExit
            Self.everyKept.withLock { _ = $0.insert(path) }
            let kept = spares.withLock { spares in
                guard spares.count < Self.capacity else { return false }
                spares.append(spare)
                return true
            }
            if kept { return }
            _ = Self.everyKept.withLock { $0.remove(path) }
        }
        unlink(path)
    }

    /// Forgets every kept file and returns their paths.
    func takeAll() -> [String] {
        let paths = spares.withLock { spares in
            defer { spares.removeAll() }
            return spares.map(\.path)
        }
        Self.everyKept.withLock { $0.subtract(paths) }
        return paths
    }

    deinit {
        for path in takeAll() { unlink(path) }
    }
}
