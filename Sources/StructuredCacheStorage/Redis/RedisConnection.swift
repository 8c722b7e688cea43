// One connection to a Redis server: commands from many tasks pipelined on one socket, replies matched to
// them in order by a reader thread of its own, deadlines kept by a Dispatch timer.

import Dispatch
import Foundation
import StructuredCacheSupport
import Synchronization

/// A connection to Redis that pipelines commands from any number of concurrent tasks.
///
/// ## Threading
/// - **Writes** happen on the caller's thread, inside ``send(_:)``: the encoded command is appended to
///   the outgoing buffer under a lock, and whichever caller finds no write in progress sends the whole
///   buffer with a non-blocking `send`, looping until no more commands have been queued meanwhile.
///   Concurrent callers thus batch into few system calls, and a lone caller pays no thread hop. If the
///   socket's send buffer is full (`EAGAIN`), the rest is handed to a Dispatch write source, so no
///   thread of Swift's cooperative pool ever waits on the socket.
/// - **Reads** happen on a dedicated thread that blocks in `recv`, decodes every complete reply, and
///   resumes the waiting commands' continuations in FIFO order. A dedicated thread avoids the extra
///   thread hops of Dispatch read sources, which on Linux cost more than the loopback round trip.
/// - **TLS**, when configured, runs its handshake on the dedicated thread right after connecting,
///   within the connect timeout. Then the writer seals the queued commands into records just before
///   sending them (one writer at a time, so records go out in command order), and the reader opens
///   the records it receives before decoding. The socket I/O stays the connection's own.
/// - **Timeouts**: every command carries a deadline. One Dispatch timer per connection is armed for the
///   oldest outstanding command and re-armed lazily, so a busy connection does not touch the timer per
///   command. When a deadline passes, the connection is closed: replies still in flight could no longer
///   be matched to their commands, and a server that misses one deadline is presumed stuck.
///
/// ## Cancellation
/// A command whose task is cancelled throws `CancellationError` at once. Its entry stays in the queue
/// without a continuation, so that the reply still on its way is matched to it and dropped, and the
/// replies after it still reach their own commands.
///
/// ## Failure
/// When the server closes the socket, a read or write fails, a reply cannot be decoded, or a deadline
/// passes, ``close(_:)`` fails every outstanding command with a typed ``CacheError`` and shuts the
/// socket down (waking the reader thread). The descriptor itself is closed in `deinit`, once the reader
/// thread and any writer have let go, so a descriptor number is never reused under their feet.
final class RedisConnection: @unchecked Sendable {
    private struct Pending {
        /// `nil` once the command's task was cancelled: its reply is then read and dropped.
        var continuation: UnsafeContinuation<RESPValue, any Error>?
        let deadline: UInt64
        let id: UInt64
    }

    private struct State {
        var pending = RedisQueue<Pending>()
        var outbound: [UInt8] = []
        /// Whether some thread (a caller in ``flush()``, or the write source) is writing `outbound`.
        var flushing = false
        /// Whether the TLS session queued records of its own (such as a key update) that the writer
        /// must send.
        var tlsOutputPending = false
        var timerArmed = false
        var closeError: CacheError?
        var writeInProgress: WriteProgress?
    }

    /// The configuration this connection was opened with.
    let configuration: RedisConfiguration

    private let fd: Int32
    private let state = Lock(State())
    private let closedFlag = Atomic<Bool>(false)
    private let negotiatedRESP3 = Atomic<Bool>(false)
    private let nextCommandID = Atomic<UInt64>(0)
    /// The number of commands waiting for a reply, as of the last change to the queue.
    private let outstanding = Atomic<Int>(0)
    private let queue = DispatchQueue(label: "StructuredCache.RedisConnection")
    private let timer: any DispatchSourceTimer
    private let commandTimeoutNanoseconds: UInt64
    /// The TLS session, or `nil` for a plain connection.
    private let tls: RedisTLSSession?
    /// Called on the reader thread with each RESP3 push (pub/sub messages among them), which answers no
    /// command; pushes are dropped without one.
    private let onPush: (@Sendable (RESPValue) -> Void)?

