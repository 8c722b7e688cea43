// The incremental partial JSON reader: any split of the text reads the same, snapshots close what is
// open and leave out what is unfinished, malformed text is a typed error.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct PartialJSONParserTests {
    static let document = #"""
        {"name": "Jos\u00e9 \ud83d\ude00 caf\u00e9", "age": 42, "score": -1.5e3, "ok": true, "none": null,
         "tags": ["a", "b\"c", "d\\e", "\n"], "address": {"city": "Zürich", "zip": "8000"},
         "items": [{"sku": "x1", "qty": 2}, {"sku": "y2", "qty": 30}], "empty": {}, "nothing": [],
         "big": 12345678901234567890, "float": 10.0, "nan": NaN, "neg": -Infinity}
        """#

    @Test func readsTheSameValueWhateverTheSplit() throws {
        let bytes = Array(Self.document.utf8)
        let expected = try JSONValue(parsing: Self.document)
        for split in 0...bytes.count {
            var parser = PartialJSONParser()
            try parser.feed(bytes[..<split])
            #expect(parser.isComplete == false || split == bytes.count)
            try parser.feed(bytes[split...])
            #expect(parser.value == expected, "split at \(split)")
        }
        var byteByByte = PartialJSONParser()
        for byte in bytes {
            try byteByByte.feed([byte])
            _ = byteByByte.snapshot
        }
        #expect(byteByByte.value == expected)
        #expect(byteByByte.value?.jsonString() == expected.jsonString())
    }

    @Test func matchesTheFullParserOnTheGeneratedTable() throws {
        var generator = SplitMix64(seed: 99)
        let rows = try Fixtures.jsonLines("python-json-dumps.jsonl")
        for row in rows.prefix(600) {
            let text = Array(try #require(row[0]?.stringValue).utf8)
            let expected = try JSONValue(parsing: text)
            guard expected.objectValue != nil || expected.arrayValue != nil else { continue }
            var parser = PartialJSONParser()
            var offset = 0
            while offset < text.count {
                let piece = min(text.count - offset, 1 + Int(generator.next() % 9))
                try parser.feed(text[offset..<(offset + piece)])
                offset += piece
            }
            #expect(parser.value == expected)
        }
    }

    @Test(
        arguments: [
            (#"{"name": "Ja"#, #"{"name": "Ja"}"#),
            (#"{"a": 1, "b"#, #"{"a": 1}"#),
            (#"{"a": 1, "b": "#, #"{"a": 1}"#),
            (#"{"a": 12"#, "{}"),
            (#"{"a": 12,"#, #"{"a": 12}"#),
            (#"{"ok": tr"#, "{}"),
            (#"{"items": [{"sku": "x"}, {"s"#, #"{"items": [{"sku": "x"}, {}]}"#),
            (#"["a", tr"#, #"["a"]"#),
            (#"{"t": "a\u00"#, #"{"t": "a"}"#),
            (#"{"t": "a\ud83d"#, #"{"t": "a"}"#),
            (#"{"t": "a\ud83d\ude00b"#, #"{"t": "a\ud83d\ude00b"}"#),
            (#"{"t": "a\"#, #"{"t": "a"}"#),
            (#"{"deep": {"er": ["#, #"{"deep": {"er": []}}"#),
            ("", nil),
            ("   ", nil),
        ] as [(String, String?)])
    func closesWhatIsOpenAndLeavesOutWhatIsUnfinished(prefix: String, expected: String?) throws {
        var parser = PartialJSONParser()
        try parser.feed(prefix.utf8)
        #expect(parser.snapshot?.jsonString() == expected)
    }

    @Test func leavesOutAScalarCutInsideItsUTF8() throws {
        var parser = PartialJSONParser()
        let bytes = Array(#"{"t": "é😀"#.utf8)
        try parser.feed(bytes.dropLast(2))  // cut inside 😀
        #expect(parser.snapshot == ["t": "é"])
        try parser.feed(bytes.suffix(2))
        #expect(parser.snapshot == ["t": "é😀"])
    }

    @Test func tracksTheFinishedElementsOfAStreamedList() throws {
        var parser = PartialJSONParser()
        try parser.feed(#"{"tasks": [{"name": "a"}, {"na"#.utf8)
        #expect(parser.finishedElements(underKey: "tasks") == [["name": "a"]])
        try parser.feed(#"me": "b"}"#.utf8)
        #expect(parser.finishedElements(underKey: "tasks").count == 2)
        try parser.feed(#"]}"#.utf8)
        #expect(parser.isComplete)
        #expect(parser.finishedElements(underKey: "tasks") == [["name": "a"], ["name": "b"]])
        var bare = PartialJSONParser()
        try bare.feed(#"[{"name": "a"}, {"#.utf8)
        #expect(bare.finishedElements(underKey: "tasks") == [["name": "a"]])
    }

    @Test(arguments: [
        (#"{"a" 1}"#, JSONParseError.Code.unexpectedCharacter, 5),
        (#"{"a": 1,}"#, .unexpectedCharacter, 8),
        (#"[1 2]"#, .unexpectedCharacter, 3),
        (#"{"a": tx}"#, .unexpectedCharacter, 7),
        (#"{"a": 1.e5}"#, .invalidNumber, 6),
        ("{\"a\": \"x\u{1}\"}", .invalidString, 8),
        (#"{"a": "\q"}"#, .invalidString, 8),
        (#"{"a": "\ud800\u0041"}"#, .invalidString, 18),
        (#"{} {}"#, .trailingData, 3),
    ])
    func reportsMalformedText(text: String, code: JSONParseError.Code, offset: Int) {
        var parser = PartialJSONParser()
        #expect {
            try parser.feed(text.utf8)
        } throws: { error in
            (error as? JSONParseError)?.code == code && (error as? JSONParseError)?.offset == offset
        }
    }

    @Test func boundsTheDepth() {
        var parser = PartialJSONParser(maxDepth: 64)
        #expect(throws: JSONParseError.self) { try parser.feed(String(repeating: "[", count: 100_000).utf8) }
    }
}

extension PartialJSONParserTests {
    @Test func canStopAtTheEndOfTheValue() throws {
        var parser = PartialJSONParser(ignoresTrailingText: true)
        try parser.feed(#"{"a": [1]}"#.utf8)
        try parser.feed("\n```\nThat is all. {".utf8)
        #expect(parser.value == ["a": [1]])
    }
}
