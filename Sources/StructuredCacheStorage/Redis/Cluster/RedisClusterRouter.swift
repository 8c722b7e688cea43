// Sends each command to the primary that serves its hash slot, and follows the cluster as slots move:
// MOVED and ASK redirections, retries while the cluster heals, map refreshes after a failover.

import Dispatch
import StructuredCacheSupport
import Synchronization

/// Routes commands to the nodes of a Redis Cluster.
///
/// The router keeps the cluster's slot map (loaded from the first reachable seed on first use) and one
/// ``RedisConnectionPool`` per node, made lazily from a template configuration and kept. A command goes
/// to the primary of its slot, and:
/// - on `MOVED slot host:port`, goes to that node at once and has the map refreshed;
/// - on `ASK slot host:port`, sends `ASKING` and the command back to back on one connection of that node;
/// - on `TRYAGAIN`, `CLUSTERDOWN` or `LOADING`, waits (10 ms, doubling) and tries again;
/// - when a node cannot be reached, refreshes the map from any node that can, and tries again if the slot
///   now has another primary (a failover); otherwise the error is thrown at once.
///
/// Every command gets at most ``maximumRedirections`` redirections and the configuration's
/// `commandTimeout`, counted from its first try, for all its tries. One refresh runs at a time, callers
/// that need it wait for it, and a refresh follows the previous one by at least ``refreshInterval``.
final class RedisClusterRouter: Sendable {
    /// A slot map with the pools of its primaries, so that routing a command takes one lookup.
    struct Routes: Sendable {
        /// The slot map.
        let map: RedisClusterMap
        /// The pool of each shard's primary, in the order of ``RedisClusterMap/shards``.
        let primaries: [RedisConnectionPool]
    }

    /// What the router knows, behind its lock.
    private struct State {
        /// The current map and its primaries' pools; `nil` until the first load.
        var routes: Routes?
        /// The refresh under way, which every caller that needs a refresh waits for.
        var refreshing: Task<Routes, any Error>?
        /// When the last refresh ended (uptime nanoseconds), or 0.
        var refreshedAt: UInt64 = 0
        /// Every node's pool, by the node's endpoint description.
        var pools: [String: RedisConnectionPool] = [:]
        /// Set by ``shutdown()``.
        var isShutDown = false
    }

    /// The configuration of every node's pool, but for its endpoint.
    let template: RedisConfiguration
    /// The nodes to load the map from when no other node is known.
    let seeds: [RedisConfiguration.Endpoint]
    /// The most redirections (`MOVED`, `ASK`) one command follows.
    let maximumRedirections = 5
    /// The shortest time between two map refreshes.
    let refreshInterval = Duration.milliseconds(100)

    private let state = Lock(State())
    private let observers: RedisHealthObservers?

    /// Creates a router; nothing is connected until the first command.
    ///
    /// - Parameters:
    ///   - seeds: Nodes of the cluster; at least one.
    ///   - template: The configuration of every node's pool; its endpoint is replaced by each node's.
    ///   - observers: Told when a node's breaker opens or closes.
    init(
        seeds: [RedisConfiguration.Endpoint], template: RedisConfiguration, observers: RedisHealthObservers? = nil
    ) {
        precondition(!seeds.isEmpty, "a cluster needs at least one seed")
        self.seeds = seeds
        self.template = template
        self.observers = observers
    }

    /// The health of every node the router has used.
    var health: [CacheHealth] {
        state.withLock {
            $0.pools.values.sorted { $0.configuration.endpoint.description < $1.configuration.endpoint.description }
        }
        .map(\.health)
    }

    // MARK: - Commands

