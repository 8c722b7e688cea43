// The connection and its handshake: the exact bytes written, HELLO with AUTH and SETNAME, the RESP2
// fallback, pipelining in order, pushes ignored, Unix sockets and IPv6, and the pool's reconnect.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct RedisConnectionTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func configuration(
        _ url: String, _ change: (inout RedisCache.Configuration) -> Void = { _ in }
    ) throws
        -> RedisConfiguration
    {
        var options = RedisCache.Configuration()
        options.commandTimeout = .seconds(5)
        change(&options)
        return try RedisConfiguration(url: url, options: options)
    }

    // MARK: - Exact bytes, against a scripted server

    @Test func sendsHELLO3WithAuthAndSetnameThenSelect() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in .reply(Self.bytes("+PONG\r\n")) })
        defer { server.stop() }
        let connection = try await RedisConnection.open(
            try Self.configuration("redis://bob:pa%20ss@127.0.0.1:\(server.port)/3") { $0.clientName = "app" })
        defer { connection.close(.shutDown) }
        #expect(try await connection.command(["PING"]) == .simpleString("PONG"))
        let expected =
            "*7\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$5\r\npa ss\r\n$7\r\nSETNAME\r\n$3\r\napp\r\n"
            + "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n" + "*1\r\n$4\r\nPING\r\n"
        #expect(server.receivedBytes == Self.bytes(expected))
    }

    @Test func authenticatesTheDefaultUserWhenOnlyAPasswordIsGiven() async throws {
        let server = try FakeRedisServer(handler: FakeRedisServer.answeringHandshake { _ in .ignore })
        defer { server.stop() }
        let connection = try await RedisConnection.open(
            try Self.configuration("redis://:pw@127.0.0.1:\(server.port)") { $0.clientName = nil })
        defer { connection.close(.shutDown) }
        #expect(server.receivedCommands == [["HELLO", "3", "AUTH", "default", "pw"]])
    }

    @Test func fallsBackToRESP2WhenTheServerDoesNotKnowHELLO() async throws {
        let server = try FakeRedisServer { command in
            switch command[0] {
            case "HELLO": .reply(Self.bytes("-ERR unknown command 'HELLO', with args beginning with: '3'\r\n"))
            case "AUTH", "CLIENT", "SELECT": .reply(Self.bytes("+OK\r\n"))
            default: .reply(Self.bytes("$2\r\nv1\r\n"))
            }
        }
        defer { server.stop() }
        let connection = try await RedisConnection.open(
            try Self.configuration("redis://:pw@127.0.0.1:\(server.port)/2") { $0.clientName = "legacy" })
        defer { connection.close(.shutDown) }
        #expect(try await connection.command(["GET", "k"]) == .bulkString(Self.bytes("v1")))
        #expect(
            server.receivedCommands == [
                ["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "legacy"], ["AUTH", "pw"],
                ["CLIENT", "SETNAME", "legacy"], ["SELECT", "2"], ["GET", "k"],
            ])
    }

    @Test func speaksRESP2OnlyWhenConfigured() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in .reply(Self.bytes("+OK\r\n")) })
        defer { server.stop() }
        let connection = try await RedisConnection.open(
            try Self.configuration("redis://alice:pw@127.0.0.1:\(server.port)") {
                $0.protocolVersion = .resp2
                $0.clientName = "c"
            })
        defer { connection.close(.shutDown) }
        #expect(server.receivedCommands == [["AUTH", "alice", "pw"], ["CLIENT", "SETNAME", "c"]])
    }

    @Test func reportsRejectedCredentialsAsAuthenticationFailures() async throws {
        let server = try FakeRedisServer { command in
            command[0] == "HELLO"
                ? .reply(Self.bytes("-WRONGPASS invalid username-password pair or user is disabled.\r\n")) : .ignore
        }
        defer { server.stop() }
        await #expect {
            try await RedisConnection.open(try Self.configuration("redis://:bad@127.0.0.1:\(server.port)"))
        } throws: { ($0 as? CacheError)?.code == .authenticationFailed }
    }

    @Test func writesExactlyTheCacheCommands() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                switch command[0] {
                case "SET": .reply(Self.bytes("+OK\r\n"))
                case "GET": .reply(Self.bytes("$-1\r\n"))
                case "UNLINK": .reply(Self.bytes(":1\r\n"))
                case "SCAN": .reply(Self.bytes("*2\r\n$1\r\n0\r\n*1\r\n$5\r\nns:k1\r\n"))
                default: .reply(Self.bytes("-ERR unexpected\r\n"))
                }
            })
        defer { server.stop() }
        var options = RedisCache.Configuration(keyPrefix: "ns:", poolSize: 1, clientName: nil)
        options.scanBatchSize = 100
        let cache = try RedisCache(url: server.url, configuration: options)
        defer { cache.shutdown() }
        try await cache.set("k", Data([0, 1]), ttl: .milliseconds(1500))
        try await cache.set("k", Data("v".utf8), ttl: .never)
        try await cache.set("k", Data("v".utf8), ttl: .after(.microseconds(10)))
        #expect(try await cache.get("k") == nil)
        try await cache.remove("k")
        try await cache.removeAll()
        let handshake = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
        let written =
            handshake
            + "*5\r\n$3\r\nSET\r\n$4\r\nns:k\r\n$2\r\n\u{0}\u{1}\r\n$2\r\nPX\r\n$4\r\n1500\r\n"
            + "*3\r\n$3\r\nSET\r\n$4\r\nns:k\r\n$1\r\nv\r\n"
            + "*5\r\n$3\r\nSET\r\n$4\r\nns:k\r\n$1\r\nv\r\n$2\r\nPX\r\n$1\r\n1\r\n"
            + "*2\r\n$3\r\nGET\r\n$4\r\nns:k\r\n"
            + "*2\r\n$6\r\nUNLINK\r\n$4\r\nns:k\r\n"
            + "*6\r\n$4\r\nSCAN\r\n$1\r\n0\r\n$5\r\nMATCH\r\n$4\r\nns:*\r\n$5\r\nCOUNT\r\n$3\r\n100\r\n"
            + "*2\r\n$6\r\nUNLINK\r\n$5\r\nns:k1\r\n"
        #expect(server.receivedBytes == Self.bytes(written))
    }

    @Test func removesTheKeyWhenTheTTLHasAlreadyPassed() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in .reply(Self.bytes(":0\r\n")) })
        defer { server.stop() }
        let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 1, clientName: nil))
        defer { cache.shutdown() }
        try await cache.set("k", Data("v".utf8), ttl: .after(.zero))
        try await cache.set("k", Data("v".utf8), ttl: .seconds(-5))
        #expect(server.receivedCommands.dropFirst().map { $0[0] } == ["UNLINK", "UNLINK"])
    }

    @Test func fallsBackToDELOnServersWithoutUNLINK() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                command[0] == "UNLINK"
                    ? .reply(Self.bytes("-ERR unknown command 'UNLINK'\r\n")) : .reply(Self.bytes(":1\r\n"))
            })
        defer { server.stop() }
        let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 1, clientName: nil))
        defer { cache.shutdown() }
        try await cache.remove("a")
        try await cache.remove("b")
        #expect(server.receivedCommands.dropFirst().map { $0[0] } == ["UNLINK", "DEL", "DEL"])
    }

    // MARK: - Pipelining

    @Test func matchesPipelinedRepliesToTheirCommandsInOrder() async throws {
        // The server holds every reply until 200 commands have arrived, then answers them all at once.
        let held = Held()
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { command in
                .reply(held.add(Self.bytes("$\(command[1].utf8.count)\r\n\(command[1])\r\n"), releaseAt: 200))
            })
        defer { server.stop() }
        let connection = try await RedisConnection.open(try Self.configuration(server.url) { $0.clientName = nil })
        defer { connection.close(.shutDown) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let reply = try await connection.command(["ECHO", "value-\(index)"])
                    #expect(reply == .bulkString(Self.bytes("value-\(index)")))
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func ignoresServerPushMessages() async throws {
        let push = ">3\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n_\r\n"
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in .reply(Self.bytes(push + "$5\r\nvalue\r\n" + push)) })
        defer { server.stop() }
        let connection = try await RedisConnection.open(try Self.configuration(server.url) { $0.clientName = nil })
        defer { connection.close(.shutDown) }
        #expect(try await connection.command(["GET", "k"]) == .bulkString(Self.bytes("value")))
        #expect(try await connection.command(["GET", "k"]) == .bulkString(Self.bytes("value")))
    }

    @Test func reportsServerErrorsWithTheirMessage() async throws {
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in
                .reply(Self.bytes("-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"))
            })
        defer { server.stop() }
        let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 1, clientName: nil))
        defer { cache.shutdown() }
        await #expect {
            try await cache.get("k")
        } throws: { error in
            let error = error as? CacheError
            return error?.code == .serverError && error?.message.hasPrefix("WRONGTYPE") == true
        }
        // A server error does not break the connection.
        await #expect(throws: CacheError.self) { try await cache.get("k") }
        #expect(server.connectionCount == 1)
    }
}

