// The cluster router against fake nodes that answer as a troubled cluster would: TRYAGAIN and CLUSTERDOWN
// retried within the command's time, a storm of MOVED replies that must not become a storm of map
// refreshes, redirections in a loop, and a node that drops the connection while it still owns the slot.

import Foundation
import Testing

@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite(.timeLimit(.minutes(1)))
struct RedisClusterRouterTests {
    /// Ports known only once the fake servers listen, read by their handlers.
    final class Ports: @unchecked Sendable {
        private let lock = NSLock()
        private var ports: [Int] = []
        private var counters: [String: Int] = [:]

        /// The port of node `index`.
        subscript(index: Int) -> Int { lock.withLock { ports[index] } }

        /// Records the nodes' ports.
        func set(_ ports: [Int]) { lock.withLock { self.ports = ports } }

        /// Adds one to the counter `name` and returns its new value.
        func count(_ name: String) -> Int {
            lock.withLock {
                counters[name, default: 0] += 1
                return counters[name]!
            }
        }
    }

    /// A `CLUSTER SHARDS` reply (RESP2) in which the node at `port` serves every slot.
    static func shards(servedBy port: Int) -> [UInt8] {
        let node =
            "*10\r\n$2\r\nid\r\n$1\r\na\r\n$4\r\nport\r\n:\(port)\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n"
            + "$4\r\nrole\r\n$6\r\nmaster\r\n$6\r\nhealth\r\n$6\r\nonline\r\n"
        return Array("*1\r\n*4\r\n$5\r\nslots\r\n*2\r\n:0\r\n:16383\r\n$5\r\nnodes\r\n*1\r\n\(node)".utf8)
    }

    static func error(_ text: String) -> FakeRedisServer.Action { .reply(Array("-\(text)\r\n".utf8)) }

