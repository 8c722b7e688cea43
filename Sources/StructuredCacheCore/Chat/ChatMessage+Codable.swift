// A chat message through Swift's Codable: the JSON of OpenAI's format, as its `json` holds it, so that
// it can be stored, logged or sent with any encoder.

extension ChatMessage: Codable {
    /// Decodes a message from OpenAI's format.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when the JSON is not a message.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// Encodes the message in OpenAI's format.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
