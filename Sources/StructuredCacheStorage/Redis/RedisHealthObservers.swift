// The observers of a RedisCache's server health, shared by every connection pool of the cache.

import StructuredCacheSupport
import Synchronization

/// The functions to call when a server's breaker opens or closes.
final class RedisHealthObservers: Sendable {
    private let observers = Lock<[@Sendable (CacheHealth) -> Void]>([])

    /// Adds an observer.
    ///
    /// - Parameter observer: Called with each later change.
    func add(_ observer: @escaping @Sendable (CacheHealth) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    /// Tells every observer about `change`; call without holding any lock.
    ///
    /// - Parameter change: What changed.
    func notify(_ change: CacheHealth) {
        for observer in observers.withLock({ $0 }) { observer(change) }
    }
}
