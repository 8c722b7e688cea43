// RedisCache's leases for calls shared across processes: `SET NX PX` takes one, a script releases it and
// announces the answer on a pub/sub channel, and waiters listen on that channel.

import StructuredCacheSupport
import Synchronization

extension RedisCache: SharedFlightCacheAdapter {
    /// Takes the lease on `key`, or waits for the value that the process holding it stores.
    ///
    /// The lease is the key `<prefix><key>:lease`, set with `SET … NX PX` to a random token. A waiter
    /// subscribes to the channel `<prefix><key>` (on a connection of the cache's own, which any node of
    /// a cluster serves) and reads the value when the holder announces it. It also looks again every
    /// quarter of a second, and takes the lease once it has lapsed: a holder that died holds the others
    /// up no longer than its lease. A server that does not speak RESP3 gets no subscription; waiters then
    /// look again after 10 ms, doubling up to a quarter of a second.
    ///
    /// Cost: the holder sends three commands more than an unshared call (`SET NX`, a `GET` for a value
    /// stored just before, and the script that releases and announces); a waiter, a subscription and two
    /// commands per look.
    ///
    /// - Parameters:
    ///   - key: The key, without the prefix.
    ///   - lease: How long the lease lasts unless renewed.
    ///   - wait: How long to wait at most for another holder's value.
    ///   - readsStoredValue: Whether a value already stored ends the wait.
    /// - Returns: The lease, the value another process stored, or ``CacheClaim/timedOut``.
    /// - Throws: ``CacheError`` when the server fails.
    public func claim(
        _ key: String, lease: Duration, wait: Duration, readsStoredValue: Bool
    ) async throws
        -> CacheClaim
    {
        let token = Self.leaseToken()
        let deadline = ContinuousClock.now + wait
        var listener: RedisSubscriber.Listener?
        defer { listener?.cancel() }
        var announcedStored = false
        var subscriptionFailed = false
        var pause = Duration.milliseconds(10)
        while true {
            if readsStoredValue || announcedStored, let value = try await get(key) { return .stored(value) }
            if try await takeLease(key, token: token, for: lease) {
                let taken = CacheLease(key: key, token: token)
                // A holder may have stored and released between the read above and the lease: its value
                // is there now, since it stores before it releases.
                if readsStoredValue || announcedStored, let value = try await get(key) {
                    try await release(taken, stored: true)
                    return .stored(value)
                }
                return .leased(taken)
            }
            if listener == nil && !subscriptionFailed {
                do {
                    listener = try await subscriber.listen(keyPrefix + key)
                    // The holder may have stored and announced before the subscription began: look again.
                    continue
                } catch {
                    subscriptionFailed = true
                }
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return .timedOut }
            try Task.checkCancellation()
            if let listener {
                if let message = await listener.next(within: min(left, .milliseconds(250))) {
                    announcedStored = announcedStored || message == Self.storedMessage
                }
            } else {
                try await Task.sleep(for: min(left, pause))
                pause = min(pause * 2, .milliseconds(250))
            }
        }
    }

    /// Extends a lease this process holds, if it still holds it.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - duration: How long it lasts from now.
    /// - Returns: Whether the lease was still held.
    /// - Throws: ``CacheError`` when the server fails.
    public func renew(_ lease: CacheLease, for duration: Duration) async throws -> Bool {
        let milliseconds = Array(String(Self.milliseconds(roundingUp: duration)).utf8)
        if let reply = try await leaseScript(Self.renewScript, lease, [milliseconds]) {
            return reply == .integer(1)
        }
        guard try await holds(lease) else { return false }
        var command = RESPEncoder(argumentCount: 3)
        command.append("PEXPIRE")
        command.append(prefix: keyPrefix, Self.leaseKey(lease.key))
        command.append(bytes: milliseconds)
        return try await send(command, key: Self.leaseKey(lease.key)) == .integer(1)
    }

