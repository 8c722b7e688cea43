// A JSON value that keeps everything Python's json module keeps: integer digits of any size, floats
// as floats, object members in insertion order, and strings compared scalar by scalar.

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
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
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
            return a == b
        case (.object(let a), .object(let b)):
            return a == b
        default:
            return false
        }
    }
}

extension JSONValue: Hashable {
    public func hash(into hasher: inout Hasher) {
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
        case .array(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        case .object(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var object = JSONObject(minimumCapacity: elements.count)
        for (key, value) in elements { object[key] = value }
        self = .object(object)
    }
}

extension JSONValue: CustomStringConvertible, CustomDebugStringConvertible {
    /// The value as JSON text, members in insertion order, non-ASCII characters kept.
    public var description: String { jsonString(.readable) }

    public var debugDescription: String { "JSONValue(\(description))" }
}
