// The recency order shared by AutoCache and DiskCache's index: a doubly-linked list threaded through one
// contiguous array by slot numbers, plus a dictionary from key to slot. No object is allocated per entry.

/// A least-recently-used order over keys, each with a payload.
///
/// Nodes live in one array and link to each other by `Int32` slot numbers; freed slots form a free list
/// and are reused, so inserting, touching and removing are O(1) and allocate nothing once the array has
/// grown to its working size.
struct LRUList<Key: Hashable, Payload> {
    private struct Node {
        var key: Key?
        var payload: Payload?
        /// The next more recently used slot, or -1.
        var newer: Int32
        /// The next less recently used slot, or -1 (also links the free list).
        var older: Int32
    }

    private var nodes: [Node] = []
    private var slots: [Key: Int32] = [:]
    private var newest: Int32 = -1
    private var oldest: Int32 = -1
    private var freeHead: Int32 = -1

    /// Creates an empty list that can hold `capacity` entries before growing its storage.
    init(reservingCapacity capacity: Int = 0) {
        nodes.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    /// The number of entries.
    var count: Int { slots.count }

    /// The slot of `key`, without changing its recency.
    ///
    /// - Complexity: O(1) on average.
    func slot(forKey key: Key) -> Int32? {
        slots[key]
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
        let slot: Int32
        if freeHead >= 0 {
            slot = freeHead
            freeHead = nodes[Int(slot)].older
            nodes[Int(slot)].key = key
            nodes[Int(slot)].payload = payload
        } else {
            precondition(nodes.count < Int(Int32.max), "LRUList holds at most Int32.max entries")
            slot = Int32(nodes.count)
            nodes.append(Node(key: key, payload: payload, newer: -1, older: -1))
        }
        linkAsNewest(slot)
        slots[key] = slot
        return slot
    }

    /// Removes the entry at `slot`.
    ///
    /// - Returns: The removed key and payload.
    /// - Complexity: O(1) on average.
    @discardableResult
    mutating func remove(at slot: Int32) -> (key: Key, payload: Payload) {
        unlink(slot)
        let index = Int(slot)
        let key = nodes[index].key.take()!
        let payload = nodes[index].payload.take()!
        nodes[index].older = freeHead
        nodes[index].newer = -1
        freeHead = slot
        slots[key] = nil
        return (key, payload)
    }

    /// Removes every entry.
    ///
    /// - Parameter keepingCapacity: Keeps the storage for reuse.
    /// - Complexity: O(*n*).
    mutating func removeAll(keepingCapacity: Bool = false) {
        nodes.removeAll(keepingCapacity: keepingCapacity)
        slots.removeAll(keepingCapacity: keepingCapacity)
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

    /// Checks the links and the dictionary agree; for tests.
    ///
    /// - Complexity: O(*n*).
    func isConsistent() -> Bool {
        var seen = 0
        var slot = newest
        var previous: Int32 = -1
        while slot >= 0 {
            let node = nodes[Int(slot)]
            guard node.newer == previous, let key = node.key, node.payload != nil, slots[key] == slot else {
                return false
            }
            seen += 1
            if seen > slots.count { return false }
            previous = slot
            slot = node.older
        }
        return previous == oldest && seen == slots.count
    }

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
