// The cache a command reads: a DiskCache folder, or the keys under a prefix of a Redis server or
// cluster; opened from the command line, read whole, and purged entry by entry.

import Foundation
import StructuredCache
import StructuredCacheStorage
import StructuredCacheSupport

/// A cache the tool reads: a DiskCache folder, or a RedisCache prefix on one server or a cluster.
enum CacheSource {
    case disk(DiskCache, path: String)
    case redis(RedisCache, shown: String)

    /// The options that name the cache, shared by every command that reads one.
    static let options: [ArgumentParser.Option] = [
        .init(name: "disk", value: "PATH", help: "A DiskCache folder."),
        .init(
            name: "redis", value: "URL",
            help: "A Redis server: redis://[[user]:password@]host[:port][/db], rediss:// for TLS, unix:///path."),
        .init(name: "cluster", value: "URL,URL…", help: "A Redis Cluster, by one or more of its nodes."),
        .init(
            name: "prefix", value: "P",
            help: "The RedisCache key prefix (default \(RedisCache.Configuration().keyPrefix))."),
    ]

    /// How the options that name the cache are written in a usage line.
    static let usage = "(--disk PATH | --redis URL | --cluster URL,…) [--prefix P]"

    /// What the help says of the cache options.
    static let discussion = """
        A Redis URL's password is never printed. REDISCLI_AUTH, when set, is the password (in place of \
        one in the URL), which keeps it out of the process list. Redis removes expired keys itself and keeps no \
        write time: a Redis entry has no age, and none is expired (an entry kept for a writer's staleGrace \
        counts as live).
        """

    /// Opens the cache the command line names.
    ///
    /// - Parameter arguments: The parsed command line.
    /// - Returns: The cache.
    /// - Throws: A usage error when no cache or more than one is named, or `--prefix` goes with a folder;
    ///   a failure when the folder does not exist or the cache cannot be opened.
    static func open(_ arguments: ArgumentParser.Parsed) throws(ToolError) -> CacheSource {
        let named = ["disk", "redis", "cluster"].filter { arguments.value($0) != nil }
        guard named.count == 1 else {
            throw .usage(
                named.isEmpty
                    ? "'\(ArgumentParser.tool) \(arguments.command)' expects a cache: --disk PATH, --redis URL or --cluster URL,…"
                    : "give one cache, not " + named.map { "--" + $0 }.joined(separator: " and "),
                command: arguments.command)
        }
        if let path = arguments.value("disk") {
            guard arguments.value("prefix") == nil else {
                throw .usage("--prefix goes with --redis or --cluster, not --disk", command: arguments.command)
            }
            return try openFolder(path)
        }
        var configuration = RedisCache.Configuration()
        if let prefix = arguments.value("prefix") { configuration.keyPrefix = prefix }
        // A tool waits for a slow server rather than skipping it.
        configuration.breaker = .disabled
        configuration.connection.commandTimeout = .seconds(10)
        if let password = ProcessInfo.processInfo.environment[Self.passwordVariable], !password.isEmpty {
            configuration.authentication.password = password
        }
        let urls =
            (arguments.value("redis").map { [$0] } ?? arguments.value("cluster")!.split(separator: ",").map(String.init))
        let shown =
            (arguments.value("cluster") != nil ? "Redis Cluster " : "Redis ")
            + urls.map { Redactor.standard.redact($0) }.joined(separator: ",") + " (prefix \(configuration.keyPrefix))"
        do {
            let cache =
                arguments.value("cluster") != nil
                ? try RedisCache(cluster: urls, configuration: configuration)
                : try RedisCache(url: urls[0], configuration: configuration)
            return .redis(cache, shown: shown)
        } catch {
            throw .failure("cannot open \(shown): \(Self.describe(error))")
        }
    }

