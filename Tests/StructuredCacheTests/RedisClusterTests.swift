// RedisCache against a real Redis Cluster of six local nodes: slot hashing, routing of every key to its
// primary, removeAll() on every primary, resharding (ASK, then MOVED), a manual failover and a killed
// primary, and the hint a single-node cache gives when pointed at a cluster node.

import Foundation
import Testing

@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite(
    .serialized,
    .enabled(if: RedisClusterProcess.isAvailable, "redis-server or redis-cli is not installed; cluster tests skipped"),
    .timeLimit(.minutes(3))
)
struct RedisClusterTests {
    /// A key prefix no other test uses.
    private static func uniquePrefix(_ name: String) -> String {
        "\(name)-\(UInt32.random(in: 0...UInt32.max)):"
    }

    /// The keys under `prefix` that the node at `port` holds.
    private static func keys(on port: Int, prefix: String, in cluster: RedisClusterProcess) async throws -> [String] {
        let output = try await cluster.run(port, ["--scan", "--pattern", RedisCache.globEscaped(prefix) + "*"])
        return output.split(separator: "\n").map(String.init)
    }

    /// Waits (up to 30 s) until `replica` says it has become a primary serving slots.
    ///
    /// - Returns: Whether it did.
    private static func waitUntilPromoted(
        _ replica: RedisClusterProcess.Node, in cluster: RedisClusterProcess
    ) async throws -> Bool {
        for _ in 0..<150 {
            try await Task.sleep(for: .milliseconds(200))
            let promoted = try await cluster.nodes(askingPort: replica.port).contains {
                $0.port == replica.port && $0.isPrimary && !$0.slots.isEmpty
            }
            if promoted { return true }
        }
        return false
    }

    /// Stores `value` under each key and reads it back.
    ///
    /// - Returns: What went wrong, one line per key that failed.
    private static func storeAndReadBack(_ keys: [String], _ value: String, in cache: RedisCache) async -> [String] {
        var failures: [String] = []
        for key in keys {
            do {
                try await cache.set(key, Data(value.utf8), ttl: .never)
                if try await cache.get(key) != Data(value.utf8) { failures.append("\(key): wrong value") }
            } catch {
                failures.append("\(key): \(error)")
            }
        }
        return failures
    }

    // MARK: - Slots

