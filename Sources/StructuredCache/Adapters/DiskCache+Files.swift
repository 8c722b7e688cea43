// DiskCache's file work: paths, reading and validating an entry, writing one atomically, and keeping the
// folder in place.

import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension DiskCache {
    // MARK: Paths

    /// Calls `body` with the NUL-terminated path of the entry file of `id`, built on the stack.
    func withEntryPath<Result>(_ id: DiskEntryID, _ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        let length = pathPrefix.count + 2 + 1 + 30
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length + 1) { buffer in
            let base = UnsafeMutableRawBufferPointer(buffer)
            pathPrefix.withUnsafeBytes { base.copyMemory(from: $0) }
            var offset = pathPrefix.count
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { hex in
                id.writeHex(into: UnsafeMutableRawBufferPointer(hex))
                base[offset] = hex[0]
                base[offset + 1] = hex[1]
                base[offset + 2] = UInt8(ascii: "/")
                offset += 3
                for position in 2..<32 { base[offset + position - 2] = hex[position] }
            }
            base[length] = 0
            return try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length + 1) { try body($0) }
        }
    }

    /// The path of the fan-out folder of `id`.
    func folderPath(_ id: DiskEntryID) -> String {
        rootPath == "/" ? "/" + id.folderName : rootPath + "/" + id.folderName
    }

    /// A fresh, unique temporary path beside the entry file of `id`: `<folder>/.<file>.<random>.tmp`.
    func temporaryPath(_ id: DiskEntryID) -> String {
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return folderPath(id) + "/." + id.fileName + "." + random + ".tmp"
    }

    /// Whether `name` is one of the cache's temporary files.
    static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(".tmp")
    }

    // MARK: Folder

    /// Creates the root folder if needed and checks it is a folder that can be written.
    func prepareDirectory() throws {
        let code = POSIXFile.makeDirectories(rootPath, mode: 0o700)
        if code == ENOTDIR || code == EEXIST {
            throw CacheError.invalidConfiguration(
                "DiskCache directory \(rootPath) is not a folder (or lies under a file)")
        }
        if code != 0 { throw POSIXFile.error(code, "create the cache folder", rootPath) }
        var info = stat()
        guard stat(rootPath, &info) == 0 else { throw POSIXFile.error(errno, "inspect", rootPath) }
        guard POSIXFile.isDirectory(info) else {
            throw CacheError.invalidConfiguration("DiskCache directory \(rootPath) is not a folder")
        }
        // access() says yes to root even on a read-only mount; creating a file is the real test.
        let probe = rootPath + "/.probe." + String(UInt64.random(in: .min ... .max), radix: 16) + ".tmp"
        let fd = POSIXFile.open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        guard fd >= 0 else { throw POSIXFile.error(errno, "write in the cache folder", rootPath) }
        POSIXFile.close(fd)
        unlink(probe)
    }

    /// Recreates the root and fan-out folder of `id` (after someone deleted them).
    func createFolders(for id: DiskEntryID) throws {
        let code = POSIXFile.makeDirectories(folderPath(id), mode: 0o700)
        if code != 0 { throw POSIXFile.error(code, "create the cache folder", folderPath(id)) }
    }

    // MARK: Reading

    /// Reads and validates the entry of `key`.
    ///
    /// - Returns: The value and its expiry (0 for none), or `nil` on a miss. Damaged and expired files are
    ///   removed on the way.
    func lookup(_ key: String) throws -> (value: Data, expiry: Int64)? {
        var key = key
        return try key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            return try withEntryPath(id) { path in
                // A file replaced while it was read, and filled meanwhile for another write (see
                // DiskSpareFiles), reads as damaged or as another key's; the entry now in its place
                // is the one to return.
                for _ in 0..<3 {
                    if case .read(let entry) = try read(path, id: id, key: keyBytes, waiting: true) { return entry }
                }
                return nil
            }
        }
    }

    /// Reads the entry of `key` if that needs nothing the kernel does not already hold in memory (the
    /// path's directory entries, the file's pages) and changes no file, so it may run on a thread that
    /// must never block.
    ///
    /// A plain hit or a miss the kernel already knows is answered here; anything else (a cold path or
    /// page, a damaged, expired or replaced file, a file over ``largestReadWithoutWaiting``, a byte-budget
    /// index to load, a platform without the calls) is `.wouldBlock`, for ``lookup(_:)`` on an I/O
    /// thread to settle.
    func lookupWithoutWaiting(_ key: String) -> ReadOutcome {
        guard readsWithoutWaiting.load(ordering: .relaxed) else { return .wouldBlock }
        var key = key
        return key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            return withEntryPath(id) { path in
                switch try? read(path, id: id, key: keyBytes, waiting: false) {
                case .read(let entry): .read(entry)
                case .replaced, .wouldBlock, nil: .wouldBlock
                }
            }
        }
    }

    /// The largest file ``lookupWithoutWaiting(_:)`` reads; larger ones are copied on an I/O thread.
    static let largestReadWithoutWaiting = 1 << 20

    /// What one attempt to read an entry file found.
    enum ReadOutcome {
        /// The entry, or `nil` for a miss.
        case read((value: Data, expiry: Int64)?)
        /// The file was replaced while it was read: read again.
        case replaced
        /// Reading without waiting could not settle it: read on a thread that may block.
        case wouldBlock
    }

    /// Reads the entry file at `path` once. With `waiting` false it only uses calls that fail instead of
    /// waiting for the disk, and returns `.wouldBlock` rather than change any file.
    private func read(
        _ path: UnsafePointer<CChar>,
        id: DiskEntryID,
        key: UnsafeRawBufferPointer,
        waiting: Bool
    ) throws -> ReadOutcome {
        // O_NONBLOCK: a FIFO planted in the folder must not hang the open.
        let fd =
            waiting
            ? POSIXFile.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
            : POSIXFile.openWithoutWaiting(path)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT, ENOTDIR:
                forget(id)
                return .read(nil)
            case _ where !waiting:
                if code == ENOSYS || code == EINVAL || code == EPERM {
                    readsWithoutWaiting.store(false, ordering: .relaxed)
                }
                return .wouldBlock
            case ELOOP:
                // A symbolic link is never something the cache wrote.
                unlink(path)
                forget(id)
                return .read(nil)
            default:
                throw POSIXFile.error(code, "open", String(cString: path))
            }
        }
        defer { POSIXFile.close(fd) }
        guard let info = POSIXFile.status(fd) else {
            if !waiting { return .wouldBlock }
            throw POSIXFile.error(errno, "inspect", String(cString: path))
        }
        guard POSIXFile.isRegularFile(info) else { return .read(nil) }
        let size = Int(info.st_size)
        if !waiting, size > Self.largestReadWithoutWaiting { return .wouldBlock }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
        var bufferOwned = true
        defer { if bufferOwned { buffer.deallocate() } }
        let count = POSIXFile.read(fd, into: buffer, count: size, offset: 0, waiting: waiting)
        if waiting {
            guard count >= 0 else { throw POSIXFile.error(errno, "read", String(cString: path)) }
        } else {
            if count < 0, errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL {
                readsWithoutWaiting.store(false, ordering: .relaxed)
            }
            // Short: some pages are not in memory (or the file changed size, which the I/O thread sorts out).
            guard count == size else { return .wouldBlock }
        }
        let decoded =
            count == size
            ? DiskEntryFormat.decode(UnsafeRawBufferPointer(start: buffer, count: count), key: key)
            : .corrupt("file changed size while read")
        switch decoded {
        case .futureVersion:
            return .read(nil)
        case .otherKey:
            guard waiting else { return .wouldBlock }
            return isUnchanged(path, info) ? .read(nil) : .replaced
        case .corrupt:
            guard waiting else { return .wouldBlock }
            guard isUnchanged(path, info) else { return .replaced }
            unlink(path)
            forget(id)
            return .read(nil)
        case .entry(let valueOffset, let valueLength, let expiry):
            let now = clock.wallMilliseconds()
            if expiry != 0, expiry <= now {
                guard waiting else { return .wouldBlock }
                removeIfUnchanged(path, info)
                forget(id)
                return .read(nil)
            }
            if configuration.maxBytes != nil {
                let refresh = now - POSIXFile.modificationMilliseconds(info) > Self.recencyRefreshAge
                if waiting {
                    if refresh { futimens(fd, nil) }
                    record(id, size: size)
                } else if refresh || !index.withLock({ $0.touchIfKnown(id, size: size) }) {
                    // Refreshing the mtime writes; recording an unknown entry may load the index or evict.
                    return .wouldBlock
                }
            }
            guard valueLength > 0 else { return .read((Data(), expiry)) }
            // Hand the read buffer to Data without copying; Data frees it when done.
            bufferOwned = false
            let value = Data(
                bytesNoCopy: buffer + valueOffset,
                count: valueLength,
                deallocator: .custom { _, _ in buffer.deallocate() }
            )
            return .read((value, expiry))
        }
    }

    /// Removes the file at `path` if it is still the one described by `info`: another process may have
    /// renamed a fresh entry over it since it was read, or rewritten the same file as a fresh entry (see
    /// ``DiskSpareFiles``), which changes its change time.
    func removeIfUnchanged(_ path: UnsafePointer<CChar>, _ info: stat) {
        if isUnchanged(path, info) { unlink(path) }
    }

    /// Whether `path` still names the file described by `info`, unchanged since.
    private func isUnchanged(_ path: UnsafePointer<CChar>, _ info: stat) -> Bool {
        var current = stat()
        return lstat(path, &current) == 0 && current.st_ino == info.st_ino && current.st_dev == info.st_dev
            && POSIXFile.changeTime(current) == POSIXFile.changeTime(info)
    }

    // MARK: Writing

    /// Writes the entry of `key` atomically.
    ///
    /// - Parameter expiry: Milliseconds since the Unix epoch, or 0 for none.
    func store(_ value: Data, forKey key: String, expiry: Int64) throws {
        var key = key
        try key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            try value.withUnsafeBytes { valueBytes in
                let header = DiskEntryFormat.header(key: keyBytes, value: valueBytes, expiry: expiry)
                let size = header.count + valueBytes.count
                if let budget = configuration.maxBytes, size > budget {
                    // Too large to keep; an older value must not outlive the newer write that was refused.
                    withEntryPath(id) { path in _ = unlink(path) }
                    forget(id)
                    return
                }
                try header.withUnsafeBytes { headerBytes in
                    try writeFile(id, headerBytes, valueBytes)
                }
                if configuration.maxBytes != nil { record(id, size: size) }
            }
        }
    }

    private func writeFile(_ id: DiskEntryID, _ header: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws
    {
        let size = header.count + value.count
        for attempt in 0..<2 {
            let (fd, temporary) = try openTemporaryFile(for: id, size: size, attempt: attempt)
            var failure: (code: Int32, operation: String)?
            if !POSIXFile.writeAll(fd, header, value) {
                failure = (errno, "write")
            } else if configuration.fsyncOnWrite, fsync(fd) != 0 {
                failure = (errno, "flush")
            }
            POSIXFile.close(fd)
            if let failure {
                unlink(temporary)
                throw POSIXFile.error(failure.code, failure.operation, temporary)
            }
            // Give the file being replaced a private second name first, to keep it for a later write.
            let spare = size <= DiskSpareFiles.maximumSize && spares.hasRoom ? temporaryPath(id) : nil
            let linked: Bool
            var renamed: Int32
            (linked, renamed) = withEntryPath(id) { path -> (Bool, Int32) in
                // linkat without AT_SYMLINK_FOLLOW: a symbolic link in the entry's place is not followed.
                let linked = spare.map { linkat(AT_FDCWD, path, AT_FDCWD, $0, 0) == 0 } ?? false
                return (linked, rename(temporary, path) == 0 ? 0 : errno)
            }
            if renamed == ENOENT || renamed == ENOTDIR, !linked {
                // The entry's folder is missing: deleted under the cache, or never made for this key
                // when a kept file from another folder was filled.
                try createFolders(for: id)
                renamed = withEntryPath(id) { path in rename(temporary, path) == 0 ? 0 : errno }
            }
            if renamed != 0 {
                unlink(temporary)
                if linked, let spare { unlink(spare) }
                // Another process removed the temporary file (a kept one, as stale): start over once.
                if attempt == 0, renamed == ENOENT || renamed == ENOTDIR { continue }
                throw POSIXFile.error(renamed, "rename into place", temporary)
            }
            if linked, let spare { spares.keep(spare, origin: id) }
            if configuration.fsyncOnWrite {
                // The rename itself is durable only once the folder is flushed.
                let folder = POSIXFile.open(folderPath(id), O_RDONLY | O_CLOEXEC | O_DIRECTORY)
                if folder >= 0 {
                    defer { POSIXFile.close(folder) }
                    if fsync(folder) != 0 { throw POSIXFile.error(errno, "flush", folderPath(id)) }
                }
            }
            return
        }
    }

    /// Opens the file a write of `size` bytes for `id` fills: a kept spare file, emptied beyond `size`, or
    /// a new temporary file beside the entry.
    ///
    /// - Returns: The descriptor, positioned at the start, and the file's temporary path.
    /// - Throws: ``CacheError`` when no file can be created.
    private func openTemporaryFile(for id: DiskEntryID, size: Int, attempt: Int) throws -> (Int32, String) {
        while attempt == 0, let spare = spares.take(for: id) {
            let fd = POSIXFile.open(spare.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
            // Gone (another process's sweep or removeAll) or no longer ours: try the next one.
            guard fd >= 0 else { continue }
            if (spare.size <= size || ftruncate(fd, off_t(size)) == 0)
                && (spare.mode == fileMode || fchmod(fd, fileMode) == 0)
            {
                return (fd, spare.path)
            }
            POSIXFile.close(fd)
            unlink(spare.path)
        }
        let temporary = temporaryPath(id)
        var fd = POSIXFile.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        if fd < 0, attempt == 0, errno == ENOENT || errno == ENOTDIR {
            try createFolders(for: id)
            fd = POSIXFile.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
        }
        guard fd >= 0 else { throw POSIXFile.error(errno, "create", temporary) }
        // The umask may have narrowed the mode; set it exactly. A mode with owner bits only (the
        // default 0600) is left as open gave it: umasks clear group and other bits, and a file
        // whose owner bits were cleared too can still be written through this descriptor.
        if fileMode & 0o077 != 0 { _ = fchmod(fd, fileMode) }
        return (fd, temporary)
    }

    // MARK: Budget index

    /// Notes a read or write of the entry of `id` and deletes what the byte budget evicts.
    func record(_ id: DiskEntryID, size: Int) {
        guard let budget = configuration.maxBytes else { return }
        let evicted = index.withLock { index -> [DiskEntryID] in
            if !index.isLoaded { loadIndex(&index) }
            return index.record(id, size: size, budget: budget)
        }
        for victim in evicted {
            withEntryPath(victim) { path in _ = unlink(path) }
        }
    }

    /// Drops `id` from the budget index.
    func forget(_ id: DiskEntryID) {
        guard configuration.maxBytes != nil else { return }
        index.withLock { index in index.forget(id) }
    }
}
