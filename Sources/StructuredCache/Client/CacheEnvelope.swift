// The value the client stores: Instructor's envelope, so that Python services read our entries and we
// read theirs (including their older bare-model entries).

internal import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stored answer: the answer's JSON, the raw completion it came from, and this client's record of
/// what the answer cost.
///
/// It is written as Instructor writes it, `json.dumps({"model": model_json, "raw": raw_json})`, with
/// one more member Instructor's loader ignores:
/// `{"model": "<compact JSON of the answer>", "raw": "<completion JSON>" | null, "structuredcache": {…}}`
/// (see ``EntryRecord``). Without a record the bytes are exactly Instructor's.
struct CacheEnvelope: Equatable {
    /// The completion's text as stored: still escaped inside the envelope until someone asks for it.
    private enum Raw: Equatable {
        case none
        case text(String)
        /// The bytes between the quotes of the envelope's `"raw"` string.
        case escaped([UInt8])
    }

    /// The record's text as stored, read only when asked for.
    private enum Record: Equatable {
        case none
        case value(EntryRecord)
        /// The bytes of the `"structuredcache"` member's object.
        case text(ArraySlice<UInt8>)
    }

    /// The member that holds this client's record.
    static let recordMember = "structuredcache"

    /// The answer, as compact JSON text.
    let modelJSON: String
    private let raw: Raw
    private let storedRecord: Record

    /// What this client recorded with the answer; `nil` for an entry another writer stored, or one
    /// whose record does not read.
    var record: EntryRecord? {
        switch storedRecord {
        case .none: return nil
        case .value(let record): return record
        case .text(let bytes): return (try? JSONValue(parsing: bytes)).flatMap(EntryRecord.init(json:))
        }
    }

    /// The provider time and tokens of this client's record, read without parsing it: its members are
    /// found as a completion's usage is (a stream's pieces come after them and are not read); `nil`
    /// without a record.
    var recordedCost: (providerTime: Duration?, tokens: TokenCounts?)? {
        switch storedRecord {
        case .none: return nil
        case .value(let record): return (record.providerTime, record.tokens)
        case .text(let slice):
            return slice.withUnsafeBufferPointer { bytes in
                func member(_ name: UsageName) -> Int? { Self.lastInteger(after: name.plain, in: bytes, first: true) }
                let providerTime = member(Self.recordNames.providerTime).map { Duration.microseconds($0) }
                guard let input = member(Self.recordNames.input), let output = member(Self.recordNames.output) else {
                    return (providerTime, nil)
                }
                return (
                    providerTime,
                    TokenCounts(input: input, output: output, cached: member(Self.recordNames.cached) ?? 0)
                )
            }
        }
    }

    /// The record's cost members, as ``recordedCost`` looks for them.
    private static let recordNames = (
        providerTime: UsageName(EntryRecord.Member.providerTime), input: UsageName(EntryRecord.Member.input),
        output: UsageName(EntryRecord.Member.output), cached: UsageName(EntryRecord.Member.cached)
    )

    /// The completion's JSON text, when it was stored.
    var rawJSON: String? {
        switch raw {
        case .none: return nil
        case .text(let text): return text
        case .escaped(let bytes):
            return (try? JSONValue(parsing: [UInt8(ascii: "\"")] + bytes + [UInt8(ascii: "\"")]))?.stringValue
        }
    }

    /// The bytes stored.
    var bytes: Data {
        var envelope: JSONObject = ["model": .string(modelJSON), "raw": rawJSON.map(JSONValue.string) ?? .null]
        if let record { envelope[Self.recordMember] = record.json }
        return Data(JSONValue.object(envelope).jsonBytes(.python))
    }

