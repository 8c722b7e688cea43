// JSONValue(parsing:): Python json.loads semantics, typed errors with byte offsets, no crash on any input.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct JSONParserTests {
    @Test func keepsWhatPythonKeeps() throws {
        #expect(try JSONValue(parsing: "10") == .int(10))
        #expect(try JSONValue(parsing: "10.0") == .double(10.0))
        #expect(try JSONValue(parsing: "1e+20") == .double(1e20))
        #expect(try JSONValue(parsing: "1E2") == .double(100))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "-0.0") == .double(-0.0))
        #expect(try JSONValue(parsing: "1e400") == .double(.infinity))
        #expect(try JSONValue(parsing: "-1e400") == .double(-.infinity))
        #expect(try JSONValue(parsing: "1e-400") == .double(0))
        #expect(try JSONValue(parsing: "NaN").doubleValue?.isNaN == true)
        #expect(try JSONValue(parsing: "Infinity") == .double(.infinity))
        #expect(try JSONValue(parsing: "[-Infinity]") == [.double(-.infinity)])
        #expect(try JSONValue(parsing: " \t\n\r true \n") == true)
        #expect(try JSONValue(parsing: "\"\\u00e9\\ud83d\\ude00\\/\"") == .string("\u{E9}\u{1F600}/"))
        #expect(try JSONValue(parsing: "\"\\u0000\"") == .string("\u{0}"))
    }

    @Test func keepsEveryDigitOfBigIntegers() throws {
        let text = "[12345678901234567890, -98765432109876543210987654321, 9223372036854775807, -9223372036854775808]"
        let value = try JSONValue(parsing: text)
        #expect(value[0] == .bigInt(try #require(JSONBigInt("12345678901234567890"))))
        #expect(value[2] == .int(Int.max))
        #expect(value[3] == .int(Int.min))
        #expect(value.jsonString() == text)
    }

    @Test func repeatedKeysKeepTheFirstPositionAndTheLastValue() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == .int(3))
    }

    @Test func keepsMemberOrderAndScalarExactKeys() throws {
        let value = try JSONValue(parsing: "{\"z\": 1, \"e\u{301}\": 2, \"\u{E9}\": 3, \"a\": 4}")
        #expect(
            value.objectValue?.keys.map { Array($0.unicodeScalars) } == [["z"], ["e", "\u{301}"], ["\u{E9}"], ["a"]])
    }

    @Test func parsesBytesAndData() throws {
        #expect(try JSONValue(parsing: Array(#"{"k": [1, 2]}"#.utf8)) == ["k": [1, 2]])
        #expect(try JSONValue(parsing: Data("\"caf\u{E9}\"".utf8)) == "caf\u{E9}")
        #expect(try JSONValue(parsing: Array("[1, 2, 3]".utf8)[...]) == [1, 2, 3])
    }

    @Test(arguments: [
        ("", JSONParseError.Code.unexpectedEnd, 0),
        ("[1, 2", .unexpectedEnd, 5),
        ("[1,]", .unexpectedCharacter, 3),
        ("{\"a\" 1}", .unexpectedCharacter, 5),
        ("{\"a\": 1,}", .unexpectedCharacter, 8),
        ("{1: 2}", .unexpectedCharacter, 1),
        ("01", .trailingData, 1),
        ("1 2", .trailingData, 2),
        ("1.", .invalidNumber, 2),
        ("1e", .invalidNumber, 2),
        ("-", .invalidNumber, 0),
        ("-x", .invalidNumber, 0),
        (".5", .unexpectedCharacter, 0),
        ("+1", .unexpectedCharacter, 0),
        ("tru", .unexpectedCharacter, 0),
        ("nul", .unexpectedCharacter, 0),
        ("\"abc", .unexpectedEnd, 4),
        ("\"a\u{1}b\"", .invalidString, 2),
        ("\"a\nb\"", .invalidString, 2),
        ("\"\\x\"", .invalidString, 1),
        ("\"\\u12\"", .invalidString, 1),
        ("\"\\u12G4\"", .invalidString, 1),
        ("\"\\ud800\"", .invalidString, 1),
        ("\"\\ud800\\u0041\"", .invalidString, 1),
        ("\"\\udc00\"", .invalidString, 1),
        ("\u{FEFF}[]", .unexpectedCharacter, 0),
        ("[1] x", .trailingData, 4),
    ])
    func reportsTheProblemAndItsByteOffset(text: String, code: JSONParseError.Code, offset: Int) {
        #expect {
            try JSONValue(parsing: text)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.code == code && error.offset == offset && !error.message.isEmpty
        }
    }

    @Test(
        arguments: [
            ([0x22, 0xC3, 0x28, 0x22], 1),  // bad continuation byte
            ([0x22, 0xC0, 0x80, 0x22], 1),  // overlong NUL
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // an encoded surrogate
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // above U+10FFFF
            ([0x22, 0x61, 0xE2, 0x82], 2),  // truncated
            ([0x22, 0xFF, 0x22], 1),
        ] as [([UInt8], Int)])
    func rejectsInvalidUTF8(bytes: [UInt8], offset: Int) {
        #expect {
            try JSONValue(parsing: bytes)
        } throws: { error in
            (error as? JSONParseError)?.code == .invalidUTF8 && (error as? JSONParseError)?.offset == offset
        }
    }

    @Test func boundsTheDepthInsteadOfOverflowingTheStack() throws {
        let deep = String(repeating: "[", count: 100_000)
        #expect {
            try JSONValue(parsing: deep)
        } throws: { error in
            (error as? JSONParseError)?.code == .tooDeep
                && (error as? JSONParseError)?.offset == JSONValue.defaultMaxDepth
        }
        let deepObjects = String(repeating: "{\"a\":", count: 50_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deepObjects) }
        let fine = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: Never.self) { try JSONValue(parsing: fine, maxDepth: 40) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: fine, maxDepth: 39) }
    }

    // The depth tests run on a 256 KiB stack, smaller than the 512 KiB of Darwin's secondary and
    // cooperative-pool threads, so that a reader that recursed would crash them in a debug build.

    @Test func readsTheDefaultDepthOnASmallStack() throws {
        let depth = JSONValue.defaultMaxDepth
        let results = onSmallStack {
            [
                parse(nestedArrays(depth)), parse(nestedArrays(depth + 1)),
                parse(nestedObjects(depth)), parse(nestedObjects(depth + 1)),
            ]
        }
        #expect(try results[0].get().nestingDepth == depth)
        #expect(results[1].failure == JSONParseError.Code.tooDeep)
        #expect(results[1].failureOffset == depth)
        #expect(try results[2].get().nestingDepth == depth)
        #expect(results[3].failure == JSONParseError.Code.tooDeep)
        #expect(results[3].failureOffset == depth * #"{"a":"#.utf8.count)
    }

    @Test func readsDeeplyNestedArraysWithARaisedLimit() throws {
        let depth = 250_000
        let text = nestedArrays(depth)
        let levels = onSmallStack { readAndDismantle(text, maxDepth: depth) }
        #expect(levels == depth)
    }

    @Test func readsDeeplyNestedObjectsWithARaisedLimit() throws {
        let depth = 100_000
        let text = nestedObjects(depth)
        let levels = onSmallStack { readAndDismantle(text, maxDepth: depth) }
        #expect(levels == depth)
    }

    @Test func dropsDeepValuesItHasReadWithoutRecursing() throws {
        let depth = 100_000
        let deep = nestedArrays(depth - 1)
        let outcomes = onSmallStack {
            var outcomes: [JSONParseError.Code?] = [
                parse("[" + deep, maxDepth: depth).failure,
                parse(deep + " x", maxDepth: depth).failure,
                parse("[" + deep + ", x]", maxDepth: depth).failure,
                parse(#"{"a": "# + deep + ", 1", maxDepth: depth).failure,
            ]
            // A repeated key replaces the deep value read first.
            outcomes.append(parse(#"{"a": "# + deep + #", "a": 0}"#, maxDepth: depth).failure)
            return outcomes
        }
        #expect(outcomes == [.unexpectedEnd, .trailingData, .unexpectedCharacter, .unexpectedCharacter, nil])
    }

    @Test func readsTheRegressionCorpusWithoutCrashing() throws {
        let directory = try #require(
            Bundle.module.url(forResource: "json-corpus", withExtension: nil, subdirectory: "Fixtures"))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension != "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        #expect(files.count >= 20)
        for file in files {
            let name = file.lastPathComponent
            let bytes = try [UInt8](Data(contentsOf: file))
            do {
                let value = try JSONValue(parsing: bytes, maxDepth: 1 << 20)
                #expect(!name.hasPrefix("invalid-"), "\(name) should be rejected")
                let reread = try JSONValue(parsing: value.jsonBytes(), maxDepth: 1 << 20)
                #expect(reread == value, "\(name)")
                // Some nest thousands of levels deep, more than a recursive release fits in a small stack.
                JSONValue.dismantle(consume value)
                JSONValue.dismantle(consume reread)
            } catch {
                #expect(!name.hasPrefix("valid-"), "\(name) should parse: \(error)")
            }
        }
    }

    @Test func neverCrashesOnMutatedOrRandomInput() throws {
        var generator = SplitMix64(seed: 7)
        let seeds = [
            #"{"a": [1, 2.5e-3, "x\u00e9\ud83d\ude00", null, true, {"b": -0}], "c": NaN}"#,
            #"[{"role": "user", "content": "hello"}]"#,
        ].map { Array($0.utf8) }
        let alphabet =
            Array(#"{}[]":,.-+eE0123456789tfnulrsaNIy\ "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        var parsed = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                switch generator.next() % 3 {
                case 0 where position < bytes.count: bytes[position] = byte
                case 1 where position < bytes.count: bytes.remove(at: position)
                default: bytes.insert(byte, at: position)
                }
            }
            if let value = try? JSONValue(parsing: bytes) {
                parsed += 1
                // Whatever parses writes back to text that parses to the same value.
                #expect(try JSONValue(parsing: value.jsonBytes(.python)) == value)
            }
        }
        for _ in 0..<5_000 {
            let random = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? JSONValue(parsing: random)
        }
        #expect(parsed > 0)
    }
}

