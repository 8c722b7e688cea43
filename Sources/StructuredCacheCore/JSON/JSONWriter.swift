// Writes JSONValue as the exact bytes Python's json.dumps writes, without Foundation's encoders.

/// Writes ``JSONValue`` as JSON text, byte for byte as CPython's `json.dumps` does with the same
/// settings (see ``JSONWritingOptions``).
///
/// The output goes into one growing buffer that the writer owns; strings reserve their worst case
/// once and are then copied eight bytes at a time wherever nothing needs escaping.
package struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    package private(set) var count = 0
    private let sortKeys: Bool
    private let ensureASCII: Bool
    private let indent: Int?
    private let itemSeparator: StaticString
    private let keySeparator: StaticString

    package init(options: JSONWritingOptions, reservingCapacity capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        sortKeys = options.sortKeys
        ensureASCII = options.ensureASCII
        indent = options.indent
        switch (options.separators, options.indent) {
        case (.python, nil): (itemSeparator, keySeparator) = (", ", ": ")
        case (.python, _): (itemSeparator, keySeparator) = (",", ": ")
        case (.compact, _): (itemSeparator, keySeparator) = (",", ":")
        }
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    package func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// The bytes written, copied out.
    package var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(toAtLeast: count + extra) }
    }

    private mutating func grow(toAtLeast minimum: Int) {
        let newCapacity = max(capacity * 2, minimum)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    private mutating func appendByte(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserve(bytes.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count += bytes.count
    }

    /// Appends raw ASCII text (for fixed parts such as a key payload's member names).
    @inline(__always)
    package mutating func appendRaw(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends `value`.
    ///
    /// Arrays and objects being written wait in an explicit stack rather than in the call stack, so
    /// that no depth and no thread's stack size can make writing overflow.
    ///
    /// - Parameters:
    ///   - value: The value to write.
    ///   - level: The nesting level, for indentation.
    package mutating func write(_ value: JSONValue, level: Int = 0) {
        switch value {
        case .array(let elements) where !elements.isEmpty: writeContainer(elements, keys: [], level: level)
        case .object(let object) where !object.isEmpty:
            writeContainer(object.storedValues, keys: object.storedKeys, level: level)
        default: writeScalar(value)
        }
    }

    /// Appends `elements` as an array.
    ///
    /// - Parameters:
    ///   - elements: The elements to write.
    ///   - level: The nesting level, for indentation.
    package mutating func writeArray(_ elements: [JSONValue], level: Int) {
        guard !elements.isEmpty else {
            appendRaw("[]")
            return
        }
        writeContainer(elements, keys: [], level: level)
    }

    /// An array or object being written, and the position of the next member to write.
    private struct Frame {
        var values: [JSONValue]
        /// The member names of an object; empty for an array.
        var keys: [String]
        /// The member positions in key order, when the object's keys are sorted.
        var order: UnsafeMutablePointer<Int>?
        /// Whether `order` was allocated for this object alone (it did not fit in the scratch space).
        var ownsOrder: Bool
        var next = 0
    }

    /// How many enclosing containers, and how many sorted member positions, fit in the scratch space on
    /// the call stack before the heap is used.
    private static let scratchFrames = 16
    private static let scratchPositions = 64

    /// Appends a non-empty array (`keys` empty) or object and everything in it.
    private mutating func writeContainer(_ values: [JSONValue], keys: [String], level: Int) {
        // Scratch space on the call stack, of a fixed size, so that values of a usual depth are written
        // without allocating.
        withUnsafeTemporaryAllocation(of: Frame.self, capacity: Self.scratchFrames) { scratchFrames in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Self.scratchPositions) { scratchPositions in
                var stack = Stack(frames: scratchFrames.baseAddress!, positions: scratchPositions.baseAddress!)
                // The innermost open container lives in a local, so that stepping through its members
                // touches no shared storage.
                var current = open(values, keys: keys, stack: &stack)
                var level = level + 1
                while true {
                    if current.next < current.values.count {
                        let next = current.next
                        let position = current.order?[next] ?? next
                        current.next = next + 1
                        if next > 0 { appendRaw(itemSeparator) }
                        newline(level: level)
                        if !current.keys.isEmpty {
                            writeString(current.keys[position])
                            appendRaw(keySeparator)
                        }
                        // Members are read in place; only those of an array or object are copied out.
                        let innerValues: [JSONValue]
                        let innerKeys: [String]
                        switch current.values[position] {
                        case .array(let elements) where !elements.isEmpty:
                            innerValues = elements
                            innerKeys = []
                        case .object(let object) where !object.isEmpty:
                            innerValues = object.storedValues
                            innerKeys = object.storedKeys
                        default:
                            writeScalar(current.values[position])
                            continue
                        }
                        let opened = open(consume innerValues, keys: consume innerKeys, stack: &stack)
                        stack.push(consume current)
                        current = opened
                        level += 1
                        continue
                    }
                    level -= 1
                    newline(level: level)
                    appendByte(current.keys.isEmpty ? UInt8(ascii: "]") : UInt8(ascii: "}"))
                    stack.releaseOrder(of: current)
                    guard let outer = stack.pop() else { return }
                    current = outer
                }
            }
        }
    }

    /// Writes the opening bracket of a non-empty array or object and returns its frame, its members
    /// sorted when keys are.
    @inline(__always)
    private mutating func open(
        _ values: consuming [JSONValue], keys: consuming [String], stack: inout Stack
    ) -> Frame {
        guard !keys.isEmpty else {
            appendByte(UInt8(ascii: "["))
            return Frame(values: values, keys: keys, order: nil, ownsOrder: false)
        }
        appendByte(UInt8(ascii: "{"))
        guard sortKeys && keys.count > 1 else { return Frame(values: values, keys: keys, order: nil, ownsOrder: false) }
        let (order, owned) = stack.reservePositions(keys.count)
        for position in 0..<keys.count { order[position] = position }
        Self.sortByCodePoint(UnsafeMutableBufferPointer(start: order, count: keys.count), keys: keys)
        return Frame(values: values, keys: keys, order: order, ownsOrder: owned)
    }

    /// The containers around the innermost one, and the sorted member positions of the open objects:
    /// in the scratch space first, then on the heap.
    private struct Stack {
        let frames: UnsafeMutablePointer<Frame>
        var frameCount = 0
        var spilledFrames: [Frame] = []
        let positions: UnsafeMutablePointer<Int>
        var positionCount = 0

        init(frames: UnsafeMutablePointer<Frame>, positions: UnsafeMutablePointer<Int>) {
            self.frames = frames
            self.positions = positions
        }

        mutating func push(_ frame: consuming Frame) {
            if frameCount < JSONWriter.scratchFrames {
                (frames + frameCount).initialize(to: frame)
                frameCount += 1
            } else {
                spilledFrames.append(frame)
            }
        }

        mutating func pop() -> Frame? {
            if let frame = spilledFrames.popLast() { return frame }
            guard frameCount > 0 else { return nil }
            frameCount -= 1
            return (frames + frameCount).move()
        }

        /// Room for `count` positions, and whether it was allocated for them alone.
        mutating func reservePositions(_ count: Int) -> (UnsafeMutablePointer<Int>, Bool) {
            guard positionCount + count <= JSONWriter.scratchPositions else {
                return (.allocate(capacity: count), true)
            }
            defer { positionCount += count }
            return (positions + positionCount, false)
        }

        /// Gives back the positions of `frame`, the innermost frame that has any.
        mutating func releaseOrder(of frame: borrowing Frame) {
            guard let order = frame.order else { return }
            if frame.ownsOrder {
                order.deallocate()
            } else {
                positionCount -= frame.values.count
            }
        }
    }

    /// Appends a value that is not a non-empty array or object.
    @inline(__always)
    private mutating func writeScalar(_ value: JSONValue) {
        switch value {
        case .null: appendRaw("null")
        case .bool(let flag): flag ? appendRaw("true") : appendRaw("false")
        case .int(let integer): writeInteger(integer)
        case .bigInt(let integer):
            var digits = integer.digits
            digits.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        case .double(let number):
            var scratch: [UInt8] = []
            PythonFloatFormatter.append(number, to: &scratch)
            scratch.withUnsafeBytes { append($0) }
        case .string(let string): writeString(string)
        case .array: appendRaw("[]")
        case .object: appendRaw("{}")
        }
    }

    private mutating func newline(level: Int) {
        guard let indent else { return }
        let spaces = indent * level
        reserve(spaces + 1)
        base[count] = UInt8(ascii: "\n")
        (base + count + 1).initialize(repeating: UInt8(ascii: " "), count: spaces)
        count += spaces + 1
    }

    /// Sorts positions by their keys' Unicode code points (UTF-8 byte order is code point order).
    private static func sortByCodePoint(_ order: UnsafeMutableBufferPointer<Int>, keys: [String]) {
        if order.count <= 16 {
            // Insertion sort: objects are small, and this needs no allocation.
            for i in 1..<order.count {
                let moving = order[i]
                var j = i
                while j > 0 && codePointLess(keys[moving], keys[order[j - 1]]) {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = moving
            }
        } else {
            var order = order
            order.sort { codePointLess(keys[$0], keys[$1]) }
        }
    }

    /// Whether `a` sorts before `b` by Unicode code points, as Python compares `str`.
    package static func codePointLess(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right -> Bool in
                let common = min(left.count, right.count)
                for offset in 0..<common where left[offset] != right[offset] {
                    return left[offset] < right[offset]
                }
                return left.count < right.count
            }
        }
        if let result = fast ?? nil { return result }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    package mutating func writeInteger(_ value: Int) {
        reserve(20)
        if value >= 0 && value < 10 {
            base[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
            count += 1
            return
        }
        var magnitude = value.magnitude
        var digits = 0
        var probe = magnitude
        repeat {
            digits += 1
            probe /= 10
        } while probe > 0
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        var position = count + digits
        count = position
        repeat {
            position -= 1
            base[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    /// Appends `string` quoted and escaped as Python's `json` escapes it.
    package mutating func writeString(_ string: String) {
        if string.utf8.withContiguousStorageIfAvailable({ writeEscaped($0) }) == nil {
            var native = string
            native.withUTF8 { writeEscaped($0) }
        }
    }

    private mutating func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        let length = utf8.count
        // Worst case: every byte becomes six (a control character as \u00XX), quotes included.
        reserve(length * 6 + 2)
        var out = base + count
        out.pointee = UInt8(ascii: "\"")
        out += 1
        guard let source = utf8.baseAddress else {
            out.pointee = UInt8(ascii: "\"")
            count = out - base + 1
            return
        }
        let ensureASCII = self.ensureASCII
        var offset = 0
        while offset < length {
            if offset &+ 8 <= length {
                // Copy eight bytes at once; when some need escaping, keep only those before the first.
                let word = UnsafeRawPointer(source + offset).loadUnaligned(as: UInt64.self)
                UnsafeMutableRawPointer(out).storeBytes(of: word, as: UInt64.self)
                let mask = Self.escapeMask(word, ensureASCII: ensureASCII)
                if mask == 0 {
                    out += 8
                    offset &+= 8
                    continue
                }
                let clean = mask.trailingZeroBitCount &>> 3
                out += clean
                offset &+= clean
            } else {
                let byte = source[offset]
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
                    && (byte < 0x7F || !ensureASCII)
                {
                    out.pointee = byte
                    out += 1
                    offset &+= 1
                    continue
                }
            }
            // source[offset] must be escaped.
            let byte = source[offset]
            if byte < 0x80 {
                out = Self.writeEscape(forASCII: byte, at: out)
                offset &+= 1
            } else if !ensureASCII {
                // Only reachable through the eight-byte path's mask, which flags no such byte; kept for safety.
                out.pointee = byte
                out += 1
                offset &+= 1
            } else {
                let (scalar, width) = Self.decodeScalar(source, at: offset)
                if scalar >= 0x10000 {
                    let shifted = scalar &- 0x10000
                    out = Self.writeUnicodeEscape(0xD800 | (shifted >> 10), at: out)
                    out = Self.writeUnicodeEscape(0xDC00 | (shifted & 0x3FF), at: out)
                } else {
                    out = Self.writeUnicodeEscape(scalar, at: out)
                }
                offset &+= width
            }
        }
        out.pointee = UInt8(ascii: "\"")
        count = out - base + 1
    }

    /// A mask whose lowest set bit is the high bit of the first of the eight bytes in `word` that must be
    /// escaped, or zero when none must (bit tricks from "Bit Twiddling Hacks"; borrows and carries only
    /// flag bytes above a flagged one, so the lowest flag is exact).
    @inline(__always)
    private static func escapeMask(_ word: UInt64, ensureASCII: Bool) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word & highs
        let quoteBytes = word ^ (ones &* 0x22)
        let quote = (quoteBytes &- ones) & ~quoteBytes & highs
        let backslashBytes = word ^ (ones &* 0x5C)
        let backslash = (backslashBytes &- ones) & ~backslashBytes & highs
        // Any byte of 0x7F or more: DEL and everything non-ASCII.
        let aboveTilde = ensureASCII ? ((word &+ ones) | word) & highs : 0
        return control | quote | backslash | aboveTilde
    }

    @inline(__always)
    private static func writeEscape(
        forASCII byte: UInt8, at out: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        let short: UInt8
        switch byte {
        case UInt8(ascii: "\""): short = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): short = UInt8(ascii: "\\")
        case 0x0A: short = UInt8(ascii: "n")
        case 0x0D: short = UInt8(ascii: "r")
        case 0x09: short = UInt8(ascii: "t")
        case 0x08: short = UInt8(ascii: "b")
        case 0x0C: short = UInt8(ascii: "f")
        default: return writeUnicodeEscape(UInt32(byte), at: out)
        }
        out[0] = UInt8(ascii: "\\")
        out[1] = short
        return out + 2
    }

    @inline(__always)
    private static func writeUnicodeEscape(
        _ unit: UInt32, at out: UnsafeMutablePointer<UInt8>
    ) -> UnsafeMutablePointer<UInt8> {
        out[0] = UInt8(ascii: "\\")
        out[1] = UInt8(ascii: "u")
        out[2] = hexDigit(unit >> 12)
        out[3] = hexDigit(unit >> 8)
        out[4] = hexDigit(unit >> 4)
        out[5] = hexDigit(unit)
        return out + 6
    }

    @inline(__always)
    private static func hexDigit(_ value: UInt32) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }

    /// Decodes the scalar starting at `offset` of valid UTF-8 (Swift strings always are).
    @inline(__always)
    private static func decodeScalar(_ utf8: UnsafePointer<UInt8>, at offset: Int) -> (UInt32, Int) {
        let lead = UInt32(utf8[offset])
        if lead < 0xE0 {
            return (((lead & 0x1F) << 6) | (UInt32(utf8[offset &+ 1]) & 0x3F), 2)
        }
        if lead < 0xF0 {
            let value =
                ((lead & 0x0F) << 12) | ((UInt32(utf8[offset &+ 1]) & 0x3F) << 6)
                | (UInt32(utf8[offset &+ 2]) & 0x3F)
            return (value, 3)
        }
        let value =
            ((lead & 0x07) << 18) | ((UInt32(utf8[offset &+ 1]) & 0x3F) << 12)
            | ((UInt32(utf8[offset &+ 2]) & 0x3F) << 6) | (UInt32(utf8[offset &+ 3]) & 0x3F)
        return (value, 4)
    }
}

extension JSONValue {
    /// Writes this value as JSON text.
    ///
    /// With the default options the bytes are exactly those of Python's
    /// `json.dumps(value, sort_keys=True)`, the form Instructor hashes into its cache keys.
    ///
    /// - Parameter options: How to write the value; see ``JSONWritingOptions``.
    /// - Returns: The UTF-8 bytes of the JSON text.
    /// - Complexity: O(*n*) in the size of the output, plus sorting each object's keys when sorting.
    public func jsonBytes(_ options: JSONWritingOptions = .pythonSorted) -> [UInt8] {
        var writer = JSONWriter(options: options)
        writer.write(self)
        return writer.bytes
    }

    /// Writes this value as JSON text.
    ///
    /// - Parameter options: How to write the value; see ``JSONWritingOptions``.
    /// - Returns: The JSON text.
    public func jsonString(_ options: JSONWritingOptions = .pythonSorted) -> String {
        var writer = JSONWriter(options: options)
        writer.write(self)
        return writer.withBytes { String(decoding: $0, as: UTF8.self) }
    }
}
