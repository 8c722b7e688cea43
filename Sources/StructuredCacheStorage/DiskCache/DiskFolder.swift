// DiskCache's folder: a descriptor held for the cache's life, and everything beneath it reached relative
// to descriptors, never through a symbolic link at any level.

internal import CStructuredCacheFiles
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The root folder of a ``DiskCache`` and the file operations beneath it.
///
/// The root's path is resolved once, when the cache is created; it may itself be reached through
/// symbolic links, which is the user's choice. Everything beneath it (fan-out folders, entries,
/// temporary files) is reached relative to a descriptor, and never through a symbolic link: a link, a
/// file or a folder that the cache did not make, in the place of a fan-out folder or of an entry, is
/// foreign and is removed (the link itself, never what it points to), so no operation can read, write
/// or delete anything outside the folder.
///
/// The root's descriptor number is fixed for the folder's life. When the folder is deleted under the
/// cache and made again, the new folder's descriptor is moved onto that number (`dup2`), so a thread
/// using it at that moment sees the old folder or the new one, never a closed or reused descriptor.
final class DiskFolder: Sendable {
    /// The root's path, as given (standardized, without a trailing slash).
    let path: String
    /// The root's descriptor.
    let descriptor: Int32
    /// Whether `openat2` with `RESOLVE_BENEATH` works here; cleared for good where it does not (macOS,
    /// kernels before 5.6, sandboxes that refuse it), which then open one level at a time.
    let opensBeneath = Atomic(true)

    /// The mode of folders the cache creates.
    static let folderMode: mode_t = 0o700
    /// Flags of every descriptor opened on a folder: never through a final symbolic link.
    static let folderFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC

    /// Creates the folder at `path` if needed (with missing parents) and opens it.
    ///
    /// - Throws: ``CacheError`` when the folder cannot be created or opened, or the path is not a folder.
    init(path: String) throws {
        self.path = path
        self.descriptor = try Self.open(path)
    }

    deinit { POSIXFile.close(descriptor) }

