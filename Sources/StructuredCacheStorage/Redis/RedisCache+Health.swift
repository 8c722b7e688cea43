// RedisCache reports when a server's circuit breaker opens or closes.

extension RedisCache: CacheHealthReporting {
    /// The state of each server's breaker: available, or skipped since when and after which failure.
    public var health: [CacheHealth] {
        switch topology {
        case .standalone(let pool): [pool.health]
        case .cluster(let router): router.health
        }
    }

    /// Calls `observer` whenever a server's breaker opens (the server is skipped) or closes (a probe
    /// found it answering), for the cache's life.
    ///
    /// - Parameter observer: Called with each change, on the thread that noticed it; must return quickly.
    public func observeHealth(_ observer: @escaping @Sendable (CacheHealth) -> Void) {
        observers.add(observer)
    }
}
