// The decoder over JSONValue: the same values as Foundation's JSONDecoder set up as the client's, and
// DecodingErrors with the failing field's path.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct JSONValueDecoderTests {
    enum Color: String, Codable, CaseIterable { case red, green }

    struct Everything: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var city: String
            var zip: Int?
        }
        var text: String
        var flag: Bool
        var small: Int8
        var big: UInt64
        var ratio: Double
        var single: Float
        var when: Date
        var id: UUID
        var link: URL
        var blob: Data
        var amount: Decimal
        var color: Color
        var optional: String?
        var missing: Int?
        var list: [Inner]
        var table: [String: [Int]]
        var nested: [[Int?]]
        var set: Set<String>
        var any: JSONValue
    }

    static let document = #"""
        {"text": "caf\u00e9 😀", "flag": true, "small": -128, "big": 18446744073709551615, "ratio": 0.1,
         "single": 1.5, "when": "2026-01-02T03:04:05.250Z", "id": "4F6A0C5E-64B6-4C70-9B7A-2F7C1D6E8A90",
         "link": "https://example.com/a?b=c", "blob": "aGVsbG8=", "amount": 12.5, "color": "green",
         "optional": null, "list": [{"city": "Paris", "zip": 75001}, {"city": "Lyon"}],
         "table": {"a": [1, 2], "é": []}, "nested": [[1, null], []], "set": ["x", "y"], "any": {"k": [1, 2.5, null]}}
        """#

    /// Foundation's decoder, set up to read dates as JSONValueDecoder reads them.
    private static func foundationDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
            let text = try container.decode(String.self)
            guard let date = ISO8601.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date-time")
            }
            return date
        }
        return decoder
    }

    @Test func decodesWhatFoundationDecodes() throws {
        let ours = try JSONValueDecoder.decode(Everything.self, from: try JSONValue(parsing: Self.document))
        let foundation = try Self.foundationDecoder().decode(Everything.self, from: Data(Self.document.utf8))
        #expect(ours == foundation)
        #expect(ours.when == ISO8601.parse("2026-01-02T03:04:05.25Z"))
        #expect(ours.big == UInt64.max)
        #expect(ours.list[1].zip == nil && ours.missing == nil)
        #expect(ours.any == ["k": [1, 2.5, nil]])
        #expect(ours.table["é"] == [])
    }

    @Test func acceptsWholeNumberFloatsForIntegersAsPydanticDoes() throws {
        #expect(try JSONValueDecoder.decode([Int].self, from: [10.0, -3.0]) == [10, -3])
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Int.self, from: 10.5) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Int8.self, from: 300) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Bool.self, from: 1) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(String.self, from: 1) }
    }

    @Test func reportsTheFailingFieldsPath() throws {
        struct Person: Decodable {
            struct Address: Decodable { var city: String }
            var name: String
            var addresses: [Address]
        }
        func failure(_ json: JSONValue) -> DecodingError? {
            let result = Result { try JSONValueDecoder.decode(Person.self, from: json) }
            guard case .failure(let error) = result else { return nil }
            return error as? DecodingError
        }
        guard case .keyNotFound(let key, let context)? = failure(["name": "a", "addresses": [["city": "x"], [:]]])
        else {
            Issue.record("no keyNotFound")
            return
        }
        #expect(key.stringValue == "city")
        #expect(context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue } == ["addresses", "1"])
        guard case .typeMismatch(_, let mismatch)? = failure(["name": 5, "addresses": []]) else {
            Issue.record("no typeMismatch")
            return
        }
        #expect(mismatch.codingPath.map(\.stringValue) == ["name"])
        guard case .valueNotFound? = failure(["name": nil, "addresses": []]) else {
            Issue.record("no valueNotFound")
            return
        }
        #expect(ResponseExtraction.describe(failure(["addresses": []])!) == "name: field required")
    }

    @Test func matchesMemberNamesByExactScalars() throws {
        struct Accent: Decodable {
            var value: Int
            enum CodingKeys: String, CodingKey { case value = "caf\u{E9}" }
        }
        #expect(try JSONValueDecoder.decode(Accent.self, from: ["caf\u{E9}": 1]).value == 1)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Accent.self, from: ["cafe\u{301}": 1]) }
    }
}
