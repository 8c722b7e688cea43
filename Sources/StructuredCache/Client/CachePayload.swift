// What a cache key is the hash of, as a value: so that a miss can be explained by the fields in which
// two calls differ, and a replay-only run can say what changed since the recording.

/// The canonical payload of a call: the JSON object whose SHA-256 is its cache key.
///
/// For the default key scheme it holds `messages`, `mode`, `model`, `namespace` (the provider's
/// endpoint and a hash of its credential, never the credential itself), `request` (every other member
/// of the body as the provider sends it), `schema` and `version`; for
/// ``StructuredClient/KeyCompatibility/instructor116`` keys, Instructor's `messages`, `mode`, `model`
/// and `schema`.
///
/// ```swift
/// let before = try client.cachePayload(messages: [.user("Jason is 25.")], responseModel: User.self)
/// let after = try client.cachePayload(messages: [.user("Jason is 26.")], responseModel: User.self)
/// print(after.differences(from: before))   // [messages[0].content: "Jason is 25." → "Jason is 26."]
/// ```
public struct CachePayload: Sendable, Hashable, CustomStringConvertible {
    /// One place where two payloads differ.
    public struct Difference: Sendable, Hashable, CustomStringConvertible {
        /// Where: member names and array indices from the payload's root (`request.temperature`,
        /// `messages[1].content`).
        public let path: String
        /// The value in the payload compared against; `nil` when it has no such member.
        public let before: JSONValue?
        /// The value in this payload; `nil` when it has no such member.
        public let after: JSONValue?

        /// `path: before → after`, each value as compact JSON (or `absent`), long values shortened.
        public var description: String {
            func shown(_ value: JSONValue?) -> String {
                guard let value else { return "absent" }
                let text = value.jsonString(.compact)
                return text.count > 80 ? String(text.prefix(77)) + "…" : text
            }
            return "\(path): \(shown(before)) → \(shown(after))"
        }
    }

    /// The cache key: the lowercase hex SHA-256 of ``text``.
    public let key: String
    /// The payload.
    public let json: JSONValue
    /// The payload as the key hashes it (`json.dumps(payload, sort_keys=True)`).
    public let text: String

    /// A payload and its key.
    ///
    /// - Parameters:
    ///   - key: The lowercase hex SHA-256 of `text`.
    ///   - text: The payload as the key hashes it.
    package init(key: String, text: String) {
        self.key = key
        self.text = text
        json = (try? JSONValue(parsing: text)) ?? .string(text)
    }

    /// The key and the payload's text.
    public var description: String { "CachePayload(key: \(key), \(text))" }

    /// Where this payload differs from `other`, member by member and element by element, in the order
    /// of the sorted member names.
    ///
    /// - Parameter other: The payload to compare against (an earlier call's, a recorded one's).
    /// - Returns: The differences; empty when the payloads are equal.
    public func differences(from other: CachePayload) -> [Difference] {
        var found: [Difference] = []
        Self.compare(other.json, json, path: "", into: &found)
        return found
    }

    private static func compare(_ before: JSONValue?, _ after: JSONValue?, path: String, into found: inout [Difference])
    {
        switch (before, after) {
        case (.object(let old)?, .object(let new)?):
            let names = Set(old.keys).union(new.keys).sorted(by: JSONWriter.codePointLess)
            for name in names {
                compare(old[name], new[name], path: path.isEmpty ? name : path + "." + name, into: &found)
            }
        case (.array(let old)?, .array(let new)?):
            for index in 0..<max(old.count, new.count) {
                compare(
                    index < old.count ? old[index] : nil, index < new.count ? new[index] : nil,
                    path: path + "[\(index)]", into: &found)
            }
        default:
            if before != after {
                found.append(Difference(path: path.isEmpty ? "(the payload)" : path, before: before, after: after))
            }
        }
    }
}
