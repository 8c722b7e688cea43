// The members of a JSON object in insertion order, with keys matched scalar by scalar.

import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The members of a JSON object, in insertion order.
///
/// Keys are matched by their Unicode scalars, as Python matches `str` keys: `"é"` (U+00E9) and
/// `"e\u{301}"` are two different keys. Setting an existing key keeps its position and replaces its
/// value, as a Python `dict` does; setting a key to `nil` removes it.
///
/// Equality ignores member order, as Python's `dict` equality does.
public struct JSONObject: Sendable {
    @usableFromInline internal private(set) var storedKeys: [String]
    @usableFromInline internal private(set) var storedValues: [JSONValue]
    /// Built once an object grows past a few members, so lookups stay O(1) on large objects.
    private var index: [ExactString: Int]?

    private static let indexThreshold = 12

    /// Creates an empty object.
    public init() {
        storedKeys = []
        storedValues = []
    }

    /// Creates an empty object with room for `minimumCapacity` members.
    ///
    /// - Parameter minimumCapacity: The number of members to reserve room for.
    public init(minimumCapacity: Int) {
        storedKeys = []
        storedValues = []
        storedKeys.reserveCapacity(minimumCapacity)
        storedValues.reserveCapacity(minimumCapacity)
    }

    /// The number of members.
    public var count: Int { storedKeys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { storedKeys.isEmpty }

    /// The member names, in insertion order.
    public var keys: [String] { storedKeys }

    /// The member values, in insertion order.
    public var values: [JSONValue] { storedValues }

    /// The position of the member named `key`, if there is one.
    ///
    /// - Parameter key: The member name, matched scalar by scalar.
    /// - Complexity: O(1) on average for large objects; O(*n*) for objects of a dozen members or fewer.
    public func position(of key: String) -> Int? {
        if let index { return index[ExactString(key)] }
        // Lengths first: for native strings `utf8.count` is stored, so most keys are told apart at once.
        let length = key.utf8.count
        for position in storedKeys.indices
        where storedKeys[position].utf8.count == length && ExactString.equal(storedKeys[position], key) {
            return position
        }
        return nil
    }

    /// The value of the member named `key`; assigning `nil` removes the member.
    ///
    /// - Parameter key: The member name, matched scalar by scalar.
    /// - Complexity: Reading and replacing are O(1) on average (O(*n*) for small objects); adding is
    ///   amortized O(1); removing is O(*n*).
    public subscript(key: String) -> JSONValue? {
        get {
            position(of: key).map { storedValues[$0] }
        }
        set {
            if let position = position(of: key) {
                if let newValue {
                    storedValues[position] = newValue
                } else {
                    storedKeys.remove(at: position)
                    storedValues.remove(at: position)
                    rebuildIndex()
                }
            } else if let newValue {
                storedKeys.append(key)
                storedValues.append(newValue)
                if index != nil {
                    index![ExactString(key)] = storedKeys.count - 1
                } else if storedKeys.count > Self.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    /// Sets `key` to `value` as the subscript does, without the subscript's optional value: the parser's
    /// path, where every member read is added. Both are taken over, so that the parser hands them on
    /// without copying.
    mutating func set(_ value: consuming JSONValue, forKey key: consuming String) {
        if let position = position(of: key) {
            // The value replaced may nest deeply; released here, Swift would destroy it recursively.
            let replaced = storedValues[position]
            storedValues[position] = value
            JSONValue.dismantle(consume replaced)
            return
        }
        storedValues.append(value)
        if index != nil {
            index![ExactString(copy key)] = storedKeys.count
            storedKeys.append(key)
        } else {
            storedKeys.append(key)
            if storedKeys.count > Self.indexThreshold { rebuildIndex() }
        }
    }

    private mutating func rebuildIndex() {
        guard storedKeys.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built = [ExactString: Int](minimumCapacity: storedKeys.count)
        for (position, key) in storedKeys.enumerated() { built[ExactString(key)] = position }
        index = built
    }
}

extension JSONObject: Sequence {
    /// Iterates over the members in insertion order.
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var position = 0

        init(_ object: JSONObject) { self.object = object }

        /// The next member, in the object's order, or `nil` after the last.
        public mutating func next() -> (key: String, value: JSONValue)? {
            guard position < object.storedKeys.count else { return nil }
            defer { position += 1 }
            return (object.storedKeys[position], object.storedValues[position])
        }
    }

    /// An iterator over the members, in the object's order.
    public func makeIterator() -> Iterator { Iterator(self) }

    /// The number of members.
    public var underestimatedCount: Int { count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// An object with the literal's members, in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(minimumCapacity: elements.count)
        for (key, value) in elements { self[key] = value }
    }
}

extension JSONObject: Hashable {
    /// Whether two objects have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var pending: [(JSONValue, JSONValue)] = []
        return lhs.sameMembers(as: rhs, levels: JSONValue.recursionLevels, deferringTo: &pending)
            && JSONValue.pendingAreEqual(&pending)
    }

    /// Whether `other`, of the same size, has the same members in any order, compared as
    /// `JSONValue.equal(_:_:levels:deferringTo:)` compares values.
    @inline(__always)
    func sameMembers(as other: JSONObject, levels: Int, deferringTo pending: inout [(JSONValue, JSONValue)]) -> Bool {
        for (position, key) in storedKeys.enumerated() {
            // Members usually come in the same order (the same text, parsed twice): try that first.
            let samePlace = ExactString.equal(other.storedKeys[position], key)
            guard let otherPosition = samePlace ? position : other.position(of: key),
                JSONValue.equal(
                    storedValues[position], other.storedValues[otherPosition], levels: levels, deferringTo: &pending)
            else { return false }
        }
        return true
    }

    /// Hashes the members in order.
    public func hash(into hasher: inout Hasher) {
        hash(into: &hasher, levels: JSONValue.recursionLevels)
    }

    /// Feeds the object to `hasher` as ``JSONValue`` feeds an object, without its case's tag.
    func hash(into hasher: inout Hasher, levels: Int) {
        guard levels > 0 else { return JSONValue.hashMembers(storedValues, keys: storedKeys, into: &hasher) }
        hasher.combine(count)
        var combined = 0
        for (position, key) in storedKeys.enumerated() {
            var member = Hasher()
            member.combine(ExactString(key))
            storedValues[position].hash(into: &member, levels: levels - 1)
            combined ^= member.finalize()
        }
        hasher.combine(combined)
    }
}
