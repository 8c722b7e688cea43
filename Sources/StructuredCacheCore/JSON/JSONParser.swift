// Reads JSON text into JSONValue with Python's json.loads semantics, bounded in depth, never trapping.

/// A JSON reader over UTF-8 bytes whose open arrays and objects live in an explicit stack, so that
/// neither the nesting depth nor the thread's stack size can make it overflow.
///
/// It keeps what Python's `json.loads` keeps: `10` is an integer and `10.0` a float, integers of any
/// size keep their digits, `NaN`, `Infinity` and `-Infinity` are accepted, a repeated key keeps its
/// first position and its last value. Raw control characters in strings, lone surrogates, invalid
/// UTF-8 and nesting deeper than `maxDepth` are errors with the byte offset.
struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private var position = 0
    private let maxDepth: Int
    private let utf8IsValidated: Bool

    /// An array or object being read, other than the innermost one (which `parseValue` keeps in locals).
    private enum Frame {
        case array([JSONValue])
        /// An object, and the name of the member whose value is being read.
        case object(JSONObject, key: String)
    }

    /// What the innermost open container is.
    private enum Container {
        case none
        case array
        case object
    }

    init(_ input: UnsafeBufferPointer<UInt8>, maxDepth: Int, utf8IsValidated: Bool) {
        self.input = input
        self.maxDepth = maxDepth
        self.utf8IsValidated = utf8IsValidated
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if position < input.count {
            JSONValue.dismantle(consume value)
            throw JSONParseError(.trailingData, at: position, "extra data after the JSON value")
        }
        return value
    }

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? {
        position < input.count ? input[position] : nil
    }

    /// Reads the value at `position`, arrays and objects included, without recursing.
    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        // The innermost open container lives in these locals, where appending costs what it costs in a
        // recursive reader; the containers around it wait in `parents`.
        var parents: [Frame] = []
        var container = Container.none
        var elements: [JSONValue] = []
        var object = JSONObject()
        var key = ""
        do throws(JSONParseError) {
            reading: while true {
                var value: JSONValue
                guard let byte = peek() else {
                    throw JSONParseError(.unexpectedEnd, at: position, "expected a value, found the end of the text")
                }
                switch byte {
                case UInt8(ascii: "["):
                    try checkDepth(parents.count, container)
                    position += 1
                    skipWhitespace()
                    if peek() == UInt8(ascii: "]") {
                        position += 1
                        value = .array([])
                    } else {
                        switch container {
                        case .none: break
                        case .array: Self.push(.array(consume elements), to: &parents)
                        case .object:
                            Self.push(.object(consume object, key: consume key), to: &parents)
                            object = JSONObject()
                            key = ""
                        }
                        container = .array
                        elements = []
                        continue reading
                    }
                case UInt8(ascii: "{"):
                    try checkDepth(parents.count, container)
                    position += 1
                    skipWhitespace()
                    if peek() == UInt8(ascii: "}") {
                        position += 1
                        value = .object(JSONObject())
                    } else {
                        let name = try parseMemberName()
                        switch container {
                        case .none: break
                        case .array:
                            Self.push(.array(consume elements), to: &parents)
                            elements = []
                        case .object: Self.push(.object(consume object, key: consume key), to: &parents)
                        }
                        container = .object
                        object = JSONObject()
                        key = name
                        continue reading
                    }
                default:
                    value = try parseScalar(byte)
                }
                // `value` is whole: store it in the open container, and close each container that ends here.
                while true {
                    switch container {
                    case .none:
                        return value
                    case .array:
                        elements.append(consume value)
                        skipWhitespace()
                        switch peek() {
                        case UInt8(ascii: ","):
                            position += 1
                            skipWhitespace()
                            continue reading
                        case UInt8(ascii: "]"):
                            position += 1
                            value = .array(consume elements)
                        default:
                            throw unexpected("expected ',' or ']' in an array")
                        }
                        switch parents.popLast() {
                        case .array(let outer)?:
                            elements = outer
                        case .object(let outer, let outerKey)?:
                            container = .object
                            elements = []
                            object = outer
                            key = outerKey
                        case nil:
                            container = .none
                            elements = []
                        }
                    case .object:
                        object.set(consume value, forKey: consume key)
                        skipWhitespace()
                        switch peek() {
                        case UInt8(ascii: ","):
                            position += 1
                            key = try parseMemberName()
                            continue reading
                        case UInt8(ascii: "}"):
                            position += 1
                            value = .object(consume object)
                            key = ""
                        default:
                            throw unexpected("expected ',' or '}' in an object")
                        }
                        switch parents.popLast() {
                        case .array(let outer)?:
                            container = .array
                            elements = outer
                            object = JSONObject()
                        case .object(let outer, let outerKey)?:
                            object = outer
                            key = outerKey
                        case nil:
                            container = .none
                            object = JSONObject()
                        }
                    }
                }
            }
        } catch {
            // What was read so far may nest deeply (with a raised maxDepth): dropped here, Swift would
            // destroy it recursively.
            var leftovers: [JSONValue] = [.array(consume elements), .object(consume object)]
            while let frame = parents.popLast() {
                switch frame {
                case .array(let outer): leftovers.append(.array(outer))
                case .object(let outer, _): leftovers.append(.object(outer))
                }
            }
            JSONValue.dismantle(.array(consume leftovers))
            throw error
        }
    }

    /// Throws unless one more array or object fits under the depth limit.
    private func checkDepth(_ parentCount: Int, _ container: Container) throws(JSONParseError) {
        let open = container == .none ? 0 : parentCount + 1
        guard open < maxDepth else {
            throw JSONParseError(.tooDeep, at: position, "arrays and objects nest deeper than \(maxDepth) levels")
        }
    }

    /// Appends `frame` to `parents`, reserving room for a few levels at once the first time.
    private static func push(_ frame: consuming Frame, to parents: inout [Frame]) {
        if parents.capacity == 0 { parents.reserveCapacity(8) }
        parents.append(frame)
    }

    /// Reads a member name and the colon after it, and skips the whitespace that follows.
    private mutating func parseMemberName() throws(JSONParseError) -> String {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { throw unexpected("expected a member name in double quotes") }
        let name = try parseString()
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw unexpected("expected ':' after a member name") }
        position += 1
        skipWhitespace()
        return name
    }

    /// Reads a value that is not an array or an object, starting with `byte`.
    private mutating func parseScalar(_ byte: UInt8) throws(JSONParseError) -> JSONValue {
        switch byte {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if byte == UInt8(ascii: "-") && matches("-Infinity") {
                position += 9
                return .double(-.infinity)
            }
            return try parseNumber()
        case UInt8(ascii: "t") where matches("true"):
            position += 4
            return .bool(true)
        case UInt8(ascii: "f") where matches("false"):
            position += 5
            return .bool(false)
        case UInt8(ascii: "n") where matches("null"):
            position += 4
            return .null
        case UInt8(ascii: "N") where matches("NaN"):
            position += 3
            return .double(.nan)
        case UInt8(ascii: "I") where matches("Infinity"):
            position += 8
            return .double(.infinity)
        default:
            throw unexpected("expected a value")
        }
    }

    private func matches(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { expected in
            guard input.count - position >= expected.count else { return false }
            for offset in 0..<expected.count where input[position + offset] != expected[offset] {
                return false
            }
            return true
        }
    }

    private func unexpected(_ expectation: String) -> JSONParseError {
        guard let byte = peek() else {
            return JSONParseError(.unexpectedEnd, at: position, "\(expectation), found the end of the text")
        }
        let shown =
            byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return JSONParseError(.unexpectedCharacter, at: position, "\(expectation), found \(shown)")
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var isFloat = false
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard let first = peek(), first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") else {
            throw JSONParseError(.invalidNumber, at: start, "a '-' must be followed by digits")
        }
        position += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            position += 1
            try requireDigits(start: start)
            isFloat = true
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            position += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { position += 1 }
            try requireDigits(start: start)
            isFloat = true
        }
        let text = UnsafeBufferPointer(rebasing: input[start..<position])
        if isFloat {
            // Double(_:) rounds correctly; out-of-range exponents give ±infinity or zero, as Python's float().
            guard let value = Double(String(decoding: text, as: UTF8.self)) else {
                throw JSONParseError(.invalidNumber, at: start, "not a number")
            }
            return .double(value)
        }
        if text.count <= 18 {
            var value = 0
            var negative = false
            for byte in text {
                if byte == UInt8(ascii: "-") { negative = true } else { value = value * 10 + Int(byte &- 0x30) }
            }
            return .int(negative ? -value : value)
        }
        let digits = String(decoding: text, as: UTF8.self)
        if let value = Int(digits) { return .int(value) }
        return .bigInt(JSONBigInt(digits)!)
    }

    private mutating func skipDigits() {
        while let byte = peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { position += 1 }
    }

    private mutating func requireDigits(start: Int) throws(JSONParseError) {
        guard let byte = peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else {
            throw JSONParseError(
                .invalidNumber, at: position, "expected a digit in the number starting at byte \(start)")
        }
        skipDigits()
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        position += 1
        let start = position
        // Fast path: no escapes, so the string is a slice of the input.
        while position < input.count {
            let byte = input[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: input[start..<position])
                position += 1
                return String(decoding: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacter() }
            if byte >= 0x80 {
                try checkScalar()
            } else {
                position += 1
            }
        }
        guard position < input.count else {
            throw JSONParseError(.unexpectedEnd, at: position, "unterminated string starting at byte \(start - 1)")
        }
        // Escapes: find where the string ends, then decode into one buffer of that size (decoding
        // never makes a string longer than its escaped form).
        var end = position
        while end < input.count && input[end] != UInt8(ascii: "\"") {
            end += input[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard end < input.count else {
            throw JSONParseError(.unexpectedEnd, at: input.count, "unterminated string starting at byte \(start - 1)")
        }
        var failure: JSONParseError?
        let text = String(unsafeUninitializedCapacity: end - start) { out in
            var count = position - start
            _ = out.initialize(from: UnsafeBufferPointer(rebasing: input[start..<position]))
            do throws(JSONParseError) {
                while position < end {
                    let byte = input[position]
                    if byte == UInt8(ascii: "\\") {
                        let scalar = try readEscape()
                        if scalar.isASCII {
                            out[count] = UInt8(truncatingIfNeeded: scalar.value)
                            count += 1
                        } else {
                            for unit in scalar.utf8 {
                                out[count] = unit
                                count += 1
                            }
                        }
                    } else if byte < 0x20 {
                        throw controlCharacter()
                    } else {
                        // The run up to the next escape or control character, copied at once.
                        let runStart = position
                        while position < end {
                            let next = input[position]
                            if next == UInt8(ascii: "\\") || next < 0x20 { break }
                            if next >= 0x80 { try checkScalar() } else { position += 1 }
                        }
                        let run = UnsafeBufferPointer(rebasing: input[runStart..<position])
                        _ = UnsafeMutableBufferPointer(rebasing: out[count..<(count + run.count)]).initialize(from: run)
                        count += run.count
                    }
                }
            } catch {
                failure = error
                return 0
            }
            return count
        }
        if let failure { throw failure }
        position = end + 1
        return text
    }

    private func controlCharacter() -> JSONParseError {
        JSONParseError(
            .invalidString, at: position, "raw control character 0x\(String(input[position], radix: 16)) in a string")
    }

    /// Reads the escape at `position` (which holds the backslash) and returns the scalar it stands for.
    private mutating func readEscape() throws(JSONParseError) -> Unicode.Scalar {
        let escapeStart = position
        position += 1
        guard let byte = peek() else {
            throw JSONParseError(.unexpectedEnd, at: position, "unterminated escape")
        }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{8}"
        case UInt8(ascii: "f"): return "\u{C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            var scalar = try readHex4(escapeStart: escapeStart)
            if (0xD800..<0xDC00).contains(scalar) {
                guard matches("\\u") else {
                    throw JSONParseError(
                        .invalidString, at: escapeStart, "lone high surrogate \\u\(String(scalar, radix: 16))")
                }
                position += 2
                let low = try readHex4(escapeStart: position - 2)
                guard (0xDC00..<0xE000).contains(low) else {
                    throw JSONParseError(
                        .invalidString, at: escapeStart, "lone high surrogate \\u\(String(scalar, radix: 16))")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw JSONParseError(
                    .invalidString, at: escapeStart, "lone low surrogate \\u\(String(scalar, radix: 16))")
            }
            return Unicode.Scalar(scalar)!
        default:
            throw JSONParseError(
                .invalidString, at: escapeStart, "invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func readHex4(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard input.count - position >= 4 else {
            throw JSONParseError(.invalidString, at: escapeStart, "incomplete \\u escape")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidString, at: escapeStart, "invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    /// Steps over one multi-byte UTF-8 scalar, checking it unless the input is known to be valid.
    private mutating func checkScalar() throws(JSONParseError) {
        let lead = input[position]
        if utf8IsValidated {
            position += lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            return
        }
        let length: Int
        var lowest: UInt8 = 0x80
        var highest: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lowest = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; highest = 0x9F
        case 0xF0: length = 4; lowest = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; highest = 0x8F
        default:
            throw JSONParseError(.invalidUTF8, at: position, "invalid UTF-8 lead byte 0x\(String(lead, radix: 16))")
        }
        guard input.count - position >= length else {
            throw JSONParseError(.invalidUTF8, at: position, "truncated UTF-8 sequence")
        }
        let second = input[position + 1]
        guard second >= lowest && second <= highest else {
            throw JSONParseError(.invalidUTF8, at: position, "invalid UTF-8 sequence")
        }
        for offset in 2..<length where input[position + offset] & 0xC0 != 0x80 {
            throw JSONParseError(.invalidUTF8, at: position, "invalid UTF-8 sequence")
        }
        position += length
    }
}

extension JSONValue {
    /// The default limit on how deeply arrays and objects may nest when parsing.
    public static let defaultMaxDepth = 512

    /// Reads JSON text, keeping what Python's `json.loads` keeps.
    ///
    /// `10` becomes ``int(_:)``, `10.0` and `1e+20` become ``double(_:)``, integers too large for
    /// `Int` keep their digits (``bigInt(_:)``), objects keep their member order, and Python's `NaN`,
    /// `Infinity` and `-Infinity` tokens are accepted.
    ///
    /// Reading never recurses, so no depth and no thread's stack size can make it overflow. Swift
    /// destroys a value recursively, though: a value nested tens of thousands of levels deep (which
    /// only a raised `maxDepth` lets through) can overflow the stack of the thread that releases it.
    ///
    /// - Parameters:
    ///   - text: The JSON text.
    ///   - maxDepth: How deeply arrays and objects may nest.
    /// - Throws: ``JSONParseError`` with the byte offset of the first problem.
    public init(parsing text: String, maxDepth: Int = JSONValue.defaultMaxDepth) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { buffer -> Result<JSONValue, JSONParseError> in
            var parser = JSONParser(buffer, maxDepth: maxDepth, utf8IsValidated: true)
            do throws(JSONParseError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        self = try result.get()
    }

    /// Reads JSON from UTF-8 bytes, keeping what Python's `json.loads` keeps.
    ///
    /// As with ``init(parsing:maxDepth:)-(String,_)``, reading never recurses, but a value nested tens of
    /// thousands of levels deep can overflow the stack of the thread that releases it.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 bytes of the JSON text (`[UInt8]`, `Data`, a slice …).
    ///   - maxDepth: How deeply arrays and objects may nest.
    /// - Throws: ``JSONParseError`` with the byte offset of the first problem, including invalid UTF-8.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONValue.defaultMaxDepth) throws(JSONParseError)
    {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> in
            var parser = JSONParser(buffer, maxDepth: maxDepth, utf8IsValidated: false)
            do throws(JSONParseError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        if let result = bytes.withContiguousStorageIfAvailable(parse) {
            self = try result.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer(parse).get()
        }
    }
}
