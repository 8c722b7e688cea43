// Tests of DiskCache on real files: the contract, the file format and permissions, damage of every kind,
// expiry and sweeping, the byte budget, a folder deleted underneath, and several processes at once.

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

@Suite struct DiskCacheTests {
    // MARK: Helpers

    /// A fresh folder under the system's temporary folder, removed when `body` ends.
    static func withFolder<T>(_ body: (URL) async throws -> T) async rethrows -> T {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("DiskCacheTests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// Every file in the fan-out folders (`<2 hex>/`) under `folder` whose name `matches`.
    private static func files(in folder: URL, where matches: (String) -> Bool) -> [URL] {
        let fileManager = FileManager.default
        var files: [URL] = []
        for sub in (try? fileManager.contentsOfDirectory(atPath: folder.path)) ?? [] where sub.utf8.count == 2 {
            for name in (try? fileManager.contentsOfDirectory(atPath: folder.path + "/" + sub)) ?? []
            where matches(name) {
                files.append(folder.appendingPathComponent(sub).appendingPathComponent(name))
            }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Every entry file (`<2 hex>/<30 hex>`) under `folder`.
    static func entryFiles(in folder: URL) -> [URL] {
        files(in: folder) { $0.utf8.count == 30 }
    }

    /// The one entry file under `folder`.
    private static func onlyEntryFile(in folder: URL) throws -> URL {
        let files = entryFiles(in: folder)
        try #require(files.count == 1, "expected one entry file, found \(files.count)")
        return files[0]
    }

    private static func permissions(_ url: URL) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    private static func exists(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path)
    }

    private static func data(_ text: String) -> Data { Data(text.utf8) }

    // MARK: Contract and format

    /// Also with the one-level-at-a-time opening of systems without `openat2` (macOS).
    @Test(arguments: [true, false])
    func conformsToTheAdapterContract(opensBeneath: Bool) async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock))
            cache.folder.opensBeneath.store(opensBeneath, ordering: .relaxed)
            cache.readsWithoutWaiting.store(opensBeneath, ordering: .relaxed)
            try await CacheAdapterConformance.check(cache, advance: { clock.advance(by: $0) })
        }
    }

    @Test func keepsEachTTLSpellingApart() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(
                directory: folder, configuration: .init(defaultTTL: .milliseconds(1_500), clock: clock))
            try await CacheAdapterConformance.checkDefaultTTL(cache, advance: { clock.advance(by: $0) })
        }
    }

    /// Instructor's `test_disk_cache_round_trip_supports_plain_and_ttl_writes`, through both APIs.
    @Test func roundTripsPlainAndTTLWrites() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            #expect(try await cache.get("missing") == nil)
            try await cache.set("plain", Self.data(#"{"a": 1}"#), ttl: .never)
            try await cache.set("ttl", Self.data(#"{"b": 2}"#), ttl: .seconds(60))
            #expect(try await cache.get("plain") == Self.data(#"{"a": 1}"#))
            #expect(try cache.sync.get("ttl") == Self.data(#"{"b": 2}"#))
            try cache.sync.set("sync", Self.data("sync"))
            #expect(try await cache.get("sync") == Self.data("sync"))
        }
    }

    @Test func persistsAcrossInstancesWithWallClockExpiry() async throws {
        try await Self.withFolder { folder in
            let writerClock = ManualClock()
            let writer = try DiskCache(directory: folder, configuration: .init(clock: writerClock))
            try writer.sync.set("kept", Self.data("kept"))
            try writer.sync.set("brief", Self.data("brief"), ttl: .seconds(30))
            // Another instance (as another process would) reads the same files and the same expiries.
            let readerClock = ManualClock()
            let reader = try DiskCache(directory: folder, configuration: .init(clock: readerClock))
            #expect(try reader.sync.get("kept") == Self.data("kept"))
            #expect(try reader.sync.get("brief") == Self.data("brief"))
            readerClock.advance(by: .seconds(31))
            #expect(try reader.sync.get("brief") == nil)
            #expect(try writer.sync.get("brief") == nil, "the reader removed the expired file")
            #expect(try reader.sync.get("kept") == Self.data("kept"))
        }
    }

    /// The file name is part of the on-disk format: it must never change silently. The expected names are
    /// the first 32 hex digits of the SHA-256 of the key's UTF-8, computed independently (Python hashlib).
    @Test func namesFilesByAStableHashOfTheKey() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            let cases = [
                ("abc", "ba7816bf8f01cfea414140de5dae2223"),
                ("cafe\u{301}", "81ef060bcd98adc7824eb5c1ada83c32"),
                (String(decoding: (0..<100).map { UInt8($0) }, as: UTF8.self), "bce0aff19cf5aa6a7469a30d61d04e43"),
            ]
            for (key, hex) in cases {
                try cache.sync.set(key, Self.data("v"))
                let expected = folder.appendingPathComponent(String(hex.prefix(2)))
                    .appendingPathComponent(String(hex.dropFirst(2)))
                #expect(Self.exists(expected), "file of \(key.debugDescription)")
            }
            #expect(Self.entryFiles(in: folder).count == 3)
        }
    }

    @Test func writesTheDocumentedHeader() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            // Expiry is the wall time at creation plus the clock's time since: read the wall time first.
            let before = Int64(Date().timeIntervalSince1970 * 1_000)
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock))
            try cache.sync.set("key", Self.data("value"), ttl: .seconds(60))
            let bytes = [UInt8](try Data(contentsOf: try Self.onlyEntryFile(in: folder)))
            func integer(_ range: Range<Int>) -> UInt64 {
                range.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
            }
            #expect(bytes.count == 48 + 3 + 5)
            #expect(Array(bytes[0..<4]) == Array("SCDC".utf8))
            #expect(integer(4..<6) == 1)
            let expiry = Int64(integer(8..<16))
            #expect(expiry >= before + 60_000 && expiry <= before + 60_000 + 5_000)
            #expect(integer(16..<20) == 3)
            #expect(integer(24..<32) == 5)
            #expect(Array(bytes[48...]) == Array("keyvalue".utf8))
        }
    }

    @Test func createsPrivateFoldersAndFiles() async throws {
        try await Self.withFolder { folder in
            let root = folder.appendingPathComponent("nested/cache")
            let cache = try DiskCache(directory: root)
            try cache.sync.set("k", Self.data("v"))
            let file = try Self.onlyEntryFile(in: root)
            #expect(try Self.permissions(root) == 0o700)
            #expect(try Self.permissions(file.deletingLastPathComponent()) == 0o700)
            #expect(try Self.permissions(file) == 0o600)
            let shared = try DiskCache(directory: root, configuration: .init(fileMode: 0o640))
            try shared.sync.set("k", Self.data("v"))
            #expect(try Self.permissions(file) == 0o640)
        }
    }

    @Test func rejectsUnusableFoldersWithTypedErrors() async throws {
        try await Self.withFolder { folder in
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent("plain-file")
            try Data("x".utf8).write(to: file)
            // A path under a regular file fails for every user, root included.
            for directory in [file, file.appendingPathComponent("cache")] {
                let error = #expect(throws: CacheError.self) { try DiskCache(directory: directory) }
                #expect(error?.code == .invalidConfiguration, "\(directory.lastPathComponent)")
            }
            let web = #expect(throws: CacheError.self) {
                try DiskCache(directory: URL(string: "https://example.invalid/cache")!)
            }
            #expect(web?.code == .invalidConfiguration)
            for configuration in [
                DiskCache.Configuration(maxBytes: 0),
                DiskCache.Configuration(defaultTTL: .seconds(-1)),
                DiskCache.Configuration(fileMode: 0o400),
                DiskCache.Configuration(fileMode: 0o4600),
            ] {
                let error = #expect(throws: CacheError.self) {
                    try DiskCache(directory: folder.appendingPathComponent("ok"), configuration: configuration)
                }
                #expect(error?.code == .invalidConfiguration)
            }
        }
    }

    @Test(.enabled(if: getuid() != 0, "root may write any folder")) func rejectsAFolderItMayNotWrite() async throws {
        try await Self.withFolder { folder in
            let locked = folder.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked.path) }
            for directory in [locked, locked.appendingPathComponent("cache")] {
                let error = #expect(throws: CacheError.self) { try DiskCache(directory: directory) }
                #expect(error?.code == .permissionDenied)
            }
        }
    }

    // MARK: Damage

    @Test func truncatedEntryIsAMissAndRemoved() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            for keep in [60, 47, 0] {
                try cache.sync.set("k", Data(repeating: 9, count: 100))
                let file = try Self.onlyEntryFile(in: folder)
                let handle = try FileHandle(forWritingTo: file)
                try handle.truncate(atOffset: UInt64(keep))
                try handle.close()
                #expect(try cache.sync.get("k") == nil, "truncated to \(keep)")
                #expect(!Self.exists(file), "truncated to \(keep)")
            }
        }
    }

    @Test func garbageIsAMissAndRemoved() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            var generator = SystemRandomNumberGenerator()
            let random = Data((0..<500).map { _ in UInt8.random(in: 0...255, using: &generator) })
            // Plain garbage, garbage behind a valid magic and version, and an empty file.
            for garbage in [random, Data("SCDC".utf8) + Data([1, 0]) + random, Data()] {
                try cache.sync.set("k", Self.data("v"))
                let file = try Self.onlyEntryFile(in: folder)
                try garbage.write(to: file)
                #expect(try await cache.get("k") == nil)
                #expect(!Self.exists(file))
            }
        }
    }

    @Test func flippedBitsAreCaughtByChecksums() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            // A bit in the expiry, the key, and the value.
            for offset in [10, 49, 60] {
                try cache.sync.set("kk", Data(repeating: 0x55, count: 40))
                let file = try Self.onlyEntryFile(in: folder)
                var bytes = try Data(contentsOf: file)
                bytes[offset] ^= 0x01
                try bytes.write(to: file)
                #expect(try cache.sync.get("kk") == nil, "flip at \(offset)")
                #expect(!Self.exists(file), "flip at \(offset)")
            }
        }
    }

    @Test func futureFormatIsAMissAndLeftAlone() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("k", Self.data("v"))
            let file = try Self.onlyEntryFile(in: folder)
            var bytes = try Data(contentsOf: file)
            bytes[4] = 2
            try bytes.write(to: file)
            #expect(try cache.sync.get("k") == nil)
            #expect(try cache.sync.sweep() == 0)
            #expect(try Data(contentsOf: file) == bytes, "left exactly as it was")
        }
    }

    @Test func anotherKeysFileIsAMissAndLeftAlone() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("of a"))
            let fileOfA = try Self.onlyEntryFile(in: folder)
            try cache.sync.set("b", Self.data("of b"))
            let fileOfB = try #require(Self.entryFiles(in: folder).first { $0 != fileOfA })
            // As if "b" and "a" hashed alike: b's file now holds a's entry.
            try FileManager.default.removeItem(at: fileOfB)
            try FileManager.default.copyItem(at: fileOfA, to: fileOfB)
            #expect(try cache.sync.get("b") == nil)
            #expect(Self.exists(fileOfB))
            #expect(try cache.sync.get("a") == Self.data("of a"))
        }
    }

    @Test func symbolicLinkInPlaceOfAnEntryIsNotFollowed() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("k", Self.data("v"))
            let file = try Self.onlyEntryFile(in: folder)
            let target = folder.appendingPathComponent("target")
            try FileManager.default.moveItem(at: file, to: target)
            try FileManager.default.createSymbolicLink(at: file, withDestinationURL: target)
            #expect(try cache.sync.get("k") == nil)
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: file.path)) == nil)
            #expect(Self.exists(target), "the link's target is untouched")
        }
    }

    // MARK: Expiry and sweeping

    @Test func expiredEntryIsRemovedOnRead() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(defaultTTL: .seconds(5), clock: clock))
            try cache.sync.set("k", Self.data("v"))
            let file = try Self.onlyEntryFile(in: folder)
            clock.advance(by: .milliseconds(4_900))
            #expect(try cache.sync.get("k") == Self.data("v"))
            clock.advance(by: .milliseconds(200))
            #expect(try cache.sync.get("k") == nil)
            #expect(!Self.exists(file))
        }
    }

    @Test func sweepRemovesExpiredDamagedAndAbandonedTemporaryFiles() async throws {
        try await Self.withFolder { folder in
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock))
            for index in 0..<3 { try cache.sync.set("expiring-\(index)", Self.data("e"), ttl: .seconds(10)) }
            for index in 0..<2 { try cache.sync.set("lasting-\(index)", Self.data("l")) }
            try cache.sync.set("corrupt", Self.data("c"))
            try cache.sync.set("future", Self.data("f"))
            let files = Self.entryFiles(in: folder)
            // Find the corrupt and future files by reading them back through a second cache's view.
            var corruptFile: URL?
            var futureFile: URL?
            for file in files {
                let bytes = try Data(contentsOf: file)
                let key = String(decoding: bytes[48..<(bytes.count - 1)], as: UTF8.self)
                if key == "corrupt" { corruptFile = file }
                if key == "future" { futureFile = file }
            }
            let corrupt = try #require(corruptFile)
            let future = try #require(futureFile)
            try Data("not an entry".utf8).write(to: corrupt)
            var futureBytes = try Data(contentsOf: future)
            futureBytes[4] = 9
            try futureBytes.write(to: future)
            // A temporary file a crashed writer left (no one holds its lock, however new it is), one being
            // written now (its writer holds the lock), and files that are not ours.
            let sub = corrupt.deletingLastPathComponent()
            let abandoned = sub.appendingPathComponent(".0123456789abcdef0123456789abcd.1.tmp")
            let live = sub.appendingPathComponent(".0123456789abcdef0123456789abcd.2.tmp")
            let foreign = [folder.appendingPathComponent("notes.txt"), sub.appendingPathComponent("README")]
            for url in [abandoned, live] + foreign { try Data("partial".utf8).write(to: url) }
            let writer = open(live.path, O_RDONLY)
            try #require(writer >= 0 && flock(writer, LOCK_EX) == 0)

            #expect(try await cache.sweep() == 2, "nothing expired yet: the corrupt file and the abandoned temporary")
            clock.advance(by: .seconds(11))
            #expect(try await cache.sweep() == 3, "the three expired entries")
            #expect(Self.entryFiles(in: folder).count == 3, "two lasting entries and the future-format one")
            #expect(Self.exists(future) && Self.exists(live) && foreign.allSatisfy(Self.exists))
            #expect(!Self.exists(abandoned) && !Self.exists(corrupt))
            for index in 0..<2 { #expect(try cache.sync.get("lasting-\(index)") == Self.data("l")) }
            // Once its writer is gone, the other temporary file goes too.
            close(writer)
            #expect(try cache.sync.sweep() == 1)
            #expect(!Self.exists(live))
        }
    }

    /// A writer killed mid-write leaves at most a temporary file: every visible entry is whole.
    @Test func writerKilledMidWriteLeavesNoTornEntry() async throws {
        let worker = try #require(DiskCacheWorkerProcess.executable(), "the DiskCacheWorker helper was not built")
        try await Self.withFolder { folder in
            _ = try DiskCache(directory: folder)
            let process = try DiskCacheWorkerProcess.start(
                worker, folder: folder, mode: "write-forever", worker: 1, iterations: 0, keys: 3)
            try process.waitForLine("ready")
            // Let it write several 4 MiB values, then kill it wherever it is.
            while Self.entryFiles(in: folder).count < 3 { usleep(1_000) }
            usleep(20_000)
            process.process.signal(SIGKILL)
            process.process.waitUntilExit()
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock))
            for key in 0..<3 {
                let value = try #require(try cache.sync.get("key-\(key)"), "key-\(key)")
                #expect(WorkerValue.problem(in: value, key: key) == nil)
            }
            clock.advance(by: .seconds(3_600))
            _ = try cache.sync.sweep()
            let leftovers = try FileManager.default.subpathsOfDirectory(atPath: folder.path).filter {
                $0.hasSuffix(".tmp")
            }
            #expect(leftovers.isEmpty)
        }
    }

    // MARK: Byte budget

    @Test func byteBudgetEvictsLeastRecentlyUsed() async throws {
        try await Self.withFolder { folder in
            // Each entry: 48 header + 2 key + 100 value = 150 bytes; three fit.
            let cache = try DiskCache(directory: folder, configuration: .init(maxBytes: 450))
            let value = Data(repeating: 1, count: 100)
            for key in ["k1", "k2", "k3"] { try cache.sync.set(key, value) }
            #expect(try cache.sync.get("k1") == value)
            try cache.sync.set("k4", value)
            #expect(Self.entryFiles(in: folder).count == 3)
            #expect(try cache.sync.get("k2") == nil)
            for key in ["k1", "k3", "k4"] { #expect(try cache.sync.get(key) == value, "\(key)") }
            // An entry bigger than the whole budget is refused and takes its older value with it.
            try cache.sync.set("k4", Data(repeating: 2, count: 500))
            #expect(try cache.sync.get("k4") == nil)
            #expect(Self.entryFiles(in: folder).count == 2)
        }
    }

    @Test func byteBudgetLearnsExistingFilesByModificationTime() async throws {
        try await Self.withFolder { folder in
            let unlimited = try DiskCache(directory: folder)
            let value = Data(repeating: 1, count: 100)
            for (age, key) in ["old", "older", "new", "newer"].enumerated() {
                try unlimited.sync.set(key, value)
                _ = age
            }
            // Give the files distinct ages: "oldest" first.
            let ages: [String: TimeInterval] = ["older": -4_000, "old": -3_000, "new": -2_000, "newer": -1_000]
            for file in Self.entryFiles(in: folder) {
                let bytes = try Data(contentsOf: file)
                let key = String(decoding: bytes[48..<(bytes.count - 100)], as: UTF8.self)
                try FileManager.default.setAttributes(
                    [.modificationDate: Date().addingTimeInterval(try #require(ages[key]))], ofItemAtPath: file.path)
            }
            // Room for three entries of ~150 bytes: adding one drops the two oldest.
            let budgeted = try DiskCache(directory: folder, configuration: .init(maxBytes: 460))
            try budgeted.sync.set("fresh", value)
            #expect(try budgeted.sync.get("older") == nil)
            #expect(try budgeted.sync.get("old") == nil)
            for key in ["new", "newer", "fresh"] { #expect(try budgeted.sync.get(key) == value, "\(key)") }
        }
    }

    // MARK: Reusing replaced files

    /// The path of the entry file of `key`.
    private static func entryPath(_ cache: DiskCache, _ key: String) -> String {
        var key = key
        let id = key.withUTF8 { DiskEntryID(key: UnsafeRawBufferPointer($0)) }
        return id.withNames { cache.folder.path + "/" + String(cString: $0.relativePath) }
    }

    private static func inode(_ path: String) throws -> UInt64 {
        UInt64(try #require(POSIXFile.linkStatus(path), "no file at \(path)").st_ino)
    }

    /// Whether `name` is a temporary file's name (`.<name>.<random>.tmp`).
    private static func isTemporaryName(_ name: String) -> Bool {
        name.hasPrefix(".") && name.hasSuffix(".tmp")
    }

    /// Every temporary file under `folder` (in it, in its fan-out folders and in its `.spares` folder), by
    /// path.
    private static func temporaryFiles(in folder: URL) -> [String] {
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []
        return paths.filter { isTemporaryName(($0 as NSString).lastPathComponent) }.map { folder.path + "/" + $0 }
            .sorted()
    }

    @Test func fillsTheFileOfAReplacedEntryForTheNextWrite() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data(String(repeating: "long value ", count: 400)))
            let first = try Self.inode(Self.entryPath(cache, "a"))
            try cache.sync.set("a", Self.data("a, second"))
            let second = try Self.inode(Self.entryPath(cache, "a"))
            #expect(Self.temporaryFiles(in: folder).count == 1)
            // Never for the entry it came from…
            try cache.sync.set("a", Self.data("a, third"))
            #expect(try Self.inode(Self.entryPath(cache, "a")) != first)
            #expect(Self.temporaryFiles(in: folder).count == 2)
            // …but for the next other one, cut to the new length.
            try cache.sync.set("b", Self.data("b"))
            #expect(try [first, second].contains(Self.inode(Self.entryPath(cache, "b"))))
            #expect(Self.temporaryFiles(in: folder).count == 1)
            #expect(try cache.sync.get("a") == Self.data("a, third"))
            #expect(try cache.sync.get("b") == Self.data("b"))
            let size = try #require(POSIXFile.linkStatus(Self.entryPath(cache, "b"))).st_size
            #expect(Int(size) == DiskEntryFormat.headerSize + 1 + 1)  // header, key "b", value "b"
            #expect(try Self.permissions(URL(fileURLWithPath: Self.entryPath(cache, "b"))) == 0o600)
        }
    }

    @Test func manyOverwritesKeepEveryValueAndFewFiles() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            var expected: [String: Data] = [:]
            for round in 0..<20 {
                for index in 0..<30 {
                    let value = Self.data(String(repeating: "\(round)-\(index);", count: (round * 7 + index) % 50 + 1))
                    try cache.sync.set("k\(index)", value)
                    expected["k\(index)"] = value
                }
            }
            for (key, value) in expected { #expect(try cache.sync.get(key) == value, "\(key)") }
            #expect(Self.entryFiles(in: folder).count == 30)
            #expect(Self.temporaryFiles(in: folder).count <= DiskSpareFiles.capacity)
        }
    }

    @Test func writesANewFileWhenAKeptOneWasRemoved() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("one"))
            try cache.sync.set("a", Self.data("two"))
            let kept = Self.temporaryFiles(in: folder)
            try #require(kept.count == 1)
            // Another process's removeAll or sweep takes the kept file away.
            #expect(unlink(kept[0]) == 0)
            try cache.sync.set("b", Self.data("bee"))
            #expect(try cache.sync.get("b") == Self.data("bee"))
            #expect(try cache.sync.get("a") == Self.data("two"))
        }
    }

    @Test func keepsNoFileThatAnotherNameStillReaches() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("one"))
            // A second name, as another writer's link of the same entry would give it.
            let other = folder.path + "/other-name"
            #expect(link(Self.entryPath(cache, "a"), other) == 0)
            try cache.sync.set("a", Self.data("two"))
            #expect(Self.temporaryFiles(in: folder).isEmpty)
            try cache.sync.set("b", Self.data("bee"))
            #expect(try String(contentsOfFile: other, encoding: .isoLatin1).hasSuffix("one"))
        }
    }

    @Test func removesTheFilesItKeptWhenReleased() async throws {
        try await Self.withFolder { folder in
            var cache: DiskCache? = try DiskCache(directory: folder)
            for index in 0..<3 {
                try cache?.sync.set("k\(index)", Self.data("first"))
                try cache?.sync.set("k\(index)", Self.data("second"))
            }
            #expect(!Self.temporaryFiles(in: folder).isEmpty)
            cache = nil
            #expect(Self.temporaryFiles(in: folder).isEmpty)
            #expect(Self.entryFiles(in: folder).count == 3)
        }
    }

    /// A reader that opened an entry just before it was replaced may find the old file refilled for
    /// another key by the time it reads; it must then read the entry now in place, not report a miss.
    /// Run with the synchronous API and with the async one, which reads on the calling task when it can.
    @Test(arguments: [false, true])
    func readersRacingOverwritesAlwaysGetAValue(async: Bool) async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            let value: @Sendable (String, Int) -> Data = { key, round in
                Self.data(String(repeating: "\(key)\(round) ", count: 100))
            }
            for key in ["a", "b", "c"] { try cache.sync.set(key, value(key, 0)) }
            let done = Atomic<Bool>(false)
            let writer = Thread {
                var round = 1
                while !done.load(ordering: .relaxed) {
                    for key in ["a", "b", "c"] { try? cache.sync.set(key, value(key, round)) }
                    round += 1
                }
            }
            writer.start()
            defer { done.store(true, ordering: .relaxed) }
            var misses = 0
            var wrong = 0
            for _ in 0..<20_000 {
                guard let read = try await (async ? cache.get("a") : cache.sync.get("a")) else {
                    misses += 1
                    continue
                }
                if !(String(data: read, encoding: .utf8) ?? "").hasPrefix("a") { wrong += 1 }
            }
            #expect(misses == 0)
            #expect(wrong == 0)
        }
    }

    @Test func aDamagedFileRewrittenSinceItWasReadIsNotRemoved() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            try cache.sync.set("a", Self.data("value"))
            let path = Self.entryPath(cache, "a")
            let seen = try #require(POSIXFile.linkStatus(path))
            // The same file, filled again later (its change time moves on, at the clock's granularity).
            try await Task.sleep(for: .milliseconds(30))
            #expect(chmod(path, 0o600) == 0)
            let id = Array("a".utf8).withUnsafeBytes { DiskEntryID(key: $0) }
            id.withNames { names in cache.removeEntry(names) { POSIXFile.isSameFile($0, seen) } }
            #expect(Self.exists(URL(fileURLWithPath: path)))
            let now = try #require(POSIXFile.linkStatus(path))
            id.withNames { names in cache.removeEntry(names) { POSIXFile.isSameFile($0, now) } }
            #expect(!Self.exists(URL(fileURLWithPath: path)))
        }
    }

    // MARK: Faults

    @Test func survivesItsFolderBeingDeleted() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder, configuration: .init(maxBytes: 1 << 20))
            try await cache.set("k", Self.data("before"), ttl: .never)
            try FileManager.default.removeItem(at: folder)
            #expect(try await cache.get("k") == nil)
            try await cache.remove("k")
            #expect(try await cache.sweep() == 0)
            try await cache.removeAll()
            try await cache.set("k", Self.data("after"), ttl: .never)
            #expect(try await cache.get("k") == Self.data("after"))
            #expect(try Self.permissions(folder) == 0o700)
            // Only the fan-out folder goes this time.
            try FileManager.default.removeItem(at: try Self.onlyEntryFile(in: folder).deletingLastPathComponent())
            try cache.sync.set("k", Self.data("again"))
            #expect(try cache.sync.get("k") == Self.data("again"))
        }
    }

    @Test func removeAllLeavesOtherFilesAlone() async throws {
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            for index in 0..<20 { try cache.sync.set("k\(index)", Self.data("v")) }
            let mine = folder.appendingPathComponent("mine.txt")
            try Data("keep".utf8).write(to: mine)
            try await cache.removeAll()
            #expect(Self.entryFiles(in: folder).isEmpty)
            #expect(Self.exists(mine))
        }
    }

    /// The multi-process tests are only as good as this check: it must accept whole values and catch torn,
    /// truncated and misplaced ones.
    @Test func workerValueCheckCatchesTornValues() {
        let whole = WorkerValue.make(key: 3, worker: 2, sequence: 7, length: 1_000)
        #expect(WorkerValue.problem(in: whole, key: 3) == nil)
        var torn = whole
        torn[500] ^= 0xFF
        #expect(WorkerValue.problem(in: torn, key: 3) != nil)
        let other = WorkerValue.make(key: 3, worker: 1, sequence: 8, length: 1_000)
        #expect(WorkerValue.problem(in: whole[0..<24] + other[24...], key: 3) != nil)
        #expect(WorkerValue.problem(in: whole.prefix(900), key: 3) != nil)
        #expect(WorkerValue.problem(in: whole, key: 4) != nil)
    }

    /// Several processes write and read the same few keys at once; every value any of them reads is whole.
    @Test func processesSharingAFolderNeverSeeTornValues() async throws {
        let worker = try #require(DiskCacheWorkerProcess.executable(), "the DiskCacheWorker helper was not built")
        try await Self.withFolder { folder in
            let cache = try DiskCache(directory: folder)
            let processes = try (1...4).map {
                try DiskCacheWorkerProcess.start(
                    worker, folder: folder, mode: "mixed", worker: $0, iterations: 300, keys: 6)
            }
            // This process reads along while the others run.
            var problems: [String] = []
            var reads = 0
            while processes.contains(where: { $0.process.isRunning }) || reads < 50 {
                let key = reads % 6
                if let value = try await cache.get("key-\(key)"),
                    let problem = WorkerValue.problem(in: value, key: key)
                {
                    problems.append(problem)
                }
                reads += 1
            }
            var hits = 0
            for process in processes {
                let output = process.output()
                #expect(process.process.waitUntilExit() == .exited(0), "\(output)")
                if let range = output.range(of: #"hits=(\d+)"#, options: .regularExpression) {
                    hits += Int(output[range].dropFirst(5)) ?? 0
                }
            }
            #expect(problems.isEmpty, "\(problems.prefix(3))")
            #expect(hits > 0, "the workers must have read values the others wrote")
            // The workers overwrote entries and kept the replaced files; once they have exited, the next
            // cache opened on the folder removes them.
            _ = try DiskCache(directory: folder)
            #expect(Self.temporaryFiles(in: folder).isEmpty)
        }
    }
}

/// Runs the DiskCacheWorker helper, which SwiftPM builds beside the test bundle.
struct DiskCacheWorkerProcess {
    let process: ChildProcess

    /// The helper's path in the build products folder, or nil when it was not built.
    static func executable() -> URL? { ChildProcess.helper("DiskCacheWorker").map(URL.init(fileURLWithPath:)) }

    static func start(
        _ executable: URL, folder: URL, mode: String, worker: Int, iterations: Int, keys: Int
    ) throws
        -> DiskCacheWorkerProcess
    {
        let process = try ChildProcess(
            executable.path, [folder.path, mode, "\(worker)", "\(iterations)", "\(keys)"],
            standardOutput: .captured)
        return DiskCacheWorkerProcess(process: process)
    }

    /// Blocks until the helper prints `line`.
    func waitForLine(_ line: String) throws {
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains(line + "\n") {
            let chunk = process.output!.availableData
            try #require(!chunk.isEmpty, "the helper ended before printing \(line)")
            seen += chunk
        }
    }

    /// Everything the helper printed (call after it exits).
    func output() -> String {
        String(decoding: process.readOutputToEnd(), as: UTF8.self)
    }
}
