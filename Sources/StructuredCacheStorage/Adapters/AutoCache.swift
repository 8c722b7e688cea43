// The in-process cache: a bounded LRU of byte values with optional TTLs and byte budget, safe from any
// thread or task, with a synchronous API beside the async CacheAdapter one.

public import Foundation
import StructuredCacheSupport
import Synchronization

/// An in-memory, least-recently-used cache of byte values, bounded by entry count and optionally by bytes.
///
/// Reading a value makes it the most recently used; storing one makes it the most recently used; when
/// the cache is full, the least recently used entry goes. Unlike Instructor's `AutoCache`, TTLs are
/// honoured: an expired entry is a miss and is dropped when next seen. With
/// ``Configuration/staleGrace``, an expired entry is kept that much longer for
/// `getStale(_:maxStaleness:)`, though still a miss for `get`.
///
/// ```swift
/// let cache = try AutoCache(maxSize: 1_000, configuration: .init(maxBytes: 64 << 20, defaultTTL: .seconds(3_600)))
/// cache.set(key, Data("answer".utf8))    // synchronous, from synchronous code
/// let hit = cache.get(key)
/// let same = try await cache.get(key)     // CacheAdapter
/// ```
///
/// Keys are compared by their exact Unicode scalars: "é" and "e\u{301}" are two keys. Every operation
/// takes one lock for a few dozen nanoseconds and allocates nothing per entry beyond the key and value
/// themselves. Synchronous code calls the synchronous `get`, `set`, `remove`, `removeAll` and `sweep`;
/// async code calls the async ones of the same names.
public final class AutoCache: CacheAdapter {
    struct Entry {
        var value: Data
        /// Monotonic nanoseconds after which the entry is expired; `Int64.max` for never.
        var deadline: Int64
        /// What the entry counts against the byte budget: value bytes plus key UTF-8 bytes.
        var cost: Int
    }

    struct Storage {
        var entries: LRUList<ScalarKey, Entry>
        var totalCost = 0
    }

    /// The most entries the cache holds.
    public let maxSize: Int
    /// The options the cache was created with.
    public let configuration: Configuration
    /// The byte budget, from the configuration.
    let maxBytes: Int?
    /// How long past its deadline an entry is kept, in nanoseconds; 0 without a grace.
    let grace: Int64

    let clock: CacheClock
    let storage: Lock<Storage>

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - maxSize: The most entries to hold; at least 1. Instructor's default is 128.
    ///   - configuration: Byte budget, default TTL and clock.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when `maxSize` or `maxBytes` is not positive,
    ///   or `defaultTTL` or `staleGrace` is not longer than zero.
    public init(maxSize: Int = 128, configuration: Configuration = Configuration()) throws {
        guard maxSize > 0, maxSize < Int(Int32.max) else {
            throw CacheError.invalidConfiguration("AutoCache maxSize must be > 0 (and below 2^31), got \(maxSize)")
        }
        if let maxBytes = configuration.maxBytes, maxBytes <= 0 {
            throw CacheError.invalidConfiguration("AutoCache maxBytes must be > 0, got \(maxBytes)")
        }
        if let defaultTTL = configuration.defaultTTL, defaultTTL <= .zero {
            throw CacheError.invalidConfiguration("AutoCache defaultTTL must be > 0, got \(defaultTTL)")
        }
        if let staleGrace = configuration.staleGrace, staleGrace <= .zero {
            throw CacheError.invalidConfiguration("AutoCache staleGrace must be > 0, got \(staleGrace)")
        }
        self.maxSize = maxSize
        self.configuration = configuration
        self.maxBytes = configuration.maxBytes
        self.grace = configuration.staleGrace?.nanoseconds(roundingUp: true) ?? 0
        self.clock = CacheClock(configuration.clock)
        // Reserve only a modest start: a huge maxSize must not cost memory before it is used.
        storage = Lock(Storage(entries: LRUList(reservingCapacity: min(maxSize, 1_024))))
    }

    /// The number of entries held, expired ones not yet dropped (and those in their grace) included.
    ///
    /// - Complexity: O(1).
    public var count: Int {
        storage.withLock { $0.entries.count }
    }

    /// The bytes held, counted as for ``Configuration/maxBytes``.
    ///
    /// - Complexity: O(1).
    public var byteCount: Int {
        storage.withLock { $0.totalCost }
    }

    /// Returns the value stored under `key` and makes it the most recently used, as the synchronous
    /// `get` does.
    @usableFromInline
    func read(_ key: String) -> Data? {
        let key = ScalarKey(key)
        let clock = self.clock
        let grace = self.grace
        return storage.withLock { storage -> Data? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            // Read the clock only for entries that can expire: most calls never pay for it.
            let deadline = storage.entries[slot].deadline
            if deadline != .max {
                let now = clock.nanoseconds()
                if now >= deadline {
                    // Kept through its grace for stale reads, but never a hit.
                    if now >= deadline.saturatingAdding(grace) {
                        storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                    }
                    return nil
                }
            }
            storage.entries.touch(slot)
            return storage.entries[slot].value
        }
    }

