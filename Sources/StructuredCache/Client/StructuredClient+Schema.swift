// Keys of calls whose response type is known only by its JSON Schema: what a request file describes to
// the command-line tool, hashed through the same path a call takes.

extension StructuredClient {
    /// The payload a call with these arguments hashes into its cache key, for a response type given by
    /// its JSON Schema rather than by a Swift type (see ``cachePayload(model:messages:responseModel:mode:options:)``).
    ///
    /// The request is prepared and keyed exactly as a call's: only the schema is taken as given, so the
    /// key equals the call's when `schema` is what ``jsonSchema(for:)`` gives the call's type.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - schema: The response type's JSON Schema, as pydantic's `model_json_schema()` writes it.
    ///   - mode: The mode; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    ///   - streaming: Whether the call streams (`createPartial`, `createIterable`), which has keys of its own.
    /// - Returns: The payload and its key.
    /// - Throws: ``ClientError`` as a call would (no model, a mode the provider's format cannot prepare,
    ///   Instructor's key asked of a format that has none).
    package func cachePayload(
        model: String?, messages: [ChatMessage], schema: JSONValue, mode: Mode?, options: RequestOptions,
        streaming: Bool
    ) throws -> CachePayload {
        try payload(
            of: plan(
                model: model, messages: messages, schema: SchemaCache.Entry(schema: schema), mode: mode,
                maxRetries: nil, options: options, cache: nil, cacheTTL: nil, cachePolicy: nil, label: nil,
                streaming: streaming))
    }
}