    private static func open(_ path: String) throws -> Int32 {
        let code = POSIXFile.makeDirectories(path, mode: folderMode)
        if code == ENOTDIR || code == EEXIST {
            throw CacheError.invalidConfiguration("DiskCache directory \(path) is not a folder (or lies under a file)")
        }
        if code != 0 { throw POSIXFile.error(code, "create the cache folder", path) }
        // The root path may go through links (the user's choice); only what lies beneath is never followed.
        let fd = POSIXFile.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOTDIR {
                throw CacheError.invalidConfiguration("DiskCache directory \(path) is not a folder")
            }
            throw POSIXFile.error(code, "open", path)
        }
        return fd
    }

    /// Whether the folder the descriptor names has been deleted.
    var isRemoved: Bool {
        guard let info = POSIXFile.status(descriptor) else { return false }
        return info.st_nlink == 0
    }

    /// Points the descriptor at the folder now at ``path`` (after the old one was deleted), creating it
    /// when `creating`.
    ///
    /// - Returns: Whether a folder is now in place.
    /// - Throws: ``CacheError`` when creating is asked for and fails.
    @discardableResult
    func reopen(creating: Bool) throws -> Bool {
        let fresh: Int32
        if creating {
            fresh = try Self.open(path)
        } else {
            fresh = POSIXFile.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fresh >= 0 else { return false }
        }
        defer { POSIXFile.close(fresh) }
        POSIXFile.replace(descriptor, with: fresh)
        return true
    }

    /// The folder's path followed by `name`, for messages.
    func describe(_ name: UnsafePointer<CChar>) -> String {
        path + "/" + String(cString: name)
    }

    // MARK: Opening

    /// Opens the entry at `names` read-only and non-blocking (a FIFO planted there must not hang the
    /// open), without following a symbolic link at any level.
    ///
    /// - Parameter waiting: With `false`, the open fails with `EAGAIN` unless the kernel can resolve the
    ///   path from memory, and with `ENOSYS`, `EINVAL` or `EPERM` where it cannot tell.
    /// - Returns: The descriptor, or -1 with `errno` set (`ELOOP` for a link at either level).
    func openEntry(_ names: DiskEntryNames, waiting: Bool) -> Int32 {
        if !waiting { return structuredcache_open_beneath(descriptor, names.relativePath, 1) }
        if opensBeneath.load(ordering: .relaxed) {
            let fd = structuredcache_open_beneath(descriptor, names.relativePath, 0)
            if fd >= 0 { return fd }
            let code = errno
            guard code == ENOSYS || code == EPERM || code == EINVAL else { return -1 }
            opensBeneath.store(false, ordering: .relaxed)
        }
        let folder = POSIXFile.open(at: descriptor, names.folder, Self.folderFlags)
        guard folder >= 0 else { return -1 }
        defer { POSIXFile.close(folder) }
        return POSIXFile.open(at: folder, names.file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
    }

    /// Opens the folder `name` in the cache folder: a fan-out folder, or the folder of kept files.
    ///
    /// Anything else in its place (a symbolic link, a file) is removed first, the link itself and never
    /// what it points to. With `creating`, a missing folder is made (and the root too, when it was
    /// deleted).
    ///
    /// - Returns: The folder's descriptor, which the caller closes; `nil` when there is none and
    ///   `creating` is false, or when other processes keep removing or replacing it faster than it can
    ///   be made and opened (a writer then starts over, as when they remove its files).
    /// - Throws: ``CacheError`` when the folder cannot be opened or made.
    func openSubfolder(_ name: UnsafePointer<CChar>, creating: Bool) throws -> Int32? {
        for _ in 0..<4 {
            let fd = POSIXFile.open(at: descriptor, name, Self.folderFlags)
            if fd >= 0 { return fd }
            let code = errno
            switch code {
            case ENOENT:
                guard creating else { return nil }
                if mkdirat(descriptor, name, Self.folderMode) == 0 || errno == EEXIST { continue }
                let failure = errno
                guard failure == ENOENT else { throw POSIXFile.error(failure, "create", describe(name)) }
                // The root itself was deleted under the cache.
                try reopen(creating: true)
            case ENOTDIR, ELOOP:
                // Never something the cache made: unlinkat without AT_REMOVEDIR removes the link or the
                // file, never a folder and never a link's target.
                if unlinkat(descriptor, name, 0) != 0, errno != ENOENT {
                    throw POSIXFile.error(errno, "remove", describe(name))
                }
                if !creating { return nil }
            default:
                throw POSIXFile.error(code, "open", describe(name))
            }
        }
        return nil
    }

    // MARK: Removing

    /// Removes whatever `name` is in the folder `directory` (a folder with everything in it included),
    /// never following a symbolic link.
    ///
    /// - Returns: 0, or the `errno` of the failure (`ENOENT` when there was nothing).
    @discardableResult
    static func removeItem(_ name: UnsafePointer<CChar>, in directory: Int32) -> Int32 {
        if unlinkat(directory, name, 0) == 0 { return 0 }
        let code = errno
        // Linux reports a folder as EISDIR, macOS as EPERM.
        guard code == EISDIR || code == EPERM, let info = POSIXFile.status(name, in: directory),
            POSIXFile.isDirectory(info)
        else { return code }
        return removeTree(name, in: directory)
    }

    /// Removes `name` in `directory` if it is still the file described by `info`: another process may
    /// have put a fresh entry in its place, or rewritten the same file as one (which changes its change
    /// time) since `info` was read.
    ///
    /// - Returns: Whether it was removed.
    @discardableResult
    static func removeItem(_ name: UnsafePointer<CChar>, in directory: Int32, ifUnchanged info: stat) -> Bool {
        guard let current = POSIXFile.status(name, in: directory), POSIXFile.isSameFile(current, info) else {
            return false
        }
        return removeItem(name, in: directory) == 0
    }

    /// Removes the folder `name` in `directory` and everything in it, with no recursion and at most two
    /// descriptors open, whatever its depth: the contents of each subfolder are moved up into the folder
    /// being emptied, until it holds no folders.
    ///
    /// - Returns: 0, or the `errno` of the failure.
    private static func removeTree(_ name: UnsafePointer<CChar>, in directory: Int32) -> Int32 {
        // Bounds the work should something keep filling the folder while it is emptied.
        var budget = 1_000_000
        while budget > 0 {
            if unlinkat(directory, name, AT_REMOVEDIR) == 0 { return 0 }
            let code = errno
            guard code == ENOTEMPTY || code == EEXIST else { return code }
            let folder = POSIXFile.open(at: directory, name, folderFlags)
            guard folder >= 0 else { return errno == ENOENT ? 0 : errno }
            defer { POSIXFile.close(folder) }
            for child in names(in: folder) ?? [] {
                budget -= 1
                let removed = child.withUnsafeBufferPointer { child in removeFlat(child.baseAddress!, in: folder) }
                if !removed { return EIO }
            }
        }
        return EBUSY
    }

    /// Removes `name` in `folder` if it is not a folder or an empty one; otherwise moves what it holds up
    /// into `folder` (under fresh names), so that it can be removed on the next pass.
    private static func removeFlat(_ name: UnsafePointer<CChar>, in folder: Int32) -> Bool {
        if unlinkat(folder, name, 0) == 0 || errno == ENOENT { return true }
        if unlinkat(folder, name, AT_REMOVEDIR) == 0 || errno == ENOENT { return true }
        guard errno == ENOTEMPTY || errno == EEXIST else { return false }
        let inner = POSIXFile.open(at: folder, name, folderFlags)
        guard inner >= 0 else { return errno == ENOENT }
        defer { POSIXFile.close(inner) }
        for grandchild in names(in: inner) ?? [] {
            let moved = grandchild.withUnsafeBufferPointer { grandchild in
                let fresh = ".removing." + String(UInt64.random(in: .min ... .max), radix: 16)
                return renameat(inner, grandchild.baseAddress!, folder, fresh) == 0 || errno == ENOENT
            }
            if !moved { return false }
        }
        return true
    }

    // MARK: Listing

    /// The names in the folder `directory`, without `.` and `..`, each as NUL-terminated bytes (names are
    /// not always valid UTF-8).
    ///
    /// - Returns: The names, or `nil` when the folder cannot be read.
    static func names(in directory: Int32) -> [[CChar]]? {
        // A descriptor of its own: one made by dup would share the read position with `directory`.
        let own = POSIXFile.open(at: directory, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard own >= 0 else { return nil }
        guard let stream = fdopendir(own) else {
            POSIXFile.close(own)
            return nil
        }
        defer { closedir(stream) }
        var names: [[CChar]] = []
        while let entry = readdir(stream) {
            let name = self.name(of: entry)
            if name == [46, 0] || name == [46, 46, 0] { continue }  // "." and ".."
            names.append(name)
        }
        return names
    }

    /// The name of the directory record `entry`, as NUL-terminated bytes.
    ///
    /// A record is only as long as its name, so the name is read in place: a copy of the whole `d_name`
    /// array can run past the end of the last record in `readdir`'s buffer, into unmapped memory.
    static func name(of entry: UnsafePointer<dirent>) -> [CChar] {
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let capacity = MemoryLayout.size(ofValue: dirent().d_name)
        let start = (UnsafeRawPointer(entry) + offset).assumingMemoryBound(to: CChar.self)
        return Array(UnsafeBufferPointer(start: start, count: strnlen(start, capacity))) + [0]
    }

    // MARK: Temporary files

    /// Whether the NUL-terminated `name` is one of the cache's temporary names, `.<anything>.tmp`.
    static func isTemporaryName(_ name: UnsafePointer<CChar>) -> Bool {
        let length = strlen(name)
        return length > 5 && name[0] == 46 && strcmp(name + length - 4, ".tmp") == 0
    }

    /// A fresh temporary name: `.<prefix>.<random>.tmp`.
    static func temporaryName(_ prefix: String) -> String {
        "." + prefix + "." + String(UInt64.random(in: .min ... .max), radix: 16) + ".tmp"
    }

    /// Marks the temporary file `fd` as being written by a live process: its writer holds a lock on it
    /// until it closes it, and a process that dies releases it, so other processes can tell its files
    /// from ones a dead writer left.
    ///
    /// - Returns: `false` only when another process holds the lock, which it does only while it checks
    ///   whether the file was abandoned, to remove it: write another file instead.
    static func markInUse(_ fd: Int32) -> Bool {
        flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK
    }

    /// Removes the temporary file `name` in `directory` if its writer is gone (see ``markInUse(_:)``); on
    /// file systems without locks, if it is older than `staleAge` milliseconds.
    ///
    /// - Returns: Whether it was removed.
    @discardableResult
    static func removeIfAbandoned(
        _ name: UnsafePointer<CChar>, in directory: Int32, now: Int64, staleAge: Int64
    ) -> Bool {
        let fd = POSIXFile.open(at: directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            // Not a file that can be opened (a link, a folder): not the cache's, remove it.
            return errno == ELOOP || errno == EISDIR ? removeItem(name, in: directory) == 0 : false
        }
        defer { POSIXFile.close(fd) }
        guard let info = POSIXFile.status(fd) else { return false }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return false }
            if now - POSIXFile.modificationMilliseconds(info) <= staleAge { return false }
        }
        // Removed while the lock is held, so no writer can take it up in between.
        return removeItem(name, in: directory, ifUnchanged: info)
    }
}