    /// Ends a lease, if this process still holds it, and announces on the key's channel whether a value
    /// was stored.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - stored: Whether a value was stored.
    /// - Throws: ``CacheError`` when the server fails; the lease then lapses by itself.
    public func release(_ lease: CacheLease, stored: Bool) async throws {
        let channel = Array((keyPrefix + lease.key).utf8)
        let message = stored ? Self.storedMessage : Self.failedMessage
        if try await leaseScript(Self.releaseScript, lease, [channel, message]) != nil { return }
        if try await holds(lease) { try await remove(Self.leaseKey(lease.key)) }
        var command = RESPEncoder(argumentCount: 3)
        command.append("PUBLISH")
        command.append(bytes: channel)
        command.append(bytes: message)
        _ = try await send(command, key: lease.key)
    }

    // MARK: - Internal

    /// The lease's key, without the prefix.
    static func leaseKey(_ key: String) -> String { key + ":lease" }

    /// What a holder announces when it stored a value, and when it did not.
    static let storedMessage = Array("stored".utf8)
    static let failedMessage = Array("failed".utf8)

    /// Extends the lease `KEYS[1]` by `ARGV[2]` milliseconds if it still holds the token `ARGV[1]`.
    static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0
        """

    /// Deletes the lease `KEYS[1]` if it still holds the token `ARGV[1]`, and publishes `ARGV[3]` on the
    /// channel `ARGV[2]` in any case: the value, if one was stored, is there either way.
    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end \
        redis.call('PUBLISH', ARGV[2], ARGV[3]) return 1
        """

    /// `SET <lease> <token> NX PX <ms>`.
    ///
    /// - Returns: Whether the lease was taken.
    private func takeLease(_ key: String, token: String, for lease: Duration) async throws -> Bool {
        let name = Self.leaseKey(key)
        var command = RESPEncoder(argumentCount: 6)
        command.append("SET")
        command.append(prefix: keyPrefix, name)
        command.append(token)
        command.append("NX")
        command.append("PX")
        command.append(Self.milliseconds(roundingUp: lease))
        switch try await send(command, key: name) {
        case .null: return false
        case .simpleString("OK"): return true
        default: throw CacheError.protocolError("unexpected reply to SET NX")
        }
    }

    /// Runs a lease script on `lease`'s key (`KEYS[1]`) with its token (`ARGV[1]`) and `arguments` after it.
    ///
    /// - Returns: The script's reply, or `nil` when the server refuses scripts (an ACL without
    ///   `@scripting`, `EVAL` renamed away): the caller then sends the script's commands one by one, which
    ///   is not atomic (a lease that lapses between them can be released or renewed for its next holder,
    ///   which then only costs a call more than needed).
    private func leaseScript(
        _ script: String, _ lease: CacheLease, _ arguments: [[UInt8]]
    ) async throws
        -> RESPValue?
    {
        guard !scriptsRefused.load(ordering: .relaxed) else { return nil }
        let name = Self.leaseKey(lease.key)
        var command = RESPEncoder(argumentCount: 5 + arguments.count)
        command.append("EVAL")
        command.append(script)
        command.append(1)
        command.append(prefix: keyPrefix, name)
        command.append(lease.token)
        for argument in arguments { command.append(bytes: argument) }
        do {
            return try await send(command, key: name)
        } catch let error as CacheError where Self.refusesScripts(error) {
            scriptsRefused.store(true, ordering: .relaxed)
            return nil
        }
    }

    /// Whether the lease's key still holds its token.
    private func holds(_ lease: CacheLease) async throws -> Bool {
        var command = RESPEncoder(argumentCount: 2)
        command.append("GET")
        command.append(prefix: keyPrefix, Self.leaseKey(lease.key))
        return try await send(command, key: Self.leaseKey(lease.key)) == .bulkString(Array(lease.token.utf8))
    }

    /// A random token that tells one holding of a lease from every other.
    private static func leaseToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }
}
