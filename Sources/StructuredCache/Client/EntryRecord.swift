// What the client keeps beside an answer, in the envelope's "structuredcache" member: how long the
// provider took to give it and the tokens it cost (the savings ledger of every later hit), and the
// pieces of a streamed answer with their timing (what a cached stream replays).

import StructuredCacheSupport

/// This client's record of a stored answer.
///
/// Written as `{"provider_us": 812345, "input_tokens": 120, "output_tokens": 3, "cached_tokens": 0,
/// "stream": [[offset_us, "text"], …]}`; every member is optional, and members this version does not
/// know are ignored.
struct EntryRecord: Sendable, Equatable {
    /// One piece of a streamed answer's text, and when it arrived after the request was sent.
    struct Piece: Sendable, Equatable {
        var offset: Duration
        var text: String
    }

    /// The members' names, for writing, reading and ``CacheEnvelope/recordedCost``'s scan.
    enum Member {
        static let providerTime = "provider_us"
        static let input = "input_tokens"
        static let output = "output_tokens"
        static let cached = "cached_tokens"
        static let stream = "stream"
    }

    /// How long the provider took to give the answer, every attempt of the call included.
    var providerTime: Duration?
    /// The tokens the call cost, every attempt included.
    var tokens: TokenCounts?
    /// The answer's text as it streamed, for an answer stored by a streaming call.
    var stream: [Piece]?

    init(providerTime: Duration? = nil, tokens: TokenCounts? = nil, stream: [Piece]? = nil) {
        self.providerTime = providerTime
        self.tokens = tokens
        self.stream = stream
    }

    /// Adds the cost of an attempt: the provider's time since `asked`, and the completion's usage.
    mutating func add(_ completion: ChatCompletion, askedAt asked: ContinuousClock.Instant) {
        providerTime = (providerTime ?? .zero) + (ContinuousClock.now - asked)
        if let usage = completion.usage { tokens = (tokens ?? .zero) + TokenCounts(usage) }
    }

    /// Reads a record; `nil` when `json` is not an object.
    init?(json: JSONValue) {
        guard let object = json.objectValue else { return nil }
        providerTime = object[Member.providerTime]?.intValue.map { .microseconds($0) }
        if let input = object[Member.input]?.intValue, let output = object[Member.output]?.intValue {
            tokens = TokenCounts(input: input, output: output, cached: object[Member.cached]?.intValue ?? 0)
        }
        if let pieces = object[Member.stream]?.arrayValue {
            var read: [Piece] = []
            read.reserveCapacity(pieces.count)
            for piece in pieces {
                guard let offset = piece[0]?.intValue, let text = piece[1]?.stringValue else { return nil }
                read.append(Piece(offset: .microseconds(offset), text: text))
            }
            stream = read
        }
    }

    /// The record as stored.
    var json: JSONValue {
        var object: JSONObject = [:]
        if let providerTime { object[Member.providerTime] = .int(Int(providerTime.nanoseconds() / 1_000)) }
        if let tokens {
            object[Member.input] = .int(tokens.input)
            object[Member.output] = .int(tokens.output)
            object[Member.cached] = .int(tokens.cached)
        }
        if let stream {
            object[Member.stream] = .array(
                stream.map { [.int(Int($0.offset.nanoseconds() / 1_000)), .string($0.text)] })
        }
        return .object(object)
    }
}

/// Tokens of one call, in one sense whatever the provider: `input` counts every prompt token (those
/// read from the provider's prompt cache included), `cached` those read from it, `output` every
/// generated token (reasoning included).
struct TokenCounts: Sendable, Hashable {
    var input: Int
    var output: Int
    var cached: Int

    static let zero = TokenCounts(input: 0, output: 0, cached: 0)

    init(input: Int, output: Int, cached: Int) {
        self.input = input
        self.output = output
        self.cached = cached
    }

    /// The counts of a completion's usage.
    init(_ usage: ChatCompletion.Usage) {
        self.init(
            input: usage.promptTokens, output: usage.completionTokens, cached: usage.cachedPromptTokens ?? 0)
    }

    static func + (lhs: TokenCounts, rhs: TokenCounts) -> TokenCounts {
        TokenCounts(input: lhs.input + rhs.input, output: lhs.output + rhs.output, cached: lhs.cached + rhs.cached)
    }
}