/// `depth` arrays, each the only element of the one around it.
private func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

/// `depth` objects, each the only member of the one around it, with a number innermost.
private func nestedObjects(_ depth: Int) -> String {
    String(repeating: #"{"a":"#, count: depth) + "0" + String(repeating: "}", count: depth)
}

private func parse(_ text: String, maxDepth: Int = JSONValue.defaultMaxDepth) -> Result<JSONValue, JSONParseError> {
    Result { () throws(JSONParseError) in try JSONValue(parsing: text, maxDepth: maxDepth) }
}

/// Parses `text` and returns how deeply the value nests (-1 when it does not parse), destroying the value
/// without recursing.
private func readAndDismantle(_ text: String, maxDepth: Int) -> Int {
    do {
        let value = try JSONValue(parsing: text, maxDepth: maxDepth)
        let levels = value.nestingDepth
        JSONValue.dismantle(consume value)
        return levels
    } catch {
        return -1
    }
}

extension Result where Failure == JSONParseError {
    fileprivate var failure: JSONParseError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }

    fileprivate var failureOffset: Int? {
        if case .failure(let error) = self { return error.offset }
        return nil
    }
}

extension JSONValue {
    /// How many arrays and objects enclose the innermost value, counted without recursing.
    fileprivate var nestingDepth: Int {
        var depth = 0
        var current = self
        while true {
            switch current {
            case .array(let elements) where !elements.isEmpty: current = elements[0]
            case .array: return depth + 1
            case .object(let object) where !object.isEmpty: current = object.values[0]
            case .object: return depth + 1
            default: return depth
            }
            depth += 1
        }
    }
}
