// Lets TieredCache learn how long a value found in one tier has left, so a promoted copy expires with it.

import Foundation

/// A ``CacheAdapter`` that can tell how long a value it returns has left to live.
///
/// Internal on purpose: adapters in this module (AutoCache, DiskCache, TieredCache, and RedisCache through
/// PTTL) adopt it; ``TieredCache`` falls back to its `promotionTTL` for any other adapter.
protocol ExpiryReportingCacheAdapter: CacheAdapter {
    /// Returns the value under `key` and its remaining time to live (`nil` for no expiry), or `nil` on a
    /// miss.
    func getWithRemainingTTL(_ key: String) async throws -> (value: Data, remaining: Duration?)?

    /// Whether ``getWithRemainingTTL(_:)`` knows the time a value has left: `true` unless the adapter
    /// wraps one that cannot tell (an ``EncryptedCache`` over a custom adapter), which ``TieredCache``
    /// then treats as any adapter that cannot tell.
    var reportsRemainingTTL: Bool { get }
}

extension ExpiryReportingCacheAdapter {
    var reportsRemainingTTL: Bool { true }
}
