// Streaming calls: snapshots of one answer as it grows, the elements of a list as each completes, and
// raw chunks. They pass straight through: the cache is never read or written while streaming.

import StructuredCacheSupport
internal import Synchronization

extension StructuredClient {
    /// Streams snapshots of an answer of type `responseModel` as it is generated.
    ///
    /// Each snapshot shows the fields read so far (see ``PartialResponse``); the last one carries the
    /// whole answer, decoded and validated. Streaming calls never read or write the cache (a streamed
    /// answer is not a stored one, and Instructor's practice of looking up anyway costs a wasted read):
    /// each reports a `bypass` event instead. Cancelling the task that iterates cancels the request.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    /// - Returns: The snapshots. The sequence ends with an error (``ProviderError``, ``ClientError``,
    ///   ``JSONParseError`` or a decoding error) when the stream breaks or the answer is invalid;
    ///   snapshots already yielded stay valid.
    public func createPartial<Response: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions()
    ) -> AsyncThrowingStream<PartialResponse<Response>, any Error> {
        streamAnswer(
            plan: {
                try self.plan(
                    model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: 0,
                    options: options, cache: nil, cacheTTL: nil, cachePolicy: nil, streaming: true)
            }
        ) { parser, continuation, finished in
            guard let snapshot = parser.snapshot else { return }
            if finished {
                let value = try Self.decodeAnswer(snapshot, as: Response.self)
                continuation.yield(PartialResponse(json: snapshot, value: value))
            } else {
                continuation.yield(PartialResponse(json: snapshot, value: nil))
            }
        }
    }

    /// Streams a list of `responseModel`, yielding each element, decoded and validated, as soon as it
    /// is complete.
    ///
    /// As Instructor does, the model is asked for a wrapper object `{"tasks": [...]}` described by a
    /// schema titled `Iterable` and the element's name. Like every streaming call, it never reads or
    /// writes the cache.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of each element.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    /// - Returns: The elements. The sequence ends with an error when the stream breaks or an element is
    ///   invalid; elements already yielded stay valid.
    public func createIterable<Element: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Element.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions()
    ) -> AsyncThrowingStream<Element, any Error> {
        let yielded = Lock(0)
        return streamAnswer(
            plan: {
                try self.plan(
                    model: model, messages: messages, schema: IterableSchema.entry(for: Element.self), mode: mode,
                    maxRetries: 0, options: options, cache: nil, cacheTTL: nil, cachePolicy: nil, streaming: true)
            }
        ) { parser, continuation, _ in
            let elements = parser.finishedElements(underKey: IterableSchema.member)
            let start = yielded.withLock { $0 }
            guard elements.count > start else { return }
            for element in elements[start...] {
                continuation.yield(try Self.decodeAnswer(element, as: Element.self))
            }
            yielded.withLock { $0 = elements.count }
        }
    }

    /// Streams the raw chunks of a completion, for callers who assemble it themselves.
    ///
    /// Like every streaming call, it never reads or writes the cache.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - options: Sampling and length parameters.
    /// - Returns: The chunks as the provider streams them.
    public func stream(
        model: String? = nil, messages: [ChatMessage], options: RequestOptions = RequestOptions()
    ) -> AsyncThrowingStream<ChatCompletionChunk, any Error> {
        guard let model = model ?? configuration.defaultModel else {
            return AsyncThrowingStream {
                $0.finish(
                    throwing: ClientError(
                        .missingModel, "no model given, to the call or as the configuration's defaultModel"))
            }
        }
        var request = options.request(model: model, messages: messages)
        request.stream = true
        return provider.stream(request)
    }

    /// Runs a streaming call: plans it, reports the bypass, feeds the answer text to a partial JSON
    /// reader, and lets `onProgress` yield after each piece and once more when the answer is complete.
    private func streamAnswer<Element: Sendable>(
        plan: @escaping @Sendable () throws -> Call,
        onProgress:
            @escaping @Sendable (
                _ parser: PartialJSONParser, _ continuation: AsyncThrowingStream<Element, any Error>.Continuation,
                _ finished: Bool
            ) throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let task = Task {
            do {
                let call = try plan()
                if call.cache != nil || cache != nil {
                    emit(.bypass, call, adapter: call.cache ?? cache, reason: "streaming calls are never cached")
                }
                var parser = PartialJSONParser(ignoresTrailingText: call.mode == .mdJSON)
                var answer = StreamedAnswer(mode: call.mode)
                var finishReason: String?
                // Text that is not JSON may be a refusal, which only the stream's end says: the stream is
                // read to its end before the parse error is thrown.
                var unreadable: (any Error)?
                for try await chunk in provider.stream(call.prepared.request) {
                    if let reason = chunk.choices.first(where: { $0.index == 0 })?.finishReason {
                        finishReason = reason
                    }
                    guard !parser.isComplete, unreadable == nil else { continue }
                    let piece = answer.text(in: chunk)
                    guard !piece.isEmpty else { continue }
                    do {
                        try parser.feed(piece.utf8)
                    } catch {
                        unreadable = error
                        continue
                    }
                    if !parser.isComplete { try onProgress(parser, continuation, false) }
                }
                if let unreadable, finishReason != "content_filter" { throw unreadable }
                guard parser.isComplete, unreadable == nil else {
                    // Why the answer stopped short, when the provider said: a refusal is not a cut.
                    switch finishReason {
                    case "content_filter":
                        throw ClientError(.refusal, "the model refused to answer, or its answer was filtered")
                    case "length":
                        throw ClientError(
                            .incompleteOutput, "the model stopped at its token limit before finishing the answer")
                    default:
                        throw ClientError(.incompleteOutput, "the stream ended before the answer was complete")
                    }
                }
                try onProgress(parser, continuation, true)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}

/// Instructor's iterable wrapper: `{"tasks": [Element]}`, titled `Iterable` and the element's name.
enum IterableSchema {
    static let member = "tasks"

    /// The wrapper's schema entry, kept with the element's.
    private struct Wrapped: Sendable {
        let entry: SchemaCache.Entry
    }

    static func entry<Element: Decodable>(for type: Element.Type) throws -> SchemaCache.Entry {
        try SchemaCache.shared.entry(for: type).attachment(Wrapped.self) {
            Wrapped(entry: SchemaCache.Entry(schema: wrapper(for: $0)))
        }.entry
    }

    /// The schema of `IterableModel(Element)`, as pydantic writes it.
    static func wrapper(for element: JSONValue) -> JSONValue {
        var definitions = element["$defs"]?.objectValue ?? [:]
        let items: JSONValue
        let name: String
        if let reference = element["$ref"]?.stringValue {
            items = ["$ref": .string(reference)]
            name = String(reference.split(separator: "/").last ?? "Item")
        } else if element["type"] == "object", let title = element["title"]?.stringValue {
            name = SchemaBuilder.definitionName(title)
            var definition = element.objectValue ?? [:]
            definition["$defs"] = nil
            definitions[name] = .object(definition)
            items = ["$ref": .string("#/$defs/\(name)")]
        } else {
            items = element
            name = element["title"]?.stringValue ?? "Item"
        }
        var wrapper: JSONObject = [
            "description": .string("Correct segmentation of `\(name)` tasks"),
            "properties": [
                member: [
                    "description": .string("Correctly segmented list of `\(name)` tasks"), "items": items,
                    "title": "Tasks", "type": "array",
                ]
            ],
            "title": .string("Iterable\(name)"), "type": "object",
        ]
        if !definitions.isEmpty { wrapper["$defs"] = .object(definitions) }
        return SchemaBuilder.pydanticSorted(.object(wrapper), parentKey: nil)
    }
}
