// DiskCache's whole-folder work: scanning entries, sweeping expired and damaged ones and stale temporary
// files, rebuilding the byte-budget index, and removing everything.

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
    /// An entry file found by a scan.
    typealias ScannedFile = (id: DiskEntryID, size: Int, modified: Int64)

    /// Lists the fan-out folders' entry files.
    ///
    /// - Parameter sweeping: Also reads each entry's header and removes expired and damaged entries, and
    ///   removes temporary files older than ``staleTemporaryFileAge``.
    /// - Returns: The entries kept (files of a later format version excluded) and how many were removed.
    func scanFolder(sweeping: Bool) -> (files: [ScannedFile], removed: Int) {
        let fileManager = FileManager.default
        let now = clock.wallMilliseconds()
        var files: [ScannedFile] = []
        var removed = 0
        let folders = (try? fileManager.contentsOfDirectory(atPath: rootPath)) ?? []
        for folder in folders where DiskEntryID.isFolderName(folder) {
            let folderPath = rootPath + "/" + folder
            guard let names = try? fileManager.contentsOfDirectory(atPath: folderPath) else { continue }
            for name in names {
                let path = folderPath + "/" + name
                guard let info = POSIXFile.linkStatus(path), POSIXFile.isRegularFile(info) else { continue }
                let modified = POSIXFile.modificationMilliseconds(info)
                if Self.isTemporaryName(name) {
                    if sweeping, now - modified > Self.staleTemporaryFileAge, unlink(path) == 0 { removed += 1 }
                    continue
                }
                guard let id = DiskEntryID(folder: folder, file: name) else { continue }
                if sweeping {
                    switch peekExpiry(path, size: Int(info.st_size)) {
                    case .success(let expiry) where expiry != 0 && expiry <= now:
                        if unlinkIfUnchanged(path, info) { removed += 1 }
                        continue
                    case .failure(.corrupt):
                        if unlinkIfUnchanged(path, info) { removed += 1 }
                        continue
                    case .failure(.futureVersion):
                        continue
                    case .success:
                        break
                    }
                }
                files.append((id, Int(info.st_size), modified))
            }
        }
        return (files, removed)
    }

    private func peekExpiry(_ path: String, size: Int) -> Result<Int64, DiskEntryFormat.PeekFailure> {
        let fd = POSIXFile.open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return .failure(.futureVersion) }  // vanished or unreadable: not ours to judge
        defer { POSIXFile.close(fd) }
        return withUnsafeTemporaryAllocation(byteCount: DiskEntryFormat.headerSize, alignment: 8) { header in
            let count = POSIXFile.read(fd, into: header.baseAddress!, count: header.count, offset: 0)
            guard count >= 0 else { return .failure(.futureVersion) }
            return DiskEntryFormat.peek(UnsafeRawBufferPointer(rebasing: header[..<count]), fileSize: size)
        }
    }

    private func unlinkIfUnchanged(_ path: String, _ info: stat) -> Bool {
        guard let current = POSIXFile.linkStatus(path), current.st_ino == info.st_ino, current.st_dev == info.st_dev
        else { return false }
        return unlink(path) == 0
    }

    /// Fills the budget index from the folder (file modification times give the first recency order).
    func loadIndex(_ index: inout DiskRecencyIndex) {
        guard let budget = configuration.maxBytes else { return }
        let evicted = index.rebuild(from: scanFolder(sweeping: false).files, budget: budget)
        for victim in evicted {
            withEntryPath(victim) { path in _ = unlink(path) }
        }
    }

    /// Sweeps the folder; see ``removeExpiredValues()``.
    func sweepFolder() throws -> Int {
        var info = stat()
        guard stat(rootPath, &info) == 0 else {
            if errno == ENOENT { return 0 }
            throw POSIXFile.error(errno, "read", rootPath)
        }
        let (files, removed) = scanFolder(sweeping: true)
        guard let budget = configuration.maxBytes else { return removed }
        let evicted = index.withLock { index in index.rebuild(from: files, budget: budget) }
        var evictedCount = 0
        for victim in evicted {
            withEntryPath(victim) { path in if unlink(path) == 0 { evictedCount += 1 } }
        }
        return removed + evictedCount
    }

    /// Removes every entry file and temporary file; see ``removeAllValues()``.
    func removeAllFiles() throws {
        // Their names go with the other temporary files below.
        _ = spares.takeAll()
        let fileManager = FileManager.default
        let folders: [String]
        do {
            folders = try fileManager.contentsOfDirectory(atPath: rootPath)
        } catch {
            if POSIXFile.linkStatus(rootPath) == nil { return }  // no folder, nothing stored
            throw CacheError.ioFailure("cannot list \(rootPath)", underlying: error)
        }
        var firstFailure: CacheError?
        for folder in folders where DiskEntryID.isFolderName(folder) {
            let folderPath = rootPath + "/" + folder
            guard let names = try? fileManager.contentsOfDirectory(atPath: folderPath) else { continue }
            for name in names where Self.isTemporaryName(name) || DiskEntryID(folder: folder, file: name) != nil {
                let path = folderPath + "/" + name
                if unlink(path) != 0, errno != ENOENT, firstFailure == nil {
                    firstFailure = POSIXFile.error(errno, "remove", path)
                }
            }
        }
        index.withLock { index in index.removeAll() }
        if let firstFailure { throw firstFailure }
    }
}
