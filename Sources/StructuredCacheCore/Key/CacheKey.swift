// makeCacheKey: Instructor's cache key, byte for byte.

import StructuredCacheSupport

/// Returns the cache key Instructor 1.10–1.16 computes for a request, given a ready schema.
///
/// The key is the lowercase hex SHA-256 of the UTF-8 bytes of
/// `json.dumps({"messages": …, "mode": …, "model": …, "schema": …}, sort_keys=True)` as Python
/// writes it; `"schema"` is left out (not `null`) when `schema` is `nil`, as when Instructor is given no
/// response model.
///
/// ```swift
/// let key = makeCacheKey(
///     messages: [["role": "user", "content": "hello"]], model: "gpt-4.1-mini",
///     schema: ["properties": ["name": ["title": "Name", "type": "string"]], "required": ["name"],
///              "title": "User", "type": "object"],
///     mode: "TOOLS")
/// // 2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe
/// ```
///
/// - Parameters:
///   - messages: The chat messages, as Instructor hashes them.
///   - model: The model name, or `nil` (hashed as `null`).
///   - schema: The response model's JSON Schema, or `nil` for no response model.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
/// - Complexity: O(*n*) in the size of the messages and the schema.
public func makeCacheKey(messages: [JSONValue], model: String?, schema: JSONValue? = nil, mode: Mode? = nil) -> String {
    CacheKeyPayload(
        model: model, mode: mode, messages: { $0.writeArray(messages, level: 0) },
        schema: schema.map { schema in { $0.write(schema) } }
    ).key()
}

/// Returns the cache key Instructor 1.10–1.16 computes, for messages given as one JSON value.
///
/// - Parameters:
///   - messages: The chat messages (usually an array), as Instructor hashes them.
///   - model: The model name, or `nil` (hashed as `null`).
///   - schema: The response model's JSON Schema, or `nil` for no response model.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
public func makeCacheKey(messages: JSONValue, model: String?, schema: JSONValue? = nil, mode: Mode? = nil) -> String {
    CacheKeyPayload(
        model: model, mode: mode, messages: { $0.write(messages) },
        schema: schema.map { schema in { $0.write(schema) } }
    ).key()
}

/// Returns the cache key Instructor 1.10–1.16 computes for a request with a response model.
///
/// The response model's schema is ``jsonSchema(for:)``, which is what pydantic's
/// `model_json_schema()` gives the equivalent model, so the key equals the Python one:
///
/// ```swift
/// struct User: Codable { var name: String }
/// let key = try makeCacheKey(messages: [["role": "user", "content": "hello"]],
///                            model: "gpt-4.1-mini", responseModel: User.self, mode: "TOOLS")
/// // 2e2a9521bd269d62ee9a8559d7deacba0025c1f6da0ec1fc63d472788be096fe
/// ```
///
/// - Parameters:
///   - messages: The chat messages, as Instructor hashes them.
///   - model: The model name, or `nil` (hashed as `null`).
///   - responseModel: The type the answer decodes into.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
/// - Throws: ``SchemaError`` when `responseModel` cannot be described.
public func makeCacheKey<Response: Decodable>(
    messages: [JSONValue], model: String?, responseModel: Response.Type, mode: Mode? = nil
) throws -> String {
    let schema = try SchemaCache.shared.entry(for: responseModel).keyText
    return CacheKeyPayload(
        model: model, mode: mode, capacity: schema.count + 256, messages: { $0.writeArray(messages, level: 0) },
        schema: { writer in schema.withUnsafeBytes { writer.append($0) } }
    ).key()
}

/// Returns the cache key Instructor 1.10–1.16 computes for a request with a response model, for
/// messages given as one JSON value.
///
/// - Parameters:
///   - messages: The chat messages (usually an array), as Instructor hashes them.
///   - model: The model name, or `nil` (hashed as `null`).
///   - responseModel: The type the answer decodes into.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
/// - Throws: ``SchemaError`` when `responseModel` cannot be described.
public func makeCacheKey<Response: Decodable>(
    messages: JSONValue, model: String?, responseModel: Response.Type, mode: Mode? = nil
) throws -> String {
    let schema = try SchemaCache.shared.entry(for: responseModel).keyText
    return CacheKeyPayload(
        model: model, mode: mode, capacity: schema.count + 256, messages: { $0.write(messages) },
        schema: { writer in schema.withUnsafeBytes { writer.append($0) } }
    ).key()
}

/// Returns the cache key Instructor 1.10–1.16 computes for chat messages and a response model.
///
/// - Parameters:
///   - messages: The chat messages, hashed as their OpenAI-format JSON.
///   - model: The model name, or `nil` (hashed as `null`).
///   - responseModel: The type the answer decodes into.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
/// - Throws: ``SchemaError`` when `responseModel` cannot be described.
public func makeCacheKey<Response: Decodable>(
    messages: [ChatMessage], model: String?, responseModel: Response.Type, mode: Mode? = nil
) throws -> String {
    try makeCacheKey(messages: messages.map(\.json), model: model, responseModel: responseModel, mode: mode)
}

/// Returns the cache key Instructor 1.10–1.16 computes for chat messages and a ready schema.
///
/// - Parameters:
///   - messages: The chat messages, hashed as their OpenAI-format JSON.
///   - model: The model name, or `nil` (hashed as `null`).
///   - schema: The response model's JSON Schema, or `nil` for no response model.
///   - mode: The mode's value, or `nil` (hashed as `null`).
/// - Returns: 64 lowercase hexadecimal digits.
public func makeCacheKey(messages: [ChatMessage], model: String?, schema: JSONValue? = nil, mode: Mode? = nil) -> String
{
    makeCacheKey(messages: messages.map(\.json), model: model, schema: schema, mode: mode)
}
