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
/// first gives the old file a second name, a fresh temporary name in the cache folder that only this
/// cache knows; once its own rename has moved the entry's name to the new file, and if that temporary
/// name is then the old file's only link, no other writer in any process can reach the file, and it is
/// kept here, open. A later write fills a kept file (truncating what is left over) and renames it into
/// place, where it would otherwise have created a new one.
///
/// A reader that opened the old entry just before it was replaced, and reads it only while or after it
/// is rewritten, finds another key or a bad checksum in it, never a wrong value. It then sees that the
/// entry's path no longer names the file it opened (inode or change time differ) and reads the entry
/// now in place instead, so it still gets the old value or the new one. A damaged file is removed only
/// if the path still names it unchanged, so such a reader never removes the fresh entry; and a kept file
/// is never filled for the entry it came from.
///
/// Kept files are ordinary temporary files (`.spare.<random>.tmp`), each held open and marked in use
/// like a file being written (``DiskFolder/markInUse(_:)``). ``DiskCache/removeAllValues()`` in any
/// process removes them, in which case the write that wanted one creates a new file. The cache removes
/// the ones it keeps when it is deinitialized; those of a process that ended otherwise are no longer
/// marked in use, and the next cache opened on the folder removes them, as any process's scan of the
/// folder does.
final class DiskSpareFiles: Sendable {
    /// One kept file.
    struct Spare: Sendable {
        /// Its temporary name in the cache folder.
        let name: String
        /// Its descriptor, open for writing and marked in use.
        let fd: Int32
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

    /// The folder the kept files are in.
    private let folder: DiskFolder
    private let spares = Lock<[Spare]>([])

    init(folder: DiskFolder) {
        self.folder = folder
    }

    /// Whether there is room for another file.
    var hasRoom: Bool { spares.withLock { $0.count < Self.capacity } }

    /// Takes the most recently kept file that did not hold `id`.
    ///
    /// - Parameter id: The entry about to be written.
    /// - Returns: The file, now owned by the caller, or `nil` if none fits.
    func take(for id: DiskEntryID) -> Spare? {
        spares.withLock { spares -> Spare? in
            guard let index = spares.lastIndex(where: { $0.origin != id }) else { return nil }
            return spares.remove(at: index)
        }
    }

    /// Keeps the file `name` in the cache folder if it is a regular file of this user's, small enough,
    /// reachable by that name only, and there is room; otherwise removes it.
    ///
    /// - Parameters:
    ///   - name: The temporary name given to a replaced entry's file.
    ///   - origin: The entry the file held.
    func keep(_ name: String, origin: DiskEntryID) {
        let fd = POSIXFile.open(at: folder.descriptor, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd >= 0 {
            if let info = POSIXFile.status(fd), POSIXFile.isRegularFile(info), info.st_nlink == 1,
                info.st_uid == geteuid(), Int(info.st_size) <= Self.maximumSize, DiskFolder.markInUse(fd)
            {
                let spare = Spare(
                    name: name, fd: fd, size: Int(info.st_size), mode: info.st_mode & 0o7777, origin: origin)
                let kept = spares.withLock { spares in
                    guard spares.count < Self.capacity else { return false }
                    spares.append(spare)
                    return true
                }
                if kept { return }
            }
            POSIXFile.close(fd)
        }
        unlinkat(folder.descriptor, name, 0)
    }

    /// Forgets every kept file, closing it.
    ///
    /// - Returns: Their names, for the caller to remove.
    func takeAll() -> [String] {
        let taken = spares.withLock { spares in
            defer { spares.removeAll() }
            return spares
        }
        for spare in taken { POSIXFile.close(spare.fd) }
        return taken.map(\.name)
    }

    deinit {
        for name in takeAll() { unlinkat(folder.descriptor, name, 0) }
    }
}