    /// Sends a command to the primary that serves `slot`, following redirections, and returns its reply.
    ///
    /// - Parameters:
    ///   - command: The encoded command, all of whose keys are in `slot`.
    ///   - slot: The hash slot of the command's keys.
    /// - Returns: The reply.
    /// - Throws: ``CacheError``: the server's error reply, the connection error of a node that is still the
    ///   slot's primary, `serverError` after too many redirections, or the last error once the command's
    ///   time is up.
    func send(_ command: RESPEncoder, slot: Int) async throws -> RESPValue {
        var routes = try await currentRoutes()
        let start = DispatchTime.now().uptimeNanoseconds
        let budget = RedisConnection.nanoseconds(template.commandTimeout)
        var redirections = 0
        var movedTo: RedisConfiguration.Endpoint?
        var askTo: RedisConfiguration.Endpoint?
        var pause = Duration.milliseconds(10)

        /// Sleeps before the next try if the command's time allows it, and returns whether it did.
        func waitBeforeRetrying() async throws -> Bool {
            let elapsed = DispatchTime.now().uptimeNanoseconds &- start
            guard elapsed &+ RedisConnection.nanoseconds(pause) < budget else { return false }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
            return true
        }

        while true {
            let endpoint: RedisConfiguration.Endpoint
            let pool: RedisConnectionPool
            if let target = askTo ?? movedTo {
                endpoint = target
                pool = self.pool(for: target)
            } else if let index = routes.map.shardIndex(ofSlot: slot) {
                endpoint = routes.map.shards[index].primary
                pool = routes.primaries[index]
            } else {
                // No node serves the slot yet (a shard whose primary failed before a replica took over).
                let unserved = CacheError.connectionFailed("no node of the Redis Cluster serves slot \(slot)")
                guard try await waitBeforeRetrying() else { throw unserved }
                if let refreshed = try? await refresh() { routes = refreshed }
                continue
            }
            do {
                if askTo != nil {
                    askTo = nil
                    var asking = RESPEncoder(argumentCount: 1)
                    asking.append("ASKING")
                    return try await pool.connection().send([asking, command])[1]
                }
                return try await pool.send(command)
            } catch let error as CacheError where error.code == .serverError {
                guard let redirection = Redirection(error.message, from: endpoint) else { throw error }
                switch redirection {
                case .moved(let target), .ask(let target):
                    redirections += 1
                    guard redirections <= maximumRedirections else {
                        throw CacheError.serverError(
                            "gave up after \(maximumRedirections) redirections for slot \(slot): \(error.message)")
                    }
                    if case .moved = redirection {
                        movedTo = target
                        refreshSoon()
                    } else {
                        askTo = target
                    }
                case .retryLater:
                    guard try await waitBeforeRetrying() else { throw error }
                }
            } catch let error as CacheError where Self.isConnectionFailure(error) {
                // Perhaps a failover: go on only if the slot now has another primary.
                movedTo = nil
                // When no node answers either, the node's own error says more than the refresh's.
                guard let refreshed = try? await refresh() else { throw error }
                routes = refreshed
                guard let owner = routes.map.primary(ofSlot: slot), owner != endpoint,
                    DispatchTime.now().uptimeNanoseconds &- start < budget
                else { throw error }
            }
        }
    }

    /// The pools of the cluster's current primaries, after loading the map if it is not loaded yet.
    ///
    /// - Returns: One pool per primary.
    /// - Throws: ``CacheError`` when no seed can be reached to load the map.
    func primaries() async throws -> [RedisConnectionPool] {
        try await currentRoutes().primaries
    }

    /// Closes every pool; later commands throw ``CacheError/shutDown``.
    func shutdown() {
        let (pools, refreshing) = state.withLock { state in
            state.isShutDown = true
            defer { state.pools = [:] }
            return (Array(state.pools.values), state.refreshing)
        }
        refreshing?.cancel()
        for pool in pools { pool.shutdown() }
    }

    // MARK: - Map

    /// The slot map, loaded now if it never was.
    ///
    /// - Returns: The current map.
    /// - Throws: ``CacheError`` when no seed can be reached to load it, or `shutDown`.
    func currentMap() async throws -> RedisClusterMap {
        try await currentRoutes().map
    }

    /// The routes, loaded now if they never were.
    private func currentRoutes() async throws -> Routes {
        if let routes = state.withLock({ $0.routes }) { return routes }
        return try await refresh()
    }

    /// Refreshes the map and returns the routes: joins the refresh under way if there is one, and returns
    /// the current routes when the last refresh ended less than ``refreshInterval`` ago.
    ///
    /// - Returns: The newest routes.
    /// - Throws: ``CacheError`` when no known node can be reached, or `shutDown`.
    @discardableResult
    func refresh() async throws -> Routes {
        let (recent, task) = try dueRefresh()
        if let recent { return recent }
        return try await task!.value
    }