    @Test func hashesKeysAsTheClusterSpecificationSays() {
        #expect(RedisClusterSlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(RedisClusterSlot.slot(of: "123456789") == 0x31C3)
        #expect(RedisClusterSlot.slot(of: "foo") == 12182)
        #expect(RedisClusterSlot.slot(of: "bar") == 5061)
        #expect(RedisClusterSlot.slot(of: "hello") == 866)
        #expect(RedisClusterSlot.slot(of: "") == 0)
        // Hash tags, with the specification's own examples.
        #expect(RedisClusterSlot.slot(of: "{user1000}.following") == RedisClusterSlot.slot(of: "user1000"))
        #expect(RedisClusterSlot.slot(of: "{user1000}.followers") == RedisClusterSlot.slot(of: "user1000"))
        #expect(
            RedisClusterSlot.slot(of: "foo{}{bar}") == Int(RedisClusterSlot.crc16(Array("foo{}{bar}".utf8)) & 0x3FFF))
        #expect(RedisClusterSlot.slot(of: "foo{}{bar}") != RedisClusterSlot.slot(of: "bar"))
        #expect(RedisClusterSlot.slot(of: "foo{{bar}}zap") == RedisClusterSlot.slot(of: "{bar"))
        #expect(RedisClusterSlot.slot(of: "foo{bar}{zap}") == RedisClusterSlot.slot(of: "bar"))
        #expect(RedisClusterSlot.slot(of: "{}") == Int(RedisClusterSlot.crc16(Array("{}".utf8)) & 0x3FFF))
        #expect(RedisClusterSlot.slot(of: "no{close") == Int(RedisClusterSlot.crc16(Array("no{close".utf8)) & 0x3FFF))
    }

    @Test func hashesAPrefixAndAKeyAsTheirConcatenation() {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array("ab{}:x")
        for _ in 0..<20_000 {
            let whole = String(
                (0..<Int.random(in: 0...10, using: &generator)).map { _ in
                    alphabet.randomElement(using: &generator)!
                })
            let split = Int.random(in: 0...whole.count, using: &generator)
            let prefix = String(whole.prefix(split))
            let key = String(whole.dropFirst(split))
            #expect(
                RedisClusterSlot.slot(prefix: prefix, key: key) == RedisClusterSlot.slot(of: whole),
                "\(prefix) + \(key)")
        }
    }

    @Test func agreesWithTheServerOnEverySlotAsked() async throws {
        let cluster = try await RedisClusterProcess.shared()
        var generator = SplitMix64(seed: 11)
        var keys = ["123456789", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap", "foo{bar}{zap}", "{}", "a{b"]
        for _ in 0..<40 {
            keys.append(String((0..<12).map { _ in Array("abc{}:é0")[Int.random(in: 0..<8, using: &generator)] }))
        }
        for key in keys {
            let answer = try await cluster.run(cluster.ports[0], ["CLUSTER", "KEYSLOT", key])
            #expect(Int(answer) == RedisClusterSlot.slot(of: key), "\(key)")
        }
    }

    // MARK: - Map

    @Test(arguments: [RedisCache.Configuration.ProtocolVersion.resp3, .resp2])
    func loadsTheSlotMapInEitherProtocol(_ version: RedisCache.Configuration.ProtocolVersion) async throws {
        let cluster = try await RedisClusterProcess.shared()
        let cache = try RedisCache(
            cluster: [cluster.seedURLs[4]], configuration: .init(connection: .init(protocolVersion: version)))
        defer { cache.shutdown() }
        guard case .cluster(let router) = cache.topology else {
            Issue.record("a cluster cache has no router")
            return
        }
        let map = try await router.currentMap()
        #expect(map.coveredSlots == RedisClusterSlot.count)
        #expect(map.shards.count == 3)
        #expect(map.shards.allSatisfy { $0.replicas.count == 1 })
        let primaries = try await cluster.primaries()
        for slot in stride(from: 0, to: RedisClusterSlot.count, by: 97) {
            let expected = primaries.first { $0.serves(slot) }?.port
            #expect(map.primary(ofSlot: slot) == .tcp(host: "127.0.0.1", port: expected ?? 0), "slot \(slot)")
        }
        // CLUSTER SLOTS, the fallback for servers before Redis 7, yields the same map.
        let slots = try RedisClusterMap(
            slotsReply: try await cache.command(["CLUSTER", "SLOTS"]), askedNode: .tcp(host: "127.0.0.1", port: 1))
        #expect(slots.coveredSlots == RedisClusterSlot.count)
        for slot in 0..<RedisClusterSlot.count where slots.primary(ofSlot: slot) != map.primary(ofSlot: slot) {
            Issue.record("CLUSTER SLOTS and CLUSTER SHARDS disagree on slot \(slot)")
            break
        }
    }

    @Test func sendsCommandsBackToBackOnOneConnection() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let connection = try await RedisConnection.open(RedisConfiguration(url: cluster.seedURLs[0]))
        defer { connection.close(.shutDown) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<20 {
                group.addTask {
                    for round in 0..<50 {
                        var commands: [RESPEncoder] = []
                        for index in 0..<3 {
                            var echo = RESPEncoder(argumentCount: 2)
                            echo.append("ECHO")
                            echo.append("\(task)-\(round)-\(index)")
                            commands.append(echo)
                        }
                        let replies = try await connection.send(commands)
                        #expect(replies.map(\.string) == (0..<3).map { "\(task)-\(round)-\($0)" })
                        var single = RESPEncoder(argumentCount: 2)
                        single.append("ECHO")
                        single.append("single")
                        #expect(try await connection.send(single).string == "single")
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    // MARK: - Routing

    @Test func setsAndGetsTenThousandKeysAcrossEveryPrimary() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let prefix = Self.uniquePrefix("spread")
        // One seed only: the cache must find the other primaries itself.
        let cache = try RedisCache(cluster: [cluster.seedURLs[0]], configuration: .init(keyPrefix: prefix))
        defer { cache.shutdown() }
        let count = 10_000
        let workers = 25
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var failures = 0
                    for index in stride(from: worker, to: count, by: workers) {
                        do {
                            try await cache.set("key-\(index)", Data("value-\(index)".utf8), ttl: .never)
                        } catch {
                            failures += 1
                        }
                    }
                    for index in stride(from: worker, to: count, by: workers) {
                        do {
                            if try await cache.get("key-\(index)") != Data("value-\(index)".utf8) { failures += 1 }
                        } catch {
                            failures += 1
                        }
                    }
                    return failures
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(failures == 0)
        var total = 0
        for primary in try await cluster.primaries() {
            let held = try await Self.keys(on: primary.port, prefix: prefix, in: cluster).count
            #expect(held > 2_000, "primary \(primary.port) holds \(held) keys")
            total += held
        }
        #expect(total == count)
        try await cache.removeAll()
    }

    @Test func keepsHashTaggedKeysInOneSlot() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let prefix = Self.uniquePrefix("tags")
        let cache = try RedisCache(cluster: cluster.seedURLs, configuration: .init(keyPrefix: prefix))
        defer { cache.shutdown() }
        let slot = RedisClusterSlot.slot(of: "user1000")
        for index in 0..<50 {
            try await cache.set("{user1000}.item-\(index)", Data("\(index)".utf8), ttl: .never)
        }
        let owner = try await cluster.primary(ofSlot: slot)
        let held = try await Self.keys(on: owner.port, prefix: prefix, in: cluster)
        #expect(held.count == 50)
        for key in held.prefix(5) {
            #expect(try await cluster.run(owner.port, ["CLUSTER", "KEYSLOT", key]) == String(slot))
        }
        for index in 0..<50 {
            #expect(try await cache.get("{user1000}.item-\(index)") == Data("\(index)".utf8))
        }
        // The test helper's routing by second argument sees the same keys.
        #expect(try await cache.command(["EXISTS", prefix + "{user1000}.item-3"]) == .integer(1))
        try await cache.removeAll()
    }

    @Test func removeAllRemovesItsPrefixFromEveryPrimaryAndNothingElse() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let mine = Self.uniquePrefix("mine")
        let theirs = Self.uniquePrefix("theirs")
        let direct = Self.uniquePrefix("direct")
        let cache = try RedisCache(cluster: cluster.seedURLs, configuration: .init(keyPrefix: mine, scanBatchSize: 50))
        let other = try RedisCache(cluster: cluster.seedURLs, configuration: .init(keyPrefix: theirs))
        defer {
            cache.shutdown()
            other.shutdown()
        }
        for index in 0..<600 {
            try await cache.set("k\(index)", Data("m".utf8), ttl: .never)
            try await other.set("k\(index)", Data("t".utf8), ttl: .never)
        }
        for index in 0..<30 {
            try await cluster.run(cluster.ports[index % 6], ["-c", "SET", "\(direct)k\(index)", "d"])
        }
        for primary in try await cluster.primaries() {
            #expect(try await Self.keys(on: primary.port, prefix: mine, in: cluster).count > 100)
        }
        try await cache.removeAll()
        for primary in try await cluster.primaries() {
            #expect(try await Self.keys(on: primary.port, prefix: mine, in: cluster).isEmpty)
            #expect(try await Self.keys(on: primary.port, prefix: theirs, in: cluster).count > 100)
        }
        for index in 0..<600 {
            #expect(try await cache.get("k\(index)") == nil)
            #expect(try await other.get("k\(index)") == Data("t".utf8))
        }
        for index in 0..<30 {
            #expect(try await cluster.run(cluster.ports[0], ["-c", "GET", "\(direct)k\(index)"]) == "d")
        }
        try await other.removeAll()
    }

    @Test func aSingleNodeCacheSaysTheServerIsAClusterNode() async throws {
        let cluster = try await RedisClusterProcess.shared()
        let cache = try RedisCache(url: cluster.seedURLs[0], configuration: .init(keyPrefix: Self.uniquePrefix("one")))
        defer { cache.shutdown() }
        var hint: CacheError?
        for index in 0..<100 where hint == nil {
            do {
                try await cache.set("k\(index)", Data("v".utf8), ttl: .never)
            } catch let error as CacheError {
                hint = error
            }
        }
        #expect(hint?.code == .serverError)
        #expect(hint?.message.contains("is a Redis Cluster node") == true, "\(String(describing: hint))")
        #expect(hint?.message.contains("RedisCache(cluster:)") == true)
    }

    @Test func rejectsClusterSeedsItCannotUse() {
        #expect { try RedisCache(cluster: ["redis://127.0.0.1:7000/1"]) } throws: {
            ($0 as? CacheError)?.code == .invalidConfiguration && "\($0)".contains("database 0")
        }
        #expect { try RedisCache(cluster: ["redis://127.0.0.1:7000?db=2"]) } throws: {
            ($0 as? CacheError)?.code == .invalidConfiguration
        }
        #expect { try RedisCache(cluster: []) } throws: { ($0 as? CacheError)?.code == .invalidConfiguration }
        #expect { try RedisCache(cluster: ["unix:///var/run/redis/redis.sock"]) } throws: {
            ($0 as? CacheError)?.code == .invalidConfiguration
        }
        #expect(throws: Never.self) { try RedisCache(cluster: ["redis://127.0.0.1:7000/0", "redis://:pw@[::1]:7001"]) }
    }

    // MARK: - Topology changes

    @Test func followsASKWhileASlotMigratesAndMOVEDAfterwards() async throws {
        try await RedisClusterProcess.with { cluster in
            let prefix = Self.uniquePrefix("migrate")
            let cache = try RedisCache(cluster: [cluster.seedURLs[0]], configuration: .init(keyPrefix: prefix))
            defer { cache.shutdown() }
            let slot = RedisClusterSlot.slot(of: "moving")
            for index in 0..<100 {
                try await cache.set("{moving}\(index)", Data("before-\(index)".utf8), ttl: .never)
            }
            let source = try await cluster.primary(ofSlot: slot)
            let target = try await cluster.primaries().first { $0.id != source.id }!
            #expect(
                try await cluster.run(target.port, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", source.id]) == "OK")
            #expect(
                try await cluster.run(source.port, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id]) == "OK")
            let firstHalf = (0..<50).map { "\(prefix){moving}\($0)" }
            let migrated = try await cluster.run(
                source.port, ["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "10000", "KEYS"] + firstHalf)
            #expect(migrated == "OK")
            #expect(try await cluster.run(target.port, ["CLUSTER", "COUNTKEYSINSLOT", "\(slot)"]) == "50")

            // Mid-migration: keys on the target are reached with ASKING, new keys are created there.
            for index in 0..<100 {
                #expect(try await cache.get("{moving}\(index)") == Data("before-\(index)".utf8), "key \(index)")
            }
            for index in 100..<130 {
                try await cache.set("{moving}\(index)", Data("during-\(index)".utf8), ttl: .never)
            }
            for index in 100..<130 {
                #expect(try await cache.get("{moving}\(index)") == Data("during-\(index)".utf8), "key \(index)")
            }
            #expect(try await cluster.run(target.port, ["CLUSTER", "COUNTKEYSINSLOT", "\(slot)"]) == "80")

            // Finish: move the rest, then give the slot to the target on every primary.
            let rest = (50..<100).map { "\(prefix){moving}\($0)" }
            #expect(
                try await cluster.run(
                    source.port, ["MIGRATE", "127.0.0.1", "\(target.port)", "", "0", "10000", "KEYS"] + rest) == "OK")
            for primary in try await cluster.primaries() {
                #expect(
                    try await cluster.run(primary.port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id]) == "OK")
            }
            // The cache still believes the source serves the slot: MOVED sends it to the target.
            for index in 0..<130 {
                let expected = index < 100 ? "before-\(index)" : "during-\(index)"
                #expect(try await cache.get("{moving}\(index)") == Data(expected.utf8), "key \(index)")
            }
            try await cache.set("{moving}after", Data("after".utf8), ttl: .never)
            #expect(try await cache.get("{moving}after") == Data("after".utf8))
            #expect(try await cluster.run(target.port, ["CLUSTER", "COUNTKEYSINSLOT", "\(slot)"]) == "131")
            guard case .cluster(let router) = cache.topology else { return }
            // The map is refreshed after MOVED.
            var owner: RedisConfiguration.Endpoint?
            for _ in 0..<100 {
                owner = try await router.currentMap().primary(ofSlot: slot)
                if owner == .tcp(host: "127.0.0.1", port: target.port) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(owner == .tcp(host: "127.0.0.1", port: target.port))
        }
    }

    /// Runs `workers` loops of set-then-get over keys spread on every slot until `stop` is set, and returns
    /// when each failure happened.
    private static func load(
        _ cache: RedisCache, workers: Int, until stop: StopFlag
    ) async -> [(index: Int, date: Date, error: String)] {
        await withTaskGroup(of: [(index: Int, date: Date, error: String)].self) { group in
            for worker in 0..<workers {
                group.addTask {
                    var failures: [(index: Int, date: Date, error: String)] = []
                    var index = worker
                    while !stop.isSet {
                        // Each worker has keys of its own, so that a read sees the worker's own last write.
                        let key = "w\(worker)-\(index % 499)"
                        let value = Data("\(index)".utf8)
                        do {
                            try await cache.set(key, value, ttl: .never)
                            let read = try await cache.get(key)
                            if read != value { failures.append((index, Date(), "read \(String(describing: read))")) }
                        } catch {
                            failures.append((index, Date(), "\(error)"))
                        }
                        index += workers
                    }
                    return failures
                }
            }
            var all: [(index: Int, date: Date, error: String)] = []
            for await failures in group { all += failures }
            return all
        }
    }

    @Test func keepsWorkingThroughAManualFailover() async throws {
        try await RedisClusterProcess.with { cluster in
            let cache = try RedisCache(
                cluster: cluster.seedURLs, configuration: .init(keyPrefix: Self.uniquePrefix("failover")))
            defer { cache.shutdown() }
            let primary = try await cluster.primaries()[0]
            let replica = try await cluster.replica(of: primary)
            let stop = StopFlag()
            let workers = 8
            async let failures = Self.load(cache, workers: workers, until: stop)
            try await Task.sleep(for: .seconds(1))
            #expect(try await cluster.run(replica.port, ["CLUSTER", "FAILOVER"]) == "OK")
            var promoted = false
            for _ in 0..<150 where !promoted {
                try await Task.sleep(for: .milliseconds(200))
                promoted = try await cluster.primaries().contains { $0.port == replica.port }
            }
            #expect(promoted)
            try await cluster.waitUntilHealthy()
            try await Task.sleep(for: .seconds(1))
            let settled = Date()
            try await Task.sleep(for: .seconds(2))
            stop.set()
            let all = await failures
            #expect(all.filter { $0.date > settled }.isEmpty, "after the failover: \(all.prefix(5))")
            #expect(all.count <= workers, "during the failover: \(all.prefix(10))")
        }
    }

    @Test func recoversWhenAPrimaryIsFrozen() async throws {
        try await RedisClusterProcess.with { cluster in
            let poolSize = 2
            let cache = try RedisCache(
                cluster: cluster.seedURLs,
                configuration: .init(
                    keyPrefix: Self.uniquePrefix("frozen"), connection: .init(commandTimeout: .seconds(3)),
                    pool: .init(size: poolSize)))
            defer { cache.shutdown() }
            let victim = try await cluster.primaries()[2]
            let replica = try await cluster.replica(of: victim)
            let keys = (0..<600).map { "key-\($0)" }
            let victimKeys = keys.filter { victim.serves(RedisClusterSlot.slot(prefix: cache.keyPrefix, key: $0)) }
            #expect(victimKeys.count > 50)
            for key in keys { try await cache.set(key, Data("old".utf8), ttl: .never) }

            cluster.pause(victim.port)
            defer { cluster.resume(victim.port) }
            let promoted = try await Self.waitUntilPromoted(replica, in: cluster)
            #expect(promoted, "the replica of the frozen primary was not promoted")
            try await cluster.waitUntilHealthy()
            // A connection to the frozen node fails its command once, by timing out; the map is refreshed
            // then, and every later command goes to the new primary.
            var failures = await Self.storeAndReadBack(victimKeys, "new", in: cache)
            #expect(failures.count <= poolSize, "\(failures.count) failures, first: \(failures.prefix(3))")

            // Thawed, the old primary rejoins as a replica: every key still works, with no error.
            cluster.resume(victim.port)
            try await cluster.waitUntilHealthy()
            failures = await Self.storeAndReadBack(keys, "thawed", in: cache)
            #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
        }
    }

    @Test func recoversWhenAPrimaryIsKilled() async throws {
        try await RedisClusterProcess.with { cluster in
            let cache = try RedisCache(
                cluster: cluster.seedURLs,
                configuration: .init(
                    keyPrefix: Self.uniquePrefix("killed"), connection: .init(commandTimeout: .seconds(10))))
            defer { cache.shutdown() }
            let victim = try await cluster.primaries()[1]
            let replica = try await cluster.replica(of: victim)
            let victimKeys = (0..<2_000).map { "key-\($0)" }.filter { key in
                victim.serves(RedisClusterSlot.slot(prefix: cache.keyPrefix, key: key))
            }
            #expect(victimKeys.count > 100)
            for key in victimKeys { try await cache.set(key, Data("old".utf8), ttl: .never) }

            cluster.kill(victim.port)
            let promoted = try await Self.waitUntilPromoted(replica, in: cluster)
            #expect(promoted, "the replica of the killed primary was not promoted")
            try await cluster.waitUntilHealthy()
            // The same cache, never recreated, reaches the new primary for every one of those slots.
            let failures = await Self.storeAndReadBack(victimKeys, "new", in: cache)
            #expect(failures.isEmpty, "\(failures.count) failures, first: \(failures.prefix(3))")
        }
    }

    @Test func worksOverTLSWithAnACLUser() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisClusterProcess.with(tls: certificates, password: "cluster-pw") { cluster in
            let prefix = Self.uniquePrefix("tls")
            for port in cluster.ports {
                try await cluster.run(port, ["ACL", "SETUSER", "app", "on", ">app-pw", "~\(prefix)*", "+@all"])
            }
            // One TLS seed: the map, and every node's TLS port, come from it.
            let cache = try RedisCache(
                cluster: ["rediss://app:app-pw@localhost:\(cluster.tlsPorts[0])"],
                configuration: .init(
                    keyPrefix: prefix, tls: .init(trustRoots: .file(certificates.caCertificate))))
            defer { cache.shutdown() }
            for index in 0..<2_000 { try await cache.set("k\(index)", Data("\(index)".utf8), ttl: .never) }
            for index in 0..<2_000 { #expect(try await cache.get("k\(index)") == Data("\(index)".utf8)) }
            let primaries = try await cluster.primaries()
            for primary in primaries {
                #expect(try await Self.keys(on: primary.port, prefix: prefix, in: cluster).count > 300)
            }
            // Every node the cache talked to was reached at its TLS port.
            let ports = Set(cache.health.compactMap { $0.server.split(separator: ":").last.flatMap { Int($0) } })
            #expect(ports.count >= 3)
            #expect(ports.isSubset(of: Set(cluster.tlsPorts)), "\(cache.health.map(\.server))")
            try await cache.removeAll()
            for primary in primaries {
                #expect(try await Self.keys(on: primary.port, prefix: prefix, in: cluster).isEmpty)
            }
        }
    }
}

/// A flag that one task sets and others read.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Whether ``set()`` was called.
    var isSet: Bool { lock.withLock { value } }

    /// Sets the flag.
    func set() { lock.withLock { value = true } }
}
