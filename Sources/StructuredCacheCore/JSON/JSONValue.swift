// A JSON value that keeps everything Python's json module keeps: integer digits of any size, floats
// as floats, object members in insertion order, and strings compared scalar by scalar.

import StructuredCacheSupport

/// A JSON value, as Python's `json` module sees one.
///
/// `JSONValue` keeps the distinctions that change what Python's `json.dumps` writes, and therefore
/// what a cache key hashes:
/// - integers and floats are different cases (`10` is ``int(_:)``, `10.0` is ``double(_:)``), and
///   integers outside `Int`'s range keep their digits (``bigInt(_:)``);
/// - object members keep their insertion order (``JSONObject``);
/// - strings are compared by Unicode scalars: `"é"` (U+00E9) and `"e\u{301}"` are different values,
///   although Swift's `String ==` calls them equal.
///
/// Literals work, so messages can be written naturally:
///
/// ```swift
/// let message: JSONValue = ["role": "user", "content": "hello", "weight": 1.5, "tags": ["a", nil]]
/// ```
///
/// Equality follows Python's: object equality ignores member order, `-0.0` differs from `0.0`
/// (they are written differently), and NaN equals NaN (so that values can be used as keys).
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An integer that fits in `Int`.
    case int(Int)
    /// An integer outside `Int`'s range, kept as its decimal digits.
    case bigInt(JSONBigInt)
    /// A floating-point number; written as Python's `repr` writes it (`10.0`, `1e-05`).
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object whose members keep their insertion order.
    case object(JSONObject)
}

extension JSONValue {
    /// Makes an integer value from decimal digits of any length.
    ///
    /// - Parameter digits: An optional `-` followed by decimal digits, as JSON writes integers.
    /// - Returns: ``int(_:)`` when the number fits in `Int`, ``bigInt(_:)`` otherwise, or `nil` when
    ///   `digits` is not an integer.
    public static func integer(digits: some StringProtocol) -> JSONValue? {
        if let value = Int(digits) { return .int(value) }
        return JSONBigInt(digits).map(JSONValue.bigInt)
    }

    /// The string, when this is a ``string(_:)``.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The Boolean, when this is a ``bool(_:)``.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, when this is an ``int(_:)``.
    public var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, when this is an ``int(_:)``, a ``bigInt(_:)`` or a ``double(_:)``.
    public var doubleValue: Double? {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        case .bigInt(let value): return Double(value.digits)
        default: return nil
        }
    }

    /// The elements, when this is an ``array(_:)``.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The object, when this is an ``object(_:)``.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// Whether this is ``null``.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The member named `key`, when this is an object that has one.
    ///
    /// - Parameter key: The member name, matched scalar by scalar.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let object) = self { return object[key] }
            return nil
        }
    }

    /// The element at `index`, when this is an array and the index is in range.
    ///
    /// - Parameter index: A zero-based position.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }
}

extension JSONValue {
    /// Destroys `value` without recursing, however deeply it nests.
    ///
    /// Swift destroys an array of values by destroying each value, so releasing a value nested tens of
    /// thousands of levels deep overflows the stack. This takes the value apart from the top instead:
    /// each container's children are held in a flat list before the container is released, so that no
    /// release ever frees more than one level. It only helps when `value` holds the last references.
    ///
    /// - Parameter value: The value to destroy.
    static func dismantle(_ value: consuming JSONValue) {
        switch value {
        case .array(let elements) where !elements.isEmpty: break
        case .object(let object) where !object.isEmpty: break
        default: return
        }
        var pending = [value]
        while let next = pending.popLast() {
            switch next {
            case .array(let elements): pending.append(contentsOf: elements)
            case .object(let object): pending.append(contentsOf: object.storedValues)
            default: break
            }
        }
    }
}

extension JSONValue: Equatable {
    /// Whether two values are the same JSON as Python compares them: `10` and `10.0` differ, object members in order, strings by Unicode scalars.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        var pending: [(JSONValue, JSONValue)] = []
        return equal(lhs, rhs, levels: recursionLevels, deferringTo: &pending) && pendingAreEqual(&pending)
    }

    /// How many levels of arrays and objects `==` and `hash(into:)` go down by recursion, which is the
    /// fastest way, before they go on with an explicit stack, which no depth can overflow.
    static let recursionLevels = 16

    /// Whether `lhs` and `rhs` are equal, recursing into `levels` levels of members; arrays and objects
    /// below those, of the same kind and size, are appended to `pending` to compare later.
    static func equal(
        _ lhs: JSONValue, _ rhs: JSONValue, levels: Int, deferringTo pending: inout [(JSONValue, JSONValue)]
    ) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.int(let a), .int(let b)):
            return a == b
        case (.bigInt(let a), .bigInt(let b)):
            return a == b
        case (.int(let a), .bigInt(let b)), (.bigInt(let b), .int(let a)):
            return b.digits == String(a)
        case (.double(let a), .double(let b)):
            return a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
        case (.string(let a), .string(let b)):
            return ExactString.equal(a, b)
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return false }
            // Arrays that share their storage (a value and its copy) are equal without a look inside.
            let shared = a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { a.baseAddress == $0.baseAddress }
            }
            if a.isEmpty || shared { return true }
            guard levels > 0 else {
                pending.append((lhs, rhs))
                return true
            }
            for index in a.indices where !equal(a[index], b[index], levels: levels - 1, deferringTo: &pending) {
                return false
            }
            return true
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            guard levels > 0 else {
                if !a.isEmpty { pending.append((lhs, rhs)) }
                return true
            }
            return a.sameMembers(as: b, levels: levels - 1, deferringTo: &pending)
        default:
            return false
        }
    }

    /// Whether each pair in `pending`, arrays or objects of the same kind and size, is equal; a
    /// worklist rather than recursion, so that no depth can overflow the stack.
    static func pendingAreEqual(_ pending: inout [(JSONValue, JSONValue)]) -> Bool {
        while let pair = pending.popLast() {
            switch pair {
            case (.array(let a), .array(let b)):
                for index in a.indices where !equal(a[index], b[index], levels: 0, deferringTo: &pending) {
                    return false
                }
            case (.object(let a), .object(let b)):
                guard a.sameMembers(as: b, levels: 0, deferringTo: &pending) else { return false }
            default:
                preconditionFailure("only arrays and objects are deferred")
            }
        }
        return true
    }
}