    // Touched only by the reader thread.
    private var decoder: RESPDecoder
    private var replies: [RESPValue] = []
    private var answered: [Pending] = []

    private init(
        fd: Int32, configuration: RedisConfiguration, tls: RedisTLSSession?,
        onPush: (@Sendable (RESPValue) -> Void)?
    ) {
        self.fd = fd
        self.tls = tls
        self.onPush = onPush
        self.configuration = configuration
        self.decoder = RESPDecoder(limits: configuration.decoderLimits)
        self.commandTimeoutNanoseconds = Self.nanoseconds(configuration.commandTimeout)
        self.timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in self?.checkDeadlines() }
        timer.schedule(deadline: .distantFuture, repeating: .never)
        timer.activate()
    }

    deinit {
        timer.cancel()
        POSIXFile.close(fd)
    }

    /// Whether the connection has been closed; closed connections fail every command.
    var isClosed: Bool { closedFlag.load(ordering: .acquiring) }

    /// Whether the handshake switched the connection to RESP3 (`HELLO 3` succeeded).
    var speaksRESP3: Bool { negotiatedRESP3.load(ordering: .acquiring) }

    /// Whether no command is waiting for its reply (a hint: it may change at any moment).
    var isIdle: Bool { outstanding.load(ordering: .relaxed) == 0 }

    // MARK: - Opening

    /// Opens a connection and runs the handshake: `HELLO 3` (with AUTH and SETNAME) or its RESP2
    /// fallback, then `SELECT` when a database other than 0 is configured.
    ///
    /// - Parameters:
    ///   - configuration: Where and how to connect.
    ///   - onPush: Called on the connection's reader thread with each RESP3 push it receives, such as
    ///     the messages of the channels it subscribed to; `nil` drops them.
    /// - Returns: A ready connection.
    /// - Throws: ``CacheError`` (`connectionFailed`, `timeout`, `authenticationFailed`, `serverError`…),
    ///   without the password even when the server's reply quotes it.
    static func open(
        _ configuration: RedisConfiguration, onPush: (@Sendable (RESPValue) -> Void)? = nil
    ) async throws -> RedisConnection {
        let connection = try await establish(configuration, onPush: onPush)
        do {
            try await connection.handshake()
        } catch {
            // A server, or a proxy in front of it, may quote the password it rejected.
            let failure = (error as? CacheError ?? .connectionFailed("handshake failed", underlying: error))
                .redacted(by: Redactor(secrets: [configuration.password].compactMap { $0 }))
            connection.close(failure)
            throw failure
        }
        return connection
    }

    /// Connects the socket on a new dedicated thread, which then becomes the connection's reader.
    private static func establish(
        _ configuration: RedisConfiguration, onPush: (@Sendable (RESPValue) -> Void)?
    ) async throws -> RedisConnection {
        let outcome = ConnectOutcome()
        let endpoint = configuration.endpoint
        let timeout = configuration.connectTimeout
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            outcome.begin(continuation)
            let deadline = ContinuousClock.now + timeout
            // Name resolution can outlast every socket timeout; this bounds the whole attempt. With TLS it
            // fires a little after the deadline, so that the handshake's own, more telling timeout wins.
            let grace: UInt64 = configuration.tls == nil ? 0 : 250_000_000
            let watchdog = Int(clamping: nanoseconds(timeout) &+ grace)
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(watchdog)) {
                outcome.fail(.timeout("connecting to \(endpoint) took longer than \(timeout)"))
            }
            let thread = Thread {
                let fd: Int32
                do throws(CacheError) {
                    fd = try RedisSocket.connect(to: endpoint, deadline: deadline)
                } catch {
                    outcome.fail(error)
                    return
                }
                let session: RedisTLSSession?
                do throws(CacheError) {
                    session = try startTLS(configuration, fd: fd, deadline: deadline)
                } catch {
                    POSIXFile.close(fd)
                    outcome.fail(error)
                    return
                }
                let connection = RedisConnection(fd: fd, configuration: configuration, tls: session, onPush: onPush)
                if !outcome.succeed(connection) {
                    connection.close(.timeout("connecting to \(endpoint) took longer than \(timeout)"))
                }
                connection.readLoop()
            }
            thread.name = "Redis \(endpoint)"
            thread.start()
        }
        guard let connection = outcome.takeConnection() else {
            throw CacheError.connectionFailed("connecting to \(endpoint) delivered no connection")
        }
        return connection
    }

    /// Runs the TLS handshake on `fd` when the configuration asks for TLS.
    ///
    /// - Returns: The session, or `nil` for a plain connection.
    private static func startTLS(
        _ configuration: RedisConfiguration, fd: Int32, deadline: ContinuousClock.Instant
    ) throws(CacheError) -> RedisTLSSession? {
        guard let options = configuration.tls else { return nil }
        let context: RedisTLSContext
        if let shared = configuration.tlsContext {
            context = shared
        } else {
            context = try RedisTLSContext(options)
        }
        let session = try context.makeSession(
            serverName: configuration.tlsServerName, endpoint: configuration.endpoint.description)
        try session.handshake(fd: fd, deadline: deadline)
        return session
    }

    private func handshake() async throws {
        var needsAuth = configuration.password != nil
        var needsName = configuration.clientName != nil
        if configuration.protocolVersion == .resp3 {
            var arguments = ["HELLO", "3"]
            if let password = configuration.password {
                arguments += ["AUTH", configuration.username ?? "default", password]
            }
            if let name = configuration.clientName {
                arguments += ["SETNAME", name]
            }
            do {
                _ = try await command(arguments)
                needsAuth = false
                needsName = false
                negotiatedRESP3.store(true, ordering: .releasing)
            } catch let error as CacheError where error.code == .serverError {
                if Self.isAuthenticationError(error.message) {
                    throw CacheError.authenticationFailed(error.message)
                }
                // A server before Redis 6 does not know HELLO: carry on in RESP2.
            }
        }
        do {
            if needsAuth, let password = configuration.password {
                do {
                    if let username = configuration.username {
                        _ = try await command(["AUTH", username, password])
                    } else {
                        _ = try await command(["AUTH", password])
                    }
                } catch let error as CacheError where error.code == .serverError {
                    throw CacheError.authenticationFailed(error.message)
                }
            }
            if needsName, let name = configuration.clientName {
                _ = try await command(["CLIENT", "SETNAME", name])
            }
            if configuration.database != 0 {
                _ = try await command(["SELECT", String(configuration.database)])
            }
        } catch let error as CacheError where error.code == .serverError && Self.isAuthenticationError(error.message) {
            throw CacheError.authenticationFailed(error.message)
        }
    }

    private static func isAuthenticationError(_ message: String) -> Bool {
        message.hasPrefix("WRONGPASS") || message.hasPrefix("NOAUTH") || message.hasPrefix("NOPERM")
    }

    // MARK: - Commands

    /// Sends one encoded command and waits for its reply.
    ///
    /// - Parameter command: The command.
    /// - Returns: The reply; an error reply is thrown instead.
    /// - Throws: ``CacheError``: `serverError` for an error reply; `timeout`, `connectionClosed` or
    ///   `protocolError` when the connection fails first. `CancellationError` when the task is
    ///   cancelled (before sending, nothing is sent; after, the reply is dropped when it comes).
    func send(_ command: RESPEncoder) async throws -> RESPValue {
        precondition(command.isComplete, "command has fewer arguments than announced")
        try Task.checkCancellation()
        let bytes = command.bytes
        let id = nextCommandID.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                enqueue(bytes, id, continuation)
                // A cancellation that came before the command was queued found nothing to abandon.
                if Task.isCancelled { abandon(id) }
            }
        } onCancel: {
            abandon(id)
        }
    }

    /// Sends several encoded commands back to back, so that no other task's command can come between
    /// them on this connection (as `ASKING` must come right before the command it applies to), and waits
    /// for every reply.
    ///
    /// - Parameter commands: The commands, in the order the server must run them.
    /// - Returns: Their replies, in the same order.
    /// - Throws: ``CacheError``, as for ``send(_:)``: the first error reply, or the connection's failure.
    ///   `CancellationError` when the task is cancelled before anything is sent.
    func send(_ commands: [RESPEncoder]) async throws -> [RESPValue] {
        precondition(commands.allSatisfy(\.isComplete), "command has fewer arguments than announced")
        try Task.checkCancellation()
        let bytes = commands.flatMap(\.bytes)
        let count = commands.count
        /// The continuations of the batch's commands, as their tasks hand them over.
        final class Batch: Sendable {
            let entries = Lock([(index: Int, continuation: UnsafeContinuation<RESPValue, any Error>)]())
        }
        let batch = Batch()
        // Each command's continuation comes from a child task; the last one to arrive queues them all at once,
        // in the commands' order.
        return try await withThrowingTaskGroup(of: (Int, RESPValue).self) { group in
            for index in 0..<count {
                group.addTask {
                    let reply = try await withUnsafeThrowingContinuation { continuation in
                        let all = batch.entries.withLock { batch -> [UnsafeContinuation<RESPValue, any Error>]? in
                            batch.append((index, continuation))
                            return batch.count == count ? batch.sorted { $0.index < $1.index }.map(\.continuation) : nil
                        }
                        guard let all else { return }
                        let ids = all.map { _ in self.nextCommandID.wrappingAdd(1, ordering: .relaxed).oldValue }
                        self.enqueue(bytes, ids, all)
                    }
                    return (index, reply)
                }
            }
            var replies = [RESPValue](repeating: .null, count: commands.count)
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
    }

    /// Fails the queued command `id` with `CancellationError`, if it still waits for its reply.
    private func abandon(_ id: UInt64) {
        let continuation = state.withLock { state in
            state.pending.updateFirst(where: { $0.id == id }) { pending in
                defer { pending.continuation = nil }
                return pending.continuation
            } ?? nil
        }
        continuation?.resume(throwing: CancellationError())
    }

    /// Sends a command made of text arguments and waits for its reply, whether or not the task is
    /// cancelled meanwhile: the handshake runs on behalf of every task that will share the connection.
    ///
    /// - Parameter arguments: The command name and its arguments.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``, as for ``send(_:)``.
    func command(_ arguments: [String]) async throws -> RESPValue {
        var encoder = RESPEncoder(argumentCount: arguments.count)
        for argument in arguments { encoder.append(argument) }
        let bytes = encoder.bytes
        let id = nextCommandID.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await withUnsafeThrowingContinuation { continuation in
            enqueue(bytes, id, continuation)
        }
    }

    /// Sends a command that the server answers with a RESP3 push instead of a reply, such as `SUBSCRIBE`
    /// on a RESP3 connection; the pushes reach the connection's `onPush`.
    ///
    /// - Parameter command: The command.
    /// - Throws: ``CacheError`` when the connection is closed.
    func sendExpectingNoReply(_ command: RESPEncoder) throws(CacheError) {
        precondition(command.isComplete, "command has fewer arguments than announced")
        let (failure, mustFlush) = queue(command.bytes) { _, _ in }
        if let failure { throw failure }
        if mustFlush { flush() }
    }

    private func enqueue(_ bytes: [UInt8], _ id: UInt64, _ continuation: UnsafeContinuation<RESPValue, any Error>) {
        let (failure, mustFlush) = queue(bytes) { pending, deadline in
            pending.append(Pending(continuation: continuation, deadline: deadline, id: id))
        }
        if let failure {
            continuation.resume(throwing: failure)
        } else if mustFlush {
            flush()
        }
    }

    /// Queues several commands, whose bytes are `bytes`, in one step, as ``enqueue(_:_:_:)`` queues one.
    private func enqueue(_ bytes: [UInt8], _ ids: [UInt64], _ continuations: [UnsafeContinuation<RESPValue, any Error>])
    {
        let (failure, mustFlush) = queue(bytes) { pending, deadline in
            for (id, continuation) in zip(ids, continuations) {
                pending.append(Pending(continuation: continuation, deadline: deadline, id: id))
            }
        }
        if let failure {
            for continuation in continuations { continuation.resume(throwing: failure) }
        } else if mustFlush {
            flush()
        }
    }

    /// Under the lock: adds the commands' entries (with `add`, given their deadline) and bytes to the
    /// queue and arms the timer.
    ///
    /// - Returns: The error to fail them with if the connection is closed, and whether the caller must
    ///   flush (no write was in progress).
    private func queue(
        _ bytes: [UInt8], _ add: (inout RedisQueue<Pending>, UInt64) -> Void
    ) -> (failure: CacheError?, mustFlush: Bool) {
        let deadline = DispatchTime.now().uptimeNanoseconds &+ commandTimeoutNanoseconds
        return state.withLock { state -> (CacheError?, Bool) in
            if let error = state.closeError { return (error, false) }
            add(&state.pending, deadline)
            outstanding.store(state.pending.count, ordering: .relaxed)
            if state.outbound.isEmpty {
                state.outbound = bytes
            } else {
                state.outbound.append(contentsOf: bytes)
            }
            if !state.timerArmed {
                state.timerArmed = true
                timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), repeating: .never)
            }
            if state.flushing { return (nil, false) }
            state.flushing = true
            return (nil, true)
        }
    }

    /// Writes queued commands until none are left, or hands over to a write source when the socket is
    /// full. Only the thread that set `flushing` calls this. Over TLS each batch is sealed here, with
    /// any records the session queued by itself, so records leave in the order they were made.
    private func flush() {
        var chunk: [UInt8] = []
        while true {
            state.withLock { state in
                swap(&chunk, &state.outbound)
                state.tlsOutputPending = false
            }
            if let tls {
                do throws(CacheError) {
                    chunk = try tls.seal(chunk)
                } catch {
                    close(error)
                    return
                }
            }
            var offset = 0
            switch RedisSocket.send(fd, chunk, from: &offset) {
            case .done:
                break
            case .wouldBlock:
                waitUntilWritable(chunk, from: offset)
                return
            case .failed(let code):
                writeFailed(code)
                return
            }
            chunk.removeAll(keepingCapacity: true)
            if !moreToWrite() { return }
        }
    }

    /// After a batch went out: whether more is queued (or the session queued records of its own);
    /// when not, or when the connection closed, the write ends here.
    ///
    /// - Parameter endingWriteSource: Whether a write source was finishing the batch.
    private func moreToWrite(endingWriteSource: Bool = false) -> Bool {
        state.withLock { state -> Bool in
            if endingWriteSource { state.writeInProgress = nil }
            if (state.outbound.isEmpty && !state.tlsOutputPending) || state.closeError != nil {
                state.flushing = false
                return false
            }
            return true
        }
    }

    /// Closes the connection after a failed `send`.
    private func writeFailed(_ code: Int32) {
        if tls != nil {
            // A TLS server that rejects the client (such as its certificate, which TLS 1.3 judges
            // after the handshake) sends an alert before it resets the connection: the reader,
            // woken by the shutdown, reads that alert and closes the connection with its reason.
            RedisSocket.shutdown(fd)
            return
        }
        close(
            .connectionClosed(
                "writing to \(configuration.endpoint) failed",
                underlying: RedisSocketError(operation: "send", code: code)))
    }

    /// Finishes writing `chunk` when the socket can take more, then resumes ``flush()``.
    private func waitUntilWritable(_ chunk: [UInt8], from offset: Int) {
        let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        let progress = WriteProgress(chunk: chunk, offset: offset)
        source.setEventHandler { [self] in
            switch RedisSocket.send(fd, progress.chunk, from: &progress.offset) {
            case .done:
                source.cancel()
                if moreToWrite(endingWriteSource: true) { flush() }
            case .wouldBlock:
                return
            case .failed(let code):
                source.cancel()
                writeFailed(code)
            }
        }
        // Keeps the connection, and so the descriptor, alive until the source is fully torn down.
        source.setCancelHandler { [self] in withExtendedLifetime(self) {} }
        progress.source = source
        let closed = state.withLock { state -> Bool in
            if state.closeError != nil { return true }
            state.writeInProgress = progress
            return false
        }
        source.activate()
        if closed { source.cancel() }
    }

    // MARK: - Reading

    /// The reader thread's loop: receive, decode, answer, until the connection closes.
    private func readLoop() {
        let capacity = 64 * 1024
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { scratch.deallocate() }
        // Whether any reply came yet: a plain connection closed before the first one may have reached a
        // TLS port.
        var repliedOnce = false
        while !isClosed {
            let received = RedisSocket.receive(fd, into: scratch.baseAddress!, count: capacity)
            if received > 0 {
                let bytes = UnsafeRawBufferPointer(rebasing: scratch[0..<received])
                var failure: CacheError?
                var ended = false
                if let tls {
                    do throws(CacheError) {
                        let outcome = try tls.open(bytes) { decoder.append($0) }
                        ended = outcome.closed
                        if outcome.hasOutput { sendTLSOutput() }
                    } catch {
                        failure = error
                    }
                } else {
                    decoder.append(bytes)
                }
                do {
                    while let reply = try decoder.next() {
                        // Out-of-band RESP3 pushes (pub/sub messages, invalidations) answer no command.
                        if case .push = reply {
                            onPush?(reply)
                            continue
                        }
                        replies.append(reply)
                    }
                } catch {
                    failure = failure ?? Self.redisError(error)
                    if !repliedOnce && tls == nil, let first = bytes.first, first == 0x15 || first == 0x16 {
                        // A TLS alert or handshake record.
                        failure = .protocolError(
                            "\(configuration.endpoint) answered with TLS records; the server expects TLS "
                                + "(use a rediss:// URL)", underlying: error)
                    }
                }
                if !replies.isEmpty {
                    repliedOnce = true
                    failure = answer() ?? failure
                }
                if failure == nil && ended {
                    failure = .connectionClosed("\(configuration.endpoint) closed the TLS session")
                }
                if let failure {
                    close(failure)
                    return
                }
            } else if received == 0 {
                close(.connectionClosed(closedMessage(repliedOnce: repliedOnce)))
                return
            } else {
                let code = RedisSocket.lastErrno
                if RedisSocket.isInterrupted(code) { continue }
                if code == ECONNRESET && !repliedOnce && tls == nil {
                    close(
                        .connectionClosed(
                            closedMessage(repliedOnce: false),
                            underlying: RedisSocketError(operation: "recv", code: code)))
                    return
                }
                close(
                    .connectionClosed(
                        "reading from \(configuration.endpoint) failed",
                        underlying: RedisSocketError(operation: "recv", code: code)))
                return
            }
        }
    }

    /// What the error says when the server closes the connection.
    private func closedMessage(repliedOnce: Bool) -> String {
        if !repliedOnce && tls == nil {
            return "\(configuration.endpoint) closed the connection before replying; the server may expect TLS "
                + "(use a rediss:// URL)"
        }
        return "\(configuration.endpoint) closed the connection"
    }

    /// Has the writer send the records the TLS session queued by itself, after whatever it is sending:
    /// only one thread sends at a time, so records never interleave.
    private func sendTLSOutput() {
        let mustFlush = state.withLock { state -> Bool in
            guard state.closeError == nil else { return false }
            state.tlsOutputPending = true
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if mustFlush { flush() }
    }

    /// Resumes the oldest outstanding commands with `replies`, in order.
    ///
    /// - Returns: An error if the server sent more replies than there were commands.
    private func answer() -> CacheError? {
        let count = replies.count
        let unsolicited = state.withLock { state -> Bool in
            // After close() every outstanding command has been failed already.
            guard state.closeError == nil else { return false }
            let matched = min(count, state.pending.count)
            for _ in 0..<matched {
                answered.append(state.pending.popFirst()!)
            }
            outstanding.store(state.pending.count, ordering: .relaxed)
            return matched < count
        }
        for (pending, reply) in zip(answered, replies) {
            guard let continuation = pending.continuation else { continue }
            if case .error(let message) = reply {
                continuation.resume(throwing: CacheError.serverError(message))
            } else {
                continuation.resume(returning: reply)
            }
        }
        answered.removeAll(keepingCapacity: true)
        replies.removeAll(keepingCapacity: true)
        return unsolicited ? .protocolError("\(configuration.endpoint) sent a reply to no command") : nil
    }

    private static func redisError(_ error: RESPDecodingError) -> CacheError {
        if error.code == .replyTooLarge {
            return CacheError(code: .valueTooLarge, message: "reply too large: \(error.message)", underlying: error)
        }
        return .protocolError("malformed reply: \(error.message)", underlying: error)
    }

    // MARK: - Deadlines and closing

    private func checkDeadlines() {
        let now = DispatchTime.now().uptimeNanoseconds
        let expired = state.withLock { state -> Bool in
            guard state.closeError == nil, let oldest = state.pending.first else {
                state.timerArmed = false
                return false
            }
            if oldest.deadline <= now { return true }
            timer.schedule(deadline: DispatchTime(uptimeNanoseconds: oldest.deadline), repeating: .never)
            return false
        }
        if expired {
            close(.timeout("\(configuration.endpoint) did not reply within \(configuration.commandTimeout)"))
        }
    }

    /// Closes the connection: fails every outstanding command with `error` and wakes the reader thread.
    /// Later commands fail with the same error. Closing twice has no further effect.
    ///
    /// - Parameter error: What the outstanding commands fail with.
    func close(_ error: CacheError) {
        let (first, victims, write) = state.withLock { state -> (Bool, [Pending], WriteProgress?) in
            guard state.closeError == nil else { return (false, [], nil) }
            state.closeError = error
            let write = state.writeInProgress
            state.writeInProgress = nil
            outstanding.store(0, ordering: .relaxed)
            return (true, state.pending.removeAll(), write)
        }
        guard first else { return }
        closedFlag.store(true, ordering: .releasing)
        RedisSocket.shutdown(fd)
        write?.source?.cancel()
        timer.cancel()
        for pending in victims {
            pending.continuation?.resume(throwing: error)
        }
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(max(0, duration.nanoseconds()))
    }
}

