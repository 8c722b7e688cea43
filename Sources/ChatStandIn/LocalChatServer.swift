// A real HTTP/1.1 server on 127.0.0.1 for tests of chat providers and clients: it records every
// request and answers from a per-test script, on its own threads (never Swift's cooperative pool).

import Dispatch
package import Foundation
package import StructuredCache
import Synchronization

/// A loopback HTTP/1.1 server that speaks the chat completions API as a test scripts it.
///
/// ```swift
/// let server = try LocalChatServer(replies: [.rateLimited(retryAfter: "0"), .completion(content: "hi")])
/// defer { server.stop() }
/// let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test")
/// let completion = try await provider.complete(ChatRequest(model: "gpt-test", messages: [.user("Hi")]))
/// #expect(server.requestCount == 2 && server.requests[0].json?["model"] == "gpt-test")
/// ```
///
/// Replies come from a queue (consumed in order; when it runs out, `otherwise` answers, by default
/// a 500 saying so) or from a closure that sees each request. Each connection has its own thread;
/// connections are kept alive between requests, as URLSession expects. ``stop()`` wakes every thread
/// (a waiting client gets its connection closed, never a hang) and returns at once; ``shutDown()``
/// also waits until every thread has exited and every descriptor is closed. Dropping the last
/// reference stops the server too.
package final class LocalChatServer: Sendable {
    /// A request as the server read it.
    package struct RecordedRequest: Sendable {
        /// The method (`POST`).
        package var method: String
        /// The request target: path and query (`/v1/chat/completions?api-version=1`).
        package var target: String
        /// The headers in the order sent.
        package var headers: [Header]
        /// The body bytes.
        package var body: [UInt8]
        /// Which connection carried it (1 for the first accepted connection).
        package var connection: Int

        /// The path without the query.
        package var path: String { String(target.prefix { $0 != "?" }) }

        /// The query, without `?`.
        package var query: String? { target.firstIndex(of: "?").map { String(target[target.index(after: $0)...]) } }

        /// The body as JSON, when it is JSON.
        package var json: JSONValue? { try? JSONValue(parsing: body) }

        /// The token of an `Authorization: Bearer <token>` header, if the request sent one.
        package var bearerToken: String? {
            guard let value = header("Authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
            return String(value.dropFirst("bearer ".count))
        }

        /// The value of header `name` (case-insensitive), the first when repeated.
        package func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }
    }

    /// The base URL to give a provider: `http://127.0.0.1:<port>/v1`.
    package let baseURL: URL
    /// The port the server listens on.
    package let port: UInt16

    private let core: ServerCore

    /// Starts a server answering from a queue of replies.
    ///
    /// - Parameters:
    ///   - replies: Answers to the first requests, in order.
    ///   - otherwise: The answer once the queue is empty; by default a 500 naming the request.
    /// - Throws: A socket error when the server cannot listen.
    package init(replies: [Reply] = [], otherwise: Reply? = nil) throws {
        core = try ServerCore(script: .queue(replies, otherwise: otherwise))
        port = core.port
        baseURL = URL(string: "http://127.0.0.1:\(core.port)/v1")!
        core.start()
    }

    /// Starts a server whose answers `handler` chooses.
    ///
    /// - Parameter handler: Called (on a server thread) with each request.
    /// - Throws: A socket error when the server cannot listen.
    package init(handler: @escaping @Sendable (RecordedRequest) -> Reply) throws {
        core = try ServerCore(script: .handler(handler))
        port = core.port
        baseURL = URL(string: "http://127.0.0.1:\(core.port)/v1")!
        core.start()
    }

    deinit {
        core.stop()
    }

    /// Runs `body` with a fresh server, and shuts the server down afterwards, even when `body` throws.
    package static func with<Result>(
        replies: [Reply] = [], otherwise: Reply? = nil, _ body: (LocalChatServer) async throws -> Result
    ) async throws -> Result {
        try await run(try LocalChatServer(replies: replies, otherwise: otherwise), body)
    }

    /// Runs `body` with a fresh server answering through `handler`, and shuts the server down afterwards.
    package static func with<Result>(
        handler: @escaping @Sendable (RecordedRequest) -> Reply, _ body: (LocalChatServer) async throws -> Result
    ) async throws -> Result {
        try await run(try LocalChatServer(handler: handler), body)
    }

    private static func run<Result>(
        _ server: LocalChatServer, _ body: (LocalChatServer) async throws -> Result
    ) async throws -> Result {
        do {
            let result = try await body(server)
            await server.shutDown()
            return result
        } catch {
            await server.shutDown()
            throw error
        }
    }

    /// Adds replies to the end of the queue.
    package func enqueue(_ replies: Reply...) {
        core.enqueue(replies)
    }

    /// Every request so far, in the order they arrived.
    package var requests: [RecordedRequest] { core.snapshot.requests }

    /// How many requests arrived.
    package var requestCount: Int { core.snapshot.requests.count }

    /// How many connections were accepted.
    package var connectionCount: Int { core.snapshot.connections }

    /// How many replies the client walked away from: it closed the connection while the server was
    /// still waiting to answer or still streaming.
    package var abandonedReplies: Int { core.snapshot.abandoned }

    /// Waits until `condition` holds, checking every few milliseconds, for at most `timeout` of
    /// checking (a does-not-hang bound).
    ///
    /// Time this task spends waiting for a thread is not counted. Swift Testing starts every test at
    /// once on a pool of one thread per core, and on a loaded machine other tests' work can keep that
    /// pool busy for longer than `timeout`; what `condition` waits for (the task that sends a request,
    /// URLSession's queues) waits in the same pool, queued with this task. A wait that counted that
    /// time would give up at its first check after the pool freed up, before that work had its turn.
    /// So each check counts for at most twice the pause it asked for, and the wait gives up anyway
    /// after ten times `timeout` in all.
    ///
    /// - Parameters:
    ///   - timeout: How long checking may go on.
    ///   - clock: What measures the time.
    ///   - condition: What to wait for.
    /// - Returns: Whether it held in time; when the task is cancelled, at once whether it holds.
    @discardableResult
    package func wait<C: Clock<Duration>>(
        timeout: Duration = .seconds(30), clock: C = ContinuousClock(),
        until condition: @Sendable (LocalChatServer) -> Bool
    ) async -> Bool {
        let pause = Duration.milliseconds(5)
        let giveUp = clock.now.advanced(by: timeout * 10)
        var remaining = timeout
        while !condition(self) {
            guard remaining > .zero, clock.now < giveUp else { return false }
            let asleep = clock.now
            do {
                try await clock.sleep(for: pause)
            } catch {
                return condition(self)
            }
            remaining -= min(asleep.duration(to: clock.now), pause * 2)
        }
        return true
    }

    /// Stops accepting and closes every connection; returns without waiting for the threads.
    package func stop() {
        core.stop()
    }

    /// Stops the server and waits until its threads have exited and its descriptors are closed.
    package func shutDown() async {
        core.stop()
        await core.waitUntilStopped()
    }
}

