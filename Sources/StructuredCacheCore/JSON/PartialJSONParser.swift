// Reads JSON as it streams in, a piece at a time, and shows at any moment the value so far with its
// open strings, arrays and objects closed.

/// An incremental JSON reader for streamed answers.
///
/// ``feed(_:)`` takes whatever bytes arrived; ``snapshot`` is the value so far, with open containers
/// closed, the string being read included as far as it goes, and values still being read left out
/// (a number or a `true` that may not be finished, a member whose name has no value yet). Work per
/// byte is constant, and a snapshot costs the size of the open containers only, so streaming an
/// answer of *n* bytes is not quadratic.
package struct PartialJSONParser {
    private enum Container {
        /// An object, and the name of the member whose value is being read (`nil` between members).
        case object(JSONObject, key: String?)
        case array([JSONValue])
    }

    private enum Expectation {
        case value
        case keyOrEnd
        case key
        case colon
        case commaOrEnd
        case valueOrEnd
        case end
    }

    private enum Token {
        case none
        case string(bytes: [UInt8], isKey: Bool, escape: [UInt8])
        case number([UInt8], start: Int)
        case literal(read: [UInt8], target: [UInt8], value: JSONValue)
    }

    private var stack: [Container] = []
    private var expectation = Expectation.value
    private var token = Token.none
    private var root: JSONValue?
    private var consumed = 0
    private let maxDepth: Int
    private let ignoresTrailingText: Bool

    /// Creates a reader.
    ///
    /// - Parameters:
    ///   - maxDepth: How deeply arrays and objects may nest.
    ///   - ignoresTrailingText: Whether text after the value is ignored (an answer in a markdown block
    ///     is followed by the closing fence and prose) rather than an error.
    public init(maxDepth: Int = JSONValue.defaultMaxDepth, ignoresTrailingText: Bool = false) {
        self.maxDepth = maxDepth
        self.ignoresTrailingText = ignoresTrailingText
    }

    /// Whether the top-level value has been read whole.
    public var isComplete: Bool { root != nil }

    /// The complete value, once read whole.
    public var value: JSONValue? { root }

    /// Reads more of the text.
    ///
    /// - Parameter bytes: The next UTF-8 bytes.
    /// - Throws: ``JSONParseError`` when the text cannot be JSON, with the offset in the whole stream.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(JSONParseError) {
        var failure: JSONParseError?
        let handled: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(JSONParseError) { try feed(buffer: buffer) } catch { failure = error }
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBufferPointer { buffer in
                do throws(JSONParseError) { try feed(buffer: buffer) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    private mutating func feed(buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        var index = 0
        while index < buffer.count {
            if root != nil && ignoresTrailingText { return }
            // Most of an answer is string content: take it a run at a time.
            if case .string(var bytes, let isKey, let escape) = token, escape.isEmpty {
                var end = index
                while end < buffer.count {
                    let byte = buffer[end]
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                    end += 1
                }
                if end > index {
                    token = .none
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
                    token = .string(bytes: bytes, isKey: isKey, escape: escape)
                    consumed += end - index
                    index = end
                    if index == buffer.count { break }
                }
            }
            try step(buffer[index])
            consumed += 1
            index += 1
        }
    }

    private func error(_ code: JSONParseError.Code, _ message: String) -> JSONParseError {
        JSONParseError(code, at: consumed, message)
    }

    private mutating func step(_ byte: UInt8) throws(JSONParseError) {
        switch token {
        case .string(var bytes, let isKey, var escape):
            token = .none
            if !escape.isEmpty {
                escape.append(byte)
                if let decoded = try decodeEscape(escape) {
                    bytes.append(contentsOf: decoded)
                    escape.removeAll()
                }
                token = .string(bytes: bytes, isKey: isKey, escape: escape)
            } else if byte == UInt8(ascii: "\\") {
                token = .string(bytes: bytes, isKey: isKey, escape: [byte])
            } else if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw error(.invalidUTF8, "a string is not valid UTF-8")
                }
                if isKey {
                    guard case .object(let object, _) = stack.removeLast() else {
                        preconditionFailure("key outside an object")
                    }
                    stack.append(.object(object, key: text))
                    expectation = .colon
                } else {
                    try complete(.string(text))
                }
            } else if byte < 0x20 {
                throw error(.invalidString, "raw control character 0x\(String(byte, radix: 16)) in a string")
            } else {
                bytes.append(byte)
                token = .string(bytes: bytes, isKey: isKey, escape: escape)
            }
            return
        case .number(var bytes, let start):
            if (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: "-")
            {
                bytes.append(byte)
                token = .number(bytes, start: start)
                return
            }
            if bytes == [UInt8(ascii: "-")] && byte == UInt8(ascii: "I") {
                token = .literal(read: Array("-I".utf8), target: Array("-Infinity".utf8), value: .double(-.infinity))
                return
            }
            token = .none
            guard let number = try? JSONValue(parsing: bytes) else {
                throw JSONParseError(
                    .invalidNumber, at: start, "\"\(String(decoding: bytes, as: UTF8.self))\" is not a number")
            }
            try complete(number)
        // The byte that ended the number is read as what follows it.
        case .literal(var read, let target, let value):
            guard read.count < target.count, target[read.count] == byte else {
                throw error(.unexpectedCharacter, "expected \(String(decoding: target, as: UTF8.self))")
            }
            read.append(byte)
            if read.count == target.count {
                token = .none
                try complete(value)
            } else {
                token = .literal(read: read, target: target, value: value)
            }
            return
        case .none:
            break
        }

        if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { return }
        switch expectation {
        case .value, .valueOrEnd:
            if expectation == .valueOrEnd && byte == UInt8(ascii: "]") {
                try closeContainer()
                return
            }
            try startValue(byte)
        case .keyOrEnd, .key:
            if expectation == .keyOrEnd && byte == UInt8(ascii: "}") {
                try closeContainer()
                return
            }
            guard byte == UInt8(ascii: "\"") else { throw error(.unexpectedCharacter, "expected a member name") }
            token = .string(bytes: [], isKey: true, escape: [])
        case .colon:
            guard byte == UInt8(ascii: ":") else {
                throw error(.unexpectedCharacter, "expected ':' after a member name")
            }
            expectation = .value
        case .commaOrEnd:
            switch (byte, stack.last) {
            case (UInt8(ascii: ","), .object?): expectation = .key
            case (UInt8(ascii: ","), .array?): expectation = .value
            case (UInt8(ascii: "}"), .object?), (UInt8(ascii: "]"), .array?): try closeContainer()
            default: throw error(.unexpectedCharacter, "expected ',' or the end of the container")
            }
        case .end:
            throw error(.trailingData, "extra data after the JSON value")
        }
    }

    private mutating func startValue(_ byte: UInt8) throws(JSONParseError) {
        switch byte {
        case UInt8(ascii: "\""):
            token = .string(bytes: [], isKey: false, escape: [])
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard stack.count < maxDepth else {
                throw error(.tooDeep, "arrays and objects nest deeper than \(maxDepth) levels")
            }
            if byte == UInt8(ascii: "{") {
                stack.append(.object(JSONObject(), key: nil))
                expectation = .keyOrEnd
            } else {
                stack.append(.array([]))
                expectation = .valueOrEnd
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            token = .number([byte], start: consumed)
        case UInt8(ascii: "t"): token = .literal(read: [byte], target: Array("true".utf8), value: true)
        case UInt8(ascii: "f"): token = .literal(read: [byte], target: Array("false".utf8), value: false)
        case UInt8(ascii: "n"): token = .literal(read: [byte], target: Array("null".utf8), value: .null)
        case UInt8(ascii: "N"): token = .literal(read: [byte], target: Array("NaN".utf8), value: .double(.nan))
        case UInt8(ascii: "I"):
            token = .literal(read: [byte], target: Array("Infinity".utf8), value: .double(.infinity))
        default: throw error(.unexpectedCharacter, "expected a value")
        }
    }

    private mutating func closeContainer() throws(JSONParseError) {
        switch stack.removeLast() {
        case .object(let object, _): try complete(.object(object))
        case .array(let elements): try complete(.array(elements))
        }
    }

    /// Hands a finished value to its container, or makes it the result.
    private mutating func complete(_ value: JSONValue) throws(JSONParseError) {
        guard let parent = stack.popLast() else {
            root = value
            expectation = .end
            return
        }
        switch parent {
        case .object(var object, let key):
            object[key!] = value
            stack.append(.object(object, key: nil))
        case .array(var elements):
            elements.append(value)
            stack.append(.array(elements))
        }
        expectation = .commaOrEnd
    }

    /// The bytes an escape stands for, once it is complete (`nil` while more is needed).
    private func decodeEscape(_ escape: [UInt8]) throws(JSONParseError) -> [UInt8]? {
        guard escape.count >= 2 else { return nil }
        switch escape[1] {
        case UInt8(ascii: "\""): return [0x22]
        case UInt8(ascii: "\\"): return [0x5C]
        case UInt8(ascii: "/"): return [0x2F]
        case UInt8(ascii: "b"): return [0x08]
        case UInt8(ascii: "f"): return [0x0C]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "u"):
            guard escape.count >= 6 else { return nil }
            let high = try hex(escape[2..<6])
            if (0xDC00..<0xE000).contains(high) { throw error(.invalidString, "lone low surrogate") }
            guard (0xD800..<0xDC00).contains(high) else { return Array(Unicode.Scalar(high)!.utf8) }
            if escape.count >= 7 && escape[6] != UInt8(ascii: "\\") {
                throw error(.invalidString, "lone high surrogate")
            }
            if escape.count >= 8 && escape[7] != UInt8(ascii: "u") {
                throw error(.invalidString, "lone high surrogate")
            }
            guard escape.count >= 12 else { return nil }
            let low = try hex(escape[8..<12])
            guard (0xDC00..<0xE000).contains(low) else { throw error(.invalidString, "lone high surrogate") }
            return Array(Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!.utf8)
        default:
            throw error(.invalidString, "invalid escape")
        }
    }

    private func hex(_ digits: ArraySlice<UInt8>) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for digit in digits {
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: throw error(.invalidString, "invalid \\u escape")
            }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }

    /// The value so far: open containers closed, the string being read included as far as it goes.
    public var snapshot: JSONValue? {
        if let root { return root }
        var child: JSONValue?
        if case .string(let bytes, let isKey, _) = token, !isKey {
            child = .string(Self.decodePrefix(bytes))
        }
        for container in stack.reversed() {
            switch container {
            case .object(var object, let key):
                if let key, let child { object[key] = child }
                child = .object(object)
            case .array(var elements):
                if let child { elements.append(child) }
                child = .array(elements)
            }
        }
        return child
    }

    /// The elements finished so far of the array a stream is made of: the top-level array, or the array
    /// under `key` of the top-level object (Instructor's iterable wrapper, `{"tasks": [...]}`).
    package func finishedElements(underKey key: String) -> [JSONValue] {
        if let root { return root.arrayValue ?? root[key]?.arrayValue ?? [] }
        switch stack.first {
        case .array(let elements)?:
            return elements
        case .object(let object, let pending)?:
            if let finished = object[key]?.arrayValue { return finished }
            if pending == key, stack.count >= 2, case .array(let elements) = stack[1] { return elements }
            return []
        case nil:
            return []
        }
    }

    /// UTF-8 bytes as text, leaving out a scalar cut off at the end.
    private static func decodePrefix(_ bytes: [UInt8]) -> String {
        var end = bytes.count
        var back = 0
        while end > 0, back < 4, bytes[end - 1] & 0xC0 == 0x80 {
            end -= 1
            back += 1
        }
        if end > 0 {
            let lead = bytes[end - 1]
            let width = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            end = width == back + 1 ? bytes.count : end - 1
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
