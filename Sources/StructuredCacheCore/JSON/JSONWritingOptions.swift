// How JSONValue is written as text: Python's json.dumps settings, named.

/// How a ``JSONValue`` is written as text.
///
/// The settings mirror Python's `json.dumps` arguments, so each Python call has an exact twin:
///
/// | Python | `JSONWritingOptions` |
/// |---|---|
/// | `json.dumps(v, sort_keys=True)` (cache keys) | ``pythonSorted`` |
/// | `json.dumps(v)` (Instructor's stored envelope) | ``python`` |
/// | `json.dumps(v, indent=2, ensure_ascii=False)` | `.init(ensureASCII: false, indent: 2)` |
/// | `json.dumps(v, separators=(",", ":"), ensure_ascii=False)` | ``compact`` |
public struct JSONWritingOptions: Sendable, Hashable {
    /// The separators between items and between a key and its value.
    public enum Separators: Sendable, Hashable {
        /// `", "` and `": "` (Python's default; `","` and `": "` when indenting).
        case python
        /// `","` and `":"`.
        case compact
    }

    /// Whether object members are written sorted by key, in Unicode code point order, recursively.
    public var sortKeys: Bool
    /// Whether every non-ASCII character is escaped as `\uXXXX` (astral ones as surrogate pairs).
    public var ensureASCII: Bool
    /// The separators between items and between keys and values.
    public var separators: Separators
    /// Spaces of indentation per level, or `nil` to write everything on one line.
    public var indent: Int?

    /// Creates options; the defaults are those of Python's `json.dumps`.
    ///
    /// - Parameters:
    ///   - sortKeys: Whether object members are sorted by key (`sort_keys`).
    ///   - ensureASCII: Whether non-ASCII characters are escaped (`ensure_ascii`).
    ///   - separators: The separators (`separators`).
    ///   - indent: Spaces of indentation per level (`indent`), or `nil` for one line.
    public init(sortKeys: Bool = false, ensureASCII: Bool = true, separators: Separators = .python, indent: Int? = nil)
    {
        self.sortKeys = sortKeys
        self.ensureASCII = ensureASCII
        self.separators = separators
        self.indent = indent
    }

    /// `json.dumps(value, sort_keys=True)`: the text Instructor hashes into a cache key.
    public static let pythonSorted = JSONWritingOptions(sortKeys: true)

    /// `json.dumps(value)`: insertion order, ASCII only, Python's separators.
    public static let python = JSONWritingOptions()

    /// Compact UTF-8 JSON without spaces, as sent over HTTP (and as pydantic's `model_dump_json` writes).
    public static let compact = JSONWritingOptions(ensureASCII: false, separators: .compact)

    /// Insertion order, non-ASCII kept, Python's separators: for descriptions meant for people.
    static let readable = JSONWritingOptions(ensureASCII: false)
}
