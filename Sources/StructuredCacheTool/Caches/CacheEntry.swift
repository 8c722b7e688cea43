// One entry of a cache as the tool shows it: its key, size, expiry and age, and what its stored
// envelope tells (the LLM model, the response type).

import Foundation
import StructuredCache
import StructuredCacheCore
import StructuredCacheStorage

/// One entry of a cache, summarized from its stored value.
struct CacheEntry: Sendable {
    /// The key, without a Redis prefix.
    let key: String
    /// Its size in bytes: the file's for a DiskCache entry (header, key and value), the value's in Redis.
    let bytes: Int
    /// When it expires (or expired); `nil` for never.
    let expiry: Date?
    /// When it was last written; `nil` where the cache does not keep it (Redis).
    let modified: Date?
    /// The LLM model its completion names, when it was stored with one that does.
    let model: String?
    /// The response type's name, when the answer came through a tool call (tools mode).
    let responseType: String?
    /// The file it was read from, for removing it only if unchanged (DiskCache).
    let file: DiskCache.StoredEntry?

    /// What ``model`` and ``responseType`` are shown as when the envelope does not tell them.
    static let unknown = "?"

    /// Summarizes an entry from its value.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - value: The stored bytes.
    ///   - bytes: The size to report.
    ///   - expiry: When it expires; `nil` for never.
    ///   - modified: When it was last written, if known.
    ///   - file: The DiskCache file it came from.
    init(
        key: String, value: Data, bytes: Int, expiry: Date?, modified: Date?, file: DiskCache.StoredEntry? = nil
    ) {
        let contents = CacheEntryContents(bytes: value)
        self.key = key
        self.bytes = bytes
        self.expiry = expiry
        self.modified = modified
        self.model = contents?.model
        self.responseType = contents?.responseType
        self.file = file
    }

    /// Whether it has expired at `now`.
    func isExpired(at now: Date) -> Bool {
        expiry.map { $0 <= now } ?? false
    }

    /// How long ago it was written, at `now`; `nil` when unknown.
    func age(at now: Date) -> TimeInterval? {
        modified.map { max(0, now.timeIntervalSince($0)) }
    }

    /// `in 5m 0s`, `expired 2h 3m ago` or `never`.
    func expiryText(at now: Date) -> String {
        guard let expiry else { return "never" }
        let left = expiry.timeIntervalSince(now)
        return left > 0
            ? "in " + DurationText.format(seconds: left) : "expired " + DurationText.format(seconds: left) + " ago"
    }

    /// The age as text, `-` when unknown.
    func ageText(at now: Date) -> String {
        age(at: now).map { DurationText.format(seconds: $0) } ?? "-"
    }
}

extension CacheEntry {
    /// The entry as `--json` writes it: key, bytes, `expires` and `modified` (ISO 8601, or `null`),
    /// `expired`, `model` and `responseType` (`null` when unknown).
    ///
    /// - Parameter now: The time `expired` is judged at.
    func json(at now: Date) -> JSONValue {
        [
            "key": .string(key), "bytes": .int(bytes), "expires": JSONOutput.timestamp(expiry),
            "expired": .bool(isExpired(at: now)), "modified": JSONOutput.timestamp(modified),
            "model": model.map(JSONValue.string) ?? .null,
            "responseType": responseType.map(JSONValue.string) ?? .null,
        ]
    }

    /// The columns of a table of entries.
    static let columns: [(header: String, alignment: TextTable.Alignment)] = [
        ("KEY", .left), ("BYTES", .right), ("EXPIRES", .left), ("AGE", .left), ("MODEL", .left), ("TYPE", .left),
    ]

    /// The entry as a row of a table with ``columns``.
    ///
    /// - Parameter now: The time expiry and age are counted from.
    func row(at now: Date) -> [String] {
        [
            key, NumberText.grouped(bytes), expiryText(at: now), ageText(at: now), model ?? Self.unknown,
            responseType ?? Self.unknown,
        ]
    }

    /// Newest first where the cache keeps write times, then by key.
    static func ordered(_ entries: [CacheEntry]) -> [CacheEntry] {
        entries.sorted { first, second in
            switch (first.modified, second.modified) {
            case (let a?, let b?) where a != b: a > b
            default: first.key < second.key
            }
        }
    }
}
