// The Python-compatible writer, compared byte for byte with CPython's json.dumps.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct JSONWriterTests {
    /// Each fixture row: the input, then json.dumps with sort_keys=True, with defaults, with
    /// indent=2 and ensure_ascii=False, and compact with ensure_ascii=False.
    @Test func matchesCPythonOnTheGeneratedTable() throws {
        let rows = try Fixtures.jsonLines("python-json-dumps.jsonl")
        #expect(rows.count >= 2_000)
        let options: [(String, JSONWritingOptions)] = [
            ("sort_keys=True", .pythonSorted),
            ("defaults", .python),
            ("indent=2, ensure_ascii=False", JSONWritingOptions(ensureASCII: false, indent: 2)),
            ("compact, ensure_ascii=False", .compact),
        ]
        var mismatches = 0
        for (line, row) in rows.enumerated() {
            let input = try JSONValue(parsing: try #require(row[0]?.stringValue))
            for (column, (label, option)) in options.enumerated() {
                let expected = try #require(row[column + 1]?.stringValue)
                let written = input.jsonString(option)
                if !written.utf8.elementsEqual(expected.utf8) {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record(
                            "line \(line + 1), \(label): wrote \(written.debugDescription), Python wrote \(expected.debugDescription)"
                        )
                    }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: [
        (10.0, "10.0"), (-0.0, "-0.0"), (0.0, "0.0"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (1234567890123456.0, "1234567890123456.0"), (1e-05, "1e-05"), (0.0001, "0.0001"),
        (0.30000000000000004, "0.30000000000000004"), (1.5e300, "1.5e+300"), (Double.leastNonzeroMagnitude, "5e-324"),
        (1e22, "1e+22"), (123.456, "123.456"), (1e100, "1e+100"), (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2.5e-7, "2.5e-07"), (Double.nan, "NaN"), (Double.infinity, "Infinity"), (-Double.infinity, "-Infinity"),
    ])
    func writesFloatsAsPythonRepr(value: Double, expected: String) {
        #expect(JSONValue.double(value).jsonString() == expected)
    }

    @Test func escapesAsEnsureASCIIDoes() {
        let value: JSONValue = .string("line1\nline2\r\n\ttab \u{8}\u{C} \u{0} \u{1F} \u{7F} \u{2028} / \" \\ é 😀")
        #expect(
            value.jsonString()
                == #""line1\nline2\r\n\ttab \b\f \u0000 \u001f \u007f \u2028 / \" \\ \u00e9 \ud83d\ude00""#)
        #expect(
            value.jsonString(.compact)
                == "\"line1\\nline2\\r\\n\\ttab \\b\\f \\u0000 \\u001f \u{7F} \u{2028} / \\\" \\\\ é 😀\"")
    }

    @Test func sortsKeysByCodePointRecursively() {
        let value: JSONValue = [
            "b": 1, "a": ["z": 1, "y": [3, 1, 2]], "A": 0, "_": 1, "\u{E9}": 2, "e\u{301}": 3, "": 4,
        ]
        #expect(
            value.jsonString()
                == #"{"": 4, "A": 0, "_": 1, "a": {"y": [3, 1, 2], "z": 1}, "b": 1, "e\u0301": 3, "\u00e9": 2}"#)
        #expect(value.jsonString(.python).hasPrefix(#"{"b": 1, "a": {"z": 1"#))
    }

    @Test func sortsLargeObjectsToo() {
        var object = JSONObject()
        for index in (0..<40).reversed() { object[String(format: "k%02d", index)] = .int(index) }
        let written = JSONValue.object(object).jsonString(.init(sortKeys: true, separators: .compact))
        let expected = "{" + (0..<40).map { String(format: "\"k%02d\":%d", $0, $0) }.joined(separator: ",") + "}"
        #expect(written == expected)
    }

    @Test func writesEmptyContainersAndIndentation() {
        let value: JSONValue = ["a": [], "b": [:], "c": [1, ["d": nil]]]
        #expect(value.jsonString(.python) == #"{"a": [], "b": {}, "c": [1, {"d": null}]}"#)
        #expect(
            value.jsonString(.init(indent: 2))
                == "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ]\n}")
    }

    @Test func writesTheDefaultDepthOnASmallStack() {
        let depth = JSONValue.defaultMaxDepth
        let arrays = nestedArrays(depth)
        let objects = nestedObjects(depth)
        let written = onSmallStack {
            [
                arrays.jsonString(.compact), arrays.jsonString(.init(indent: 1)), objects.jsonString(),
                objects.jsonString(.compact), objects.description,
            ]
        }
        #expect(written[0] == String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        let indented =
            (0..<depth - 1).map { "[\n" + String(repeating: " ", count: $0 + 1) }.joined() + "[]"
            + (0..<depth - 1).reversed().map { "\n" + String(repeating: " ", count: $0) + "]" }.joined()
        #expect(written[1] == indented)
        #expect(written[2] == String(repeating: #"{"a": "#, count: depth) + "0" + String(repeating: "}", count: depth))
        #expect(written[3] == String(repeating: #"{"a":"#, count: depth) + "0" + String(repeating: "}", count: depth))
        #expect(written[4] == written[2])
    }

    @Test func writesDeeplyNestedValuesOnASmallStack() {
        let depth = 100_000
        let lengths = onSmallStack {
            let arrays = nestedArrays(depth)
            let objects = nestedObjects(depth)
            let lengths = [arrays.jsonBytes(.compact).count, objects.jsonBytes().count]
            JSONValue.dismantle(consume arrays)
            JSONValue.dismantle(consume objects)
            return lengths
        }
        #expect(lengths == [2 * depth, #"{"a": }"#.utf8.count * depth + 1])
    }

    @Test func writesIntegerExtremes() throws {
        #expect(JSONValue.int(Int.min).jsonString() == "-9223372036854775808")
        #expect(JSONValue.int(Int.max).jsonString() == "9223372036854775807")
        #expect(JSONValue.int(0).jsonString() == "0")
        #expect(JSONValue.int(-7).jsonString() == "-7")
    }
}

/// `depth` arrays, each the only element of the one around it, built without the parser.
private func nestedArrays(_ depth: Int) -> JSONValue {
    var value: JSONValue = []
    for _ in 1..<depth { value = [value] }
    return value
}

/// `depth` objects, each the only member of the one around it, with a number innermost.
private func nestedObjects(_ depth: Int) -> JSONValue {
    var value: JSONValue = 0
    for _ in 0..<depth { value = ["a": value] }
    return value
}