/// Collects replies and releases them all at once when enough have been collected.
fileprivate final class Held: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [UInt8] = []
    private var count = 0

    func add(_ reply: [UInt8], releaseAt threshold: Int) -> [UInt8] {
        lock.withLock {
            replies += reply
            count += 1
            guard count == threshold else { return [] }
            defer { replies = [] }
            return replies
        }
    }
}

@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"),
    .timeLimit(.minutes(1))
)
struct RedisConnectionServerTests {
    @Test func connectsOverAUnixSocket() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.unixURL + "?db=1")
            defer { cache.shutdown() }
            try await cache.set("unix", Data("socket".utf8), ttl: .never)
            #expect(try await cache.get("unix") == Data("socket".utf8))
            let info = try await cache.command(["CLIENT", "INFO"]).string ?? ""
            #expect(info.contains("db=1"))
            #expect(info.contains("laddr=\(server.socketPath)") || info.contains("addr=/") || info.contains("unix"))
        }
    }

    @Test func connectsOverIPv6() async throws {
        let server: RedisServerProcess
        do {
            server = try RedisServerProcess(bindAddress: "::1")
        } catch {
            print("IPv6 loopback unavailable; skipping: \(error)")
            return
        }
        defer { server.stop() }
        let cache = try RedisCache(url: "redis://[::1]:\(server.port)")
        defer { cache.shutdown() }
        try await cache.set("six", Data("v6".utf8), ttl: .never)
        #expect(try await cache.get("six") == Data("v6".utf8))
    }

    @Test func namesTheClientInCLIENTLIST() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 1, clientName: "sc-test-client"))
            defer { cache.shutdown() }
            let list = try await cache.command(["CLIENT", "LIST"]).string ?? ""
            #expect(list.contains("name=sc-test-client"))
            #expect(list.contains("resp=3"))
        }
    }

    @Test func pipelinesThousandsOfCommandsOnOneConnection() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 1))
            defer { cache.shutdown() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<2_000 {
                    group.addTask {
                        let reply = try await cache.command(["ECHO", "m\(index)"])
                        #expect(reply == .bulkString(Array("m\(index)".utf8)))
                    }
                }
                try await group.waitForAll()
            }
            let clients = try await cache.command(["CLIENT", "LIST"]).string ?? ""
            #expect(clients.split(separator: "\n").filter { $0.contains("name=structuredcache") }.count == 1)
        }
    }

    @Test func keepsALoneTaskOnOneConnection() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 4, clientName: "lone-task"))
            defer { cache.shutdown() }
            for index in 0..<200 {
                try await cache.set("lone\(index)", Data("\(index)".utf8), ttl: .never)
                #expect(try await cache.get("lone\(index)") == Data("\(index)".utf8))
            }
            let clients = try await cache.command(["CLIENT", "LIST"]).string ?? ""
            #expect(clients.split(separator: "\n").filter { $0.contains("name=lone-task") }.count == 1)
        }
    }

    @Test func opensNoMoreConnectionsThanThePoolSize() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url, configuration: .init(poolSize: 3, clientName: "pool-size"))
            defer { cache.shutdown() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<300 {
                    group.addTask { try await cache.set("p\(index)", Data(), ttl: .never) }
                }
                try await group.waitForAll()
            }
            let clients = try await cache.command(["CLIENT", "LIST"]).string ?? ""
            #expect(clients.split(separator: "\n").filter { $0.contains("name=pool-size") }.count == 3)
        }
    }
}