/// A partly written chunk, owned by one write source on the connection's queue.
private final class WriteProgress: @unchecked Sendable {
    let chunk: [UInt8]
    var offset: Int
    var source: (any DispatchSourceWrite)?

    init(chunk: [UInt8], offset: Int) {
        self.chunk = chunk
        self.offset = offset
    }
}

/// The outcome of a connection attempt, settled once by whichever comes first: the connecting thread
/// or the timeout.
private final class ConnectOutcome: Sendable {
    private struct State {
        var continuation: UnsafeContinuation<Void, any Error>?
        var connection: RedisConnection?
    }

    private let state = Lock(State())

    func begin(_ continuation: UnsafeContinuation<Void, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Delivers the connection; returns `false` if the attempt had already failed (timed out).
    ///
    /// The connection is handed over through the lock rather than through the continuation, so the
    /// waiting task acquires the lock the connecting thread released after building it: the
    /// happens-before edge is a plain mutex, which ThreadSanitizer checks.
    func succeed(_ connection: RedisConnection) -> Bool {
        let continuation = state.withLock { state -> UnsafeContinuation<Void, any Error>? in
            guard let continuation = state.continuation.take() else { return nil }
            state.connection = connection
            return continuation
        }
        guard let continuation else { return false }
        continuation.resume()
        return true
    }

    func fail(_ error: CacheError) {
        state.withLock { $0.continuation.take() }?.resume(throwing: error)
    }

    /// The connection `succeed` delivered (read by the task that waited for it).
    func takeConnection() -> RedisConnection? {
        state.withLock { $0.connection.take() }
    }
}
