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

/// A stored answer: the answer's JSON and the raw completion it came from.
///
/// It is written exactly as Instructor writes it, `json.dumps({"model": model_json, "raw": raw_json})`:
/// `{"model": "<compact JSON of the answer>", "raw": "<completion JSON>" | null}`.
struct CacheEnvelope: Equatable {
    /// The completion's text as stored: still escaped inside the envelope until someone asks for it.
    private enum Raw: Equatable {
        case none
        case text(String)
        /// The bytes between the quotes of the envelope's `"raw"` string.
        case escaped([UInt8])
    }

    /// The answer, as compact JSON text.
    let modelJSON: String
    private let raw: Raw

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
        let envelope: JSONValue = ["model": .string(modelJSON), "raw": rawJSON.map(JSONValue.string) ?? .null]
        return Data(envelope.jsonBytes(.python))
    }

    init(modelJSON: String, rawJSON: String?) {
        self.modelJSON = modelJSON
        raw = rawJSON.map(Raw.text) ?? .none
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
        if let value = try? JSONValue(parsing: bytes), let object = value.objectValue,
            let model = object["model"]?.stringValue, object.count <= 2,
            object.count == 1 || object["raw"]?.stringValue != nil || object["raw"]?.isNull == true
        {
            modelJSON = model
            raw = object["raw"]?.stringValue.map(Raw.text) ?? .none
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
            modelJSON = text
            raw = .none
        }
    }

    private init(modelJSON: String, raw: Raw) {
        self.modelJSON = modelJSON
        self.raw = raw
    }

    /// Reads the layout both this client and Instructor write, `{"model": "…", "raw": "…"|null}`,
    /// decoding only the answer; `nil` for anything else (which the general reader then reads).
    private static func readCanonical(_ bytes: [UInt8]) -> CacheEnvelope? {
        let head = Array(#"{"model": ""#.utf8)
        let middle = Array(#", "raw": "#.utf8)
        guard bytes.starts(with: head), let modelEnd = endOfString(bytes, from: head.count) else { return nil }
        guard let model = (try? JSONValue(parsing: bytes[(head.count - 1)...modelEnd]))?.stringValue else { return nil }
        var position = modelEnd + 1
        guard bytes[position...].starts(with: middle) else { return nil }
        position += middle.count
        if bytes[position...].elementsEqual(#"null}"#.utf8) {
            return CacheEnvelope(modelJSON: model, raw: .none)
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\""),
            let rawEnd = endOfString(bytes, from: position + 1), rawEnd + 2 == bytes.count,
            bytes[rawEnd + 1] == UInt8(ascii: "}")
        else { return nil }
        return CacheEnvelope(modelJSON: model, raw: .escaped(Array(bytes[(position + 1)..<rawEnd])))
    }

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

    /// The sum of the integers after the last occurrence of each usage member name, found without
    /// reading the whole completion: in JSON text a quoted name followed by a colon can only be a
    /// member name (inside strings its quotes are escaped), and a completion's usage comes after its
    /// content.
    ///
    /// - Parameter names: The member names.
    /// - Returns: The sum, or `nil` when none of the names is there.
    func tokenCount(summing names: [UsageName]) -> Int? {
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

    /// The integer after the last occurrence of `pattern` (and a colon) in `bytes`.
    private static func lastInteger(after pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        let width = pattern.count
        guard bytes.count > width, let base = bytes.baseAddress else { return nil }
        let first = pattern[0]
        var index = bytes.count - width
        while index >= 0 {
            if bytes[index] == first && memcmp(base + index, pattern, width) == 0 { break }
            index -= 1
        }
        guard index >= 0 else { return nil }
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
        lhs.modelJSON == rhs.modelJSON && lhs.rawJSON == rhs.rawJSON
    }
}
