// How answers are encoded for the cache: Foundation's encoder, set up as pydantic writes the same
// values (ISO 8601 dates, slashes unescaped).

import Foundation
import StructuredCacheCore

/// The JSON encoder for response types (answers are decoded with ``JSONValueDecoder``).
///
/// Dates are written as ISO 8601 in UTC, as pydantic writes them. Data is base64.
enum ResponseCoding {
    /// An encoder set up as the client encodes answers for the cache (compact, as pydantic's
    /// `model_dump_json` writes).
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.format(date))
        }
        return encoder
    }
}
