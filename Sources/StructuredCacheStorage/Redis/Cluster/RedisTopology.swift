// What a RedisCache talks to: one server, or the nodes of a Redis Cluster.

/// The servers behind a ``RedisCache``.
enum RedisTopology: Sendable {
    /// One server (or a proxy in front of several), through one pool.
    case standalone(RedisConnectionPool)
    /// A Redis Cluster, whose router sends each command to the node serving its key.
    case cluster(RedisClusterRouter)

    /// How to reach one server: the single one, or a primary of the cluster.
    ///
    /// - Throws: ``CacheError`` when the cluster's map cannot be had, or it has no primary.
    func anyNode() async throws -> RedisConfiguration {
        switch self {
        case .standalone(let pool):
            return pool.configuration
        case .cluster(let router):
            guard let pool = try await router.primaries().first else {
                throw CacheError.connectionFailed("the Redis Cluster has no primary")
            }
            return pool.configuration
        }
    }

    /// Closes every connection.
    func shutdown() {
        switch self {
        case .standalone(let pool): pool.shutdown()
        case .cluster(let router): router.shutdown()
        }
    }
}
