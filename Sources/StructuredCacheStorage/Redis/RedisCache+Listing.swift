// RedisCache's keys as a listing sees them: every key under the prefix, walked with SCAN on the server
// (or on every primary of a cluster), and each value with the time it has left (for tools that inspect
// a cache).

package import Foundation

extension RedisCache {
    /// Calls `body` with the keys under the prefix, without it, a batch at a time, as
    /// `SCAN … MATCH <prefix>* COUNT n` finds them (on every primary of a cluster); never `KEYS`.
    ///
    /// Each key is handed over once, though `SCAN` may find it twice. Keys that are not UTF-8 text are
    /// left out (no client of this package writes them). A key written or removed while the walk runs
    /// may or may not be seen.
    ///
    /// - Parameter body: Called with each batch of keys; what it throws ends the walk.
    /// - Throws: What `body` throws; ``CacheError`` when a server cannot be reached or answers
    ///   unexpectedly.
    package func forEachKeyBatch(_ body: ([String]) async throws -> Void) async throws {
        var seen = Set<[UInt8]>()
        let prefixLength = keyPrefix.utf8.count
        func visit(_ keys: [[UInt8]]) async throws {
            var batch: [String] = []
            for key in keys where seen.insert(key).inserted {
                if let text = String(validating: key.dropFirst(prefixLength), as: UTF8.self) { batch.append(text) }
            }
            if !batch.isEmpty { try await body(batch) }
        }
        switch topology {
        case .standalone(let pool):
            try await scan(pool, visit)
        case .cluster(let router):
            for pool in try await router.primaries() { try await scan(pool, visit) }
        }
    }

    /// The value under `key` and the time Redis gives it left (`GET` and `PTTL` side by side), as Redis
    /// holds it: a ``Configuration/staleGrace`` of the writers is included in that time.
    ///
    /// - Parameter key: The key, without the prefix.
    /// - Returns: The value and its remaining time (`nil` for no expiry), or `nil` when there is no value.
    /// - Throws: ``CacheError`` when the server cannot be reached or answers unexpectedly.
    package func storedValue(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        guard let (value, reply) = try await valueAndPTTLReply(key) else { return nil }
        switch reply {
        case .integer(let milliseconds) where milliseconds >= 0: return (value, .milliseconds(milliseconds))
        case .integer(-2): return nil  // gone since the GET
        case .integer: return (value, nil)
        default: throw CacheError.protocolError("unexpected reply to PTTL")
        }
    }
}
