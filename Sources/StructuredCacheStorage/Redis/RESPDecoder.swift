// An incremental, bounded RESP2/RESP3 reply decoder: bytes go in as they arrive, whole replies come out.
// Kept free of Foundation so that the fuzz target can compile the decoder files on their own.

/// Decodes RESP2 and RESP3 replies from a byte stream that arrives in pieces of any size.
///
/// Feed bytes with ``append(_:)`` and take complete replies with ``next()`` until it returns `nil`
/// (more bytes needed). A reply split at any byte boundary decodes exactly as it does in one piece:
/// like hiredis's reader, the decoder keeps the aggregates it has started on an explicit stack and
/// resumes at the first value that was not complete, so nothing is parsed twice except the header
/// of an unfinished bulk string, and no recursion can overflow the thread's stack.
///
/// Every length is checked against ``Limits`` before anything is allocated for it; input that breaks
/// the protocol or a limit throws a ``RESPDecodingError``, after which the decoder keeps throwing
/// the same error (the connection it belongs to is closed; the stream cannot be resynchronised).
///
/// Parsing works on one contiguous buffer with a read offset; consumed bytes are dropped in bulk
/// when they make up at least half of the buffer, so compaction costs amortised O(1) per byte.
struct RESPDecoder {
    /// Bounds on what a server may make the decoder hold.
    struct Limits: Sendable, Equatable {
        /// The longest bulk string, blob error or verbatim string accepted, in bytes.
        var maximumBulkLength: Int = 512 * 1024 * 1024
        /// The most bytes one top-level reply may span, all nested values included.
        var maximumReplySize: Int = 1024 * 1024 * 1024
        /// The most elements one array, set or push may declare (a map counts keys and values).
        var maximumAggregateLength: Int = 16 * 1024 * 1024
        /// How deeply aggregates may nest.
        var maximumDepth: Int = 64
        /// The longest line (simple string, error, number, header) accepted, in bytes.
        var maximumLineLength: Int = 1024 * 1024

        /// Creates limits; every parameter has a default suitable for a cache client.
        init(
            maximumBulkLength: Int = 512 * 1024 * 1024,
            maximumReplySize: Int = 1024 * 1024 * 1024,
            maximumAggregateLength: Int = 16 * 1024 * 1024,
            maximumDepth: Int = 64,
            maximumLineLength: Int = 1024 * 1024
        ) {
            self.maximumBulkLength = maximumBulkLength
            self.maximumReplySize = maximumReplySize
            self.maximumAggregateLength = maximumAggregateLength
            self.maximumDepth = maximumDepth
            self.maximumLineLength = maximumLineLength
        }
    }

    /// An aggregate whose elements are still arriving.
    private struct Frame {
        var marker: UInt8
        var remaining: Int
        var elements: [RESPValue]
    }

    /// The limits this decoder enforces.
    let limits: Limits

    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the current line's CR resumes, so a long line arriving in pieces is
    /// scanned once; 0 means "from the start of the line".
    private var scanIndex = 0
    /// Bytes the top-level reply in progress has consumed so far.
    private var replyBytes = 0
    private var stack: [Frame] = []
    private var failure: RESPDecodingError?

    /// Creates an empty decoder.
    ///
    /// - Parameter limits: The bounds to enforce.
    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether the decoder holds no partial reply: no buffered bytes and no open aggregate.
    var isIdle: Bool { readIndex == buffer.count && stack.isEmpty }

