// DiskCache's file work: reading and validating an entry, writing one atomically, and the byte-budget
// index. Every path is resolved beneath the cache folder's descriptor, never through a link (DiskFolder).

import Foundation
import StructuredCacheSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension DiskCache {
    // MARK: Reading

    /// Reads and validates the entry of `key`.
    ///
    /// - Parameter stale: Reads the entry only if it has expired and is within its grace, instead of only
    ///   if it has not expired.
    /// - Returns: The value and its expiry (0 for none), or `nil` on a miss. Damaged, foreign and expired
    ///   files (past their grace) are removed on the way.
    func lookup(_ key: String, stale: Bool = false) throws -> (value: Data, expiry: Int64)? {
        var key = key
        return try key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            return try id.withNames { names in
                // A file replaced while it was read, and filled meanwhile for another write (see
                // DiskSpareFiles), reads as damaged or as another key's; the entry now in its place
                // is the one to return.
                for _ in 0..<3 {
                    if case .read(let entry) = try read(names, id: id, key: keyBytes, waiting: true, stale: stale) {
                        return entry
                    }
                }
                return nil
            }
        }
    }

    /// Reads the entry of `key` if that needs nothing the kernel does not already hold in memory (the
    /// path's directory entries, the file's pages) and changes no file, so it may run on a thread that
    /// must never block. It saves the two thread hops of an I/O thread: an async 2 KiB hit from one task
    /// is ×2.6 to ×3.0 faster with it (`StructuredCacheBenchmarks machinery`, two runs).
    ///
    /// A plain hit or a miss the kernel already knows is answered here; anything else (a cold path or
    /// page, a damaged, foreign, expired or replaced file, a file over ``largestReadWithoutWaiting``, a
    /// byte-budget index to load, a platform without the calls) is `.wouldBlock`, for ``lookup(_:)`` on
    /// an I/O thread to settle.
    func lookupWithoutWaiting(_ key: String, stale: Bool = false) -> ReadOutcome {
        guard readsWithoutWaiting.load(ordering: .relaxed) else { return .wouldBlock }
        var key = key
        return key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            return id.withNames { names in
                switch try? read(names, id: id, key: keyBytes, waiting: false, stale: stale) {
                case .read(let entry): .read(entry)
                case .replaced, .wouldBlock, nil: .wouldBlock
                }
            }
        }
    }

    /// The largest file ``lookupWithoutWaiting(_:)`` reads; larger ones are copied on an I/O thread.
    static let largestReadWithoutWaiting = 1 << 20
    /// Files larger than this have their header read and checked before room for the whole file is
    /// allocated; smaller ones are read in one call.
    static let largestReadInOneGo = 64 << 10

    /// What one attempt to read an entry file found.
    enum ReadOutcome {
        /// The entry, or `nil` for a miss.
        case read((value: Data, expiry: Int64)?)
        /// The file was replaced while it was read: read again.
        case replaced
        /// Reading without waiting could not settle it: read on a thread that may block.
        case wouldBlock
    }

    /// Reads the entry file at `names` once. With `waiting` false it only uses calls that fail instead of
    /// waiting for the disk, and returns `.wouldBlock` rather than change any file. With `stale`, only an
    /// entry that has expired and is within its grace is read; without, only one that has not expired.
    private func read(
        _ names: DiskEntryNames,
        id: DiskEntryID,
        key: UnsafeRawBufferPointer,
        waiting: Bool,
        stale: Bool
    ) throws -> ReadOutcome {
        let fd = folder.openEntry(names, waiting: waiting)
        if fd < 0 {
            let code = errno
            switch code {
            case ENOENT:
                // The folder itself may have been deleted under the cache, and made again by another process.
                if waiting, folder.isRemoved, (try? folder.reopen(creating: false)) == true { return .replaced }
                forget(id)
                return .read(nil)
            case _ where !waiting:
                if code == ENOSYS || code == EINVAL || code == EPERM {
                    readsWithoutWaiting.store(false, ordering: .relaxed)
                }
                return .wouldBlock
            case ELOOP, ENOTDIR:
                // A symbolic link or a file in the place of the fan-out folder, or a link in the place of
                // the entry: never something the cache wrote. Opening the fan-out folder removes what is
                // there instead of a folder; this removes a link at the entry.
                removeEntry(names) { POSIXFile.isSymbolicLink($0) }
                forget(id)
                return .read(nil)
            default:
                throw POSIXFile.error(code, "open", folder.describe(names.relativePath))
            }
        }
        defer { POSIXFile.close(fd) }
        guard let info = POSIXFile.status(fd) else {
            if !waiting { return .wouldBlock }
            throw POSIXFile.error(errno, "inspect", folder.describe(names.relativePath))
        }
        let size = Int(info.st_size)
        // Only a regular file of this cache's user (or of a user it trusts), of a size it could have
        // written, is read at all: a folder, a FIFO, another user's file or a huge one is foreign.
        guard POSIXFile.isRegularFile(info), acceptsOwner(of: info), size <= configuration.maxEntryBytes else {
            guard waiting else { return .wouldBlock }
            removeEntry(names) { POSIXFile.isSameFile($0, info) }
            forget(id)
            return .read(nil)
        }
        if !waiting, size > Self.largestReadWithoutWaiting { return .wouldBlock }
        var value: (buffer: UnsafeMutableRawPointer, count: Int)?
        defer { value.map { $0.buffer.deallocate() } }
        let decoded: DiskEntryFormat.Decoded
        if size > Self.largestReadInOneGo,
            let early = try checkHeader(fd, names, size: size, keyLength: key.count, waiting: waiting)
        {
            decoded = early
        } else {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(size, 1), alignment: 16)
            value = (buffer, size)
            let count = POSIXFile.read(fd, into: buffer, count: size, offset: 0, waiting: waiting)
            if waiting {
                guard count >= 0 else { throw POSIXFile.error(errno, "read", folder.describe(names.relativePath)) }
            } else {
                if count < 0, errno == EOPNOTSUPP || errno == ENOSYS || errno == EINVAL {
                    readsWithoutWaiting.store(false, ordering: .relaxed)
                }
                // Short: some pages are not in memory (or the file changed size, which the I/O thread sorts out).
                guard count == size else { return .wouldBlock }
            }
            decoded =
                count == size
                ? DiskEntryFormat.decode(UnsafeRawBufferPointer(start: buffer, count: count), key: key)
                : .corrupt("file changed size while read")
        }
        switch decoded {
        case .futureVersion:
            return .read(nil)
        case .otherKey:
            guard waiting else { return .wouldBlock }
            return isUnchanged(names, info) ? .read(nil) : .replaced
        case .corrupt:
            guard waiting else { return .wouldBlock }
            guard isUnchanged(names, info) else { return .replaced }
            removeEntry(names) { POSIXFile.isSameFile($0, info) }
            forget(id)
            return .read(nil)
        case .entry(let valueOffset, let valueLength, let expiry):
            /// The value, handed from the read buffer to Data without copying; Data frees it when done.
            func takeValue() -> Data {
                guard valueLength > 0, let (buffer, _) = value else { return Data() }
                value = nil
                return Data(
                    bytesNoCopy: buffer + valueOffset,
                    count: valueLength,
                    deallocator: .custom { _, _ in buffer.deallocate() }
                )
            }
            let now = clock.wallMilliseconds()
            if expiry != 0, expiry <= now {
                if now < expiry.saturatingAdding(graceMilliseconds) {
                    // In its grace: kept for stale reads, but never a hit, and not a use that renews its
                    // recency. Nothing changes, so this needs no waiting either way.
                    return .read(stale ? (takeValue(), expiry) : nil)
                }
                guard waiting else { return .wouldBlock }
                removeEntry(names) { POSIXFile.isSameFile($0, info) }
                forget(id)
                return .read(nil)
            }
            // A value that has not expired is not stale.
            if stale { return .read(nil) }
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
            return .read((takeValue(), expiry))
        }
    }

    /// Reads and checks the header of a large entry file before the whole of it is read.
    ///
    /// - Returns: `nil` when the header is that of an entry of `size` bytes for a key of `keyLength`
    ///   bytes (the whole file is to be read); otherwise what the file is.
    private func checkHeader(
        _ fd: Int32, _ names: DiskEntryNames, size: Int, keyLength: Int, waiting: Bool
    ) throws -> DiskEntryFormat.Decoded? {
        try withUnsafeTemporaryAllocation(byteCount: DiskEntryFormat.headerSize, alignment: 8) { header in
            let count = POSIXFile.read(fd, into: header.baseAddress!, count: header.count, offset: 0, waiting: waiting)
            if count < 0, waiting { throw POSIXFile.error(errno, "read", folder.describe(names.relativePath)) }
            guard count == header.count else { return .corrupt("file changed size while read") }
            return DiskEntryFormat.check(UnsafeRawBufferPointer(header), fileSize: size, keyLength: keyLength)
        }
    }

    /// Whether the entry at `names` is the file described by `info`, unchanged since.
    private func isUnchanged(_ names: DiskEntryNames, _ info: stat) -> Bool {
        guard let fanOut = try? folder.openSubfolder(names.folder, creating: false) else { return false }
        defer { POSIXFile.close(fanOut) }
        return POSIXFile.status(names.file, in: fanOut).map { POSIXFile.isSameFile($0, info) } ?? false
    }

    /// Removes whatever is at the entry `names` (a folder with everything in it included) if `condition`
    /// holds for its status; never follows a link.
    func removeEntry(_ names: DiskEntryNames, if condition: (stat) -> Bool = { _ in true }) {
        guard let fanOut = try? folder.openSubfolder(names.folder, creating: false) else { return }
        defer { POSIXFile.close(fanOut) }
        if let current = POSIXFile.status(names.file, in: fanOut), condition(current) {
            DiskFolder.removeItem(names.file, in: fanOut)
        }
    }

    /// Whether a file with `info` may be read as an entry: it belongs to this process's user, or to root,
    /// or the configuration trusts other users.
    func acceptsOwner(of info: stat) -> Bool {
        info.st_uid == userID || info.st_uid == 0 || configuration.acceptsEntriesOfOtherUsers
    }

    // MARK: Writing

    /// How many times a write starts over when another process takes its temporary file or folder away
    /// (its `removeAll()` or `sweep()`) before the write is ordered before that removal.
    static let writeAttempts = 8

    /// Writes the entry of `key` atomically.
    ///
    /// - Parameter expiry: Milliseconds since the Unix epoch, or 0 for none.
    func store(_ value: Data, forKey key: String, expiry: Int64) throws {
        var key = key
        try key.withUTF8 { keyBytes in
            let keyBytes = UnsafeRawBufferPointer(keyBytes)
            let id = DiskEntryID(key: keyBytes)
            try value.withUnsafeBytes { valueBytes in
                let size = DiskEntryFormat.headerSize + keyBytes.count + valueBytes.count
                guard size <= configuration.maxEntryBytes else {
                    throw CacheError.valueTooLarge(
                        "an entry of \(size) bytes exceeds maxEntryBytes (\(configuration.maxEntryBytes))")
                }
                if let budget = configuration.maxBytes, size > budget {
                    // Too large to keep; an older value must not outlive the newer write that was refused.
                    id.withNames { names in removeEntry(names) }
                    forget(id)
                    return
                }
                let header = DiskEntryFormat.header(key: keyBytes, value: valueBytes, expiry: expiry)
                let stored = try id.withNames { names in
                    try header.withUnsafeBytes { headerBytes in try writeFile(id, names, headerBytes, valueBytes) }
                }
                if stored { record(id, size: size) } else { forget(id) }
            }
        }
    }

    /// Writes the entry's file and renames it into place.
    ///
    /// - Returns: `false` when other processes kept removing the folder or the file being written for
    ///   ``writeAttempts`` rounds: the write is then ordered before their removal, which any removal
    ///   overlapping it may be, and the entry is removed so that no older value outlives it.
    private func writeFile(
        _ id: DiskEntryID, _ names: DiskEntryNames, _ header: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer
    ) throws -> Bool {
        let size = header.count + value.count
        var mayUseSpare = true
        for _ in 0..<Self.writeAttempts {
            guard let fanOut = try folder.openSubfolder(names.folder, creating: true) else { continue }
            defer { POSIXFile.close(fanOut) }
            guard let file = try openFileToFill(for: id, in: fanOut, size: size, mayUseSpare: mayUseSpare) else {
                continue
            }
            var failure: (code: Int32, operation: String)?
            if !POSIXFile.writeAll(file.fd, header, value) {
                failure = (errno, "write")
            } else if configuration.fsyncOnWrite, fsync(file.fd) != 0 {
                failure = (errno, "flush")
            }
            if let failure {
                POSIXFile.close(file.fd)
                unlinkat(file.directory, file.name, 0)
                throw POSIXFile.error(failure.code, failure.operation, folder.describe(names.relativePath))
            }
            // Give the file being replaced a private second name first, to keep it for a later write.
            let spare = size <= DiskSpareFiles.maximumSize ? spares.link(names.file, in: fanOut) : nil
            var renamed = renameat(file.directory, file.name, fanOut, names.file) == 0 ? 0 : errno
            if renamed == EISDIR || renamed == ENOTEMPTY || renamed == EEXIST {
                // A folder in the entry's place: never something the cache made.
                DiskFolder.removeItem(names.file, in: fanOut)
                renamed = renameat(file.directory, file.name, fanOut, names.file) == 0 ? 0 : errno
            }
            POSIXFile.close(file.fd)
            if renamed != 0 {
                unlinkat(file.directory, file.name, 0)
                if let spare { spares.discard(spare) }
                // Another process removed the temporary file or the folder (its removeAll or sweep):
                // start over with a new file.
                if renamed == ENOENT || renamed == ENOTDIR {
                    mayUseSpare = false
                    continue
                }
                throw POSIXFile.error(renamed, "rename into place", folder.describe(names.relativePath))
            }
            if let spare { spares.keep(spare, origin: id) }
            if configuration.fsyncOnWrite, fsync(fanOut) != 0 {
                // The rename itself is durable only once the folder is flushed.
                throw POSIXFile.error(errno, "flush", folder.describe(names.folder))
            }
            return true
        }
        removeEntry(names)
        return false
    }

    /// The file a write fills, open for writing and marked in use: a kept spare file, emptied beyond
    /// `size`, or a new temporary file in the entry's fan-out folder.
    private struct FileToFill {
        let fd: Int32
        /// The folder it is in, and its name there.
        let directory: Int32
        let name: String
    }

    /// Opens the file a write of `size` bytes for `id` fills.
    ///
    /// - Returns: The file, or `nil` when the write should start over (the folder went away meanwhile).
    /// - Throws: ``CacheError`` when no file can be created.
    private func openFileToFill(
        for id: DiskEntryID, in fanOut: Int32, size: Int, mayUseSpare: Bool
    ) throws -> FileToFill? {
        while mayUseSpare, let spare = spares.take(for: id) {
            if (spare.size <= size || ftruncate(spare.fd, off_t(size)) == 0)
                && (spare.mode == fileMode || fchmod(spare.fd, fileMode) == 0)
            {
                return FileToFill(fd: spare.fd, directory: spares.descriptor, name: spare.name)
            }
            POSIXFile.close(spare.fd)
            spares.discard(spare.name)
        }
        while true {
            let name = DiskFolder.temporaryName(id.fileName)
            let fd = POSIXFile.open(at: fanOut, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, fileMode)
            guard fd >= 0 else {
                if errno == ENOENT { return nil }  // the folder was deleted after it was opened
                throw POSIXFile.error(errno, "create", folder.describe(id.folderName + "/" + name))
            }
            // Held until the file is closed, so that other processes can tell it from a dead writer's.
            guard DiskFolder.markInUse(fd) else {
                // Another process is just now removing it as abandoned: take another name.
                POSIXFile.close(fd)
                continue
            }
            // The umask may have narrowed the mode; set it exactly. A mode with owner bits only (the
            // default 0600) is left as open gave it: umasks clear group and other bits, and a file
            // whose owner bits were cleared too can still be written through this descriptor.
            if fileMode & 0o077 != 0 { _ = fchmod(fd, fileMode) }
            return FileToFill(fd: fd, directory: fanOut, name: name)
        }
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
            victim.withNames { names in removeEntry(names) }
        }
    }

    /// Drops `id` from the budget index.
    func forget(_ id: DiskEntryID) {
        guard configuration.maxBytes != nil else { return }
        index.withLock { index in index.forget(id) }
    }
}
