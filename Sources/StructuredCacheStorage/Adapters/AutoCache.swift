// The in-process cache: a bounded LRU of byte values with optional TTLs and byte budget, safe from any
// thread or task, with a synchronous API beside the async CacheAdapter one.

public import Foundation
import StructuredCacheSupport
import Synchronization

/// An in-memory, least-recently-used cache of byte values, bounded by entry count and optionally by bytes.
///
/// Reading a value makes it the most recently used; storing one makes it the most recently used; when
/// the cache is full, the least recently used entry goes. Unlike Instructor's `AutoCache`, TTLs are
/// honoured: an expired entry is a miss and is dropped when next seen.
///
/// ```swift
/// let cache = try AutoCache(maxSize: 1_000, maxBytes: 64 << 20, defaultTTL: .seconds(3_600))
/// cache.setValue(Data("answer".utf8), forKey: key)
/// let hit = cache.value(forKey: key)      // synchronous
/// let same = try await cache.get(key)     // CacheAdapter
/// ```
///
/// Keys are compared by their exact Unicode scalars: "é" and "e\u{301}" are two keys. Every operation
/// takes one lock for a few dozen nanoseconds and allocates nothing per entry beyond the key and value
/// themselves, so the synchronous API is safe to call from async code.
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
    /// The most bytes (values plus keys, in UTF-8) the cache holds, if limited.
    public let maxBytes: Int?
    /// The TTL of values stored with ``CacheTTL/adapterDefault``, if any.
    public let defaultTTL: Duration?

    let clock: CacheClock
    let storage: Lock<Storage>

    /// Creates an empty cache.
    ///
    /// - Parameters:
    ///   - maxSize: The most entries to hold; at least 1. Instructor's default is 128.
    ///   - maxBytes: The most bytes to hold, counting each value's bytes plus its key's UTF-8 bytes;
    ///     `nil` for no byte limit. A single value over this limit is not stored.
    ///   - defaultTTL: How long values stored with ``CacheTTL/adapterDefault`` live; `nil` for no expiry.
    ///   - clock: The clock TTLs are measured with; tests pass one they can move.
    /// - Throws: ``CacheError/Code/invalidConfiguration`` when `maxSize` or `maxBytes` is not positive,
    ///   or `defaultTTL` is not longer than zero.
    public init(
        maxSize: Int = 128,
        maxBytes: Int? = nil,
        defaultTTL: Duration? = nil,
        clock: some Clock<Duration> = ContinuousClock()
    ) throws {
        guard maxSize > 0, maxSize < Int(Int32.max) else {
            throw CacheError.invalidConfiguration("AutoCache maxSize must be > 0 (and below 2^31), got \(maxSize)")
        }
        if let maxBytes, maxBytes <= 0 {
            throw CacheError.invalidConfiguration("AutoCache maxBytes must be > 0, got \(maxBytes)")
        }
        if let defaultTTL, defaultTTL <= .zero {
            throw CacheError.invalidConfiguration("AutoCache defaultTTL must be > 0, got \(defaultTTL)")
        }
        self.maxSize = maxSize
        self.maxBytes = maxBytes
        self.defaultTTL = defaultTTL
        self.clock = CacheClock(clock)
        // Reserve only a modest start: a huge maxSize must not cost memory before it is used.
        storage = Lock(Storage(entries: LRUList(reservingCapacity: min(maxSize, 1_024))))
    }

    /// The number of entries held, expired ones not yet dropped included.
    ///
    /// - Complexity: O(1).
    public var count: Int {
        storage.withLock { $0.entries.count }
    }

    /// The bytes held, counted as for ``maxBytes``.
    ///
    /// - Complexity: O(1).
    public var byteCount: Int {
        storage.withLock { $0.totalCost }
    }

    /// Returns the value stored under `key` and makes it the most recently used.
    ///
    /// - Parameter key: The key, compared by Unicode scalars.
    /// - Returns: The value, or `nil` when it is missing or expired (an expired entry is dropped).
    /// - Complexity: O(1) on average.
    public func value(forKey key: String) -> Data? {
        let key = ScalarKey(key)
        let clock = self.clock
        return storage.withLock { storage -> Data? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            // Read the clock only for entries that can expire: most calls never pay for it.
            let deadline = storage.entries[slot].deadline
            if deadline != .max, clock.nanoseconds() >= deadline {
                storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                return nil
            }
            storage.entries.touch(slot)
            return storage.entries[slot].value
        }
    }

    /// Stores `value` under `key` as the most recently used entry, evicting least recently used entries
    /// as the size and byte limits require.
    ///
    /// - Parameters:
    ///   - value: The bytes to store.
    ///   - key: The key, compared by Unicode scalars.
    ///   - ttl: How long the value lives; ``CacheTTL/adapterDefault`` (the default) for ``defaultTTL``. A
    ///     TTL of zero or less removes the key.
    /// - Complexity: O(1) on average (O(*k*) when *k* entries must go to fit the byte budget).
    public func setValue(_ value: Data, forKey key: String, ttl: CacheTTL = .adapterDefault) {
        let key = ScalarKey(key)
        var deadline = Int64.max
        if let ttl = ttl.resolved(defaultTTL: defaultTTL) {
            guard ttl > .zero else {
                removeValue(forKey: key.string)
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

    /// Removes the value stored under `key`, if any.
    ///
    /// - Parameter key: The key, compared by Unicode scalars.
    /// - Complexity: O(1) on average.
    public func removeValue(forKey key: String) {
        let key = ScalarKey(key)
        let released: Entry? = storage.withLock { storage -> Entry? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            let entry = storage.entries.remove(at: slot).payload
            storage.totalCost -= entry.cost
            return entry
        }
        _ = consume released
    }

    /// Removes every value.
    ///
    /// - Complexity: O(*n*).
    public func removeAllValues() {
        let released = storage.withLock { storage -> Storage in
            let old = storage
            storage = Storage(entries: LRUList(reservingCapacity: min(maxSize, 1_024)))
            return old
        }
        _ = consume released
    }

    /// Drops every expired entry now, instead of when each is next read or evicted.
    ///
    /// - Returns: The number of entries dropped.
    /// - Complexity: O(*n*).
    @discardableResult
    public func removeExpiredValues() -> Int {
        let now = clock.nanoseconds()
        return storage.withLock { storage -> Int in
            var dropped = 0
            for slot in storage.entries.slotsFromNewest where storage.entries[slot].deadline <= now {
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
        return storage.withLock { storage -> (value: Data, remaining: Duration?)? in
            guard let slot = storage.entries.slot(forKey: key) else { return nil }
            let deadline = storage.entries[slot].deadline
            guard deadline != .max else {
                storage.entries.touch(slot)
                return (storage.entries[slot].value, nil)
            }
            let now = clock.nanoseconds()
            if now >= deadline {
                storage.totalCost -= storage.entries.remove(at: slot).payload.cost
                return nil
            }
            storage.entries.touch(slot)
            return (storage.entries[slot].value, .nanoseconds(deadline - now))
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
