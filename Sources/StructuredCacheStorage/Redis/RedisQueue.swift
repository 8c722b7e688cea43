// A first-in first-out ring buffer: the commands a connection has sent and not yet seen replies for.

/// A growable FIFO queue in one contiguous ring buffer.
///
/// Appending and removing from the front are O(1) (amortised for appends), with no per-element
/// allocation, which matters because every pipelined command passes through one.
struct RedisQueue<Element> {
    private var storage: [Element?] = []
    private var head = 0
    /// The number of elements in the queue.
    private(set) var count = 0

    /// Creates an empty queue.
    init() {}

    /// Whether the queue is empty.
    var isEmpty: Bool { count == 0 }

    /// The oldest element, or `nil` when the queue is empty.
    var first: Element? { count == 0 ? nil : storage[head] }

    /// Adds `element` at the back.
    ///
    /// - Complexity: Amortised O(1).
    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) % storage.count] = element
        count += 1
    }

    /// Removes and returns the oldest element, or `nil` when the queue is empty.
    ///
    /// - Complexity: O(1).
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head]
        storage[head] = nil
        head = (head + 1) % storage.count
        count -= 1
        return element
    }

    /// Calls `body` on the oldest element that matches `predicate`, in place, and returns its result;
    /// `nil` when no element matches.
    ///
    /// - Complexity: O(*n*).
    mutating func updateFirst<Result>(
        where predicate: (Element) -> Bool, _ body: (inout Element) -> Result
    ) -> Result? {
        for offset in 0..<count {
            let index = (head + offset) % storage.count
            guard predicate(storage[index]!) else { continue }
            return body(&storage[index]!)
        }
        return nil
    }

    /// Removes every element and returns them oldest first.
    ///
    /// - Complexity: O(*n*).
    mutating func removeAll() -> [Element] {
        var elements: [Element] = []
        elements.reserveCapacity(count)
        while let element = popFirst() { elements.append(element) }
        return elements
    }

    private mutating func grow() {
        let newCapacity = Swift.max(16, storage.count * 2)
        var newStorage = [Element?](repeating: nil, count: newCapacity)
        for index in 0..<count {
            newStorage[index] = storage[(head + index) % storage.count]
        }
        storage = newStorage
        head = 0
    }
}
