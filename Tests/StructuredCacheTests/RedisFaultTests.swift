// Failures, with real processes: a server killed under load and restarted, a stopped server, refused
// connections, and a scripted server sending malformed, truncated or no replies. Every failure must be a
// typed CacheError, quickly, and nothing may crash or hang.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.timeLimit(.minutes(1)))
struct RedisFaultTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Runs `body`, expecting a CacheError with one of `codes`, and returns how long it took.
    @discardableResult
    static func expectFailure(
        _ codes: Set<CacheError.Code>, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await body()
            Issue.record(
                "expected a CacheError \(codes), got success. \(comment?.rawValue ?? "")",
                sourceLocation: sourceLocation)
        } catch let error as CacheError {
            #expect(codes.contains(error.code), "\(error) \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a CacheError, got \(error)", sourceLocation: sourceLocation)
        }
        return clock.now - start
    }

    // MARK: - Refused and unreachable

    @Test func failsFastWhenNothingListens() async throws {
        let port = try RedisServerProcess.freePort()
        let options = RedisCache.Configuration(
            connection: .init(connectTimeout: .seconds(40)),
            pool: .init(size: 2, reconnectBackoff: .init(initial: .seconds(30), maximum: .seconds(30))))
        let cache = try RedisCache(url: "redis://127.0.0.1:\(port)", configuration: options)
        defer { cache.shutdown() }
        // Refused at once, not after the connect timeout (bounds here leave room for a loaded machine).
        let first = await Self.expectFailure([.connectionFailed]) { _ = try await cache.get("k") }
        #expect(first < .seconds(20))
        // Both slots now back off, and then the breaker opens: further calls fail at once without
        // touching the network.
        _ = await Self.expectFailure([.connectionFailed]) { _ = try await cache.get("k") }
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<100 {
            await Self.expectFailure([.connectionFailed, .unavailable]) {
                try await cache.set("k", Data(), ttl: .never)
            }
        }
        #expect(clock.now - start < .seconds(20))
    }

    @Test func timesOutWhenTheConnectionIsNeverAccepted() async throws {
        // A listener that never accepts, its tiny backlog filled: further connection attempts hang in
        // the TCP handshake, which only the connect timeout ends.
        let listener = socket(AF_INET, RedisServerProcess.streamType, 0)
        defer { close(listener) }
        var address = RedisServerProcess.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(listening)
        let port = Int(UInt16(bigEndian: address.sin_port))
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<8 {
            let filler = socket(AF_INET, RedisServerProcess.streamType, 0)
            _ = fcntl(filler, F_SETFL, fcntl(filler, F_GETFL) | O_NONBLOCK)
            var target = RedisServerProcess.loopback(port: port)
            _ = withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            fillers.append(filler)
        }
        let cache = try RedisCache(
            url: "redis://127.0.0.1:\(port)",
            configuration: .init(
                connection: .init(connectTimeout: .milliseconds(300), commandTimeout: .milliseconds(300)),
                pool: .init(size: 1)))
        defer { cache.shutdown() }
        // Depending on the kernel, the attempt times out in the TCP handshake or (if the kernel
        // completed it) in HELLO; either way within about the timeout.
        let elapsed = await Self.expectFailure([.timeout]) { _ = try await cache.get("k") }
        #expect(elapsed < .seconds(20))
    }

    @Test func failsWhenTheNameDoesNotResolve() async throws {
        let cache = try RedisCache(
            url: "redis://no-such-host.invalid:6379",
            configuration: .init(connection: .init(connectTimeout: .seconds(5))))
        defer { cache.shutdown() }
        await Self.expectFailure([.connectionFailed, .timeout]) { _ = try await cache.get("k") }
    }

    @Test func failsWhenTheUnixSocketIsMissing() async throws {
        let cache = try RedisCache(url: "unix:///nonexistent-dir/redis.sock")
        defer { cache.shutdown() }
        await Self.expectFailure([.connectionFailed]) { _ = try await cache.get("k") }
    }

    // MARK: - A scripted server

    static let malformedReplies: [(String, [UInt8], Set<CacheError.Code>)] = [
        ("unknown type byte", bytes("?garbage\r\n"), [.protocolError]),
        ("inline text", bytes("hello world\r\n"), [.protocolError]),
        ("bulk without CRLF", bytes("$3\r\nabcXY"), [.protocolError]),
        ("negative length", bytes("$-7\r\n"), [.protocolError]),
        ("non-numeric length", bytes("$1x\r\nabc\r\n"), [.protocolError]),
        ("huge length", bytes("$99999999999\r\n"), [.valueTooLarge]),
        ("nesting bomb", Array(repeating: bytes("*1\r\n"), count: 10_000).flatMap { $0 }, [.protocolError]),
        ("CR without LF", bytes("+OK\rX"), [.protocolError]),
        ("bad integer", bytes(":12z\r\n"), [.protocolError]),
        ("NUL bytes", [0, 0, 0, 13, 10], [.protocolError]),
        ("wrong reply type", bytes(":1\r\n"), [.protocolError]),
        ("two replies to one command", bytes("$1\r\na\r\n$1\r\nb\r\n"), []),
    ]

    @Test(arguments: malformedReplies.indices)
    func turnsAMalformedReplyIntoATypedError(_ index: Int) async throws {
        let (name, reply, codes) = Self.malformedReplies[index]
        let server = try FakeRedisServer(handler: FakeRedisServer.answeringHandshake { _ in .reply(reply) })
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url, configuration: .init(connection: .init(commandTimeout: .seconds(40)), pool: .init(size: 1))
        )
        defer { cache.shutdown() }
        if codes.isEmpty {
            // The first reply answers the command; the unsolicited second one closes the connection.
            #expect(try await cache.get("k") == Data("a".utf8), "\(name)")
        } else {
            let elapsed = await Self.expectFailure(codes, "\(name)") { _ = try await cache.get("k") }
            #expect(elapsed < .seconds(20), "\(name) should fail at once, not time out")
        }
        if codes.isEmpty {
            // Whether the stray reply is seen before the next command is sent is a race; either way the
            // next call ends promptly, with a value or a typed error.
            _ = try? await cache.get("k")
        } else {
            // A new connection gets the same treatment.
            await Self.expectFailure(codes, "\(name), again") { _ = try await cache.get("k") }
        }
    }

    static let truncatedReplies: [(String, [UInt8])] = [
        ("bulk cut short", bytes("$10\r\nabc")),
        ("array cut short", bytes("*3\r\n:1\r\n:2\r\n")),
        ("header cut short", bytes("$1")),
        ("nothing", []),
    ]

    @Test(arguments: truncatedReplies.indices)
    func failsCommandsWhenTheReplyIsCutShort(_ index: Int) async throws {
        let (name, reply) = Self.truncatedReplies[index]
        let server = try FakeRedisServer(handler: FakeRedisServer.answeringHandshake { _ in .replyAndClose(reply) })
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url, configuration: .init(connection: .init(commandTimeout: .seconds(40)), pool: .init(size: 1))
        )
        defer { cache.shutdown() }
        let elapsed = await Self.expectFailure([.connectionClosed], "\(name)") { _ = try await cache.get("k") }
        #expect(elapsed < .seconds(20), "\(name) should fail at once, not time out")
    }

    @Test func failsEveryInFlightCommandWhenTheConnectionDrops() async throws {
        let received = Counter()
        let server = try FakeRedisServer(
            handler: FakeRedisServer.answeringHandshake { _ in received.increment() == 50 ? .close : .ignore })
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url, configuration: .init(connection: .init(commandTimeout: .seconds(20)), pool: .init(size: 1))
        )
        defer { cache.shutdown() }
        let codes = await withTaskGroup(of: CacheError.Code?.self) { group in
            for index in 0..<50 {
                group.addTask {
                    do {
                        _ = try await cache.get("k\(index)")
                        return nil
                    } catch {
                        return (error as? CacheError)?.code
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(codes.count == 50)
        #expect(codes.allSatisfy { $0 == .connectionClosed })
    }

    @Test func timesOutWhenTheServerNeverAnswers() async throws {
        let server = try FakeRedisServer(handler: FakeRedisServer.answeringHandshake { _ in .ignore })
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url,
            configuration: .init(connection: .init(commandTimeout: .milliseconds(300)), pool: .init(size: 1)))
        defer { cache.shutdown() }
        let elapsed = await Self.expectFailure([.timeout]) { _ = try await cache.get("k") }
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(20))
    }

    @Test func timesOutWhenTheHandshakeIsNeverAnswered() async throws {
        let server = try FakeRedisServer { _ in .ignore }
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url,
            configuration: .init(connection: .init(commandTimeout: .milliseconds(300)), pool: .init(size: 1)))
        defer { cache.shutdown() }
        await Self.expectFailure([.timeout]) { _ = try await cache.get("k") }
    }

    // MARK: - A real server, killed and stopped

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"))
    func survivesTheServerBeingKilledUnderLoad() async throws {
        var server = try RedisServerProcess()
        let port = server.port
        let options = RedisCache.Configuration(
            connection: .init(commandTimeout: .seconds(2)),
            pool: .init(size: 4, reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(200))))
        let cache = try RedisCache(url: server.url, configuration: options)
        defer { cache.shutdown() }
        try await cache.set("before", Data("x".utf8), ttl: .never)

        let stop = Flag()
        let report = Report()
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<20 {
                    group.addTask {
                        let clock = ContinuousClock()
                        var index = 0
                        while !stop.isSet {
                            index += 1
                            let start = clock.now
                            do {
                                try await cache.set("w\(worker)-\(index)", Data(count: 512), ttl: .seconds(30))
                                _ = try await cache.get("w\(worker)-\(index)")
                                report.success()
                            } catch let error as CacheError {
                                report.failure(error.code, after: clock.now - start)
                                // Fail open, as the client wrapper would: keep going.
                                try? await Task.sleep(for: .milliseconds(5))
                            } catch {
                                report.untyped(error)
                            }
                        }
                    }
                }
            }
        }
        let clock = ContinuousClock()
        let loaded = clock.now + .seconds(10)
        while report.successes < 100, clock.now < loaded {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(report.successes >= 100)
        server.kill()
        try await Task.sleep(for: .milliseconds(500))
        // Same port, fresh server: the pool must reconnect on its own.
        server = try RedisServerProcess(port: port)
        defer { server.stop() }
        let deadline = clock.now + .seconds(15)
        var recovered = false
        while clock.now < deadline {
            if (try? await cache.set("after", Data(), ttl: .never)) != nil {
                recovered = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(recovered)
        let successesBeforeStop = report.successes
        let settled = clock.now + .seconds(10)
        while report.successes < successesBeforeStop + 100, clock.now < settled {
            try await Task.sleep(for: .milliseconds(20))
        }
        stop.set()
        await load.value
        #expect(report.successes > successesBeforeStop, "the load recovers on the new server")
        #expect(report.failures > 0, "some commands were in flight when the server died")
        #expect(report.untypedErrors.isEmpty, "\(report.untypedErrors)")
        #expect(
            report.codes.isSubset(of: [.connectionClosed, .connectionFailed, .timeout, .unavailable]),
            "unexpected codes \(report.codes)")
        // Every failure came back within the command timeout (plus scheduling slack), none hung.
        #expect(report.slowestFailure < .seconds(15), "slowest failure \(report.slowestFailure)")
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"))
    func timesOutWhileTheServerIsStopped() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        // Without the breaker, which would skip the server after the first timeout (RedisBreakerTests).
        let options = RedisCache.Configuration(
            connection: .init(commandTimeout: .milliseconds(300)),
            pool: .init(size: 1, reconnectBackoff: .init(initial: .milliseconds(20), maximum: .milliseconds(100))),
            breaker: .disabled)
        let cache = try RedisCache(url: server.url, configuration: options)
        defer { cache.shutdown() }
        try await cache.set("k", Data("v".utf8), ttl: .never)
        server.signal(SIGSTOP)
        let elapsed = await Self.expectFailure([.timeout]) { _ = try await cache.get("k") }
        #expect(elapsed < .seconds(20))
        // A new connection is accepted by the kernel, but its handshake times out too.
        await Self.expectFailure([.timeout, .connectionFailed]) { _ = try await cache.get("k") }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    await Self.expectFailure([.timeout, .connectionFailed, .unavailable]) {
                        _ = try await cache.get("k")
                    }
                }
            }
        }
        server.signal(SIGCONT)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        var value: Data?
        while clock.now < deadline, value == nil {
            value = try? await cache.get("k")
            if value == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(value == Data("v".utf8))
    }

    @Test(.enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"))
    func cancelledCommandsEndAtOnceAndTheirRepliesAreDropped() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let cache = try RedisCache(
            url: server.url, configuration: .init(connection: .init(commandTimeout: .seconds(30)), pool: .init(size: 1))
        )
        defer { cache.shutdown() }
        for index in 0..<20 { try await cache.set("k\(index)", Data("v\(index)".utf8), ttl: .never) }
        server.signal(SIGSTOP)
        let gets = (0..<20).map { index in Task { try await cache.get("k\(index)") } }
        // Every GET is written to the socket and waits for a reply the stopped server cannot send.
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        let start = clock.now
        for index in stride(from: 0, to: 20, by: 2) { gets[index].cancel() }
        for index in stride(from: 0, to: 20, by: 2) {
            do {
                let value = try await gets[index].value
                Issue.record("a cancelled GET returned \(String(describing: value))")
            } catch is CancellationError {
            } catch {
                Issue.record("a cancelled GET threw \(error), not CancellationError")
            }
        }
        #expect(clock.now - start < .seconds(15), "cancelled commands end long before the 30 s timeout")
        server.signal(SIGCONT)
        // The replies to the cancelled GETs still arrive and are dropped; each other GET gets its own.
        for index in stride(from: 1, to: 20, by: 2) {
            #expect(try await gets[index].value == Data("v\(index)".utf8))
        }
        #expect(try await cache.get("k0") == Data("v0".utf8))
        let alreadyCancelled = Task {
            while !Task.isCancelled { await Task.yield() }
            return try await cache.get("k0")
        }
        alreadyCancelled.cancel()
        await #expect(throws: CancellationError.self) { try await alreadyCancelled.value }
    }
}

/// A flag set once, read from many tasks.
fileprivate final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Counts calls from many threads.
fileprivate final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    /// Adds one and returns the new count.
    func increment() -> Int {
        lock.withLock {
            value += 1; return value
        }
    }
}

/// What a load test saw.
fileprivate final class Report: @unchecked Sendable {
    private let lock = NSLock()
    private var successCount = 0
    private var failureCount = 0
    private var seenCodes: Set<CacheError.Code> = []
    private var slowest = Duration.zero
    private var untyped: [String] = []

    var successes: Int { lock.withLock { successCount } }
    var failures: Int { lock.withLock { failureCount } }
    var codes: Set<CacheError.Code> { lock.withLock { seenCodes } }
    var slowestFailure: Duration { lock.withLock { slowest } }
    var untypedErrors: [String] { lock.withLock { untyped } }

    func success() { lock.withLock { successCount += 1 } }

    func failure(_ code: CacheError.Code, after elapsed: Duration) {
        lock.withLock {
            failureCount += 1
            seenCodes.insert(code)
            slowest = max(slowest, elapsed)
        }
    }

    func untyped(_ error: any Error) { lock.withLock { untyped.append(String(describing: error)) } }
}