    /// Stores `value` under `key` as the most recently used entry, as the synchronous `set` does.
    @usableFromInline
    func write(_ value: Data, forKey key: String, ttl: CacheTTL) {
        let key = ScalarKey(key)
        var deadline = Int64.max
        if let ttl = ttl.resolved(defaultTTL: configuration.defaultTTL) {
            guard ttl > .zero else {
                drop(key.string)
                return
            }
            deadline = clock.nanoseconds().saturatingAdding(ttl.nanoseconds(roundingUp: true))
        }
        let cost = value.count + key.string.utf8.count
        let entry = Entry(value: value, deadline: deadline, cost: cost)
        let maxSize = self.maxSize
        let maxBytes = self.maxBytes ?? .max
        // Values that leave the cache are released after the lock, so freeing them never holds it up.
        let released: Entry? = storage.withLock { storage -> Entry? in
            var released: Entry?
            if let slot = storage.entries.slot(forKey: key) {
                if cost > maxBytes {
                    let old = storage.entries.remove(at: slot).payload
                    storage.totalCost -= old.cost
                    return old
                }
                storage.totalCost += cost - storage.entries[slot].cost
                released = storage.entries[slot]
                storage.entries[slot] = entry
                storage.entries.touch(slot)
            } else {
                guard cost <= maxBytes else { return nil }
                if storage.entries.count >= maxSize, let oldest = storage.entries.oldestSlot {
                    released = storage.entries.remove(at: oldest).payload
                    storage.totalCost -= released!.cost
                }
                storage.entries.insert(key, entry)
                storage.totalCost += cost
            }
            // The new entry alone fits, so this stops before reaching it.
            while storage.totalCost > maxBytes, let oldest = storage.entries.oldestSlot {
                storage.totalCost -= storage.entries.remove(at: oldest).payload.cost
            }
            return released
        }
        _ = consume released
    }

    /// Removes the value stored under `key`, if any, as the synchronous `remove` does.
    @usableFromInline
    func drop(_ key: String) {
        let key = ScalarKey(key)
        let released: Entry? = storage.withLock { storage -> Entry? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            let entry = storage.entries.remove(at: slot).payload
            storage.totalCost -= entry.cost
            return entry
        }
        _ = consume released
    }

    /// Removes every value, as the synchronous `removeAll` does.
    @usableFromInline
    func dropAll() {
        let released = storage.withLock { storage -> Storage in
            let old = storage
            storage = Storage(entries: LRUList(reservingCapacity: min(maxSize, 1_024)))
            return old
        }
        _ = consume released
    }

    /// Drops every expired entry past its grace now, as the synchronous `sweep` does.
    @usableFromInline
    func dropExpired() -> Int {
        let now = clock.nanoseconds()
        let grace = self.grace
        return storage.withLock { storage -> Int in
            var dropped = 0
            for slot in storage.entries.slotsFromNewest
            where storage.entries[slot].deadline.saturatingAdding(grace) <= now {
                storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                dropped += 1
            }
            return dropped
        }
    }

    /// The value under `key` and the time it has left (`nil` for no expiry), without a miss for expiry
    /// being distinguishable from absence; used to carry TTLs across tiers.
    func entry(forKey key: String) -> (value: Data, remaining: Duration?)? {
        let key = ScalarKey(key)
        let clock = self.clock
        let grace = self.grace
        return storage.withLock { storage -> (value: Data, remaining: Duration?)? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            let deadline = storage.entries[slot].deadline
            guard deadline != .max else {
                storage.entries.touch(slot)
                return (storage.entries[slot].value, nil)
            }
            let now = clock.nanoseconds()
            if now >= deadline {
                if now >= deadline.saturatingAdding(grace) {
                    storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                }
                return nil
            }
            storage.entries.touch(slot)
            return (storage.entries[slot].value, .nanoseconds(deadline - now))
        }
    }

    /// The value under `key` if it expired no longer ago than `maxStaleness` and is within its grace, and
    /// how long ago it expired, as the synchronous `getStale` does. Leaves its recency alone: a stale read
    /// is no use that should keep the entry.
    @usableFromInline
    func staleEntry(forKey key: String, maxStaleness: Duration) -> (value: Data, staleness: Duration)? {
        guard grace > 0 else { return nil }
        let key = ScalarKey(key)
        let clock = self.clock
        let grace = self.grace
        let bound = maxStaleness.nanoseconds()
        return storage.withLock { storage -> (value: Data, staleness: Duration)? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            let deadline = storage.entries[slot].deadline
            guard deadline != .max else { return nil }
            let now = clock.nanoseconds()
            guard now >= deadline else { return nil }
            if now >= deadline.saturatingAdding(grace) {
                storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                return nil
            }
            let staleness = now - deadline
            guard staleness <= bound else { return nil }
            return (storage.entries[slot].value, .nanoseconds(staleness))
        }
    }

    /// Checks the internal list, index and byte count agree; for tests.
    func isConsistent() -> Bool {
        storage.withLock { storage in
            guard storage.entries.isConsistent(), storage.entries.count <= maxSize else { return false }
            let total = storage.entries.slotsFromNewest.reduce(0) { $0 + storage.entries[$1].cost }
            return total == storage.totalCost && total <= (maxBytes ?? .max)
        }
    }
}
