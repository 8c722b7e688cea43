// A fixed set of connection slots shared by every task: connections are opened lazily, replaced when they
// drop, and not retried until a backoff has passed after a failed attempt.

import Dispatch
import StructuredCacheSupport
import Synchronization

/// Hands out connections to Redis from a fixed number of slots.
///
/// A command goes to the first connected slot with no command outstanding, so that a lone task keeps
/// using one connection, whose reader thread is then polling for its replies; when every connection
/// is busy, commands are spread over the slots round-robin. Each slot's connection pipelines whatever
/// lands on it, so a handful of connections serves thousands of concurrent tasks. A slot connects on first
/// use; concurrent users of a connecting slot wait for that one attempt rather than starting their
/// own. When a connection drops, the next use of its slot reconnects at once; when an attempt fails,
/// the slot waits out an exponential backoff, during which its users are served by another slot that
/// is connected or, failing that, get ``CacheError/Code/connectionFailed`` immediately — so a dead
/// server costs callers one quick error each, not a connect timeout each.
///
/// The pool is one server's: it carries that server's ``RedisCircuitBreaker``. Once the breaker has
/// opened, commands fail at once with ``CacheError/Code/unavailable``, and a probe (a new connection
/// and a `PING`, one at a time, every ``RedisCache/Configuration/CircuitBreaker/probeInterval``)
/// checks the server; the first probe that succeeds hands its connection to a slot, ends every
/// slot's backoff and closes the breaker, so recovery does not wait for a command or a backoff.
final class RedisConnectionPool: Sendable {
    private enum SlotState {
        case idle(failures: Int, retryAt: UInt64, lastError: CacheError?)
        case connecting(failures: Int, waiters: [UnsafeContinuation<RedisConnection?, any Error>])
        case ready(RedisConnection)
        case shutDown
    }

    private enum Step {
        case use(RedisConnection)
        case connect(failures: Int)
        case wait
        case backingOff(CacheError)
    }

    /// The configuration every connection is opened with.
    let configuration: RedisConfiguration
    /// One connection's place in the pool.
    private final class Slot: Sendable {
        let state = Lock(SlotState.idle(failures: 0, retryAt: 0, lastError: nil))
    }

    private let slots: [Slot]
    private let nextSlot = Atomic<Int>(0)
    private let open: @Sendable (RedisConfiguration) async throws -> RedisConnection
    /// This server's breaker.
    let breaker: RedisCircuitBreaker
    private let observers: RedisHealthObservers?
    private let isShutDown = Atomic<Bool>(false)

    /// Creates a pool; no connection is opened until one is needed.
    ///
    /// - Parameters:
    ///   - configuration: Where and how to connect, and how many slots to keep.
    ///   - observers: Told when the breaker opens or closes.
    ///   - open: Opens one connection; tests substitute their own.
    init(
        configuration: RedisConfiguration,
        observers: RedisHealthObservers? = nil,
        open: @escaping @Sendable (RedisConfiguration) async throws -> RedisConnection = {
            try await RedisConnection.open($0)
        }
    ) {
        self.configuration = configuration
        self.slots = (0..<configuration.poolSize).map { _ in Slot() }
        self.open = open
        self.observers = observers
        self.breaker = RedisCircuitBreaker(threshold: configuration.breaker.failureThreshold)
    }

    /// Sends a command on a pooled connection and waits for its reply.
    ///
    /// - Parameter command: The encoded command.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``: `unavailable` at once while the breaker is open; `permissionDenied`
    ///   for a `NOPERM` reply, naming the ACL user and the key prefix; whatever the connection threw.
    func send(_ command: RESPEncoder) async throws -> RESPValue {
        if breaker.isOpen { throw unavailableError() }
        do {
            let reply = try await connection().send(command)
            breaker.recordSuccess()
            return reply
        } catch let error as CacheError {
            throw noted(error)
        }
    }

    /// The server's state, for ``RedisCache/health``.
    var health: CacheHealth {
        if let (since, error) = breaker.openState {
            let seconds = (ContinuousClock.now - since).components.seconds
            return CacheHealth(
                server: configuration.endpoint.description, isAvailable: false,
                reason: "skipped for \(seconds) s after: \(error.message)", error: error)
        }
        return CacheHealth(server: configuration.endpoint.description, isAvailable: true, reason: "in use")
    }

