// Lets TieredCache promote a Redis hit to faster tiers with the time it has left.

import Foundation

extension RedisCache: ExpiryReportingCacheAdapter {
    /// Returns the value under `key` and its remaining time to live, from `GET` and `PTTL` sent together.
    ///
    /// The two commands are not atomic: a value replaced between them reports the new value's TTL,
    /// which only makes a promoted copy expire a little early or late.
    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)? {
        async let value = get(key)
        async let milliseconds = command(["PTTL", keyPrefix + key])
        guard let value = try await value else { return nil }
        switch try await milliseconds {
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