    /// - Parameters:
    ///   - modelJSON: The answer, as compact JSON text.
    ///   - rawJSON: The completion's JSON text.
    ///   - record: What the answer cost; `nil` writes Instructor's exact envelope.
    init(modelJSON: String, rawJSON: String?, record: EntryRecord? = nil) {
        self.modelJSON = modelJSON
        raw = rawJSON.map(Raw.text) ?? .none
        storedRecord = record.map(Record.value) ?? .none
    }

    /// Reads a stored value: an envelope, or (as Instructor's loader does) a bare answer JSON stored by
    /// older versions.
    ///
    /// - Returns: `nil` when the bytes are not UTF-8 text.
    init?(bytes: Data) {
        if let canonical = bytes.withUnsafeBytes({ Self.readCanonical(Array($0.bindMemory(to: UInt8.self))) }) {
            self = canonical
            return
        }
        if let value = try? JSONValue(parsing: bytes), var object = value.objectValue,
            let model = object["model"]?.stringValue,
            object["raw"] == nil || object["raw"]?.stringValue != nil || object["raw"]?.isNull == true
        {
            let record = object[Self.recordMember]
            object[Self.recordMember] = nil
            object["model"] = nil
            object["raw"] = nil
            if object.isEmpty, record == nil || record?.objectValue != nil {
                modelJSON = model
                raw = value["raw"]?.stringValue.map(Raw.text) ?? .none
                storedRecord = record.flatMap(EntryRecord.init(json:)).map(Record.value) ?? .none
                return
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        modelJSON = text
        raw = .none
        storedRecord = .none
    }

    private init(modelJSON: String, raw: Raw, record: Record) {
        self.modelJSON = modelJSON
        self.raw = raw
        storedRecord = record
    }

    /// Reads the layout both this client and Instructor write, `{"model": "…", "raw": "…"|null}` and
    /// this client's record after them, decoding only the answer; `nil` for anything else (which the
    /// general reader then reads).
    private static func readCanonical(_ bytes: [UInt8]) -> CacheEnvelope? {
        guard bytes.starts(with: canonicalHead), let modelEnd = endOfString(bytes, from: canonicalHead.count) else {
            return nil
        }
        guard let model = (try? JSONValue(parsing: bytes[(canonicalHead.count - 1)...modelEnd]))?.stringValue else {
            return nil
        }
        var position = modelEnd + 1
        guard bytes[position...].starts(with: canonicalMiddle) else { return nil }
        position += canonicalMiddle.count
        let raw: Raw
        if bytes[position...].starts(with: "null".utf8) {
            raw = .none
            position += 4
        } else {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\""),
                let rawEnd = endOfString(bytes, from: position + 1)
            else { return nil }
            raw = .escaped(Array(bytes[(position + 1)..<rawEnd]))
            position = rawEnd + 1
        }
        if position + 1 == bytes.count, bytes[position] == UInt8(ascii: "}") {
            return CacheEnvelope(modelJSON: model, raw: raw, record: .none)
        }
        // The record's object runs to the envelope's closing brace; it is parsed when asked for.
        guard bytes[position...].starts(with: canonicalRecord), bytes.last == UInt8(ascii: "}"),
            bytes[bytes.count - 2] == UInt8(ascii: "}"), bytes[position + canonicalRecord.count] == UInt8(ascii: "{")
        else { return nil }
        return CacheEnvelope(
            modelJSON: model, raw: raw, record: .text(bytes[(position + canonicalRecord.count)..<(bytes.count - 1)]))
    }

    private static let canonicalHead = Array(#"{"model": ""#.utf8)
    private static let canonicalMiddle = Array(#", "raw": "#.utf8)
    private static let canonicalRecord = Array(#", "\#(recordMember)": "#.utf8)

    /// The index of the quote that closes the JSON string whose content starts at `start`.
    private static func endOfString(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""): return index
            case UInt8(ascii: "\\"): index += 2
            default: index += 1
            }
        }
        return nil
    }

    /// A usage member's name as it reads in a stored completion: quoted, and with the quotes escaped
    /// while the completion is still inside the envelope's string.
    struct UsageName: Sendable {
        let plain: [UInt8]
        let escaped: [UInt8]

        /// - Parameter name: The member's name, without quotes.
        init(_ name: String) {
            plain = Array("\"\(name)\"".utf8)
            escaped = Array("\\\"\(name)\\\"".utf8)
        }
    }

    /// Where a wire format's completion says what it cost: the usage members that add up to the
    /// prompt's tokens (cached ones included), the generated tokens, and the prompt tokens read from
    /// the provider's prompt cache.
    struct UsageNames: Sendable {
        let input: [UsageName]
        let output: [UsageName]
        let cached: [UsageName]

        /// - Parameters:
        ///   - input: The members whose sum is the prompt's tokens.
        ///   - output: The members whose sum is the generated tokens.
        ///   - cached: The members whose sum is the prompt tokens read from the provider's cache.
        init(input: [String], output: [String], cached: [String]) {
            self.input = input.map(UsageName.init)
            self.output = output.map(UsageName.init)
            self.cached = cached.map(UsageName.init)
        }
    }

    /// The stored completion's tokens, found without reading the whole completion: in JSON text a
    /// quoted name followed by a colon can only be a member name (inside strings its quotes are
    /// escaped), and a completion's usage comes after its content.
    ///
    /// - Parameter names: Where the completion's format says what it cost.
    /// - Returns: The counts, or `nil` when the completion names neither its prompt nor its generated
    ///   tokens.
    func tokens(_ names: UsageNames) -> TokenCounts? {
        let input = sum(names.input)
        let output = sum(names.output)
        guard input != nil || output != nil else { return nil }
        return TokenCounts(input: input ?? 0, output: output ?? 0, cached: sum(names.cached) ?? 0)
    }

    /// The sum of the integers after the last occurrence of each of `names`; `nil` when none is there.
    private func sum(_ names: [UsageName]) -> Int? {
        var total: Int?
        for name in names {
            let count: Int?
            switch raw {
            case .none: return nil
            case .text(var text): count = text.withUTF8 { Self.lastInteger(after: name.plain, in: $0) }
            case .escaped(let bytes):
                count = bytes.withUnsafeBufferPointer { Self.lastInteger(after: name.escaped, in: $0) }
            }
            if let count { total = (total ?? 0) + count }
        }
        return total
    }

    /// The integer after the last occurrence of `pattern` (and a colon) in `bytes`, or with `first`
    /// after the first.
    private static func lastInteger(
        after pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, first: Bool = false
    ) -> Int? {
        let width = pattern.count
        guard bytes.count > width, let base = bytes.baseAddress else { return nil }
        let head = pattern[0]
        var index = first ? 0 : bytes.count - width
        let step = first ? 1 : -1
        while index >= 0 && index <= bytes.count - width {
            if bytes[index] == head && memcmp(base + index, pattern, width) == 0 { break }
            index += step
        }
        guard index >= 0 && index <= bytes.count - width else { return nil }
        var position = index + width
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: ":") {
            position += 1
        }
        var value = 0
        var digits = 0
        while position < bytes.count, digits < 18, bytes[position] >= UInt8(ascii: "0"),
            bytes[position] <= UInt8(ascii: "9")
        {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// The stored completion, when there is one that reads as a completion of `dialect`'s format.
    ///
    /// - Parameter dialect: The wire format the completion was stored in.
    /// - Returns: The completion, or `nil`.
    func completion(in dialect: any ChatDialect) -> ChatCompletion? {
        guard let rawJSON, let json = try? JSONValue(parsing: rawJSON) else { return nil }
        return dialect.storedCompletion(json)
    }

    static func == (lhs: CacheEnvelope, rhs: CacheEnvelope) -> Bool {
        lhs.modelJSON == rhs.modelJSON && lhs.rawJSON == rhs.rawJSON && lhs.record == rhs.record
    }
}
