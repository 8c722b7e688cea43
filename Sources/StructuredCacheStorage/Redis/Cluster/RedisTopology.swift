// What a RedisCache talks to: one server, or the nodes of a Redis Cluster.

/// The servers behind a ``RedisCache``.
enum RedisTopology: Sendable {
    /// One server (or a proxy in front of several), through one pool.
    case standalone(RedisConnectionPool)
    /// A Redis Cluster, whose router sends each command to the node serving its key.
    case cluster(RedisClusterRouter)

    /// Closes every connection.
    func shutdown() {
        switch self {
        case .standalone(let pool): pool.shutdown()
        case .cluster(let router): router.shutdown()
        }
    }
}
