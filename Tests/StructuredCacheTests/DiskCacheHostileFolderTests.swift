// DiskCache in a folder someone else can write: what is planted there (a symbolic link in place of a
// fan-out folder, a huge sparse file, a folder or a FIFO in place of an entry, another user's file, a
// dead writer's leftovers) is a miss or is cleaned up, and nothing outside the folder is ever touched.

import Foundation
import Synchronization
import Testing
import WorkerValue

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.timeLimit(.minutes(2)))
struct DiskCacheHostileFolderTests {
    // MARK: Helpers

    private static func data(_ text: String) -> Data { Data(text.utf8) }

    /// A fresh folder for the cache and one beside it for what lies outside, both removed afterwards.
    private static func withFolders<T>(_ body: (URL, URL) async throws -> T) async rethrows -> T {
        let base = FileManager.default.temporaryDirectory
            .appendingPathComponent("DiskCacheHostileFolderTests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let outside = base.appendingPathComponent("outside", isDirectory: true)
        try? FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        return try await body(base.appendingPathComponent("cache", isDirectory: true), outside)
    }

    private static func id(_ key: String) -> DiskEntryID {
        Array(key.utf8).withUnsafeBytes { DiskEntryID(key: $0) }
    }

    /// The path of the entry file of `key` under `folder`.
    private static func entryPath(_ folder: URL, _ key: String) -> String {
        id(key).withNames { folder.path + "/" + String(cString: $0.relativePath) }
    }

    /// `count` keys whose entries share one fan-out folder, and that folder's name.
    private static func keysSharingAFolder(_ count: Int) -> (keys: [String], folder: String) {
        var byFolder: [String: [String]] = [:]
        for index in 0... {
            let key = "key-\(index)"
            let folder = id(key).folderName
            byFolder[folder, default: []].append(key)
            if byFolder[folder]!.count == count { return (byFolder[folder]!, folder) }
        }
        fatalError("unreachable")
    }

    /// Every file and folder under `folder` (links not followed), with the bytes of each file.
    private static func snapshot(_ folder: URL) throws -> [String: Data?] {
        var result: [String: Data?] = [:]
        let fileManager = FileManager.default
        for path in try fileManager.subpathsOfDirectory(atPath: folder.path) {
            let full = folder.path + "/" + path
            let info = try #require(POSIXFile.linkStatus(full))
            result[path] = POSIXFile.isRegularFile(info) ? try Data(contentsOf: URL(fileURLWithPath: full)) : nil
        }
        return result
    }

    private static func isSymbolicLink(_ path: String) -> Bool {
        POSIXFile.linkStatus(path).map(POSIXFile.isSymbolicLink) ?? false
    }

    private static func exists(_ path: String) -> Bool {
        POSIXFile.linkStatus(path) != nil
    }

    /// Every temporary file (`.<name>.tmp`) under `folder`, at any depth.
    private static func temporaryFiles(in folder: URL) -> [String] {
        ((try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []).filter {
            let name = ($0 as NSString).lastPathComponent
            return name.hasPrefix(".") && name.hasSuffix(".tmp")
        }
    }

    // MARK: Links

    /// A fan-out folder replaced by a link to a folder outside: nothing the cache does may read, write or
    /// delete anything there. Run with `openat2` and with the one-level-at-a-time opening that systems
    /// without it (macOS) use.
    @Test(arguments: [true, false])
    func aLinkedFanOutFolderIsNeverFollowed(opensBeneath: Bool) async throws {
        try await Self.withFolders { folder, outside in
            let (keys, fanOut) = Self.keysSharingAFolder(2)
            // Outside: a real cache's entries for the same keys, and files named like the cache's own.
            let other = try DiskCache(directory: outside)
            for key in keys { try other.sync.set(key, Self.data("outside \(key)")) }
            for name in [".\(Self.id(keys[0]).fileName).1.tmp", ".spare.2.tmp"] {
                try Self.data("outside").write(to: outside.appendingPathComponent(fanOut).appendingPathComponent(name))
            }
            let before = try Self.snapshot(outside)
            let cache = try DiskCache(directory: folder)
            cache.folder.opensBeneath.store(opensBeneath, ordering: .relaxed)
            cache.readsWithoutWaiting.store(opensBeneath, ordering: .relaxed)
            let link = folder.path + "/" + fanOut
            func plant() throws {
                if Self.exists(link) { try FileManager.default.removeItem(atPath: link) }
                #expect(symlink(outside.path + "/" + fanOut, link) == 0)
            }

            try plant()
            #expect(try await cache.get(keys[0]) == nil, "the outside entry must not be served")
            #expect(!Self.exists(link), "the link is removed")
            try plant()
            #expect(try cache.sync.get(keys[1]) == nil)
            try plant()
            try await cache.set(keys[0], Self.data("inside"), ttl: .never)
            #expect(!Self.isSymbolicLink(link))
            #expect(try await cache.get(keys[0]) == Self.data("inside"))
            try plant()
            try await cache.remove(keys[1])
            try plant()
            _ = try await cache.sweep()
            try plant()
            try await cache.removeAll()
            try plant()
            _ = try DiskCache(directory: folder, configuration: .init(maxBytes: 1 << 20)).sync.get(keys[0])

            #expect(try Self.snapshot(outside) == before, "nothing outside was changed")
        }
    }

    /// Links where temporary files and entries belong are removed, never their targets.
    @Test func linksInPlaceOfFilesAreRemovedNotTheirTargets() async throws {
        try await Self.withFolders { folder, outside in
            let target = outside.appendingPathComponent("precious")
            try Self.data("precious").write(to: target)
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("v"))
            let entry = Self.entryPath(folder, "a")
            let fanOut = (entry as NSString).deletingLastPathComponent
            let links = [
                folder.path + "/.spare.1.tmp", fanOut + "/.\(Self.id("a").fileName).1.tmp", fanOut + "/.x.tmp",
            ]
            for link in links { #expect(symlink(target.path, link) == 0) }
            _ = try await cache.sweep()
            for link in links { #expect(!Self.exists(link), "\(link)") }
            for link in links { #expect(symlink(target.path, link) == 0) }
            try await cache.removeAll()
            for link in links { #expect(!Self.exists(link), "\(link)") }
            #expect(symlink(target.path, entry) == 0)
            try await cache.set("a", Self.data("new"), ttl: .never)
            #expect(try await cache.get("a") == Self.data("new"))
            #expect(try Data(contentsOf: target) == Self.data("precious"))
        }
    }

    // MARK: Huge files

    /// A sparse file far larger than memory is found to be foreign from its size alone.
    @Test(arguments: [Int64(100) << 30, Int64(2) << 30])
    func aHugeSparseFileIsAMissAndRemoved(size: Int64) async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("v"))
            let path = Self.entryPath(folder, "a")
            let fd = open(path, O_WRONLY)
            try #require(fd >= 0 && ftruncate(fd, off_t(size)) == 0)
            close(fd)
            #expect(try await cache.get("a") == nil)
            #expect(!Self.exists(path))
            try await cache.set("a", Self.data("again"), ttl: .never)
            #expect(try await cache.get("a") == Self.data("again"))
        }
    }

    /// A large file whose header does not add up is found to be damaged before it is read whole.
    @Test func aLargeFileWithABadHeaderIsAMissAndRemoved() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder, configuration: .init(maxEntryBytes: 32 << 20))
            try cache.sync.set("a", Data(repeating: 1, count: 2 << 20))
            let path = Self.entryPath(folder, "a")
            // The header claims a value ten bytes longer than the file holds.
            let fd = open(path, O_RDWR)
            var length = UInt64(2 << 20 + 10).littleEndian
            try #require(fd >= 0 && pwrite(fd, &length, 8, 24) == 8)
            close(fd)
            #expect(try await cache.get("a") == nil)
            #expect(!Self.exists(path))
        }
    }

    @Test func refusesAValueOverTheEntryCap() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder, configuration: .init(maxEntryBytes: 1_000))
            let error = await #expect(throws: CacheError.self) {
                try await cache.set("a", Data(repeating: 1, count: 1_000), ttl: .never)
            }
            #expect(error?.code == .valueTooLarge)
            try await cache.set("a", Data(repeating: 1, count: 900), ttl: .never)
            #expect(try await cache.get("a")?.count == 900)
            #expect(throws: CacheError.self) {
                try DiskCache(directory: folder, configuration: .init(maxEntryBytes: 0))
            }
        }
    }

    // MARK: Folders and FIFOs where entries belong

    /// A folder (with folders and files in it, many levels deep) where an entry belongs never poisons
    /// its key: reads miss, and writes, removals and `removeAll()` replace or remove it.
    @Test func aFolderInPlaceOfAnEntryIsRemoved() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("other", Self.data("other"))
            func plant() throws {
                let path = Self.entryPath(folder, "a")
                if Self.exists(path) { try FileManager.default.removeItem(atPath: path) }
                var deep = URL(fileURLWithPath: path)
                for level in 0..<60 {
                    try FileManager.default.createDirectory(at: deep, withIntermediateDirectories: true)
                    try Self.data("level \(level)").write(to: deep.appendingPathComponent("file"))
                    deep.appendPathComponent("sub")
                }
            }
            try plant()
            #expect(try await cache.get("a") == nil)
            #expect(!Self.exists(Self.entryPath(folder, "a")), "a read removes it")
            try plant()
            try await cache.set("a", Self.data("value"), ttl: .never)
            #expect(try await cache.get("a") == Self.data("value"))
            try plant()
            try await cache.remove("a")
            #expect(!Self.exists(Self.entryPath(folder, "a")))
            try plant()
            try await cache.removeAll()
            #expect(!Self.exists(Self.entryPath(folder, "a")))
            #expect(try await cache.get("other") == nil)
            try plant()
            #expect(try await cache.sweep() == 1)
            #expect(!Self.exists(Self.entryPath(folder, "a")))
        }
    }

    /// A FIFO where an entry belongs must not hang a read (no writer will ever open it).
    @Test func aFIFOInPlaceOfAnEntryIsAMissAndRemoved() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("v"))
            let path = Self.entryPath(folder, "a")
            try FileManager.default.removeItem(atPath: path)
            #expect(mkfifo(path, 0o600) == 0)
            #expect(try await cache.get("a") == nil)
            #expect(!Self.exists(path))
            #expect(mkfifo(path, 0o600) == 0)
            #expect(try cache.sync.get("a") == nil)
            #expect(mkfifo(path, 0o600) == 0)
            try await cache.set("a", Self.data("w"), ttl: .never)
            #expect(try await cache.get("a") == Self.data("w"))
        }
    }

    // MARK: Other users

    @Test(.enabled(if: geteuid() == 0, "needs root to give a file to another user"))
    func anotherUsersEntryIsForeignUnlessTrusted() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("planted"))
            let path = Self.entryPath(folder, "a")
            #expect(chown(path, 65_534, 65_534) == 0 && chmod(path, 0o666) == 0)
            let trusting = try DiskCache(directory: folder, configuration: .init(acceptsEntriesOfOtherUsers: true))
            #expect(try trusting.sync.get("a") == Self.data("planted"))
            #expect(try await cache.get("a") == nil)
            #expect(!Self.exists(path))
            // The same for a sweep.
            try cache.sync.set("a", Self.data("planted"))
            #expect(chown(path, 65_534, 65_534) == 0)
            #expect(try await cache.sweep() == 1)
            #expect(!Self.exists(path))
        }
    }

    // MARK: Writers that die, and removals by others

    /// A temporary file no live writer holds is removed by the next scan, however new it is.
    @Test func aDeadWritersTemporaryFileIsRemovedByTheNextScan() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("v"))
            let fanOut = (Self.entryPath(folder, "a") as NSString).deletingLastPathComponent
            let leftover = fanOut + "/.\(Self.id("b").fileName).1234.tmp"
            try Data(repeating: 1, count: 100_000).write(to: URL(fileURLWithPath: leftover))
            let budgeted = try DiskCache(directory: folder, configuration: .init(maxBytes: 1 << 20))
            try budgeted.sync.set("b", Self.data("w"))
            #expect(!Self.exists(leftover))
        }
    }

    /// Writers killed mid-write leave temporary files; the next process's scan removes every one, since
    /// no live writer holds them.
    @Test func killedWritersLeaveNothingBehindTheNextScan() async throws {
        let worker = try #require(DiskCacheWorkerProcess.executable(), "the DiskCacheWorker helper was not built")
        try await Self.withFolders { folder, _ in
            _ = try DiskCache(directory: folder)
            for round in 0..<10 {
                let process = try DiskCacheWorkerProcess.start(
                    worker, folder: folder, mode: "write-forever", worker: round, iterations: 0, keys: 3)
                try process.waitForLine("ready")
                // Kill it somewhere in a write: once it has written something, after a random moment.
                let started = Self.temporaryFiles(in: folder).count
                while Self.temporaryFiles(in: folder).count == started, process.process.isRunning { usleep(500) }
                usleep(UInt32.random(in: 0...5_000))
                process.process.signal(SIGKILL)
                process.process.waitUntilExit()
            }
            #expect(!Self.temporaryFiles(in: folder).isEmpty, "the killed writers left temporary files")
            let budgeted = try DiskCache(directory: folder, configuration: .init(maxBytes: 2 << 20))
            try budgeted.sync.set("fresh", Self.data("v"))
            #expect(Self.temporaryFiles(in: folder).isEmpty)
        }
    }

    /// Another process's `removeAll()` takes a writer's temporary file away at any moment, as often
    /// as it likes: the write starts over, and when removals keep winning, it is ordered before them
    /// (the entry is gone, as after any removal that overlaps a write) instead of failing.
    @Test func writesSurviveAnotherCacheRemovingEverything() async throws {
        try await Self.withFolders { folder, _ in
            let writer = try DiskCache(directory: folder)
            let remover = try DiskCache(directory: folder)
            let (keys, _) = Self.keysSharingAFolder(1)
            let done = Atomic(false)
            let removals = (0..<3).map { _ in
                Thread {
                    while !done.load(ordering: .relaxed) { try? remover.sync.removeAll() }
                }
            }
            for removal in removals { removal.start() }
            defer { done.store(true, ordering: .relaxed) }
            var failures: [String] = []
            for round in 0..<4_000 {
                do {
                    try writer.sync.set(keys[0], Self.data("value \(round)"))
                } catch {
                    failures.append("\(error)")
                }
            }
            let failed = failures.count
            #expect(failed == 0, "\(failures.prefix(2))")
        }
    }

    /// Another process deleting an entry's fan-out folder over and over, faster than a write can finish:
    /// every write returns, and a read afterwards finds the last value or nothing, never an older one.
    @Test func writesReturnWhileAnotherProcessKeepsDeletingTheirFolder() async throws {
        try await Self.withFolders { folder, _ in
            let cache = try DiskCache(directory: folder)
            let (keys, fanOut) = Self.keysSharingAFolder(1)
            let path = folder.appendingPathComponent(fanOut).path
            let done = Atomic(false)
            let deletions = (0..<2).map { _ in
                Thread {
                    while !done.load(ordering: .relaxed) { try? FileManager.default.removeItem(atPath: path) }
                }
            }
            for deletion in deletions { deletion.start() }
            var failures: [String] = []
            var stale = 0
            for round in 0..<2_000 {
                do {
                    try cache.sync.set(keys[0], Self.data("value \(round)"))
                    if let read = try cache.sync.get(keys[0]), read != Self.data("value \(round)") { stale += 1 }
                } catch {
                    failures.append("\(error)")
                }
            }
            done.store(true, ordering: .relaxed)
            let failed = failures.count
            #expect(failed == 0, "\(failures.prefix(2))")
            #expect(stale == 0)
        }
    }

    // MARK: Folder listings

    /// `readdir` hands out records as long as their names, one after another in a buffer: the last one
    /// can end right before memory the process may not read. Here it does (a record at the end of a
    /// page whose next page is inaccessible), and its name is read without touching that page.
    @Test func aDirectoryRecordIsReadNoFurtherThanItsName() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = try #require(
            mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            "mmap failed")
        #expect(mapping != MAP_FAILED)
        defer { munmap(mapping, 2 * page) }
        #expect(mprotect(mapping + page, page, PROT_NONE) == 0)

        let name = Array("1368".utf8CString)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let recordLength = (nameOffset + name.count + 7) / 8 * 8
        let record = mapping + page - recordLength
        name.withUnsafeBytes { (record + nameOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }

        let read = DiskFolder.name(of: record.assumingMemoryBound(to: dirent.self))
        #expect(read == name)
    }
}
