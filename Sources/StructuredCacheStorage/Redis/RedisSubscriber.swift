// One connection of a RedisCache subscribed to the channels its waiting calls listen on, so that a waiter
// hears at once that the answer it waits for was stored.

import Dispatch
import StructuredCacheSupport
import Synchronization

/// Subscribes to pub/sub channels on a connection of its own and hands each channel's messages to the
/// listeners of this process.
///
/// The connection speaks RESP3, where a subscribed connection may still run commands and messages come as
/// pushes; it is opened on the first ``listen(_:)`` and opened again after it failed. A server that does
/// not speak RESP3 (Redis before 6) gets no subscription: ``listen(_:)`` throws, and waiters poll.
/// In a cluster, any node hears every node's `PUBLISH`, so one connection serves the whole cluster.
final class RedisSubscriber: Sendable {
    /// A subscription of one waiter to one channel.
    final class Listener: Sendable {
        fileprivate let channel: String
        fileprivate let id: UInt64
        private struct State {
            var messages: [[UInt8]] = []
            /// The wait under way, numbered so that an earlier wait's timer cannot end it.
            var waiting: (number: UInt64, continuation: CheckedContinuation<[UInt8]?, Never>)?
            var waits: UInt64 = 0
        }
        private let state = Lock(State())
        private weak let subscriber: RedisSubscriber?

        fileprivate init(channel: String, id: UInt64, subscriber: RedisSubscriber) {
            self.channel = channel
            self.id = id
            self.subscriber = subscriber
        }

        fileprivate func deliver(_ message: [UInt8]) {
            let waiting = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                guard let waiting = state.waiting else {
                    state.messages.append(message)
                    return nil
                }
                state.waiting = nil
                return waiting.continuation
            }
            waiting?.resume(returning: message)
        }

        /// The next message on the channel, waiting for it up to `timeout`.
        ///
        /// - Returns: The message, or `nil` when none came in time (or the task was cancelled).
        func next(within timeout: Duration) async -> [UInt8]? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                    let (queued, number) = state.withLock { state -> ([UInt8]??, UInt64) in
                        if !state.messages.isEmpty { return (.some(state.messages.removeFirst()), 0) }
                        if Task.isCancelled { return (.some(nil), 0) }
                        state.waits += 1
                        state.waiting = (state.waits, continuation)
                        return (nil, state.waits)
                    }
                    if let queued {
                        continuation.resume(returning: queued)
                        return
                    }
                    let delay = DispatchTimeInterval.nanoseconds(Int(clamping: max(0, timeout.nanoseconds())))
                    DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
                        self.stopWaiting(number)
                    }
                }
            } onCancel: {
                stopWaiting(nil)
            }
        }

        /// Ends the wait numbered `number` (any wait when `nil`) with no message.
        private func stopWaiting(_ number: UInt64?) {
            let waiting = state.withLock { state -> CheckedContinuation<[UInt8]?, Never>? in
                guard let waiting = state.waiting, number == nil || waiting.number == number else { return nil }
                state.waiting = nil
                return waiting.continuation
            }
            waiting?.resume(returning: nil)
        }

        /// Ends the subscription.
        func cancel() {
            subscriber?.remove(self)
            stopWaiting(nil)
        }
    }

    private struct State {
        var connection: RedisConnection?
        var opening: Task<RedisConnection, any Error>?
        var listeners: [String: [UInt64: Listener]] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Lock(State())
    private let configuration: @Sendable () async throws -> RedisConfiguration

    /// - Parameter configuration: Where to connect: a node of the cache's server or cluster.
    init(configuration: @escaping @Sendable () async throws -> RedisConfiguration) {
        self.configuration = configuration
    }

    /// Subscribes a new listener to `channel` and returns once the server delivers the channel's messages
    /// to this process.
    ///
    /// - Parameter channel: The channel.
    /// - Returns: The listener; ``Listener/cancel()`` it when done.
    /// - Throws: ``CacheError`` when the connection cannot be had, or does not speak RESP3.
    func listen(_ channel: String) async throws -> Listener {
        let connection = try await openConnection()
        // Subscribing and unsubscribing happen under the lock, so that they reach the server in the
        // order the listeners came and went.
        let (listener, subscribed) = state.withLock { state -> (Listener, Result<Void, CacheError>) in
            state.nextID += 1
            let listener = Listener(channel: channel, id: state.nextID, subscriber: self)
            let first = state.listeners[channel, default: [:]].isEmpty
            state.listeners[channel, default: [:]][listener.id] = listener
            return (
                listener,
                first
                    ? Result { () throws(CacheError) in try send(["SUBSCRIBE", channel], on: connection) }
                    : .success(())
            )
        }
        do {
            try subscribed.get()
            // The reply to a later command comes after the server has run the SUBSCRIBE before it.
            _ = try await connection.command(["PING"])
        } catch {
            listener.cancel()
            connection.close(.connectionClosed("the subscription failed"))
            throw error
        }
        return listener
    }

    /// Closes the connection.
    func shutdown() {
        let (connection, opening) = state.withLock { state in
            defer {
                state.connection = nil
                state.opening = nil
            }
            return (state.connection, state.opening)
        }
        opening?.cancel()
        connection?.close(.shutDown)
    }

    fileprivate func remove(_ listener: Listener) {
        state.withLock { state in
            guard state.listeners[listener.channel]?.removeValue(forKey: listener.id) != nil,
                state.listeners[listener.channel]!.isEmpty
            else { return }
            state.listeners[listener.channel] = nil
            if let connection = state.connection { try? send(["UNSUBSCRIBE", listener.channel], on: connection) }
        }
    }

    private func send(_ arguments: [String], on connection: RedisConnection) throws(CacheError) {
        var command = RESPEncoder(argumentCount: arguments.count)
        for argument in arguments { command.append(argument) }
        try connection.sendExpectingNoReply(command)
    }

    /// The open connection, opening it (and subscribing to every channel listened on) when there is none.
    private func openConnection() async throws -> RedisConnection {
        if let connection = state.withLock({ $0.connection }), !connection.isClosed { return connection }
        let task = state.withLock { state -> Task<RedisConnection, any Error> in
            if let opening = state.opening { return opening }
            let opening = Task { [self] in
                defer { self.state.withLock { $0.opening = nil } }
                let connection = try await RedisConnection.open(try await configuration()) { [weak self] push in
                    self?.received(push)
                }
                guard connection.speaksRESP3 else {
                    connection.close(.unsupported("the server does not speak RESP3"))
                    throw CacheError.unsupported("waiting for a shared call needs a server that speaks RESP3")
                }
                let channels = self.state.withLock { state -> [String] in
                    state.connection = connection
                    return Array(state.listeners.keys)
                }
                for channel in channels { try send(["SUBSCRIBE", channel], on: connection) }
                return connection
            }
            state.opening = opening
            return opening
        }
        return try await task.value
    }

    /// Hands a pushed `message` to the listeners of its channel.
    private func received(_ push: RESPValue) {
        guard case .push(let parts) = push, parts.count == 3, case .bulkString(let kind) = parts[0],
            kind == Array("message".utf8), case .bulkString(let channelBytes) = parts[1],
            case .bulkString(let message) = parts[2]
        else { return }
        let channel = String(decoding: channelBytes, as: UTF8.self)
        let listeners = state.withLock { state in state.listeners[channel].map { Array($0.values) } ?? [] }
        for listener in listeners { listener.deliver(message) }
    }
}
