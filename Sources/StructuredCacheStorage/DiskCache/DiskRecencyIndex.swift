// DiskCache's in-memory record of entry sizes and recency, kept only when a byte budget is set.

/// The sizes and use order of the entry files one DiskCache knows, for its byte budget.
///
/// Recency is tracked in memory, never through atime (often disabled, and too coarse): each read or
/// write of an entry makes it the most recently used. The index is built on first need by scanning the
/// folder, ordering existing files by modification time (DiskCache refreshes a file's mtime when it
/// reads it and the mtime is over a minute old, so the order survives restarts to about that
/// granularity). Files that other processes write later join when this process reads them or at the
/// next `sweep()`.
struct DiskRecencyIndex {
    private(set) var entries = LRUList<DiskEntryID, Int>()
    private(set) var totalBytes = 0
    var isLoaded = false

    /// Records that the file of `id`, of `size` bytes, was just read or written.
    ///
    /// - Returns: The least recently used entries to delete to get back under `budget`; they are already
    ///   removed from the index. The entry just recorded is never among them.
    /// - Complexity: O(1) on average, plus O(1) per evicted entry.
    mutating func record(_ id: DiskEntryID, size: Int, budget: Int) -> [DiskEntryID] {
        if let slot = entries.slot(forKey: id) {
            totalBytes += size - entries[slot]
            entries[slot] = size
            entries.touch(slot)
        } else {
            entries.insert(id, size)
            totalBytes += size
        }
        var evicted: [DiskEntryID] = []
        while totalBytes > budget, let oldest = entries.oldestSlot, entries.key(at: oldest) != id {
            let removed = entries.remove(at: oldest)
            totalBytes -= removed.payload
            evicted.append(removed.key)
        }
        return evicted
    }

    /// Makes the entry of `id` the most recently used if the index is loaded and already knows it at
    /// `size` bytes: a read that changes nothing else, so it cannot evict.
    ///
    /// - Returns: Whether it did; otherwise the read is for ``record(_:size:budget:)`` to note.
    /// - Complexity: O(1) on average.
    mutating func touchIfKnown(_ id: DiskEntryID, size: Int) -> Bool {
        guard isLoaded, let slot = entries.slot(forKey: id), entries[slot] == size else { return false }
        entries.touch(slot)
        return true
    }

    /// Forgets the file of `id` (it was removed or found missing).
    ///
    /// - Complexity: O(1) on average.
    mutating func forget(_ id: DiskEntryID) {
        guard let slot = entries.slot(forKey: id) else { return }
        totalBytes -= entries.remove(at: slot).payload
    }

    /// Replaces the contents with `files`, oldest first, and trims to `budget`.
    ///
    /// - Returns: The entries to delete to get under `budget`.
    /// - Complexity: O(*n* log *n*) for the sort.
    mutating func rebuild(from files: [(id: DiskEntryID, size: Int, modified: Int64)], budget: Int) -> [DiskEntryID] {
        entries.removeAll()
        totalBytes = 0
        isLoaded = true
        for file in files.sorted(by: { $0.modified < $1.modified }) {
            entries.insert(file.id, file.size)
            totalBytes += file.size
        }
        var evicted: [DiskEntryID] = []
        while totalBytes > budget, let oldest = entries.oldestSlot {
            let removed = entries.remove(at: oldest)
            totalBytes -= removed.payload
            evicted.append(removed.key)
        }
        return evicted
    }

    /// Forgets everything, but stays loaded (the folder is known to be empty).
    mutating func removeAll() {
        entries.removeAll()
        totalBytes = 0
        isLoaded = true
    }
}
