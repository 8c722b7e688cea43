// Assembles streamed chunks back into the completion a non-streamed call would have returned, so a
// caller can show a stream as it arrives and still keep the final completion.

/// Builds a ``ChatCompletion`` from the chunks of a streamed one.
///
/// Content and refusal deltas are concatenated per choice; tool-call pieces are joined per call
/// (the first piece of a call brings its id and name, later pieces more argument text); the finish
/// reason, the identifiers and the usage of the final chunk are kept.
///
/// ```swift
/// var accumulator = ChatCompletionAccumulator()
/// for try await chunk in provider.stream(request) {
///     accumulator.add(chunk)
///     print(chunk.choices.first?.content ?? "", terminator: "")
/// }
/// let completion = try accumulator.makeCompletion()
/// ```
public struct ChatCompletionAccumulator: Sendable {
    private struct ToolCallState: Sendable {
        var index: Int
        var id: String?
        var type: String?
        var name: String?
        var arguments = ""
    }

    private struct ChoiceState: Sendable {
        var index: Int
        var role: String?
        var content: String?
        var refusal: String?
        var toolCalls: [ToolCallState] = []
        var finishReason: String?
    }

    private var id: String?
    private var model: String?
    private var created: JSONValue?
    private var systemFingerprint: JSONValue?
    private var serviceTier: JSONValue?
    private var choices: [ChoiceState] = []
    private var usage: JSONValue?

    /// How many chunks were added.
    public private(set) var chunkCount = 0

    /// Creates an empty accumulator.
    public init() {}

    /// The text of the first choice so far.
    public var content: String { choices.first { $0.index == 0 }?.content ?? "" }

    /// Adds the next chunk of the stream.
    ///
    /// - Parameter chunk: A chunk, in the order the stream delivered it.
    /// - Complexity: O(*m*) in the chunk's size, plus O(*c*) in the number of choices and tool calls.
    public mutating func add(_ chunk: ChatCompletionChunk) {
        chunkCount += 1
        if id?.isEmpty ?? true, !chunk.id.isEmpty { id = chunk.id }
        if model?.isEmpty ?? true, !chunk.model.isEmpty { model = chunk.model }
        if created == nil, let value = chunk.raw["created"], !value.isNull { created = value }
        if let value = chunk.raw["system_fingerprint"], !value.isNull { systemFingerprint = value }
        if let value = chunk.raw["service_tier"], !value.isNull { serviceTier = value }
        if let value = chunk.raw["usage"], value.objectValue != nil { usage = value }
        let rawChoices = chunk.raw["choices"]?.arrayValue ?? []
        for (position, delta) in chunk.choices.enumerated() {
            let slot = choiceSlot(delta.index)
            if choices[slot].role == nil, let role = delta.role { choices[slot].role = role }
            // Appending in place keeps assembling linear in the stream's length.
            if let content = delta.content {
                if choices[slot].content == nil { choices[slot].content = "" }
                choices[slot].content?.append(content)
            }
            if position < rawChoices.count, let refusal = rawChoices[position]["delta"]?["refusal"]?.stringValue {
                if choices[slot].refusal == nil { choices[slot].refusal = "" }
                choices[slot].refusal?.append(refusal)
            }
            if let reason = delta.finishReason { choices[slot].finishReason = reason }
            let rawCalls = position < rawChoices.count ? rawChoices[position]["delta"]?["tool_calls"]?.arrayValue : nil
            for (order, piece) in delta.toolCalls.enumerated() {
                let type = rawCalls.flatMap { order < $0.count ? $0[order]["type"]?.stringValue : nil }
                add(piece, type: type, toChoiceAt: slot)
            }
        }
    }

    /// The completion the chunks add up to.
    ///
    /// - Returns: The completion, with ``ChatCompletion/raw`` in the non-streamed format
    ///   (`"object": "chat.completion"`, each choice's `message`).
    /// - Throws: ``ProviderError`` with code `invalidResponse` when no chunk was added.
    public func makeCompletion() throws -> ChatCompletion {
        guard chunkCount > 0 else {
            throw ProviderError.invalidResponse("a streamed completion needs at least one chunk")
        }
        var object = JSONObject(minimumCapacity: 8)
        object["id"] = .string(id ?? "")
        object["object"] = "chat.completion"
        if let created { object["created"] = created }
        object["model"] = .string(model ?? "")
        object["choices"] = .array(choices.sorted { $0.index < $1.index }.map(Self.json(of:)))
        if let usage { object["usage"] = usage }
        if let systemFingerprint { object["system_fingerprint"] = systemFingerprint }
        if let serviceTier { object["service_tier"] = serviceTier }
        return try ChatCompletion(json: .object(object))
    }

    private mutating func choiceSlot(_ index: Int) -> Int {
        if let slot = choices.firstIndex(where: { $0.index == index }) { return slot }
        choices.append(ChoiceState(index: index))
        return choices.count - 1
    }

    private mutating func add(_ piece: ChatCompletionChunk.ToolCallDelta, type: String?, toChoiceAt slot: Int) {
        let call: Int
        if let existing = choices[slot].toolCalls.firstIndex(where: { $0.index == piece.index }) {
            call = existing
        } else {
            choices[slot].toolCalls.append(ToolCallState(index: piece.index))
            call = choices[slot].toolCalls.count - 1
        }
        // Mutated in place (not through a copy) so that argument text is appended, never recopied.
        // Some servers repeat the id and name in every piece: the first one names the call.
        if choices[slot].toolCalls[call].id?.isEmpty ?? true, let id = piece.id {
            choices[slot].toolCalls[call].id = id
        }
        if choices[slot].toolCalls[call].name?.isEmpty ?? true, let name = piece.name {
            choices[slot].toolCalls[call].name = name
        }
        if choices[slot].toolCalls[call].type == nil, let type { choices[slot].toolCalls[call].type = type }
        if let arguments = piece.arguments { choices[slot].toolCalls[call].arguments.append(arguments) }
    }

    private static func json(of choice: ChoiceState) -> JSONValue {
        var message = JSONObject(minimumCapacity: 4)
        message["role"] = .string(choice.role ?? "assistant")
        message["content"] = choice.content.map(JSONValue.string) ?? .null
        if let refusal = choice.refusal { message["refusal"] = .string(refusal) }
        if !choice.toolCalls.isEmpty {
            message["tool_calls"] = .array(
                choice.toolCalls.sorted { $0.index < $1.index }.map { call in
                    [
                        "id": .string(call.id ?? ""), "type": .string(call.type ?? "function"),
                        "function": ["name": .string(call.name ?? ""), "arguments": .string(call.arguments)],
                    ]
                })
        }
        return [
            "index": .int(choice.index), "message": .object(message),
            "finish_reason": choice.finishReason.map(JSONValue.string) ?? .null,
        ]
    }
}
