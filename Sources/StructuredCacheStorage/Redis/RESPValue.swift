// One decoded RESP2 or RESP3 reply. The decoder builds these; the connection hands them to commands.
// Kept free of Foundation so that the fuzz target can compile the decoder files on their own.

/// A value of the Redis serialization protocol, RESP2 or RESP3.
///
/// RESP2's null bulk string (`$-1`) and null array (`*-1`) and RESP3's null (`_`) all decode to
/// ``null``; simple errors (`-`) and blob errors (`!`) both decode to ``error(_:)``. Attributes (`|`)
/// are skipped by the decoder and never appear as values.
enum RESPValue: Sendable {
    /// A simple string (`+OK`).
    case simpleString(String)
    /// A simple (`-`) or blob (`!`) error, with its message.
    case error(String)
    /// A signed 64-bit integer (`:`).
    case integer(Int64)
    /// A bulk string (`$`), binary-safe.
    case bulkString([UInt8])
    /// A null bulk string, null array, or RESP3 null.
    case null
    /// An array (`*`).
    case array([RESPValue])
    /// A RESP3 map (`%`), in the order the server sent it.
    case map([(key: RESPValue, value: RESPValue)])
    /// A RESP3 set (`~`), in the order the server sent it.
    case set([RESPValue])
    /// A RESP3 out-of-band push (`>`).
    case push([RESPValue])
    /// A RESP3 boolean (`#t`, `#f`).
    case boolean(Bool)
    /// A RESP3 double (`,`), including infinities and NaN.
    case double(Double)
    /// A RESP3 big number (`(`), as its decimal digits.
    case bigNumber(String)
    /// A RESP3 verbatim string (`=`): a three-byte format such as `txt` and the text.
    case verbatimString(format: String, text: [UInt8])
}

extension RESPValue: Equatable {
    /// Compares two values structurally; two NaN doubles compare equal so that decoding is testable.
    static func == (lhs: RESPValue, rhs: RESPValue) -> Bool {
        switch (lhs, rhs) {
        case (.simpleString(let a), .simpleString(let b)): return a == b
        case (.error(let a), .error(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.bulkString(let a), .bulkString(let b)): return a == b
        case (.null, .null): return true
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.set(let a), .set(let b)): return a == b
        case (.push(let a), .push(let b)): return a == b
        case (.boolean(let a), .boolean(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b || (a.isNaN && b.isNaN)
        case (.bigNumber(let a), .bigNumber(let b)): return a == b
        case (.verbatimString(let f1, let t1), .verbatimString(let f2, let t2)): return f1 == f2 && t1 == t2
        default: return false
        }
    }
}

extension RESPValue {
    /// The text of a simple string, bulk string or verbatim string, decoded as UTF-8; `nil` otherwise.
    var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .verbatimString(_, let text): return String(decoding: text, as: UTF8.self)
        default: return nil
        }
    }

    /// The elements of an array, set or push; `nil` otherwise.
    var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): return values
        default: return nil
        }
    }
}
