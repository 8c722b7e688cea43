// DiskCache's whole-folder work: scanning entries, sweeping expired, damaged and foreign ones and the
// temporary files of writers that are gone, rebuilding the byte-budget index, and removing everything.

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
    /// An entry file found by a scan.
    typealias ScannedFile = (id: DiskEntryID, size: Int, modified: Int64)

    /// Lists the fan-out folders' entry files, and removes the temporary files of writers that are gone
    /// (in the fan-out folders, the folder of kept files and the cache folder itself).
    ///
    /// - Parameter sweeping: Also reads each entry's header and removes expired and damaged entries, and
    ///   whatever else is where an entry belongs (a link, a folder, another user's file).
    /// - Returns: The entries kept (files of a later format version excluded) and how many files were
    ///   removed.
    func scanFolder(sweeping: Bool) -> (files: [ScannedFile], removed: Int) {
        let now = clock.wallMilliseconds()
        var files: [ScannedFile] = []
        var removed = spares.descriptor >= 0 ? removeAbandonedTemporaryFiles(in: spares.descriptor, now: now) : 0
        func removeIfAbandoned(_ name: UnsafePointer<CChar>, in directory: Int32) {
            if DiskFolder.removeIfAbandoned(name, in: directory, now: now, staleAge: Self.staleTemporaryFileAge) {
                removed += 1
            }
        }
        for name in DiskFolder.names(in: folder.descriptor) ?? [] {
            name.withUnsafeBufferPointer { name in
                let name = name.baseAddress!
                if DiskFolder.isTemporaryName(name) { return removeIfAbandoned(name, in: folder.descriptor) }
                guard DiskEntryID.isFolderName(name), let fanOut = try? folder.openSubfolder(name, creating: false)
                else { return }
                defer { POSIXFile.close(fanOut) }
                for file in DiskFolder.names(in: fanOut) ?? [] {
                    file.withUnsafeBufferPointer { file in
                        let file = file.baseAddress!
                        if DiskFolder.isTemporaryName(file) { return removeIfAbandoned(file, in: fanOut) }
                        guard let id = DiskEntryID(folder: name, file: file),
                            let info = POSIXFile.status(file, in: fanOut)
                        else { return }
                        guard POSIXFile.isRegularFile(info), acceptsOwner(of: info) else {
                            if sweeping, DiskFolder.removeItem(file, in: fanOut) == 0 { removed += 1 }
                            return
                        }
                        if sweeping {
                            switch peekExpiry(file, in: fanOut, size: Int(info.st_size)) {
                            // An entry in its grace is kept, for stale reads.
                            case .success(let expiry)
                            where expiry != 0 && expiry.saturatingAdding(graceMilliseconds) <= now:
                                if DiskFolder.removeItem(file, in: fanOut, ifUnchanged: info) { removed += 1 }
                                return
                            case .failure(.corrupt):
                                if DiskFolder.removeItem(file, in: fanOut, ifUnchanged: info) { removed += 1 }
                                return
                            case .failure(.futureVersion):
                                return
                            case .success:
                                break
                            }
                        }
                        files.append((id, Int(info.st_size), POSIXFile.modificationMilliseconds(info)))
                    }
                }
            }
        }
        return (files, removed)
    }

    /// Removes the temporary files in the folder `directory` (not in its subfolders) whose writers are
    /// gone.
    ///
    /// - Returns: How many were removed.
    @discardableResult
    func removeAbandonedTemporaryFiles(in directory: Int32, now: Int64) -> Int {
        var removed = 0
        for name in DiskFolder.names(in: directory) ?? [] {
            name.withUnsafeBufferPointer { name in
                let name = name.baseAddress!
                if DiskFolder.isTemporaryName(name),
                    DiskFolder.removeIfAbandoned(name, in: directory, now: now, staleAge: Self.staleTemporaryFileAge)
                {
                    removed += 1
                }
            }
        }
        return removed
    }

    private func peekExpiry(
        _ name: UnsafePointer<CChar>, in directory: Int32, size: Int
    ) -> Result<Int64, DiskEntryFormat.PeekFailure> {
        guard size <= configuration.maxEntryBytes else { return .failure(.corrupt) }
        let fd = POSIXFile.open(at: directory, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return .failure(.futureVersion) }  // vanished or unreadable: not ours to judge
        defer { POSIXFile.close(fd) }
        return withUnsafeTemporaryAllocation(byteCount: DiskEntryFormat.headerSize, alignment: 8) { header in
            let count = POSIXFile.read(fd, into: header.baseAddress!, count: header.count, offset: 0)
            guard count >= 0 else { return .failure(.futureVersion) }
            return DiskEntryFormat.peek(UnsafeRawBufferPointer(rebasing: header[..<count]), fileSize: size)
        }
    }

    /// Fills the budget index from the folder (file modification times give the first recency order).
    func loadIndex(_ index: inout DiskRecencyIndex) {
        guard let budget = configuration.maxBytes else { return }
        let evicted = index.rebuild(from: scanFolder(sweeping: false).files, budget: budget)
        for victim in evicted {
            victim.withNames { names in removeEntry(names) }
        }
    }

    /// Sweeps the folder, as the synchronous `sweep` does.
    @usableFromInline
    func sweepFolder() throws -> Int {
        if folder.isRemoved, try !folder.reopen(creating: false) { return 0 }
        let (files, removed) = scanFolder(sweeping: true)
        guard let budget = configuration.maxBytes else { return removed }
        let evicted = index.withLock { index in index.rebuild(from: files, budget: budget) }
        var evictedCount = 0
        for victim in evicted {
            victim.withNames { names in
                guard let fanOut = try? folder.openSubfolder(names.folder, creating: false) else { return }
                defer { POSIXFile.close(fanOut) }
                if DiskFolder.removeItem(names.file, in: fanOut) == 0 { evictedCount += 1 }
            }
        }
        return removed + evictedCount
    }

    /// Removes every entry file, kept file and abandoned temporary file, as the synchronous `removeAll` does.
    @usableFromInline
    func removeAllFiles() throws {
        // Their names go with the other kept files below, those of other processes too: they hold the
        // bytes of replaced entries.
        _ = spares.takeAll()
        if folder.isRemoved, try !folder.reopen(creating: false) {
            index.withLock { index in index.removeAll() }
            return  // no folder, nothing stored
        }
        guard let names = DiskFolder.names(in: folder.descriptor) else {
            throw POSIXFile.error(errno, "list", folder.path)
        }
        let now = clock.wallMilliseconds()
        var firstFailure: CacheError?
        func note(_ code: Int32, _ name: UnsafePointer<CChar>, in fanOut: UnsafePointer<CChar>?) {
            guard code != 0, code != ENOENT, firstFailure == nil else { return }
            let path = fanOut.map { String(cString: $0) + "/" + String(cString: name) } ?? String(cString: name)
            firstFailure = POSIXFile.error(code, "remove", folder.path + "/" + path)
        }
        for name in spares.descriptor >= 0 ? DiskFolder.names(in: spares.descriptor) ?? [] : [] {
            name.withUnsafeBufferPointer { name in
                let name = name.baseAddress!
                if DiskFolder.isTemporaryName(name) {
                    note(DiskFolder.removeItem(name, in: spares.descriptor), name, in: DiskSpareFiles.folderName)
                }
            }
        }
        for name in names {
            name.withUnsafeBufferPointer { name in
                let name = name.baseAddress!
                if DiskFolder.isTemporaryName(name) {
                    note(DiskFolder.removeItem(name, in: folder.descriptor), name, in: nil)
                    return
                }
                guard DiskEntryID.isFolderName(name) else { return }
                let fanOut: Int32
                do {
                    guard let opened = try folder.openSubfolder(name, creating: false) else { return }
                    fanOut = opened
                } catch {
                    if firstFailure == nil { firstFailure = error as? CacheError }
                    return
                }
                defer { POSIXFile.close(fanOut) }
                for file in DiskFolder.names(in: fanOut) ?? [] {
                    file.withUnsafeBufferPointer { file in
                        let file = file.baseAddress!
                        if DiskFolder.isTemporaryName(file) {
                            // A live writer's file is left to it: its entry lands after this removal, as
                            // if written just after it, where removing the file would only fail the write.
                            DiskFolder.removeIfAbandoned(
                                file, in: fanOut, now: now, staleAge: Self.staleTemporaryFileAge)
                        } else if DiskEntryID(folder: name, file: file) != nil {
                            note(DiskFolder.removeItem(file, in: fanOut), file, in: name)
                        }
                    }
                }
            }
        }
        index.withLock { index in index.removeAll() }
        if let firstFailure { throw firstFailure }
    }
}
