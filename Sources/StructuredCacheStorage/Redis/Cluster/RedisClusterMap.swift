// Which node of a Redis Cluster serves which hash slot, parsed from CLUSTER SHARDS or CLUSTER SLOTS.

import StructuredCacheSupport

/// The slot map of a Redis Cluster: for each of the 16384 slots, the shard that serves it, and for each
/// shard its primary and its replicas.
///
/// Looking up a slot's primary is one array access. Maps are values: a refresh builds a new one.
///
/// ```swift
/// let map = try RedisClusterMap(shardsReply: reply, askedNode: seed)
/// let owner = map.primary(ofSlot: RedisClusterSlot.slot(of: "key"))
/// ```
struct RedisClusterMap: Sendable {
    /// One primary and the replicas that copy it.
    struct Shard: Sendable {
        /// The node that takes writes for the shard's slots.
        var primary: RedisConfiguration.Endpoint
        /// The nodes that replicate the primary, kept for failover information.
        var replicas: [RedisConfiguration.Endpoint]
    }

    /// The shards that serve at least one slot.
    private(set) var shards: [Shard]
    /// For each slot, the index in ``shards`` of the shard that serves it, or -1 when none does.
    private var owners: [Int16]

    /// A map in which no slot is served.
    init() {
        shards = []
        owners = [Int16](repeating: -1, count: RedisClusterSlot.count)
    }

    /// The primary that serves `slot`, or `nil` when no node serves it.
    ///
    /// - Parameter slot: A slot in `0..<16384`.
    /// - Returns: The primary's endpoint.
    func primary(ofSlot slot: Int) -> RedisConfiguration.Endpoint? {
        let index = owners[slot]
        return index < 0 ? nil : shards[Int(index)].primary
    }

    /// The index in ``shards`` of the shard that serves `slot`, or `nil` when none does.
    ///
    /// - Parameter slot: A slot in `0..<16384`.
    /// - Returns: The shard's index.
    func shardIndex(ofSlot slot: Int) -> Int? {
        let index = owners[slot]
        return index < 0 ? nil : Int(index)
    }

    /// The number of slots some node serves.
    var coveredSlots: Int { owners.reduce(0) { $0 + ($1 < 0 ? 0 : 1) } }

    /// Every node the map knows of, primaries first.
    var nodes: [RedisConfiguration.Endpoint] {
        shards.map(\.primary) + shards.flatMap(\.replicas)
    }

    /// Records that `range` is served by a shard with this primary and these replicas.
    private mutating func assign(
        _ range: ClosedRange<Int>, primary: RedisConfiguration.Endpoint, replicas: [RedisConfiguration.Endpoint]
    ) {
        let index: Int
        if let known = shards.firstIndex(where: { $0.primary == primary }) {
            index = known
            for replica in replicas where !shards[known].replicas.contains(replica) {
                shards[known].replicas.append(replica)
            }
        } else {
            index = shards.count
            shards.append(Shard(primary: primary, replicas: replicas))
        }
        for slot in range { owners[slot] = Int16(index) }
    }

    // MARK: - CLUSTER SHARDS

    /// Parses the reply to `CLUSTER SHARDS` (Redis 7 and later), in its RESP2 form (arrays of alternating
    /// names and values) or its RESP3 form (maps).
    ///
    /// Of each shard, the node whose role is `master` and whose health is `online` becomes the primary
    /// and the replicas that are online or loading its replicas; a shard without an online primary serves no slot.
    ///
    /// - Parameters:
    ///   - reply: The reply.
    ///   - askedNode: The node that sent it, whose host stands in for a node that announces none.
    ///   - usesTLS: Whether nodes are reached over TLS, so that their `tls-port` is used.
    /// - Throws: ``CacheError/Code/protocolError`` when the reply is not shaped as documented.
    init(
        shardsReply reply: RESPValue, askedNode: RedisConfiguration.Endpoint, usesTLS: Bool = false
    ) throws(CacheError) {
        self.init()
        guard let shardList = reply.elements else {
            throw .protocolError("unexpected reply to CLUSTER SHARDS: not an array")
        }
        for shardValue in shardList {
            let shard = try Self.fields(of: shardValue, what: "shard")
            guard let slotValues = shard["slots"]?.elements, slotValues.count % 2 == 0,
                let nodeValues = shard["nodes"]?.elements
            else {
                throw .protocolError("unexpected shard in CLUSTER SHARDS: no slots or nodes")
            }
            var primary: RedisConfiguration.Endpoint?
            var replicas: [RedisConfiguration.Endpoint] = []
            for nodeValue in nodeValues {
                let node = try Self.fields(of: nodeValue, what: "node")
                guard let endpoint = Self.endpoint(of: node, askedNode: askedNode, usesTLS: usesTLS) else { continue }
                let health = node["health"]?.string
                switch node["role"]?.string {
                case "master"?, "primary"?:
                    if health == "online" { primary = endpoint }
                case "replica"?, "slave"?:
                    // A replica reports `loading` until it has replicated a first write.
                    if health == "online" || health == "loading" { replicas.append(endpoint) }
                default:
                    break
                }
            }
            guard let primary else { continue }
            var index = 0
            while index < slotValues.count {
                guard let low = Self.integer(slotValues[index]), let high = Self.integer(slotValues[index + 1]),
                    0 <= low, low <= high, high < RedisClusterSlot.count
                else {
                    throw .protocolError("unexpected slot range in CLUSTER SHARDS")
                }
                assign(low...high, primary: primary, replicas: replicas)
                index += 2
            }
        }
    }

