// A scripted stand-in for Redis on loopback: it decodes each command it receives and answers with whatever
// bytes the test chooses, including malformed, truncated or no replies at all.

import Foundation

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP server on 127.0.0.1 that answers each command as its handler says.
final class FakeRedisServer: @unchecked Sendable {
    /// What to do after receiving one command.
    enum Action: Sendable {
        /// Send these bytes.
        case reply([UInt8])
        /// Send these bytes, then close the connection.
        case replyAndClose([UInt8])
        /// Close the connection without replying.
        case close
        /// Do nothing: the client waits.
        case ignore
    }

    /// The port the server listens on.
    let port: Int
    private let listener: Int32
    private let handler: @Sendable ([String]) -> Action
    /// Sent, before closing, in answer to the first bytes of every connection, whatever they are.
    private let rawAnswer: [UInt8]?
    private let lock = NSLock()
    /// Descriptors of open client connections; closed ones are removed under the lock before closing,
    /// so that ``stop()`` never shuts down a descriptor number the process has since reused.
    private var clients: Set<Int32> = []
    private var accepted = 0
    private var listenerOpen = true
    private var commands: [[String]] = []
    private var bytes: [UInt8] = []
    private var stopped = false

    /// The URL of the server.
    var url: String { "redis://127.0.0.1:\(port)" }

    /// Every command received so far, across connections, in arrival order.
    var receivedCommands: [[String]] { lock.withLock { commands } }

    /// Every byte received so far, across connections.
    var receivedBytes: [UInt8] { lock.withLock { bytes } }

    /// The number of connections accepted so far.
    var connectionCount: Int { lock.withLock { accepted } }

    /// Starts listening; `handler` is called on a server thread for every command.
    ///
    /// - Parameters:
    ///   - rawAnswer: When set, the answer to a connection's first bytes (decoded or not), after which
    ///     the connection is closed: a server that speaks some other protocol.
    ///   - handler: Maps a command (its arguments as text) to what to do.
    init(rawAnswer: [UInt8]? = nil, handler: @escaping @Sendable ([String]) -> Action) throws {
        self.handler = handler
        self.rawAnswer = rawAnswer
        let listener = socket(AF_INET, RedisServerProcess.streamType, 0)
        self.listener = listener
        guard listener >= 0 else { throw RedisTestServerError("socket() failed") }
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = RedisServerProcess.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw RedisTestServerError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit {
        stop()
    }

    /// A handler that answers HELLO, CLIENT, SELECT and AUTH like Redis and everything else with `reply`.
    static func answeringHandshake(
        then reply: @escaping @Sendable ([String]) -> Action
    ) -> @Sendable ([String]) -> Action {
        { command in
            switch command.first?.uppercased() {
            case "HELLO": .reply(Array("%1\r\n$5\r\nproto\r\n:3\r\n".utf8))
            case "CLIENT", "SELECT", "AUTH": .reply(Array("+OK\r\n".utf8))
            default: reply(command)
            }
        }
    }

    /// Stops accepting and closes every connection.
    func stop() {
        let first = lock.withLock { () -> Bool in
            guard !stopped else { return false }
            stopped = true
            for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
            if listenerOpen { shutdown(listener, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        // Not every platform wakes accept() on shutdown; a last connection does.
        _ = RedisServerProcess.canConnect(port: port)
    }

    private func acceptLoop() {
        defer {
            lock.withLock {
                listenerOpen = false
                close(listener)
            }
        }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let admitted = lock.withLock { () -> Bool in
                guard !stopped else { return false }
                clients.insert(client)
                accepted += 1
                return true
            }
            guard admitted else {
                close(client)
                return
            }
            #if canImport(Darwin)
                var one: Int32 = 1
                setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let thread = Thread { [self] in serve(client) }
            thread.start()
        }
    }

    private func serve(_ client: Int32) {
        defer {
            lock.withLock {
                clients.remove(client)
                close(client)
            }
        }
        var decoder = RESPDecoder()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            lock.withLock { bytes.append(contentsOf: buffer[0..<count]) }
            if let rawAnswer {
                send(rawAnswer, to: client)
                shutdown(client, Int32(SHUT_RDWR))
                return
            }
            buffer.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            while let value = try? decoder.next() {
                let command = (value.elements ?? []).map { $0.string ?? "" }
                lock.withLock { commands.append(command) }
                switch handler(command) {
                case .reply(let reply):
                    send(reply, to: client)
                case .replyAndClose(let reply):
                    send(reply, to: client)
                    shutdown(client, Int32(SHUT_RDWR))
                    return
                case .close:
                    shutdown(client, Int32(SHUT_RDWR))
                    return
                case .ignore:
                    break
                }
            }
        }
    }

    private func send(_ reply: [UInt8], to client: Int32) {
        var offset = 0
        while offset < reply.count {
            let sent = reply.withUnsafeBytes { raw in
                #if canImport(Glibc)
                    Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                    Darwin.send(client, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
            }
            guard sent > 0 else { return }
            offset += sent
        }
    }
}
