// The tool's JSON output (`--json`): pretty-printed, dates as ISO 8601 text in UTC.

import Foundation
import StructuredCacheCore

/// Writing the tool's JSON output.
enum JSONOutput {
    /// How output JSON is written: indented by two spaces, non-ASCII kept.
    static let options = JSONWritingOptions(ensureASCII: false, indent: 2)

    /// Writes `value` to standard output.
    ///
    /// - Parameter value: The output.
    static func print(_ value: JSONValue) {
        Console.print(value.jsonString(options))
    }

    /// `date` to the second, as `2025-06-01T12:00:00Z`; `null` for none.
    ///
    /// - Parameter date: The date.
    static func timestamp(_ date: Date?) -> JSONValue {
        guard let date else { return .null }
        return .string(ISO8601.format(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))))
    }

    /// JSON text pretty-printed, or the text as it is when it is not JSON.
    ///
    /// - Parameter text: JSON text (an answer, a completion).
    static func pretty(_ text: String) -> String {
        (try? JSONValue(parsing: text)).map { $0.jsonString(options) } ?? text
    }
}
