// The client's cache keys: the whole prepared request under a namespace, or Instructor 1.16's key.

import StructuredCacheCore

/// The keys ``StructuredClient`` uses.
enum ClientCacheKey {
    /// The lowercase hex SHA-256 of the sorted JSON of
    /// `{"messages", "mode", "model", "namespace", "request", "schema", "version": 1}`, where `request`
    /// is every other member of the prepared request body (sampling, stop, length, stream, extra
    /// members …) except those the mode set (its tools or response format), which are functions of the
    /// mode and the schema the key holds already. It begins as Instructor's key does and adds what
    /// Instructor leaves out. A change in how modes prepare requests must bump `version`.
    ///
    /// - Parameters:
    ///   - body: The request body as the provider sends it (``ChatDialect/wireBody(_:)``).
    ///   - prepared: The prepared request.
    ///   - mode: The mode.
    ///   - schemaText: The schema's key text.
    ///   - namespace: The client's namespace.
    /// - Returns: 64 lowercase hexadecimal digits.
    static func standard(
        body: JSONObject, prepared: PreparedRequest, mode: Mode, schemaText: [UInt8], namespace: String
    ) -> String {
        standardPayload(body: body, prepared: prepared, mode: mode, schemaText: schemaText, namespace: namespace).key()
    }

    /// The text ``standard(body:prepared:mode:schemaText:namespace:)`` hashes.
    static func standardPayload(
        body: JSONObject, prepared: PreparedRequest, mode: Mode, schemaText: [UInt8], namespace: String
    ) -> CacheKeyPayload {
        var body = body
        let messages = body["messages"] ?? []
        for member in ["messages", "model"] + prepared.modeMembers { body[member] = nil }
        // A format that streams at another endpoint (Gemini) says so only here.
        if prepared.request.stream, body["stream"] == nil { body["stream"] = true }
        var payload = CacheKeyPayload(capacity: schemaText.count + 1_024)
        payload.member("messages") { $0.write(messages) }
        payload.member("mode") { $0.writeString(mode.rawValue) }
        payload.member("model") { $0.writeString(prepared.request.model) }
        payload.member("namespace") { $0.writeString(namespace) }
        payload.member("request") { $0.write(.object(body)) }
        payload.member("schema") { writer in schemaText.withUnsafeBytes { writer.append($0) } }
        payload.member("version") { $0.writeInteger(1) }
        return payload
    }

    /// Instructor 1.16's request-path key: `make_cache_key` of the prepared messages as its message
    /// converter leaves them (a null or empty content becomes `[]`: `message["content"] or []`), the
    /// model, the mode's value and the schema.
    static func instructor116(prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) -> String {
        instructor116Payload(prepared: prepared, mode: mode, schemaText: schemaText).key()
    }

    /// The text ``instructor116(prepared:mode:schemaText:)`` hashes.
    static func instructor116Payload(prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) -> CacheKeyPayload {
        let messages = prepared.hashedMessages.map { message -> JSONValue in
            guard var object = message.objectValue, let content = object["content"],
                content.isNull || content.stringValue?.isEmpty == true
            else { return message }
            object["content"] = []
            return .object(object)
        }
        return CacheKeyPayload(
            model: prepared.request.model, mode: mode, capacity: schemaText.count + 512,
            messages: { $0.writeArray(messages, level: 0) },
            schema: { writer in schemaText.withUnsafeBytes { writer.append($0) } })
    }
}