    @Test func retriesTRYAGAINAndCLUSTERDOWNUntilTheClusterAnswers() async throws {
        let ports = Ports()
        let node = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                if command.first == "CLUSTER" { return .reply(Self.shards(servedBy: ports[0])) }
                switch ports.count("GET") {
                case 1...3: return Self.error("TRYAGAIN Multiple keys request during rehashing of slot")
                case 4: return Self.error("CLUSTERDOWN The cluster is down")
                case 5: return Self.error("LOADING Redis is loading the dataset in memory")
                default: return .reply(Array("$2\r\nok\r\n".utf8))
                }
            })
        defer { node.stop() }
        ports.set([node.port])
        let cache = try RedisCache(
            cluster: [node.url], configuration: .init(connection: .init(commandTimeout: .seconds(20))))
        defer { cache.shutdown() }
        #expect(try await cache.get("k") == Data("ok".utf8))
        #expect(node.receivedCommands.filter { $0.first == "GET" }.count == 6)
    }

    @Test func givesUpOnTRYAGAINWhenTheCommandTimeIsUp() async throws {
        let ports = Ports()
        let node = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                command.first == "CLUSTER" ? .reply(Self.shards(servedBy: ports[0])) : Self.error("TRYAGAIN busy")
            })
        defer { node.stop() }
        ports.set([node.port])
        let cache = try RedisCache(
            cluster: [node.url], configuration: .init(connection: .init(commandTimeout: .milliseconds(400))))
        defer { cache.shutdown() }
        let start = ContinuousClock.now
        await #expect { try await cache.get("k") } throws: {
            ($0 as? CacheError)?.code == .serverError && ($0 as? CacheError)?.message.hasPrefix("TRYAGAIN") == true
        }
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(node.receivedCommands.filter { $0.first == "GET" }.count >= 2)
    }

    @Test func refreshesTheMapAtMostEveryHundredMillisecondsUnderAStormOfMOVED() async throws {
        let ports = Ports()
        // The first node believes it serves every slot but sends every GET to the second one, whose map is
        // as stale: every GET is redirected, and every redirection asks for a refresh.
        let first = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                if command.first == "CLUSTER" { return .reply(Self.shards(servedBy: ports[0])) }
                return Self.error("MOVED 1 127.0.0.1:\(ports[1])")
            })
        let second = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                if command.first == "CLUSTER" { return .reply(Self.shards(servedBy: ports[0])) }
                return .reply(Array("$1\r\nv\r\n".utf8))
            })
        defer {
            first.stop()
            second.stop()
        }
        ports.set([first.port, second.port])
        let cache = try RedisCache(
            cluster: [first.url], configuration: .init(connection: .init(commandTimeout: .seconds(20))))
        defer { cache.shutdown() }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<20 {
                group.addTask {
                    for index in 0..<100 {
                        let value = try await cache.get("k\(task)-\(index)")
                        #expect(value == Data("v".utf8))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        let refreshes = (first.receivedCommands + second.receivedCommands).filter { $0.first == "CLUSTER" }.count
        // The first load, then one refresh per interval at most (and one more for a refresh that ends as
        // the last command does).
        let allowed = 2 + Int(elapsed / .milliseconds(100))
        #expect(refreshes >= 2, "a MOVED reply should refresh the map")
        #expect(refreshes <= allowed, "\(refreshes) refreshes in \(elapsed)")
        #expect(first.receivedCommands.filter { $0.first == "GET" }.count == 2_000)
    }

    @Test func fallsBackToCLUSTERSLOTSOnServersBeforeRedis7() async throws {
        let ports = Ports()
        let node = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                switch (command.first, command.dropFirst().first) {
                case ("CLUSTER", "SHARDS"):
                    return Self.error("ERR unknown subcommand 'shards'. Try CLUSTER HELP.")
                case ("CLUSTER", "SLOTS"):
                    // An empty host stands for the node that answers.
                    return .reply(Array("*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$0\r\n\r\n:\(ports[0])\r\n$1\r\na\r\n".utf8))
                default:
                    return .reply(Array("$1\r\nv\r\n".utf8))
                }
            })
        defer { node.stop() }
        ports.set([node.port])
        let cache = try RedisCache(cluster: [node.url])
        defer { cache.shutdown() }
        #expect(try await cache.get("k") == Data("v".utf8))
        guard case .cluster(let router) = cache.topology else { return }
        let map = try await router.currentMap()
        #expect(map.coveredSlots == RedisClusterSlot.count)
        #expect(map.primary(ofSlot: 16383) == .tcp(host: "127.0.0.1", port: node.port))
    }

    @Test func stopsFollowingRedirectionsAfterFive() async throws {
        let ports = Ports()
        let first = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                if command.first == "CLUSTER" { return .reply(Self.shards(servedBy: ports[0])) }
                return Self.error("MOVED 1 127.0.0.1:\(ports[1])")
            })
        let second = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in Self.error("ASK 1 127.0.0.1:\(ports[0])") })
        defer {
            first.stop()
            second.stop()
        }
        ports.set([first.port, second.port])
        let cache = try RedisCache(cluster: [first.url])
        defer { cache.shutdown() }
        await #expect { try await cache.get("k") } throws: {
            ($0 as? CacheError)?.code == .serverError && "\($0)".contains("5 redirections")
        }
    }

    @Test func rethrowsAConnectionFailureAtOnceWhenTheSlotKeepsItsOwner() async throws {
        let ports = Ports()
        let node = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                command.first == "CLUSTER" ? .reply(Self.shards(servedBy: ports[0])) : .close
            })
        defer { node.stop() }
        ports.set([node.port])
        let cache = try RedisCache(
            cluster: [node.url], configuration: .init(connection: .init(commandTimeout: .seconds(30))))
        defer { cache.shutdown() }
        let start = ContinuousClock.now
        await #expect { try await cache.get("k") } throws: {
            [.connectionClosed, .connectionFailed].contains(($0 as? CacheError)?.code)
        }
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(node.receivedCommands.filter { $0.first == "GET" }.count == 1)
    }
}
