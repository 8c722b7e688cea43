// The recency order shared by AutoCache and DiskCache's index: a doubly-linked list threaded through one
// contiguous array by slot numbers, plus an open-addressing table from key to slot. No object is
// allocated per entry.

/// A key that carries a well-mixed 64-bit digest of itself, computed once.
protocol DigestKey: Equatable {
    /// A digest of the key; equal keys have equal digests.
    var digest: UInt64 { get }
}

/// A least-recently-used order over keys, each with a payload.
///
/// Nodes live in one array and link to each other by `Int32` slot numbers; freed slots form a free list
/// and are reused. The key-to-slot table is linear probing over an `Int32` array, indexed by each key's
/// precomputed digest (stored in the node, so probes and growth never rehash, and a mismatch is rejected
/// without touching the key). Inserting, finding, touching and removing are O(1) on average and allocate
/// nothing once the arrays have grown to their working size.
struct LRUList<Key: DigestKey, Payload> {
    private struct Node {
        var key: Key?
        var payload: Payload?
        var digest: UInt64
        /// The next more recently used slot, or -1.
        var newer: Int32
        /// The next less recently used slot, or -1 (also links the free list).
        var older: Int32
    }

    private var nodes: [Node] = []
    /// Slot numbers by digest position; -1 is empty. Its count is a power of two, at least twice `count`.
    private var buckets: [Int32]
    private(set) var count = 0
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private var freeHead: Int32 = -1

    /// Creates an empty list that can hold `capacity` entries before growing its storage.
    init(reservingCapacity capacity: Int = 0) {
        nodes.reserveCapacity(capacity)
        buckets = Array(repeating: -1, count: Self.bucketCount(for: capacity))
    }

    private static func bucketCount(for entries: Int) -> Int {
        var count = 16
        while count < entries * 2 { count <<= 1 }
        return count
    }

    /// The slot of `key`, without changing its recency.
    ///
    /// - Complexity: O(1) on average.
    func slot(forKey key: Key) -> Int32? {
        let mask = buckets.count - 1
        let digest = key.digest
        var position = Int(truncatingIfNeeded: digest) & mask
        while true {
            let slot = buckets[position]
            if slot < 0 { return nil }
            if nodes[Int(slot)].digest == digest, nodes[Int(slot)].key.unsafelyUnwrapped == key { return slot }
            position = (position + 1) & mask
        }
    }

    /// The payload at `slot`, read and changed in place (no copy, so no retain of what it holds).
    subscript(slot: Int32) -> Payload {
        _read { yield nodes[Int(slot)].payload.unsafelyUnwrapped }
        _modify {
            // Only slots handed out by insert are ever passed in, so the payload is always there.
            yield &nodes[Int(slot)].payload!
        }
    }

    /// The key at `slot`.
    func key(at slot: Int32) -> Key {
        nodes[Int(slot)].key!
    }

    /// The least recently used slot, if any.
    var oldestSlot: Int32? { oldest < 0 ? nil : oldest }

    /// Marks `slot` as the most recently used.
    ///
    /// - Complexity: O(1).
    mutating func touch(_ slot: Int32) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    /// Inserts a key that is not present as the most recently used entry.
    ///
    /// - Returns: The slot of the new entry.
    /// - Complexity: O(1) amortized.
    @discardableResult
    mutating func insert(_ key: Key, _ payload: Payload) -> Int32 {
        if (count + 1) * 2 > buckets.count { rebuildBuckets(Self.bucketCount(for: count + 1)) }
        let digest = key.digest
        let slot: Int32
        if freeHead >= 0 {
            slot = freeHead
            freeHead = nodes[Int(slot)].older
            nodes[Int(slot)].key = key
            nodes[Int(slot)].payload = payload
            nodes[Int(slot)].digest = digest
        } else {
            precondition(nodes.count < Int(Int32.max), "LRUList holds at most Int32.max entries")
            slot = Int32(nodes.count)
            nodes.append(Node(key: key, payload: payload, digest: digest, newer: -1, older: -1))
        }
        linkAsNewest(slot)
        place(slot, digest: digest)
        count += 1
        return slot
    }