    /// Returns a ready connection, opening one if its slot has none.
    ///
    /// - Returns: A connection that was open when it was handed out.
    /// - Throws: ``CacheError``: `connectionFailed` during backoff, or whatever opening a connection
    ///   threw; `shutDown` after ``shutdown()``.
    func connection() async throws -> RedisConnection {
        if let idle = readyConnection(idle: true) { return idle }
        let index = Int(UInt(bitPattern: nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue) % UInt(slots.count))
        let slot = slots[index]
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let step = try slot.state.withLock { state throws(CacheError) -> Step in
                switch state {
                case .ready(let connection) where !connection.isClosed:
                    return .use(connection)
                case .ready:
                    state = .connecting(failures: 0, waiters: [])
                    return .connect(failures: 0)
                case .idle(let failures, let retryAt, let lastError):
                    if now < retryAt, let lastError {
                        let wait = (retryAt - now) / 1_000_000
                        return .backingOff(
                            .connectionFailed(
                                "not reconnecting to \(configuration.endpoint) for another \(wait) ms after: "
                                    + lastError.message,
                                underlying: lastError))
                    }
                    state = .connecting(failures: failures, waiters: [])
                    return .connect(failures: failures)
                case .connecting:
                    return .wait
                case .shutDown:
                    throw .shutDown
                }
            }
            switch step {
            case .use(let connection):
                return connection
            case .connect(let failures):
                return try await connect(slot, failures: failures)
            case .wait:
                if let connection = try await waitForConnection(slot) { return connection }
            case .backingOff(let error):
                if let other = readyConnection(idle: false) { return other }
                throw error
            }
        }
    }

    /// Closes every connection; commands in flight and later ones fail with ``CacheError/shutDown``.
    func shutdown() {
        isShutDown.store(true, ordering: .relaxed)
        for slot in slots {
            let previous = slot.state.withLock { state -> SlotState in
                let previous = state
                state = .shutDown
                return previous
            }
            switch previous {
            case .ready(let connection):
                connection.close(.shutDown)
            case .connecting(_, let waiters):
                for waiter in waiters { waiter.resume(throwing: CacheError.shutDown) }
            case .idle, .shutDown:
                break
            }
        }
    }

    // MARK: - Breaker

    /// Counts `error` against the breaker if it says the server could not be reached, and turns a
    /// `NOPERM` reply into a permission error that says what to change.
    private func noted(_ error: CacheError) -> CacheError {
        switch error.code {
        case .connectionFailed, .connectionClosed, .timeout:
            if breaker.recordFailure(error) {
                observers?.notify(
                    CacheHealth(
                        server: configuration.endpoint.description, isAvailable: false,
                        reason: error.code == .timeout
                            ? "a command timed out: \(error.message)"
                            : "\(breaker.threshold) commands in a row failed; the last: \(error.message)",
                        error: error))
                startProbing()
            }
            return error
        case .serverError where error.message.hasPrefix("NOPERM"):
            breaker.recordSuccess()
            let user = configuration.username ?? "default"
            return .permissionDenied(
                "the ACL user '\(user)' may not run this command on keys under the prefix "
                    + "'\(configuration.keyPrefix)' (\(error.message)); grant it the pattern "
                    + "'~\(configuration.keyPrefix)*' or choose a keyPrefix its key patterns cover",
                underlying: error)
        default:
            breaker.recordSuccess()
            return error
        }
    }

    private func unavailableError() -> CacheError {
        guard let (since, error) = breaker.openState else {
            return .unavailable("\(configuration.endpoint) is skipped until a probe finds it answering")
        }
        let milliseconds = (ContinuousClock.now - since).milliseconds(roundingUp: false)
        return .unavailable(
            "\(configuration.endpoint) is skipped until a probe finds it answering (for \(milliseconds) ms, after: "
                + "\(error.message))",
            underlying: error)
    }

    /// Probes the server every probe interval until a probe succeeds or the pool shuts down. Runs on
    /// a task of its own; holds the pool only while a probe runs.
    private func startProbing() {
        let interval = configuration.breaker.probeInterval
        Task.detached { [weak self] in
            while true {
                try? await Task.sleep(for: interval)
                guard let self, !self.isShutDown.load(ordering: .relaxed) else { return }
                if await self.probe() { return }
            }
        }
    }

    /// Opens a connection and sends `PING`; on success hands the connection to a slot, ends every
    /// slot's backoff and closes the breaker.
    ///
    /// - Returns: Whether the server answered.
    private func probe() async -> Bool {
        let connection: RedisConnection
        do {
            connection = try await open(configuration)
        } catch {
            return false
        }
        do {
            _ = try await connection.command(["PING"])
        } catch {
            // Ends the connection's reader thread too.
            connection.close(.unavailable("the probe of \(configuration.endpoint) failed", underlying: error))
            return false
        }
        var adopted = false
        for slot in slots {
            slot.state.withLock { state in
                switch state {
                case .idle:
                    if !adopted {
                        state = .ready(connection)
                        adopted = true
                    } else {
                        state = .idle(failures: 0, retryAt: 0, lastError: nil)
                    }
                case .ready(let current) where current.isClosed && !adopted:
                    state = .ready(connection)
                    adopted = true
                default:
                    break
                }
            }
        }
        if !adopted { connection.close(.shutDown) }
        if let downtime = breaker.close() {
            observers?.notify(
                CacheHealth(
                    server: configuration.endpoint.description, isAvailable: true,
                    reason: "a probe found it answering after \(downtime.milliseconds(roundingUp: false)) ms"))
        }
        return true
    }

    // MARK: - Private

    private func connect(_ slot: Slot, failures: Int) async throws -> RedisConnection {
        let result: Result<RedisConnection, CacheError>
        do {
            result = .success(try await open(configuration))
        } catch {
            result = .failure(error as? CacheError ?? .connectionFailed("cannot connect", underlying: error))
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let backoff = backoffNanoseconds(afterFailures: failures + 1)
        let (waiters, shutDown) = slot.state.withLock {
            state -> ([UnsafeContinuation<RedisConnection?, any Error>], Bool) in
            guard case .connecting(_, let waiters) = state else { return ([], true) }
            switch result {
            case .success(let connection):
                state = .ready(connection)
            case .failure(let error):
                state = .idle(failures: failures + 1, retryAt: now &+ backoff, lastError: error)
            }
            return (waiters, false)
        }
        switch result {
        case .success(let connection):
            if shutDown {
                connection.close(.shutDown)
                throw CacheError.shutDown
            }
            for waiter in waiters { waiter.resume(returning: connection) }
            return connection
        case .failure(let error):
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
    }

    /// Waits for the slot's connection attempt; `nil` means the attempt ended before we could wait,
    /// so the caller should look at the slot again.
    private func waitForConnection(_ slot: Slot) async throws -> RedisConnection? {
        try await withUnsafeThrowingContinuation { continuation in
            let waiting = slot.state.withLock { state -> Bool in
                guard case .connecting(let failures, var waiters) = state else { return false }
                waiters.append(continuation)
                state = .connecting(failures: failures, waiters: waiters)
                return true
            }
            if !waiting { continuation.resume(returning: nil) }
        }
    }

    /// The open connection of the first slot that is connected and, when `idle`, has no command
    /// outstanding.
    private func readyConnection(idle: Bool) -> RedisConnection? {
        for slot in slots {
            let found = slot.state.withLock { state -> RedisConnection? in
                guard case .ready(let connection) = state, !connection.isClosed, !idle || connection.isIdle else {
                    return nil
                }
                return connection
            }
            if let found { return found }
        }
        return nil
    }

    private func backoffNanoseconds(afterFailures failures: Int) -> UInt64 {
        let initial = RedisConnection.nanoseconds(configuration.reconnectBackoff.initial)
        let maximum = RedisConnection.nanoseconds(configuration.reconnectBackoff.maximum)
        let shift = UInt64(min(max(failures - 1, 0), 30))
        let (scaled, overflow) = initial.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? maximum : min(scaled, maximum)
    }
}
