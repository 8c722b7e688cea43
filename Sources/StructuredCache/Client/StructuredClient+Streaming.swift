// Streaming calls: snapshots of one answer as it grows, the elements of a list as each completes, and
// raw chunks. They pass straight through unless stream caching is on: then a miss streams live and is
// stored with the pieces it streamed in, and a hit replays them.

import StructuredCacheSupport
internal import Synchronization

extension StructuredClient {
    /// Streams snapshots of an answer of type `responseModel` as it is generated.
    ///
    /// Each snapshot shows the fields read so far (see ``PartialResponse``); the last one carries the
    /// whole answer, decoded and validated. Cancelling the task that iterates cancels the request.
    ///
    /// By default streaming calls never read or write the cache: each reports a `bypass` event. With
    /// ``StreamCaching`` on (here or in the configuration), a miss streams live and stores the answer
    /// with the pieces it streamed in (the stream ends once it is stored), and a hit replays the same
    /// snapshots, ending with the same validated value, without calling the provider.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of the answer.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    ///   - cache: The cache for this call; the client's when `nil`.
    ///   - cacheTTL: How long the answer is stored; the configuration's when `nil`.
    ///   - cachePolicy: How this call uses the cache; the configuration's when `nil`.
    ///   - streamCaching: Whether this call uses the cache, and how a hit replays; the configuration's
    ///     when `nil`.
    ///   - label: What the call's cache use is counted under in ``statisticsByLabel``; none when `nil`.
    /// - Returns: The snapshots. The sequence ends with an error (``ProviderError``, ``ClientError``,
    ///   ``JSONParseError`` or a decoding error) when the stream breaks or the answer is invalid;
    ///   snapshots already yielded stay valid.
    public func createPartial<Response: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Response.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions(), cache: (any CacheAdapter)? = nil, cacheTTL: CacheTTL? = nil,
        cachePolicy: CachePolicy? = nil, streamCaching: StreamCaching? = nil, label: String? = nil
    ) -> AsyncThrowingStream<PartialResponse<Response>, any Error> {
        let shape = StreamShape<PartialResponse<Response>>(
            progress: { parser, continuation, finished in
                guard let snapshot = parser.snapshot else { return }
                if finished {
                    let value = try Self.decodeAnswer(snapshot, as: Response.self)
                    continuation.yield(PartialResponse(json: snapshot, value: value))
                } else {
                    continuation.yield(PartialResponse(json: snapshot, value: nil))
                }
            },
            validate: { _ = try Self.decodeAnswer($0, as: Response.self) },
            whole: { json, continuation in
                continuation.yield(PartialResponse(json: json, value: try Self.decodeAnswer(json, as: Response.self)))
            })
        return streamAnswer(caching: streamCaching, shape: shape) { streaming in
            try self.plan(
                model: model, messages: messages, responseModel: responseModel, mode: mode, maxRetries: 0,
                options: options, cache: cache, cacheTTL: cacheTTL, cachePolicy: cachePolicy, label: label,
                streaming: streaming)
        }
    }

    /// Streams a list of `responseModel`, yielding each element, decoded and validated, as soon as it
    /// is complete.
    ///
    /// As Instructor does, the model is asked for a wrapper object `{"tasks": [...]}` described by a
    /// schema titled `Iterable` and the element's name. Like ``createPartial(model:messages:responseModel:mode:options:cache:cacheTTL:cachePolicy:streamCaching:label:)``
    /// it uses the cache only with ``StreamCaching`` on; a hit replays the same elements.
    ///
    /// - Parameters:
    ///   - model: The model; the configuration's `defaultModel` when `nil`.
    ///   - messages: The conversation.
    ///   - responseModel: The type of each element.
    ///   - mode: How the answer is requested; the configuration's when `nil`.
    ///   - options: Sampling and length parameters.
    ///   - cache: The cache for this call; the client's when `nil`.
    ///   - cacheTTL: How long the answer is stored; the configuration's when `nil`.
    ///   - cachePolicy: How this call uses the cache; the configuration's when `nil`.
    ///   - streamCaching: Whether this call uses the cache, and how a hit replays; the configuration's
    ///     when `nil`.
    ///   - label: What the call's cache use is counted under in ``statisticsByLabel``; none when `nil`.
    /// - Returns: The elements. The sequence ends with an error when the stream breaks or an element is
    ///   invalid; elements already yielded stay valid.
    public func createIterable<Element: Decodable & Sendable>(
        model: String? = nil, messages: [ChatMessage], responseModel: Element.Type, mode: Mode? = nil,
        options: RequestOptions = RequestOptions(), cache: (any CacheAdapter)? = nil, cacheTTL: CacheTTL? = nil,
        cachePolicy: CachePolicy? = nil, streamCaching: StreamCaching? = nil, label: String? = nil
    ) -> AsyncThrowingStream<Element, any Error> {
        let yielded = Lock(0)
        let shape = StreamShape<Element>(
            progress: { parser, continuation, _ in
                let elements = parser.finishedElements(underKey: IterableSchema.member)
                let start = yielded.withLock { $0 }
                guard elements.count > start else { return }
                for element in elements[start...] {
                    continuation.yield(try Self.decodeAnswer(element, as: Element.self))
                }
                yielded.withLock { $0 = elements.count }
            },
            validate: { json in
                for element in try IterableSchema.elements(of: json) {
                    _ = try Self.decodeAnswer(element, as: Element.self)
                }
            },
            whole: { json, continuation in
                for element in try IterableSchema.elements(of: json) {
                    continuation.yield(try Self.decodeAnswer(element, as: Element.self))
                }
            })
        return streamAnswer(caching: streamCaching, shape: shape) { streaming in
            let schema = try IterableSchema.entry(for: Element.self)
            return try self.plan(
                model: model, messages: messages, schema: schema, mode: mode, maxRetries: 0, options: options,
                cache: cache, cacheTTL: cacheTTL, cachePolicy: cachePolicy, label: label, streaming: streaming)
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

    /// Runs a streaming call: plans it, answers it from the cache when stream caching is on and the
    /// cache holds it, or streams it live (and stores it when stream caching is on).
    private func streamAnswer<Element: Sendable>(
        caching: StreamCaching?, shape: StreamShape<Element>,
        plan: @escaping @Sendable (_ streaming: Bool) throws -> Call
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let task = Task {
            do {
                var call = try plan(true)
                let caching = caching ?? configuration.streamCaching
                guard caching.isEnabled, call.policy != .bypass, let adapter = call.cache else {
                    if call.cache != nil {
                        let reason = caching.isEnabled ? "cache policy bypass" : "stream caching is off"
                        emit(.bypass, call, adapter: call.cache, reason: reason)
                    }
                    try await streamLive(call, shape, continuation, storingIn: nil)
                    continuation.finish()
                    return
                }
                if caching.sharesEntriesWithCreate { call.key = try plan(false).key }
                if call.policy.reads, let stored = await lookupStream(call, adapter, shape) {
                    try await replay(stored, shape, continuation, pace: caching.replay)
                    continuation.finish()
                    return
                }
                if call.policy == .replayOnly { throw await replayMiss(call, adapter) }
                try await streamLive(call, shape, continuation, storingIn: call.policy.stores ? adapter : nil)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Streams `call` from the provider: feeds the answer text to a partial JSON reader, lets the shape
    /// yield after each piece and once more when the answer is complete, and stores the answer with
    /// its pieces in `adapter` when given one.
    private func streamLive<Element: Sendable>(
        _ call: Call, _ shape: StreamShape<Element>,
        _ continuation: AsyncThrowingStream<Element, any Error>.Continuation,
        storingIn adapter: (any CacheAdapter)?
    ) async throws {
        let asked = ContinuousClock.now
        var parser = PartialJSONParser(ignoresTrailingText: call.mode == .mdJSON)
        var answer = StreamedAnswer(mode: call.mode)
        var finishReason: String?
        var pieces: [EntryRecord.Piece] = []
        var chunks: [ChatCompletionChunk] = []
        // Text that is not JSON may be a refusal, which only the stream's end says: the stream is
        // read to its end before the parse error is thrown.
        var unreadable: (any Error)?
        for try await chunk in provider.stream(call.prepared.request) {
            if adapter != nil { chunks.append(chunk) }
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
            if adapter != nil { pieces.append(EntryRecord.Piece(offset: ContinuousClock.now - asked, text: piece)) }
            if !parser.isComplete { try shape.progress(parser, continuation, false) }
        }
        if let unreadable, finishReason != "content_filter" { throw unreadable }
        guard parser.isComplete, let snapshot = parser.snapshot, unreadable == nil else {
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
        try shape.progress(parser, continuation, true)
        guard let adapter else { return }
        let completion = try? dialect.completion(streamedAs: chunks)
        let usage = completion?.usage ?? chunks.last(where: { $0.usage != nil })?.usage
        let record = EntryRecord(
            providerTime: ContinuousClock.now - asked, tokens: usage.map(TokenCounts.init), stream: pieces)
        await store(
            modelJSON: snapshot.jsonString(.compact), rawJSON: completion?.raw.jsonString(.compact), record: record,
            call, adapter)
    }

    /// A stored answer a stream can replay: the pieces it streamed in, or (stored by `create`) the
    /// whole answer.
    private enum StoredStream: Sendable {
        case pieces([EntryRecord.Piece], ignoresTrailingText: Bool)
        case whole(JSONValue)
    }

    /// Reads `call`'s stored stream, checked to make a complete answer the shape accepts; `nil` on a
    /// miss (an unusable entry is removed).
    private func lookupStream<Element>(
        _ call: Call, _ adapter: any CacheAdapter, _ shape: StreamShape<Element>
    ) async -> StoredStream? {
        await lookup(call, adapter, unanswerable: "") { envelope in
            guard let pieces = envelope.record?.stream else {
                let json = try JSONValue(parsing: envelope.modelJSON)
                try shape.validate(json)
                return .whole(json)
            }
            var parser = PartialJSONParser(ignoresTrailingText: call.mode == .mdJSON)
            for piece in pieces where !parser.isComplete { try parser.feed(piece.text.utf8) }
            guard parser.isComplete, let json = parser.snapshot else {
                throw ValidationFailure("the stored stream does not make a complete answer")
            }
            try shape.validate(json)
            return .pieces(pieces, ignoresTrailingText: call.mode == .mdJSON)
        }
    }

    /// Replays a stored answer through the shape, as the live stream yielded it.
    private func replay<Element: Sendable>(
        _ stored: StoredStream, _ shape: StreamShape<Element>,
        _ continuation: AsyncThrowingStream<Element, any Error>.Continuation, pace: StreamCaching.Replay
    ) async throws {
        switch stored {
        case .whole(let json):
            try shape.whole(json, continuation)
        case .pieces(let pieces, let ignoresTrailingText):
            let started = ContinuousClock.now
            var parser = PartialJSONParser(ignoresTrailingText: ignoresTrailingText)
            for piece in pieces {
                if pace == .recordedPace {
                    try await Task.sleep(until: started + piece.offset, clock: .continuous)
                } else {
                    try Task.checkCancellation()
                }
                try parser.feed(piece.text.utf8)
                if !parser.isComplete { try shape.progress(parser, continuation, false) }
            }
            try shape.progress(parser, continuation, true)
        }
    }
}

/// What a streaming call yields as its answer grows, and from a stored answer.
struct StreamShape<Element: Sendable>: Sendable {
    /// Yields what the answer so far adds, and once more when it is complete (`finished`).
    let progress:
        @Sendable (
            _ parser: PartialJSONParser, _ continuation: AsyncThrowingStream<Element, any Error>.Continuation,
            _ finished: Bool
        ) throws -> Void
    /// Decodes and validates a complete answer as the last step would, yielding nothing.
    let validate: @Sendable (JSONValue) throws -> Void
    /// Yields a complete answer at once: one snapshot, or every element.
    let whole: @Sendable (JSONValue, AsyncThrowingStream<Element, any Error>.Continuation) throws -> Void
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
            Wrapped(entry: SchemaCache.Entry(schema: wrapper(for: $0), typeName: "[\(type)]"))
        }.entry
    }

    /// The schema of `IterableModel(Element)`, as pydantic writes it.
    /// The elements of a complete wrapper.
    ///
    /// - Throws: ``ValidationFailure`` when `json` is not a wrapper.
    static func elements(of json: JSONValue) throws -> [JSONValue] {
        guard let elements = json[member]?.arrayValue else {
            throw ValidationFailure("the answer has no \"\(member)\" list")
        }
        return elements
    }

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
