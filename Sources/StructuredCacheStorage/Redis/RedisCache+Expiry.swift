// Lets TieredCache promote a Redis hit to faster tiers with the time it has left.

import Foundation

extension RedisCache: ExpiryReportingCacheAdapter {
    /// Returns the value under `key` and its remaining time to live, from `GET` and `PTTL` sent together.
    ///
    /// The two commands are not atomic: a value replaced between them reports the new value's TTL,
    /// which only makes a promoted copy expire a little early or late.
    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        if let graceMilliseconds {
            // What Redis holds includes the grace; the copy must expire when the value does, not after.
            guard let (value, milliseconds) = try await valueAndTTL(key), milliseconds != -2 else { return nil }
            guard milliseconds >= 0 else { return (value, nil) }
            guard milliseconds > graceMilliseconds else { return nil }
            return (value, .milliseconds(milliseconds - graceMilliseconds))
        }
        guard let (value, reply) = try await valueAndPTTLReply(key) else { return nil }
        switch reply {
        case .integer(let remaining) where remaining >= 0:
            return (value, .milliseconds(remaining))
        case .integer(-2):
            // Gone since the GET: the copy should not outlive it.
            return (value, .milliseconds(1))
        default:
            return (value, nil)
        }
    }
}