/// The state the server's threads share.
package final class ServerCore: Sendable {
    package enum Script: Sendable {
        case queue([LocalChatServer.Reply], otherwise: LocalChatServer.Reply?)
        case handler(@Sendable (LocalChatServer.RecordedRequest) -> LocalChatServer.Reply)
    }

    package struct Snapshot: Sendable {
        package var requests: [LocalChatServer.RecordedRequest] = []
        package var connections = 0
        package var abandoned = 0
    }

    private struct State {
        var snapshot = Snapshot()
        var queue: [LocalChatServer.Reply]
        var stopping = false
        var openConnections: Set<Int32> = []
    }

    package let port: UInt16
    package let wakeRead: Int32
    private let wakeWrite: Int32
    private let listener: Int32
    private let script: Script
    private let state: Lock<State>
    private let threads = DispatchGroup()

    package init(script: Script) throws {
        let (listener, port) = try LoopbackSocket.listen()
        let wake: (read: Int32, write: Int32)
        do {
            wake = try LoopbackSocket.makeWakePipe()
        } catch {
            LoopbackSocket.closeDescriptor(listener)
            throw error
        }
        self.listener = listener
        self.port = port
        wakeRead = wake.read
        wakeWrite = wake.write
        self.script = script
        if case .queue(let replies, _) = script {
            state = Lock(State(queue: replies))
        } else {
            state = Lock(State(queue: []))
        }
    }

    package var snapshot: Snapshot { state.withLock { $0.snapshot } }

    package func start() {
        spawn(name: "LocalChatServer.accept") { [self] in acceptLoop() }
    }

    package func enqueue(_ replies: [LocalChatServer.Reply]) {
        state.withLock { $0.queue += replies }
    }

    package func stop() {
        let first = state.withLock { state -> Bool in
            guard !state.stopping else { return false }
            state.stopping = true
            // Threads blocked in a send or receive wake up when their socket is shut down. Under the lock,
            // as connections are closed under it: once the lock is released, a number in the set may
            // already belong to someone else's socket.
            for fd in state.openConnections { LoopbackSocket.shutdownBoth(fd) }
            return true
        }
        guard first else { return }
        LoopbackSocket.signal(wakeWrite)
    }

    package func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.notify(queue: .global()) { continuation.resume() }
        }
    }

    deinit {
        // Every thread holds the core, so by now they have all exited.
        LoopbackSocket.closeDescriptor(wakeRead)
        LoopbackSocket.closeDescriptor(wakeWrite)
    }

    private func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
    }

    private func acceptLoop() {
        defer { LoopbackSocket.closeDescriptor(listener) }
        while true {
            switch LoopbackSocket.wait(for: listener, wake: wakeRead, milliseconds: -1) {
            case .stopping: return
            case .elapsed, .clientClosed, .readable: break
            }
            guard let fd = LoopbackSocket.accept(listener) else { continue }
            let number = state.withLock { state -> Int? in
                guard !state.stopping else { return nil }
                state.snapshot.connections += 1
                state.openConnections.insert(fd)
                return state.snapshot.connections
            }
            guard let number else {
                LoopbackSocket.closeDescriptor(fd)
                return
            }
            spawn(name: "LocalChatServer.connection.\(number)") { [self] in
                ServerConnection(fd: fd, number: number, core: self).run()
                state.withLock { state in
                    state.openConnections.remove(fd)
                    // Closed under the lock, so `stop` never shuts down a descriptor number reused since.
                    LoopbackSocket.closeDescriptor(fd)
                }
            }
        }
    }

    /// Records a request and picks its reply.
    package func reply(to request: LocalChatServer.RecordedRequest) -> LocalChatServer.Reply {
        let queued = state.withLock { state -> LocalChatServer.Reply? in
            state.snapshot.requests.append(request)
            guard case .queue(_, let otherwise) = script else { return nil }
            if !state.queue.isEmpty { return state.queue.removeFirst() }
            return otherwise
                ?? .error(
                    status: 500,
                    message: "LocalChatServer has no reply scripted for request \(state.snapshot.requests.count)",
                    type: "server_error")
        }
        if let queued { return queued }
        guard case .handler(let handler) = script else { preconditionFailure("a queue script always answers") }
        return handler(request)
    }

    package func noteAbandoned() {
        state.withLock { $0.snapshot.abandoned += 1 }
    }
}