    /// The names and values of a RESP3 map, or of a RESP2 array of alternating names and values.
    private static func fields(of value: RESPValue, what: String) throws(CacheError) -> [String: RESPValue] {
        var fields: [String: RESPValue] = [:]
        switch value {
        case .map(let pairs):
            for pair in pairs {
                if let name = pair.key.string { fields[name] = pair.value }
            }
        case .array(let items) where items.count % 2 == 0:
            var index = 0
            while index < items.count {
                if let name = items[index].string { fields[name] = items[index + 1] }
                index += 2
            }
        default:
            throw .protocolError("unexpected \(what) in CLUSTER SHARDS: neither a map nor a list of pairs")
        }
        return fields
    }

    /// Where a node of `CLUSTER SHARDS` is reached: its `endpoint`, else `ip`, else `hostname`, at `port`
    /// or else `tls-port` (the other way round over TLS).
    private static func endpoint(
        of node: [String: RESPValue], askedNode: RedisConfiguration.Endpoint, usesTLS: Bool
    ) -> RedisConfiguration.Endpoint? {
        let candidates = ["endpoint", "ip", "hostname"].compactMap { node[$0]?.string }
        let announced = candidates.first { !$0.isEmpty && $0 != "?" }
        let ports = (usesTLS ? ["tls-port", "port"] : ["port", "tls-port"]).compactMap { name in
            node[name].flatMap(integer).flatMap { $0 > 0 ? $0 : nil }
        }
        let port = ports.first
        guard let port, (1...65535).contains(port) else { return nil }
        guard let host = announced ?? askedHost(askedNode) else { return nil }
        return .tcp(host: host, port: port)
    }

    // MARK: - CLUSTER SLOTS

    /// Parses the reply to `CLUSTER SLOTS` (before Redis 7): ranges, each with its primary first and its
    /// replicas after.
    ///
    /// - Parameters:
    ///   - reply: The reply.
    ///   - askedNode: The node that sent it, whose host stands in for a node announced without one.
    /// - Throws: ``CacheError/Code/protocolError`` when the reply is not shaped as documented.
    init(slotsReply reply: RESPValue, askedNode: RedisConfiguration.Endpoint) throws(CacheError) {
        self.init()
        guard let ranges = reply.elements else {
            throw .protocolError("unexpected reply to CLUSTER SLOTS: not an array")
        }
        for rangeValue in ranges {
            guard let range = rangeValue.elements, range.count >= 3, let low = Self.integer(range[0]),
                let high = Self.integer(range[1]), 0 <= low, low <= high, high < RedisClusterSlot.count
            else {
                throw .protocolError("unexpected slot range in CLUSTER SLOTS")
            }
            let nodes = range[2...].compactMap { value -> RedisConfiguration.Endpoint? in
                guard let fields = value.elements, fields.count >= 2, let port = Self.integer(fields[1]),
                    (1...65535).contains(port)
                else { return nil }
                let announced = fields[0].string.flatMap { $0.isEmpty || $0 == "?" ? nil : $0 }
                guard let host = announced ?? Self.askedHost(askedNode) else { return nil }
                return .tcp(host: host, port: port)
            }
            guard let primary = nodes.first else { continue }
            assign(low...high, primary: primary, replicas: Array(nodes.dropFirst()))
        }
    }

    // MARK: - Helpers

    /// The host of the node that was asked, for nodes announced without an address.
    private static func askedHost(_ node: RedisConfiguration.Endpoint) -> String? {
        if case .tcp(let host, _) = node { return host }
        return nil
    }

    /// An integer reply, or a string of digits.
    private static func integer(_ value: RESPValue) -> Int? {
        switch value {
        case .integer(let number): return Int(exactly: number)
        default: return value.string.flatMap { Int($0) }
        }
    }
}
