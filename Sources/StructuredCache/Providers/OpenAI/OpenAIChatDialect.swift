// OpenAI's chat completions as a dialect: Instructor 1.16's OpenAI mode handlers, its answer
// extraction and re-asks, its request-path key, and the completion format every OpenAI-compatible
// server writes.

import StructuredCacheCore

/// The dialect of OpenAI-compatible chat completions, and of any provider that names no other.
struct OpenAIChatDialect: ChatDialect {
    var name: String { "OpenAI-compatible" }

    func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest {
        try ModePreparation.prepare(request, mode: mode, schema: schema)
    }

    func wireBody(_ request: ChatRequest) -> JSONObject { request.body }

    func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String {
        try ResponseExtraction.answerJSON(in: completion, mode: mode)
    }

    func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage] {
        ResponseExtraction.reaskMessages(after: completion, error: error, mode: mode)
    }

    func instructorPayload(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) -> CacheKeyPayload {
        ClientCacheKey.instructor116Payload(prepared: prepared, mode: mode, schemaText: schemaText)
    }

    func storedCompletion(_ raw: JSONValue) -> ChatCompletion? { try? ChatCompletion(json: raw) }

    private static let names = CacheEnvelope.UsageNames(
        input: ["prompt_tokens"], output: ["completion_tokens"], cached: ["cached_tokens"])

    var usageNames: CacheEnvelope.UsageNames { Self.names }
}