    /// Starts a refresh without waiting for it (after a `MOVED`), unless one is under way or recent.
    private func refreshSoon() {
        _ = try? dueRefresh()
    }

    /// The current routes if they are recent enough, or else the refresh under way, started now if need be.
    private func dueRefresh() throws -> (recent: Routes?, task: Task<Routes, any Error>?) {
        let now = DispatchTime.now().uptimeNanoseconds
        let interval = RedisConnection.nanoseconds(refreshInterval)
        return try state.withLock { state throws -> (Routes?, Task<Routes, any Error>?) in
            if state.isShutDown { throw CacheError.shutDown }
            if let task = state.refreshing { return (nil, task) }
            if let routes = state.routes, now &- state.refreshedAt < interval { return (routes, nil) }
            let task = Task { try await self.loadRoutes() }
            state.refreshing = task
            return (nil, task)
        }
    }

    /// Loads the map from the first node to answer, asking every known node and seed at once (so that a
    /// node that hangs delays nothing), and installs it.
    private func loadRoutes() async throws -> Routes {
        var candidates: [RedisConfiguration.Endpoint] = []
        for node in (state.withLock { $0.routes?.map.nodes } ?? []) + seeds where !candidates.contains(node) {
            candidates.append(node)
        }
        let result = await firstMap(from: candidates)
        let ended = DispatchTime.now().uptimeNanoseconds
        var routes: Routes?
        if case .success(let map) = result {
            routes = Routes(
                map: map, primaries: map.shards.map { pool(for: $0.primary, amongPrimaries: map.shards.count) })
        }
        state.withLock { state in
            state.refreshing = nil
            if let routes { state.routes = routes }
            // A failed refresh waits out the interval too, so that a dead cluster is not asked in a loop.
            if routes != nil || state.routes != nil { state.refreshedAt = ended }
        }
        switch result {
        case .success: return routes!
        case .failure(let error): throw error
        }
    }

    /// Asks every node in `candidates` for the map at once and returns the first answer, without waiting
    /// for the others; a failure only when every node failed.
    private func firstMap(from candidates: [RedisConfiguration.Endpoint]) async -> Result<RedisClusterMap, CacheError> {
        /// The answers so far.
        struct Race {
            var continuation: UnsafeContinuation<Result<RedisClusterMap, CacheError>, Never>?
            var remaining: Int
            var errors: [CacheError] = []
        }
        /// The race, shared by the tasks that ask the nodes.
        final class Shared: Sendable {
            let race: Lock<Race>
            init(_ race: Race) { self.race = Lock(race) }
        }
        return await withUnsafeContinuation { continuation in
            let shared = Shared(Race(continuation: continuation, remaining: candidates.count))
            for node in candidates {
                Task {
                    var outcome: Result<RedisClusterMap, CacheError>
                    do {
                        outcome = .success(try await self.fetchMap(from: node))
                    } catch {
                        outcome = .failure(
                            error as? CacheError ?? .connectionFailed("\(node) failed", underlying: error))
                    }
                    let finished = shared.race.withLock {
                        race -> (
                            UnsafeContinuation<Result<RedisClusterMap, CacheError>, Never>,
                            Result<RedisClusterMap, CacheError>
                        )? in
                        race.remaining -= 1
                        if case .failure(let error) = outcome {
                            race.errors.append(error)
                            guard race.remaining == 0 else { return nil }
                            let messages = race.errors.map(\.message).joined(separator: "; ")
                            outcome = .failure(
                                race.errors.first { $0.code == .shutDown }
                                    ?? .connectionFailed(
                                        "no node of the Redis Cluster answered CLUSTER SHARDS or CLUSTER SLOTS: "
                                            + messages, underlying: race.errors.last))
                        }
                        guard let continuation = race.continuation.take() else { return nil }
                        return (continuation, outcome)
                    }
                    if let (continuation, outcome) = finished { continuation.resume(returning: outcome) }
                }
            }
        }
    }

