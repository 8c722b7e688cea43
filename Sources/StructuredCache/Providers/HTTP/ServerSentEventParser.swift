// An incremental reader of `text/event-stream` bodies: it takes whatever bytes arrived, dispatches the
// events they complete, and keeps the rest for the next call.

/// Reads server-sent events from a byte stream that arrives in pieces.
///
/// The parser follows the WHATWG HTML specification's "event stream interpretation": lines end with
/// CRLF, LF or CR; a blank line dispatches the event; `data:` lines (with or without a space after the
/// colon) are joined with `\n`; `event:` sets the type, `id:` the last event ID (unless it contains
/// NUL), `retry:` the reconnection time (digits only); lines starting with `:` are comments; a
/// UTF-8 byte order mark at the very start is skipped; unknown fields are ignored.
///
/// Input may be split anywhere, including between a CR and its LF or inside a UTF-8 sequence: lines
/// are collected as bytes and only decoded once complete, so any split parses the same. A line or
/// an event's data larger than ``maximumEventSize`` is an error, so a hostile stream cannot make the
/// parser hold unbounded memory.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// try parser.parse(bytes) { event in print(event.type, event.text) }
/// ```
package struct ServerSentEventParser: Sendable {
    /// The default bound on one line and on one event's data: 16 MiB.
    public static let defaultMaximumEventSize = 16 << 20

    /// The longest line, and the largest event data, accepted.
    public let maximumEventSize: Int
    /// The reconnection time the stream asked for with `retry:`, in milliseconds.
    public private(set) var reconnectionTime: Int?

    private static let lineFeed: UInt8 = 0x0A
    private static let carriageReturn: UInt8 = 0x0D
    private static let colon: UInt8 = 0x3A
    private static let space: UInt8 = 0x20
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The unfinished line carried over from earlier input.
    private var line: [UInt8] = []
    /// The data buffer of the event being read, each data line followed by a line feed.
    private var data: [UInt8] = []
    /// Whether the event being read has a `data:` field (its data buffer is not empty).
    private var hasData = false
    /// The event type buffer.
    private var eventType: [UInt8] = []
    /// The last event ID buffer; it persists across events, as the specification says.
    private var lastEventID = ""
    /// A CR ended the last line: an LF at the start of the next input belongs to it.
    private var skipsLineFeed = false
    /// How many bytes of a leading byte order mark have been seen; `nil` once past the stream's start.
    private var byteOrderMarkMatched: Int? = 0

    /// Creates a parser.
    ///
    /// - Parameter maximumEventSize: The longest line and the largest event data accepted, in bytes.
    public init(maximumEventSize: Int = ServerSentEventParser.defaultMaximumEventSize) {
        self.maximumEventSize = max(1, maximumEventSize)
    }

    /// Whether input is held that no blank line has dispatched yet: a partial line, or an event's
    /// fields. At the end of a stream the specification discards it; a caller may treat it as a cut.
    public var hasPendingInput: Bool {
        !line.isEmpty || hasData || (byteOrderMarkMatched ?? 0) > 0
    }

    /// The data of the event being read, when all its lines are complete and no blank line has
    /// dispatched it yet (a stream that ends with `data: [DONE]\n` and no blank line).
    public var pendingEventData: [UInt8]? {
        guard line.isEmpty, hasData else { return nil }
        return Array(data.dropLast())
    }

    /// Reads more of the stream, dispatching every event it completes.
    ///
    /// - Parameters:
    ///   - bytes: The next bytes of the stream, split anywhere.
    ///   - body: Called with each dispatched event, in order.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when a line or an event's data exceeds
    ///   ``maximumEventSize``; or what `body` throws. Events dispatched before the error stay delivered.
    /// - Complexity: O(*n*) in the number of bytes.
    public mutating func parse(
        _ bytes: some Collection<UInt8>, _ body: (ServerSentEvent) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        let result = bytes.withContiguousStorageIfAvailable { buffer -> Result<Void, ProviderError> in
            do throws(ProviderError) {
                try parse(buffer: buffer, body)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if let result {
            try result.get()
        } else {
            let copy = Array(bytes)
            let result = copy.withUnsafeBufferPointer { buffer -> Result<Void, ProviderError> in
                do throws(ProviderError) {
                    try parse(buffer: buffer, body)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
        }
    }

    /// Reads more of the stream and returns the events it completes.
    ///
    /// - Parameter bytes: The next bytes of the stream, split anywhere.
    /// - Returns: The dispatched events, in order.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when a line or an event's data exceeds
    ///   ``maximumEventSize``.
    public mutating func parse(_ bytes: some Collection<UInt8>) throws(ProviderError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        try parse(bytes) { events.append($0) }
        return events
    }

    /// Reads more of the stream from a buffer (the core of ``parse(_:_:)``).
    ///
    /// - Parameters:
    ///   - buffer: The next bytes of the stream.
    ///   - body: Called with each dispatched event.
    /// - Throws: ``ProviderError`` (`invalidResponse`) on an oversized line or event, or what `body` throws.
    public mutating func parse(
        buffer: UnsafeBufferPointer<UInt8>, _ body: (ServerSentEvent) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        var index = 0
        let count = buffer.count
        if let matched = byteOrderMarkMatched {
            var matched = matched
            while index < count, matched < 3 {
                guard buffer[index] == Self.byteOrderMark[matched] else {
                    // Not a byte order mark after all: what matched so far is ordinary line content.
                    line.append(contentsOf: Self.byteOrderMark[0..<matched])
                    matched = 3
                    break
                }
                matched += 1
                index += 1
            }
            byteOrderMarkMatched = matched == 3 ? nil : matched
            if byteOrderMarkMatched != nil { return }
        }
        while index < count {
            if skipsLineFeed {
                skipsLineFeed = false
                if buffer[index] == Self.lineFeed {
                    index += 1
                    continue
                }
            }
            var end = index
            while end < count {
                let byte = buffer[end]
                if byte == Self.lineFeed || byte == Self.carriageReturn { break }
                end += 1
            }
            guard line.count + (end - index) <= maximumEventSize else {
                throw ProviderError.invalidResponse(
                    "a server-sent event line is longer than the limit of \(maximumEventSize) bytes")
            }
            if end == count {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
                return
            }
            if line.isEmpty {
                // The usual case: the whole line is in this input, so it is read where it lies.
                try process(line: UnsafeBufferPointer(rebasing: buffer[index..<end]), body)
            } else {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<end]))
                let complete = line
                line.removeAll(keepingCapacity: true)
                try complete.withUnsafeBufferPointer { (whole) throws(ProviderError) in try process(line: whole, body) }
            }
            skipsLineFeed = buffer[end] == Self.carriageReturn
            index = end + 1
        }
    }

    /// Ends the stream: what no blank line dispatched is discarded, as the specification says.
    ///
    /// - Returns: Whether anything was discarded (a partial line or an undispatched event).
    @discardableResult
    public mutating func finish() -> Bool {
        let discarded = hasPendingInput
        line.removeAll()
        data.removeAll()
        hasData = false
        eventType.removeAll()
        skipsLineFeed = false
        byteOrderMarkMatched = nil
        return discarded
    }

    private mutating func process(
        line: UnsafeBufferPointer<UInt8>, _ body: (ServerSentEvent) throws(ProviderError) -> Void
    ) throws(ProviderError) {
        guard let first = line.first else {
            try dispatch(body)
            return
        }
        if first == Self.colon { return }
        let name: UnsafeBufferPointer<UInt8>
        let value: UnsafeBufferPointer<UInt8>
        if let colon = line.firstIndex(of: Self.colon) {
            name = UnsafeBufferPointer(rebasing: line[..<colon])
            var start = colon + 1
            if start < line.count, line[start] == Self.space { start += 1 }
            value = UnsafeBufferPointer(rebasing: line[start...])
        } else {
            name = line
            value = UnsafeBufferPointer(rebasing: line[line.count...])
        }
        switch name.count {
        case 4 where name.elementsEqual("data".utf8):
            guard data.count + value.count + 1 <= maximumEventSize else {
                throw ProviderError.invalidResponse(
                    "a server-sent event's data is larger than the limit of \(maximumEventSize) bytes")
            }
            data.append(contentsOf: value)
            data.append(Self.lineFeed)
            hasData = true
        case 5 where name.elementsEqual("event".utf8):
            eventType.removeAll(keepingCapacity: true)
            eventType.append(contentsOf: value)
        case 2 where name.elementsEqual("id".utf8):
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        case 5 where name.elementsEqual("retry".utf8):
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                // Digits beyond Int's range are no meaningful delay; keep the previous value.
                if let milliseconds = Int(String(decoding: value, as: UTF8.self)) { reconnectionTime = milliseconds }
            }
        default:
            break
        }
    }

    private mutating func dispatch(_ body: (ServerSentEvent) throws(ProviderError) -> Void) throws(ProviderError) {
        guard hasData else {
            eventType.removeAll(keepingCapacity: true)
            return
        }
        data.removeLast()
        let type = eventType.isEmpty ? "message" : String(decoding: eventType, as: UTF8.self)
        let event = ServerSentEvent(type: type, data: data, lastEventID: lastEventID)
        data.removeAll(keepingCapacity: true)
        hasData = false
        eventType.removeAll(keepingCapacity: true)
        try body(event)
    }
}
