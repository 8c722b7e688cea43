// One dispatched server-sent event: its type, its data (kept as bytes so JSON can be read from them
// without a detour through String) and the last event ID in force when it was dispatched.

/// A server-sent event, as the WHATWG event stream interpretation dispatches it.
///
/// ``data`` is the event's data buffer as UTF-8 bytes, its lines joined with `\n` and without the
/// final line feed. Chat completion streams carry one JSON object per event, which is read straight
/// from these bytes.
package struct ServerSentEvent: Sendable, Hashable {
    /// The event type: the last `event:` field of the event, or `"message"` when it had none.
    public var type: String
    /// The data, as UTF-8 bytes (the `data:` lines joined with a line feed).
    public var data: [UInt8]
    /// The last event ID buffer when the event was dispatched (`""` until a stream sets one).
    public var lastEventID: String

    /// Creates an event.
    ///
    /// - Parameters:
    ///   - type: The event type.
    ///   - data: The data bytes.
    ///   - lastEventID: The last event ID.
    public init(type: String = "message", data: [UInt8], lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }

    /// Creates an event from text data.
    ///
    /// - Parameters:
    ///   - type: The event type.
    ///   - text: The data.
    ///   - lastEventID: The last event ID.
    public init(type: String = "message", text: String, lastEventID: String = "") {
        self.init(type: type, data: Array(text.utf8), lastEventID: lastEventID)
    }

    /// The data as text; an invalid UTF-8 sequence reads as U+FFFD, as the specification decodes.
    public var text: String { String(decoding: data, as: UTF8.self) }
}

extension ServerSentEvent {
    /// The event's data read as JSON, the way every provider's stream carries its payloads.
    ///
    /// - Returns: The value, or `nil` when the data is only whitespace (a keep-alive).
    /// - Throws: ``ProviderError`` with code `invalidResponse`, quoting the start of the data, when it
    ///   is not JSON.
    func json() throws(ProviderError) -> JSONValue? {
        // Stops at the first byte of a JSON payload (`{`), rather than scanning all of it.
        guard data.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else { return nil }
        do {
            return try JSONValue(parsing: data)
        } catch {
            throw ProviderError.invalidResponse(
                "a stream event is not JSON (\(error.message)): \(ProviderError.excerpt(data))", underlying: error)
        }
    }
}