    /// Adds received bytes.
    ///
    /// - Parameter bytes: The bytes, in the order they arrived.
    /// - Complexity: Amortised O(*n*) in the number of bytes added.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compact()
        buffer.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// Adds received bytes.
    ///
    /// - Parameter bytes: The bytes, in the order they arrived.
    mutating func append(contentsOf bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete top-level reply, or `nil` when more bytes are needed.
    ///
    /// RESP3 attributes are consumed and dropped; push messages are returned like any other reply
    /// (the caller tells them apart by their case).
    ///
    /// - Returns: A reply, or `nil` if the buffered bytes do not yet hold a complete one.
    /// - Throws: ``RESPDecodingError`` when the input breaks the protocol or a limit; every later
    ///   call throws the same error.
    mutating func next() throws(RESPDecodingError) -> RESPValue? {
        if let failure { throw failure }
        guard readIndex < buffer.count else { return nil }
        let storage = buffer
        do {
            return try storage.withUnsafeBufferPointer { (bytes) throws(RESPDecodingError) -> RESPValue? in
                try parse(bytes)
            }
        } catch {
            failure = error
            throw error
        }
    }

    // MARK: - Parsing

    private mutating func parse(_ p: UnsafeBufferPointer<UInt8>) throws(RESPDecodingError) -> RESPValue? {
        let end = p.count
        nextValue: while readIndex < end {
            let start = readIndex
            let marker = p[start]
            var value: RESPValue
            switch marker {
            case ASCII.plus, ASCII.minus, ASCII.colon, ASCII.comma, ASCII.hash, ASCII.underscore, ASCII.openParen:
                guard let lineEnd = try findLineEnd(p, from: start + 1) else { return nil }
                value = try scalar(marker, p, from: start + 1, to: lineEnd)
                try consume(to: lineEnd + 2)

            case ASCII.dollar, ASCII.bang, ASCII.equals:
                guard let lineEnd = try findLineEnd(p, from: start + 1) else { return nil }
                let length = try parseLength(p, from: start + 1, to: lineEnd, allowsNull: marker == ASCII.dollar)
                if length < 0 {
                    value = .null
                    try consume(to: lineEnd + 2)
                    break
                }
                guard length <= limits.maximumBulkLength else {
                    throw RESPDecodingError(
                        code: .replyTooLarge,
                        message: "bulk length \(length) exceeds the limit of \(limits.maximumBulkLength) bytes")
                }
                let payloadStart = lineEnd + 2
                let payloadEnd = payloadStart + length
                // Refuse an over-size reply as soon as its header is known, before buffering it.
                try checkReplySize(adding: payloadEnd + 2 - start)
                guard payloadEnd + 2 <= end else { return nil }
                guard p[payloadEnd] == ASCII.cr, p[payloadEnd + 1] == ASCII.lf else {
                    throw RESPDecodingError(code: .missingCRLF, message: "bulk payload is not followed by CR LF")
                }
                value = try blob(marker, p, from: payloadStart, to: payloadEnd)
                try consume(to: payloadEnd + 2)

            case ASCII.star, ASCII.tilde, ASCII.percent, ASCII.greater, ASCII.pipe:
                guard let lineEnd = try findLineEnd(p, from: start + 1) else { return nil }
                let count = try parseLength(p, from: start + 1, to: lineEnd, allowsNull: marker == ASCII.star)
                try consume(to: lineEnd + 2)
                if count < 0 {
                    value = .null
                    break
                }
                let pairs = marker == ASCII.percent || marker == ASCII.pipe
                let elementCount = pairs ? count &* 2 : count
                guard count <= limits.maximumAggregateLength, elementCount <= limits.maximumAggregateLength else {
                    throw RESPDecodingError(
                        code: .aggregateTooLarge,
                        message: "aggregate of \(count) entries exceeds the limit of \(limits.maximumAggregateLength)")
                }
                if elementCount == 0 {
                    // An empty attribute annotates nothing; the value it precedes comes next.
                    if marker == ASCII.pipe { continue nextValue }
                    value = Self.aggregate(marker, [])
                    break
                }
                guard stack.count < limits.maximumDepth else {
                    throw RESPDecodingError(
                        code: .nestingTooDeep, message: "aggregates nested deeper than \(limits.maximumDepth)")
                }
                var elements: [RESPValue] = []
                // Reserve little up front: the declared count is only a promise.
                elements.reserveCapacity(min(elementCount, 16))
                stack.append(Frame(marker: marker, remaining: elementCount, elements: elements))
                continue nextValue

            default:
                throw RESPDecodingError(
                    code: .invalidTypeByte, message: "unexpected type byte 0x\(String(marker, radix: 16))")
            }

            // A value is complete: hand it to the aggregates waiting for it.
            while !stack.isEmpty {
                let top = stack.count - 1
                stack[top].elements.append(value)
                stack[top].remaining -= 1
                if stack[top].remaining > 0 { continue nextValue }
                let frame = stack.removeLast()
                // A finished attribute is metadata about the next value, which the parent still awaits.
                if frame.marker == ASCII.pipe { continue nextValue }
                value = Self.aggregate(frame.marker, frame.elements)
            }
            replyBytes = 0
            return value
        }
        return nil
    }

    /// Returns the index of the CR that ends the line starting at `from`, or `nil` if it has not
    /// arrived yet.
    private mutating func findLineEnd(
        _ p: UnsafeBufferPointer<UInt8>, from: Int
    ) throws(RESPDecodingError) -> Int? {
        let end = p.count
        let searchLimit = min(end, from + limits.maximumLineLength + 1)
        var index = max(from, scanIndex)
        while index < searchLimit {
            if p[index] == ASCII.cr {
                guard index + 1 < end else {
                    scanIndex = index
                    return nil
                }
                guard p[index + 1] == ASCII.lf else {
                    throw RESPDecodingError(code: .missingCRLF, message: "CR not followed by LF")
                }
                return index
            }
            index += 1
        }
        if searchLimit < end || end - from > limits.maximumLineLength {
            throw RESPDecodingError(
                code: .lineTooLong, message: "line longer than \(limits.maximumLineLength) bytes")
        }
        scanIndex = index
        return nil
    }

    private mutating func consume(to newIndex: Int) throws(RESPDecodingError) {
        try checkReplySize(adding: newIndex - readIndex)
        replyBytes += newIndex - readIndex
        readIndex = newIndex
        scanIndex = 0
    }

    private func checkReplySize(adding count: Int) throws(RESPDecodingError) {
        if count > limits.maximumReplySize - replyBytes {
            throw RESPDecodingError(
                code: .replyTooLarge, message: "reply exceeds the limit of \(limits.maximumReplySize) bytes")
        }
    }

    /// Drops consumed bytes once they are at least half of the buffer, so each byte is moved at most
    /// a constant number of times.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            if buffer.capacity > 4 * 1024 * 1024 {
                buffer = []  // do not pin the memory of one huge reply for the life of the connection
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
        } else if readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        readIndex = 0
        scanIndex = 0
    }

    // MARK: - Values

    private func scalar(
        _ marker: UInt8, _ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int
    ) throws(RESPDecodingError) -> RESPValue {
        let bytes = UnsafeBufferPointer(rebasing: p[from..<to])
        switch marker {
        case ASCII.plus:
            return .simpleString(String(decoding: bytes, as: UTF8.self))
        case ASCII.minus:
            return .error(String(decoding: bytes, as: UTF8.self))
        case ASCII.colon:
            guard let integer = Self.parseInteger(bytes) else {
                throw RESPDecodingError(code: .invalidInteger, message: "malformed integer reply")
            }
            return .integer(integer)
        case ASCII.comma:
            guard bytes.count <= 512, let double = Double(String(decoding: bytes, as: UTF8.self)) else {
                throw RESPDecodingError(code: .invalidScalar, message: "malformed double reply")
            }
            return .double(double)
        case ASCII.hash:
            guard bytes.count == 1, bytes[0] == ASCII.t || bytes[0] == ASCII.f else {
                throw RESPDecodingError(code: .invalidScalar, message: "malformed boolean reply")
            }
            return .boolean(bytes[0] == ASCII.t)
        case ASCII.underscore:
            guard bytes.isEmpty else {
                throw RESPDecodingError(code: .invalidScalar, message: "malformed null reply")
            }
            return .null
        default:  // big number
            var digits = bytes[...]
            if let first = digits.first, first == ASCII.minus || first == ASCII.plus { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0 &- ASCII.zero < 10 }) else {
                throw RESPDecodingError(code: .invalidScalar, message: "malformed big number reply")
            }
            return .bigNumber(String(decoding: bytes, as: UTF8.self))
        }
    }

    private func blob(
        _ marker: UInt8, _ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int
    ) throws(RESPDecodingError) -> RESPValue {
        let bytes = UnsafeBufferPointer(rebasing: p[from..<to])
        switch marker {
        case ASCII.dollar:
            return .bulkString(Array(bytes))
        case ASCII.bang:
            return .error(String(decoding: bytes, as: UTF8.self))
        default:  // verbatim string: "fmt:" then the text
            guard bytes.count >= 4, bytes[3] == ASCII.colon else {
                throw RESPDecodingError(code: .invalidScalar, message: "verbatim string without a format prefix")
            }
            return .verbatimString(
                format: String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<3]), as: UTF8.self),
                text: Array(bytes[4...]))
        }
    }

    private static func aggregate(_ marker: UInt8, _ elements: [RESPValue]) -> RESPValue {
        switch marker {
        case ASCII.tilde: return .set(elements)
        case ASCII.greater: return .push(elements)
        case ASCII.percent:
            var pairs: [(key: RESPValue, value: RESPValue)] = []
            pairs.reserveCapacity(elements.count / 2)
            var index = 0
            while index + 1 < elements.count {
                pairs.append((elements[index], elements[index + 1]))
                index += 2
            }
            return .map(pairs)
        default: return .array(elements)
        }
    }

    /// Parses a length or count: decimal digits, or `-1` for null where that is allowed.
    private func parseLength(
        _ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int, allowsNull: Bool
    ) throws(RESPDecodingError) -> Int {
        let count = to - from
        if count == 1, p[from] == ASCII.question {
            throw RESPDecodingError(code: .unsupportedStreamedType, message: "streamed RESP3 types are not supported")
        }
        if count == 2, p[from] == ASCII.minus, p[from + 1] == ASCII.one {
            guard allowsNull else {
                throw RESPDecodingError(code: .invalidLength, message: "null length where none is allowed")
            }
            return -1
        }
        // 18 digits always fit in an Int; anything longer is far beyond every limit anyway.
        guard count > 0, count <= 18 else {
            throw RESPDecodingError(code: .invalidLength, message: "malformed length")
        }
        var value = 0
        for index in from..<to {
            let digit = p[index] &- ASCII.zero
            guard digit < 10 else {
                throw RESPDecodingError(code: .invalidLength, message: "malformed length")
            }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Parses `[+-]digits` as an `Int64`, rejecting overflow.
    private static func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == ASCII.minus || first == ASCII.plus {
            negative = first == ASCII.minus
            index = 1
        }
        guard index < bytes.count else { return nil }
        var value: Int64 = 0
        while index < bytes.count {
            let digit = bytes[index] &- ASCII.zero
            guard digit < 10 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulating negatively reaches Int64.min, which has no positive counterpart.
            let (next, overflow2) =
                negative
                ? shifted.subtractingReportingOverflow(Int64(digit))
                : shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = next
            index += 1
        }
        return value
    }
}

/// The protocol's marker and digit bytes.
private enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let plus = UInt8(ascii: "+")
    static let minus = UInt8(ascii: "-")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let hash = UInt8(ascii: "#")
    static let underscore = UInt8(ascii: "_")
    static let openParen = UInt8(ascii: "(")
    static let dollar = UInt8(ascii: "$")
    static let bang = UInt8(ascii: "!")
    static let equals = UInt8(ascii: "=")
    static let star = UInt8(ascii: "*")
    static let tilde = UInt8(ascii: "~")
    static let percent = UInt8(ascii: "%")
    static let greater = UInt8(ascii: ">")
    static let pipe = UInt8(ascii: "|")
    static let question = UInt8(ascii: "?")
    static let zero = UInt8(ascii: "0")
    static let one = UInt8(ascii: "1")
    static let t = UInt8(ascii: "t")
    static let f = UInt8(ascii: "f")
}