    /// Asks one node for the map: `CLUSTER SHARDS`, or `CLUSTER SLOTS` on servers before Redis 7.
    private func fetchMap(from node: RedisConfiguration.Endpoint) async throws -> RedisClusterMap {
        let pool = self.pool(for: node)
        do {
            return try RedisClusterMap(
                shardsReply: try await pool.send(Self.command("CLUSTER", "SHARDS")), askedNode: node,
                usesTLS: template.tls != nil)
        } catch let error as CacheError where error.code == .serverError {
            let message = error.message.lowercased()
            guard message.contains("unknown subcommand") || message.contains("unknown command") else {
                if message.contains("cluster support disabled") {
                    throw CacheError.invalidConfiguration(
                        "\(node) is not a Redis Cluster node (cluster support disabled); use RedisCache(url:)")
                }
                throw error
            }
        }
        return try RedisClusterMap(
            slotsReply: try await pool.send(Self.command("CLUSTER", "SLOTS")), askedNode: node)
    }

    // MARK: - Helpers

    /// The pool of `endpoint`, created on first use with its share of the configured connections.
    ///
    /// The pool size is the cluster's: each node's pool gets `poolSize / primaries` connections, at
    /// least one. Concurrent commands pipeline on each, and a connection per node that carries many
    /// commands at once serves more than several that carry a few each: with the default 4 and three
    /// primaries (one connection each), GET from 50 tasks ran at 94.5% of `redis-benchmark --cluster
    /// -c 50`, against 67.5% with four connections per node (the `redis-cluster` benchmark, run one
    /// after the other on this 2-core machine).
    ///
    /// - Parameters:
    ///   - endpoint: The node.
    ///   - primaries: How many primaries share the connections; the current map's (or the seeds') when `nil`.
    private func pool(
        for endpoint: RedisConfiguration.Endpoint, amongPrimaries primaries: Int? = nil
    )
        -> RedisConnectionPool
    {
        let key = endpoint.description
        let (pool, created) = state.withLock { state -> (RedisConnectionPool, Bool) in
            if let pool = state.pools[key] { return (pool, false) }
            var configuration = template
            configuration.endpoint = endpoint
            let sharing = max(1, primaries ?? state.routes?.primaries.count ?? seeds.count)
            configuration.poolSize = max(1, template.poolSize / sharing)
            let pool = RedisConnectionPool(configuration: configuration, observers: observers)
            if state.isShutDown { return (pool, true) }
            state.pools[key] = pool
            return (pool, false)
        }
        // After shutdown, a pool is handed out shut, so that its user gets `shutDown`.
        if created { pool.shutdown() }
        return pool
    }

    /// A command of text arguments.
    private static func command(_ arguments: String...) -> RESPEncoder {
        var encoder = RESPEncoder(argumentCount: arguments.count)
        for argument in arguments { encoder.append(argument) }
        return encoder
    }

    /// Whether `error` says a node could not be reached or stopped answering.
    private static func isConnectionFailure(_ error: CacheError) -> Bool {
        error.code == .connectionFailed || error.code == .connectionClosed || error.code == .timeout
            || error.code == .unavailable
    }

    /// What a cluster error reply asks the client to do.
    private enum Redirection {
        /// The slot has moved to this node for good.
        case moved(RedisConfiguration.Endpoint)
        /// The slot is migrating: ask this node, once.
        case ask(RedisConfiguration.Endpoint)
        /// The cluster cannot serve the command now, but may soon.
        case retryLater

        /// Reads `MOVED slot host:port`, `ASK slot host:port`, `TRYAGAIN`, `CLUSTERDOWN` or `LOADING`;
        /// `nil` for any other error.
        init?(_ message: String, from node: RedisConfiguration.Endpoint) {
            if message.hasPrefix("TRYAGAIN") || message.hasPrefix("CLUSTERDOWN") || message.hasPrefix("LOADING") {
                self = .retryLater
                return
            }
            let words = message.split(separator: " ")
            guard words.count >= 3, words[0] == "MOVED" || words[0] == "ASK", let colon = words[2].lastIndex(of: ":"),
                let port = Int(words[2][words[2].index(after: colon)...]), (1...65535).contains(port)
            else { return nil }
            var host = String(words[2][..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty {
                // An empty host means the node that sent the reply.
                guard case .tcp(let askedHost, _) = node else { return nil }
                host = askedHost
            }
            self = words[0] == "MOVED" ? .moved(.tcp(host: host, port: port)) : .ask(.tcp(host: host, port: port))
        }
    }
}
