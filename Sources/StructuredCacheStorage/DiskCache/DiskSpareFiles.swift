// Files that held replaced DiskCache entries, kept by one cache to be filled by its next writes instead
// of creating new files.

import StructuredCacheSupport

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
/// cache that keeps overwriting entries writes slower and slower. Reusing the files makes a 2 KiB
/// overwrite ×8.5 to ×13 faster on ext4 (`StructuredCacheBenchmarks machinery`, two runs); writes of new
/// keys replace no file and are unchanged. So a write that replaces an entry
/// first gives the old file a second name, a fresh temporary name in the cache's `.spares` folder that
/// only this cache knows; once its own rename has moved the entry's name to the new file, and if that
/// temporary name is then the old file's only link, no other writer in any process can reach the file,
/// and it is kept here, open. A later write fills a kept file (truncating what is left over) and renames
/// it into place, where it would otherwise have created a new one. The folder of its own holds a few
/// names only, so linking into it and renaming out of it never scan a large directory.
///
/// A reader that opened the old entry just before it was replaced, and reads it only while or after it
/// is rewritten, finds another key or a bad checksum in it, never a wrong value. It then sees that the
/// entry's path no longer names the file it opened (inode or change time differ) and reads the entry
/// now in place instead, so it still gets the old value or the new one. A damaged file is removed only
/// if the path still names it unchanged, so such a reader never removes the fresh entry; and a kept file
/// is never filled for the entry it came from.
///
/// Kept files are ordinary temporary files (`.spare.<random>.tmp`), each held open and marked in use
/// like a file being written (``DiskFolder/markInUse(_:)``). ``DiskCache/removeAll()`` in any
/// process removes them, in which case the write that wanted one creates a new file. The cache removes
/// the ones it keeps when it is deinitialized; those of a process that ended otherwise are no longer
/// marked in use, and the next cache opened on the folder removes them, as any process's scan of the
/// folder does.
final class DiskSpareFiles: Sendable {
    /// One kept file.
    struct Spare: Sendable {
        /// Its temporary name in the `.spares` folder.
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
    /// The name of the folder, in the cache folder, that holds the kept files.
    static let folderName = ".spares"

    /// The cache folder.
    private let root: DiskFolder
    /// The `.spares` folder's descriptor, or -1 when it could not be made (no file is kept then). When
    /// the folder is deleted and made again, the new descriptor is moved onto this number.
    let descriptor: Int32
    private let spares = Lock<[Spare]>([])
    private let enabled: Bool

    /// Opens (making it if needed) the `.spares` folder in `root`.
    ///
    /// - Parameter enabled: Whether files are kept at all; the folder is opened either way, so that the
    ///   kept files of other processes can be removed.
    init(root: DiskFolder, enabled: Bool) {
        self.root = root
        self.enabled = enabled
        descriptor = (try? root.openSubfolder(Self.folderName, creating: true)) ?? -1
    }

    /// Whether there is room for another file.
    var hasRoom: Bool { enabled && descriptor >= 0 && spares.withLock { $0.count < Self.capacity } }

    /// Gives the entry file `file` in `fanOut` a second name in the `.spares` folder, if there is room.
    ///
    /// - Returns: The second name, or `nil` when none was given (no room, or no such entry).
    func link(_ file: UnsafePointer<CChar>, in fanOut: Int32) -> String? {
        guard hasRoom else { return nil }
        let name = DiskFolder.temporaryName("spare")
        // linkat without AT_SYMLINK_FOLLOW: a symbolic link in the entry's place is not followed.
        if linkat(fanOut, file, descriptor, name, 0) == 0 { return name }
        // The folder was deleted (by another process's removal, or with the cache folder): make it again.
        if errno == ENOENT, let fresh = try? root.openSubfolder(Self.folderName, creating: true) {
            defer { POSIXFile.close(fresh) }
            POSIXFile.replace(descriptor, with: fresh)
        }
        return nil
    }

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

    /// Keeps the file `name` in the `.spares` folder if it is a regular file of this user's, small enough,
    /// reachable by that name only, and there is room; otherwise removes it.
    ///
    /// - Parameters:
    ///   - name: The name ``link(_:in:)`` gave a replaced entry's file.
    ///   - origin: The entry the file held.
    func keep(_ name: String, origin: DiskEntryID) {
        let fd = POSIXFile.open(at: descriptor, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
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
        discard(name)
    }

    /// Removes the file `name` from the `.spares` folder.
    func discard(_ name: String) {
        unlinkat(descriptor, name, 0)
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
        for name in takeAll() { discard(name) }
        if descriptor >= 0 { POSIXFile.close(descriptor) }
    }
}
