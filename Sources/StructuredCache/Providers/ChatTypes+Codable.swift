// The chat types through Swift's Codable: each is the JSON of OpenAI's format, as the type's `json`
// or `raw` holds it, so they can be stored, logged or sent with any encoder.

extension ChatRequest: Encodable {
    /// Encodes the request body, as ``body`` has it.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        try JSONValue.object(body).encode(to: encoder)
    }
}

extension ChatCompletion: Codable {
    /// Decodes a completion from OpenAI's format.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError`, or ``ProviderError`` when the JSON is not a chat completion.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// Encodes the completion as it arrived (``raw``).
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        try raw.encode(to: encoder)
    }
}

extension ChatCompletionChunk: Codable {
    /// Decodes a chunk from OpenAI's format.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError`, or ``ProviderError`` when the JSON is not a chunk.
    public init(from decoder: any Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    /// Encodes the chunk as it arrived (``raw``).
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        try raw.encode(to: encoder)
    }
}
