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

    /// Creates a pool; no connection is opened until one is needed.
    ///
    /// - Parameters:
    ///   - configuration: Where and how to connect, and how many slots to keep.
    ///   - open: Opens one connection; tests substitute their own.
    init(
        configuration: RedisConfiguration,
        open: @escaping @Sendable (RedisConfiguration) async throws -> RedisConnection = RedisConnection.open
    ) {
        self.configuration = configuration
        self.slots = (0..<configuration.poolSize).map { _ in Slot() }
        self.open = open
    }

    /// Sends a command on a pooled connection and waits for its reply.
    ///
    /// - Parameter command: The encoded command.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``.
    func send(_ command: RESPEncoder) async throws -> RESPValue {
        try await connection().send(command)
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