extension JSONValue: Hashable {
    /// Hashes the value consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hash(into: &hasher, levels: Self.recursionLevels)
    }

    /// Feeds the value to `hasher`, recursing into at most `levels` levels of members.
    ///
    /// An array feeds its count and its elements; an object feeds its count and the exclusive or of
    /// its members' own hashes, each of its name and value, so that member order does not matter.
    func hash(into hasher: inout Hasher, levels: Int) {
        switch self {
        case .array(let elements):
            hasher.combine(5 as UInt8)
            guard levels > 0 else { return Self.hashMembers(elements, keys: nil, into: &hasher) }
            hasher.combine(elements.count)
            for element in elements { element.hash(into: &hasher, levels: levels - 1) }
        case .object(let object):
            hasher.combine(6 as UInt8)
            object.hash(into: &hasher, levels: levels)
        default:
            hashScalar(into: &hasher)
        }
    }

    /// Feeds a value that is not an array or an object to `hasher`.
    @inline(__always)
    private func hashScalar(into hasher: inout Hasher) {
        switch self {
        case .null:
            hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .bigInt(let value):
            // A big integer that fits in Int equals the .int case, so it must hash like it.
            if let small = Int(value.digits) {
                hasher.combine(2 as UInt8)
                hasher.combine(small)
            } else {
                hasher.combine(7 as UInt8)
                hasher.combine(value.digits)
            }
        case .double(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
        case .string(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(ExactString(value))
        case .array, .object:
            preconditionFailure("arrays and objects are hashed member by member")
        }
    }

    /// An array (`keys` nil) or object being hashed.
    private struct HashFrame {
        let values: [JSONValue]
        let keys: [String]?
        var next = 0
        /// An object's member hashes combined so far: order-independent, to agree with ==.
        var combined = 0
        /// The hasher the object was being fed to, resumed when its members are done.
        let outer: Hasher?
    }

    /// Feeds the members of an array (`keys` nil) or object to `hasher` as `hash(into:levels:)` does,
    /// with a stack of containers rather than recursion, so that no depth can overflow the stack.
    static func hashMembers(_ values: [JSONValue], keys: [String]?, into hasher: inout Hasher) {
        var stream = hasher
        stream.combine(values.count)
        var frames = [HashFrame(values: values, keys: keys, outer: keys == nil ? nil : stream)]
        while let top = frames.indices.last {
            let next = frames[top].next
            if next > 0, frames[top].keys != nil { frames[top].combined ^= stream.finalize() }
            guard next < frames[top].values.count else {
                let frame = frames.removeLast()
                if let outer = frame.outer {
                    stream = outer
                    stream.combine(frame.combined)
                }
                continue
            }
            frames[top].next = next + 1
            if let keys = frames[top].keys {
                stream = Hasher()
                stream.combine(ExactString(keys[next]))
            }
            switch frames[top].values[next] {
            case .array(let elements):
                stream.combine(5 as UInt8)
                stream.combine(elements.count)
                frames.append(HashFrame(values: elements, keys: nil, outer: nil))
            case .object(let object):
                stream.combine(6 as UInt8)
                stream.combine(object.count)
                frames.append(HashFrame(values: object.storedValues, keys: object.storedKeys, outer: stream))
            case let scalar:
                scalar.hashScalar(into: &stream)
            }
        }
        hasher = stream
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    /// `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// A JSON Boolean.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// A JSON integer.
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A JSON number with a fraction.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A JSON string.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// A JSON array of the literal's elements.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// A JSON object of the literal's members, in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject(minimumCapacity: elements.count)
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible, CustomDebugStringConvertible {
    /// The value as JSON text, members in insertion order, non-ASCII characters kept.
    public var description: String { jsonString(.readable) }

    /// The value as compact JSON text.
    public var debugDescription: String { "JSONValue(\(description))" }
}