    private static func openFolder(_ path: String) throws(ToolError) -> CacheSource {
        let path = (path as NSString).expandingTildeInPath
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw .failure("no DiskCache folder at \(path)")
        }
        do {
            return .disk(try DiskCache(directory: URL(fileURLWithPath: path)), path: path)
        } catch {
            throw .failure("cannot open the DiskCache folder \(path): \(Self.describe(error))")
        }
    }

    /// The cache, for people: `DiskCache folder /path`, `Redis redis://***@host:6379 (prefix p:)`.
    var description: String {
        switch self {
        case .disk(_, let path): "DiskCache folder \(path)"
        case .redis(_, let shown): shown
        }
    }

    /// Whether the cache keeps when each entry was written (DiskCache does, Redis does not).
    var knowsAge: Bool {
        if case .disk = self { true } else { false }
    }

    /// Every entry, summarized.
    ///
    /// - Returns: The entries (in no particular order), and how many files were skipped as not
    ///   readable entries (DiskCache).
    /// - Throws: A failure when the cache cannot be read.
    func entries() async throws(ToolError) -> (entries: [CacheEntry], skipped: Int) {
        do {
            switch self {
            case .disk(let cache, _):
                var entries: [CacheEntry] = []
                let skipped = try cache.forEachStoredEntry { stored, value in
                    entries.append(
                        CacheEntry(
                            key: stored.key, value: value, bytes: stored.size, expiry: stored.expiry,
                            modified: stored.modified, file: stored))
                }
                return (entries, skipped)
            case .redis(let cache, _):
                var entries: [CacheEntry] = []
                try await cache.forEachKeyBatch { keys in
                    entries += try await Self.read(keys, from: cache)
                }
                return (entries, 0)
            }
        } catch {
            throw .failure("cannot read \(description): \(Self.describe(error))")
        }
    }

    /// Every key, without reading the values where the cache allows it (Redis).
    ///
    /// - Throws: A failure when the cache cannot be read.
    func keys() async throws(ToolError) -> [String] {
        guard case .redis(let cache, _) = self else { return try await entries().entries.map(\.key) }
        do {
            var keys: [String] = []
            try await cache.forEachKeyBatch { keys += $0 }
            return keys
        } catch {
            throw .failure("cannot read \(description): \(Self.describe(error))")
        }
    }

    /// The entry of `key` and its value, expired or not.
    ///
    /// - Returns: The entry and its value, or `nil` when there is none.
    /// - Throws: A failure when the cache cannot be read.
    func entry(forKey key: String) async throws(ToolError) -> (entry: CacheEntry, value: Data)? {
        do {
            switch self {
            case .disk(let cache, _):
                guard let (stored, value) = cache.storedEntry(forKey: key) else { return nil }
                let entry = CacheEntry(
                    key: stored.key, value: value, bytes: stored.size, expiry: stored.expiry,
                    modified: stored.modified, file: stored)
                return (entry, value)
            case .redis(let cache, _):
                let now = Date()
                guard let (value, remaining) = try await cache.storedValue(key) else { return nil }
                let entry = CacheEntry(
                    key: key, value: value, bytes: value.count, expiry: remaining.map { now + $0.timeInterval },
                    modified: nil)
                return (entry, value)
            }
        } catch {
            throw .failure("cannot read \(description): \(Self.describe(error))")
        }
    }

    /// Removes `entries`, advancing `progress` as it goes. A DiskCache file written again since it was
    /// read is left alone; a Redis key is removed whatever it holds now.
    ///
    /// - Returns: How many were removed, and their bytes.
    /// - Throws: A failure when the cache cannot be written.
    func remove(_ entries: [CacheEntry], progress: ProgressBar) async throws(ToolError) -> (count: Int, bytes: Int) {
        do {
            switch self {
            case .disk(let cache, _):
                var removed = (count: 0, bytes: 0)
                for entry in entries {
                    if let file = entry.file, cache.remove(file) {
                        removed = (removed.count + 1, removed.bytes + entry.bytes)
                    }
                    progress.advance()
                }
                return removed
            case .redis(let cache, _):
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var running = 0
                    for entry in entries {
                        if running == Self.concurrentCommands {
                            try await group.next()
                            running -= 1
                            progress.advance()
                        }
                        group.addTask { try await cache.remove(entry.key) }
                        running += 1
                    }
                    while try await group.next() != nil { progress.advance() }
                }
                return (entries.count, entries.reduce(0) { $0 + $1.bytes })
            }
        } catch {
            throw .failure("cannot remove entries of \(description): \(Self.describe(error))")
        }
    }

    /// Closes the cache's connections.
    func close() {
        if case .redis(let cache, _) = self { cache.shutdown() }
    }

    /// How many Redis commands are in flight at once.
    private static let concurrentCommands = 64

    /// Reads the values of `keys` at once.
    private static func read(_ keys: [String], from cache: RedisCache) async throws -> [CacheEntry] {
        let now = Date()
        return try await withThrowingTaskGroup(of: CacheEntry?.self) { group in
            for key in keys {
                group.addTask {
                    guard let (value, remaining) = try await cache.storedValue(key) else { return nil }
                    return CacheEntry(
                        key: key, value: value, bytes: value.count, expiry: remaining.map { now + $0.timeInterval },
                        modified: nil)
                }
            }
            var entries: [CacheEntry] = []
            for try await entry in group { entry.map { entries.append($0) } }
            return entries
        }
    }

    /// An error's text with the password of the environment, and anything shaped like a credential, hidden.
    private static func describe(_ error: any Error) -> String {
        Redactor(secrets: [ProcessInfo.processInfo.environment[passwordVariable] ?? ""])
            .redact(String(describing: error))
    }

    /// The environment variable a Redis password may come from, as for `redis-cli`.
    static let passwordVariable = "REDISCLI_AUTH"
}
