// RedisCache's grace for expired entries: Redis keeps each entry `staleGrace` past its TTL, and reads look
// at the TTL left to tell a live value from one in its grace.

public import Foundation
import Synchronization

extension RedisCache: StaleReadingCacheAdapter {
    /// Returns the value stored under `key` if it has expired, but no longer ago than `maxStaleness` and
    /// than ``Configuration/staleGrace``.
    ///
    /// Redis holds the key for its TTL plus the grace, so a key with the grace or less left has expired,
    /// that much less than the grace ago. Without a grace no command is sent.
    ///
    /// - Parameters:
    ///   - key: The key, without the prefix.
    ///   - maxStaleness: How long ago the value may have expired at most.
    /// - Returns: The value and how long ago it expired, or `nil`; always `nil` without a grace.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    public func getStale(_ key: String, maxStaleness: Duration) async throws -> (value: Data, staleness: Duration)? {
        guard let graceMilliseconds,
            let (value, milliseconds) = try await valueAndTTL(key),
            (0...graceMilliseconds).contains(milliseconds)
        else { return nil }
        let staleness = Duration.milliseconds(graceMilliseconds - milliseconds)
        return staleness <= maxStaleness ? (value, staleness) : nil
    }

    /// The value under `key` unless it has `grace` milliseconds or less left (it is then expired, in its
    /// grace).
    func liveValue(_ key: String, grace: Int64) async throws -> Data? {
        guard let (value, milliseconds) = try await valueAndTTL(key) else { return nil }
        // -1: no expiry; -2: gone since it was read (only when the two were read apart).
        if milliseconds == -2 || (0...grace).contains(milliseconds) { return nil }
        return value
    }

    /// Reads the value under `key` and what `PTTL` says of it, in one round trip.
    ///
    /// A script runs the two at once, atomically, so that a value replaced meanwhile cannot be judged by
    /// its successor's TTL (which could make a value in its grace a hit). A server that refuses scripts
    /// (an ACL without `@scripting`, `EVAL` renamed away) gets the two commands side by side from then
    /// on, where a replacement between them can mislead one read.
    ///
    /// - Returns: The value and its TTL in milliseconds (-1 for none, -2 when the key went between two
    ///   separate commands), or `nil` when there is no value.
    func valueAndTTL(_ key: String) async throws -> (value: Data, milliseconds: Int64)? {
        if !scriptsRefused.load(ordering: .relaxed) {
            var command = RESPEncoder(
                argumentCount: 4, reservingCapacity: Self.readScript.utf8.count + keyPrefix.utf8.count + key.utf8.count)
            command.append("EVAL")
            command.append(Self.readScript)
            command.append(1)
            command.append(prefix: keyPrefix, key)
            do {
                switch try await send(command, key: key) {
                case .array(let parts) where parts.isEmpty:
                    return nil
                case .array(let parts) where parts.count == 2:
                    guard case .bulkString(let bytes) = parts[0], case .integer(let milliseconds) = parts[1] else {
                        throw CacheError.protocolError("unexpected elements in the reply to the read script")
                    }
                    return (Data(bytes), milliseconds)
                default:
                    throw CacheError.protocolError("unexpected reply to the read script")
                }
            } catch let error as CacheError where Self.refusesScripts(error) {
                scriptsRefused.store(true, ordering: .relaxed)
            }
        }
        guard let (value, reply) = try await valueAndPTTLReply(key) else { return nil }
        guard case .integer(let remaining) = reply else {
            throw CacheError.protocolError("unexpected reply to PTTL")
        }
        return (value, remaining)
    }

    /// The value under `key` and the reply to `PTTL`, sent side by side: not atomic, so a value replaced
    /// between them comes with its successor's TTL.
    ///
    /// - Returns: The value and the `PTTL` reply, or `nil` when there is no value.
    func valueAndPTTLReply(_ key: String) async throws -> (value: Data, pttl: RESPValue)? {
        async let value = plainGet(key)
        async let reply = command(["PTTL", keyPrefix + key])
        guard let value = try await value else { return nil }
        return (value, try await reply)
    }

    /// `GET` and `PTTL` of `KEYS[1]`: `{}` when there is no value, otherwise `{value, pttl}` (an empty
    /// array reads the same in RESP2 and RESP3, where a Lua `nil` or `false` would not).
    static let readScript =
        "local v = redis.call('GET', KEYS[1]) if not v then return {} end return {v, redis.call('PTTL', KEYS[1])}"

    /// Whether `error` says the server will not run scripts at all (rather than that this one failed).
    static func refusesScripts(_ error: CacheError) -> Bool {
        error.code == .permissionDenied
            || (error.code == .serverError && error.message.lowercased().contains("unknown command"))
    }
}
