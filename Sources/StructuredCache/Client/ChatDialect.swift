// What the client needs to know about a wire format to get a structured answer through it: how a mode
// prepares a request, where the answer is in a completion, how to ask again, and how keys and stored
// completions are read. Each provider brings its own; the client never asks which provider it has.

import StructuredCacheCore

/// How one wire format asks for a structured answer and reads it back.
///
/// The client prepares every call through its provider's dialect (OpenAI's chat completions for any
/// provider that does not bring one), so that it never depends on which provider it talks to.
protocol ChatDialect: Sendable {
    /// What the provider's wire format calls itself in messages (`"OpenAI-compatible"`, `"Anthropic"`).
    var name: String { get }

    /// Prepares `request` for `mode`: the tools, tool choice, response format or instructions the mode
    /// adds for `schema`, in the provider's own format.
    ///
    /// - Parameters:
    ///   - request: The caller's request.
    ///   - mode: The mode.
    ///   - schema: The response type's schema.
    /// - Returns: The request to send, and what keys are made from.
    /// - Throws: ``ClientError`` with code `invalidConfiguration` for a mode the format cannot prepare.
    func prepare(_ request: ChatRequest, mode: Mode, schema: SchemaCache.Entry) throws -> PreparedRequest

    /// The request body exactly as the provider sends it, for the default cache key.
    ///
    /// - Parameter request: A prepared request.
    /// - Returns: The body's members.
    /// - Throws: ``ProviderError`` with code `invalidRequest` when the request cannot be sent.
    func wireBody(_ request: ChatRequest) throws -> JSONObject

    /// The answer's JSON text in `completion`.
    ///
    /// - Throws: ``ClientError`` for a refusal or a cut-off answer (asking again would not help);
    ///   ``ResponseExtraction/MissingAnswer`` when the completion holds no answer.
    func answerJSON(in completion: ChatCompletion, mode: Mode) throws -> String

    /// The answer's JSON text in `completion`, which answered `request`: for dialects that check the
    /// answer against what was asked (the function the request named). By default
    /// ``answerJSON(in:mode:)``.
    ///
    /// - Throws: As ``answerJSON(in:mode:)``.
    func answerJSON(in completion: ChatCompletion, for request: ChatRequest, mode: Mode) throws -> String

    /// The messages that ask again after `error`, appended to the conversation.
    func reaskMessages(after completion: ChatCompletion, error: any Error, mode: Mode) -> [ChatMessage]

    /// The text Instructor 1.16's key for the prepared call hashes.
    ///
    /// - Throws: ``ClientError`` with code `invalidConfiguration` when Instructor's key for this format
    ///   cannot be reproduced.
    func instructorPayload(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) throws -> CacheKeyPayload

    /// The completion a stream's chunks amount to, in this format (what a non-streamed call returns),
    /// from the chunks' raw events.
    ///
    /// - Parameter chunks: Every chunk of the stream, in order.
    /// - Throws: ``ProviderError`` with code `invalidResponse` when the chunks do not make a completion.
    func completion(streamedAs chunks: [ChatCompletionChunk]) throws -> ChatCompletion

    /// A completion stored with an answer, read back; `nil` when it is not one of this format.
    func storedCompletion(_ raw: JSONValue) -> ChatCompletion?

    /// Where a stored completion of this format says what it cost, for the tokens a hit on an entry
    /// without this client's record saves (one Instructor stored, say).
    var usageNames: CacheEnvelope.UsageNames { get }
}

extension ChatDialect {
    /// Instructor 1.16's key for the prepared call: the SHA-256 of ``instructorPayload(_:mode:schemaText:)``.
    ///
    /// - Throws: As ``instructorPayload(_:mode:schemaText:)``.
    func instructorKey(_ prepared: PreparedRequest, mode: Mode, schemaText: [UInt8]) throws -> String {
        try instructorPayload(prepared, mode: mode, schemaText: schemaText).key()
    }

    func answerJSON(in completion: ChatCompletion, for request: ChatRequest, mode: Mode) throws -> String {
        try answerJSON(in: completion, mode: mode)
    }

    /// OpenAI's chat completion chunks, accumulated.
    func completion(streamedAs chunks: [ChatCompletionChunk]) throws -> ChatCompletion {
        var accumulator = ChatCompletionAccumulator()
        for chunk in chunks { accumulator.add(chunk) }
        return try accumulator.makeCompletion()
    }
}

/// A provider whose wire format is not OpenAI's chat completions names the dialect it speaks.
protocol DialectSpeaking: ChatProvider {
    /// How structured answers are asked for and read in this provider's format.
    var dialect: any ChatDialect { get }
}
