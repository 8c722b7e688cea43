// DiskCache's entries as a listing sees them: each entry file with its key, expiry, size and modification
// time, read without changing it, and removed only if it is still the file that was read (for tools
// that inspect a cache folder).

package import Foundation
import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension DiskCache {
    /// One entry file of the folder, as ``forEachStoredEntry(_:)`` or ``storedEntry(forKey:)`` read it.
    package struct StoredEntry: Sendable {
        /// The entry's key.
        package let key: String
        /// The file's size in bytes: header, key and value, what ``Configuration/maxBytes`` counts.
        package let size: Int
        /// When the entry expires (or expired); `nil` for never.
        package let expiry: Date?
        /// When the file was last written (under a byte budget, reads also refresh it now and then).
        package let modified: Date
        /// The entry's file name.
        let id: DiskEntryID
        /// The file as it was read, so that a removal leaves alone a file written since.
        let file: stat
    }

    /// Calls `body` with every entry of the folder and its value, expired ones and those in their grace
    /// included, blocking the calling thread for the file I/O.
    ///
    /// Entry files are found as every scan finds them (which also removes the temporary files of
    /// writers that are gone) and read whole; nothing else is changed. Files that are not readable
    /// entries of this format version are skipped and counted: damaged, truncated or foreign files,
    /// another user's (unless ``Configuration/acceptsEntriesOfOtherUsers``), files over
    /// ``Configuration/maxEntryBytes``, and those of a later version.
    ///
    /// - Parameter body: Called with each entry and its value, in no particular order; what it throws
    ///   ends the walk.
    /// - Returns: How many files were skipped.
    /// - Throws: What `body` throws.
    /// - Complexity: O(*n*) in the total size of the entries.
    package func forEachStoredEntry(_ body: (StoredEntry, Data) throws -> Void) throws -> Int {
        if folder.isRemoved, (try? folder.reopen(creating: false)) != true { return 0 }
        var skipped = 0
        for file in scanFolder(sweeping: false).files {
            switch file.id.withNames({ names in readStoredEntry(names, id: file.id, key: nil) }) {
            case .entry(let entry, let value): try body(entry, value)
            case .missing: break
            case .skipped: skipped += 1
            }
        }
        return skipped
    }

    /// The entry of `key` and its value, whether or not it has expired, read without changing any file,
    /// blocking the calling thread.
    ///
    /// - Parameter key: The key.
    /// - Returns: The entry and its value, or `nil` when there is none (or its file is not a readable
    ///   entry).
    package func storedEntry(forKey key: String) -> (entry: StoredEntry, value: Data)? {
        var key = key
        return key.withUTF8 { bytes in
            let bytes = UnsafeRawBufferPointer(bytes)
            let id = DiskEntryID(key: bytes)
            guard case .entry(let entry, let value) = id.withNames({ readStoredEntry($0, id: id, key: bytes) }) else {
                return nil
            }
            return (entry, value)
        }
    }

    /// Removes the file of `entry` if it is still the file that was read, blocking the calling thread.
    ///
    /// - Parameter entry: An entry ``forEachStoredEntry(_:)`` or ``storedEntry(forKey:)`` read.
    /// - Returns: Whether it was removed; `false` when it was replaced, rewritten or removed since, or
    ///   cannot be removed.
    @discardableResult
    package func remove(_ entry: StoredEntry) -> Bool {
        entry.id.withNames { names in
            guard let fanOut = try? folder.openSubfolder(names.folder, creating: false) else { return false }
            defer { POSIXFile.close(fanOut) }
            guard DiskFolder.removeItem(names.file, in: fanOut, ifUnchanged: entry.file) else { return false }
            forget(entry.id)
            return true
        }
    }

    /// What reading one entry file for a listing found.
    private enum StoredRead {
        case entry(StoredEntry, Data)
        /// No file (or, for a key, another key's).
        case missing
        /// A file that is not a readable entry of this version.
        case skipped
    }

    /// Reads the entry file at `names` whole, without changing it.
    ///
    /// - Parameter key: The key asked for, or `nil` for whatever key the file holds.
    private func readStoredEntry(_ names: DiskEntryNames, id: DiskEntryID, key: UnsafeRawBufferPointer?) -> StoredRead {
        let fd = folder.openEntry(names, waiting: true)
        guard fd >= 0 else { return errno == ENOENT ? .missing : .skipped }
        defer { POSIXFile.close(fd) }
        guard let info = POSIXFile.status(fd), POSIXFile.isRegularFile(info), acceptsOwner(of: info),
            Int(info.st_size) <= configuration.maxEntryBytes, Int(info.st_size) >= DiskEntryFormat.headerSize
        else { return .skipped }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        let decoded = bytes.withUnsafeMutableBytes { buffer -> (DiskEntryFormat.Decoded, Range<Int>)? in
            guard POSIXFile.read(fd, into: buffer.baseAddress!, count: size, offset: 0) == size else { return nil }
            let file = UnsafeRawBufferPointer(buffer)
            guard
                let keyRange = DiskEntryFormat.keyRange(
                    UnsafeRawBufferPointer(rebasing: file[..<DiskEntryFormat.headerSize]), fileSize: size)
            else { return nil }
            return (
                DiskEntryFormat.decode(file, key: key ?? UnsafeRawBufferPointer(rebasing: file[keyRange])), keyRange
            )
        }
        switch decoded {
        case (.entry(let valueOffset, let valueLength, let expiry), let keyRange)?:
            let entry = StoredEntry(
                key: String(decoding: bytes[keyRange], as: UTF8.self), size: size,
                expiry: expiry == 0 ? nil : Date(timeIntervalSince1970: Double(expiry) / 1_000),
                modified: Date(timeIntervalSince1970: Double(POSIXFile.modificationMilliseconds(info)) / 1_000),
                id: id, file: info)
            return .entry(entry, Data(bytes[valueOffset..<(valueOffset + valueLength)]))
        case (.otherKey, _)?:
            return .missing
        default:
            return .skipped
        }
    }
}