    /// Removes the entry at `slot`.
    ///
    /// - Returns: The removed key and payload.
    /// - Complexity: O(1) on average.
    @discardableResult
    mutating func remove(at slot: Int32) -> (key: Key, payload: Payload) {
        unlink(slot)
        removeFromBuckets(slot)
        let index = Int(slot)
        let key = nodes[index].key.take()!
        let payload = nodes[index].payload.take()!
        nodes[index].older = freeHead
        nodes[index].newer = -1
        freeHead = slot
        count -= 1
        return (key, payload)
    }

    /// Removes every entry.
    ///
    /// - Parameter keepingCapacity: Keeps the storage for reuse.
    /// - Complexity: O(*n*).
    mutating func removeAll(keepingCapacity: Bool = false) {
        nodes.removeAll(keepingCapacity: keepingCapacity)
        buckets = Array(repeating: -1, count: keepingCapacity ? buckets.count : 16)
        count = 0
        newest = -1
        oldest = -1
        freeHead = -1
    }

    /// Every slot, from the most to the least recently used.
    ///
    /// - Complexity: O(*n*).
    var slotsFromNewest: [Int32] {
        var result: [Int32] = []
        result.reserveCapacity(count)
        var slot = newest
        while slot >= 0 {
            result.append(slot)
            slot = nodes[Int(slot)].older
        }
        return result
    }

    /// Checks the links, the table and the count agree; for tests.
    ///
    /// - Complexity: O(*n*).
    func isConsistent() -> Bool {
        var seen = 0
        var slot = newest
        var previous: Int32 = -1
        while slot >= 0 {
            let node = nodes[Int(slot)]
            guard node.newer == previous, let key = node.key, node.payload != nil, key.digest == node.digest,
                self.slot(forKey: key) == slot
            else { return false }
            seen += 1
            if seen > count { return false }
            previous = slot
            slot = node.older
        }
        return previous == oldest && seen == count && buckets.filter { $0 >= 0 }.count == count
    }

    // MARK: Table

    private mutating func place(_ slot: Int32, digest: UInt64) {
        let mask = buckets.count - 1
        var position = Int(truncatingIfNeeded: digest) & mask
        while buckets[position] >= 0 { position = (position + 1) & mask }
        buckets[position] = slot
    }

    /// Removes `slot` from the table, shifting later entries of its probe run back so lookups still find
    /// them (no tombstones, so the table never fills with dead entries).
    private mutating func removeFromBuckets(_ slot: Int32) {
        let mask = buckets.count - 1
        var hole = Int(truncatingIfNeeded: nodes[Int(slot)].digest) & mask
        while buckets[hole] != slot { hole = (hole + 1) & mask }
        var position = hole
        while true {
            position = (position + 1) & mask
            let candidate = buckets[position]
            if candidate < 0 { break }
            let home = Int(truncatingIfNeeded: nodes[Int(candidate)].digest) & mask
            // Move the candidate into the hole unless its home lies cyclically within (hole, position].
            let homeInRange = hole <= position ? (hole < home && home <= position) : (hole < home || home <= position)
            if !homeInRange {
                buckets[hole] = candidate
                hole = position
            }
        }
        buckets[hole] = -1
    }

    private mutating func rebuildBuckets(_ size: Int) {
        buckets = Array(repeating: -1, count: size)
        var slot = newest
        while slot >= 0 {
            place(slot, digest: nodes[Int(slot)].digest)
            slot = nodes[Int(slot)].older
        }
    }

    // MARK: Links

    private mutating func unlink(_ slot: Int32) {
        // Read only the links: copying the whole node would retain and release its key and payload.
        let newer = nodes[Int(slot)].newer
        let older = nodes[Int(slot)].older
        if newer >= 0 { nodes[Int(newer)].older = older } else { newest = older }
        if older >= 0 { nodes[Int(older)].newer = newer } else { oldest = newer }
    }

    private mutating func linkAsNewest(_ slot: Int32) {
        nodes[Int(slot)].newer = -1
        nodes[Int(slot)].older = newest
        if newest >= 0 { nodes[Int(newest)].newer = slot } else { oldest = slot }
        newest = slot
    }
}
