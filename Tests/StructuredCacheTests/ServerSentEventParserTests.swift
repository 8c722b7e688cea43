// Tests of the incremental server-sent event parser: the WHATWG interpretation rules and examples,
// every line ending, every split offset, and the size bound.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct ServerSentEventParserTests {
    static func events(_ text: String, maximumEventSize: Int = 1 << 20) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser(maximumEventSize: maximumEventSize)
        return try parser.parse(Array(text.utf8))
    }

    static func event(_ data: String, type: String = "message", id: String = "") -> ServerSentEvent {
        ServerSentEvent(type: type, text: data, lastEventID: id)
    }

    // MARK: - The specification's examples

    @Test func joinsDataLinesWithLineFeeds() throws {
        #expect(try Self.events("data: YHOO\ndata: +2\ndata: 10\n\n") == [Self.event("YHOO\n+2\n10")])
    }

    @Test func followsTheIDAndSpaceRulesOfTheSpecification() throws {
        let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
        var parser = ServerSentEventParser()
        let events = try parser.parse(Array(stream.utf8))
        #expect(events == [Self.event("first event", id: "1"), Self.event("second event")])
        // The third event has no blank line after it: it is pending, and discarded at the end.
        #expect(parser.pendingEventData == Array(" third event".utf8))
        let discarded = parser.finish()
        #expect(discarded)
    }

    @Test func dispatchesEmptyDataAndDiscardsTheUnfinishedEvent() throws {
        var parser = ServerSentEventParser()
        let events = try parser.parse(Array("data\n\ndata\ndata\n\ndata:".utf8))
        #expect(events == [Self.event(""), Self.event("\n")])
        #expect(parser.hasPendingInput)
        let discarded = parser.finish()
        #expect(discarded)
        #expect(!parser.hasPendingInput)
    }

    @Test func readsDataWithAndWithoutTheSpace() throws {
        #expect(try Self.events("data:test\n\ndata: test\n\n") == [Self.event("test"), Self.event("test")])
    }

    // MARK: - Fields

    @Test func setsTheTypeForOneEventOnly() throws {
        let events = try Self.events("event: add\ndata: 1\n\ndata: 2\n\nevent: remove\n\ndata: 3\n\n")
        #expect(events == [Self.event("1", type: "add"), Self.event("2"), Self.event("3")])
    }

    @Test func keepsTheLastEventIDAcrossEvents() throws {
        let events = try Self.events("id: 7\ndata: a\n\ndata: b\n\nid: 8\n\ndata: c\n\nid: x\u{0}y\ndata: d\n\n")
        #expect(events.map(\.lastEventID) == ["7", "7", "8", "8"])
    }

    @Test func readsRetryOnlyWhenAllDigits() throws {
        var parser = ServerSentEventParser()
        _ = try parser.parse(Array("retry: 1500\n\n".utf8))
        #expect(parser.reconnectionTime == 1_500)
        _ = try parser.parse(Array("retry: 15s\nretry: -1\nretry:\nretry: 99999999999999999999999\n\n".utf8))
        #expect(parser.reconnectionTime == 1_500)
    }

    @Test func ignoresCommentsUnknownFieldsAndFieldCase() throws {
        let events = try Self.events(":comment\nfoo: bar\nData: no\ndata\ndata: yes\nDATA: no\n: another\n\n")
        #expect(events == [Self.event("\nyes")])
    }

    @Test func keepsColonsInsideValues() throws {
        #expect(try Self.events("data: {\"a\": \"b:c\"}\n\n") == [Self.event("{\"a\": \"b:c\"}")])
        #expect(try Self.events("data::\n\n") == [Self.event(":")])
    }

    // MARK: - Line endings and the byte order mark

    @Test(arguments: ["\n", "\r\n", "\r"])
    func acceptsEveryLineEnding(_ end: String) throws {
        let stream = "event: e\(end)data: a\(end)data: b\(end)\(end)data: c\(end)\(end)"
        #expect(try Self.events(stream) == [Self.event("a\nb", type: "e"), Self.event("c")])
    }

    @Test func mixesLineEndings() throws {
        #expect(
            try Self.events("data: a\r\n\rdata: b\n\r\ndata: c\r\r") == [
                Self.event("a"), Self.event("b"), Self.event("c"),
            ])
    }

    @Test func skipsOneByteOrderMarkAtTheStartOnly() throws {
        #expect(try Self.events("\u{FEFF}data: a\n\n") == [Self.event("a")])
        #expect(try Self.events("\u{FEFF}\u{FEFF}data: a\n\ndata: b\n\n") == [Self.event("b")])
        #expect(try Self.events("data: \u{FEFF}a\n\n") == [Self.event("\u{FEFF}a")])
        // A stream that starts with part of a byte order mark keeps those bytes.
        var parser = ServerSentEventParser()
        let events = try parser.parse([0xEF, 0xBB] + Array("\ndata: z\n\n".utf8))
        #expect(events == [Self.event("z")])
    }

    // MARK: - Splits

    static let mixedStream: [UInt8] = Array(
        ("\u{FEFF}: hello\r\nevent: delta\r\nid: 42\r\ndata: {\"content\": \"Zoë ✓ 😀\"}\r\n\r\n"
            + "data: line one\rdata: line two\r\r" + "data:[DONE]\n\n").utf8)

    @Test func everySplitOffsetParsesTheSame() throws {
        var whole = ServerSentEventParser()
        let expected = try whole.parse(Self.mixedStream)
        #expect(expected.count == 3)
        #expect(expected[0] == Self.event("{\"content\": \"Zoë ✓ 😀\"}", type: "delta", id: "42"))
        #expect(expected[1] == Self.event("line one\nline two", id: "42"))
        for first in 0...Self.mixedStream.count {
            for second in first...Self.mixedStream.count where second == first || second - first < 40 {
                var parser = ServerSentEventParser()
                var events = try parser.parse(Self.mixedStream[0..<first])
                events += try parser.parse(Self.mixedStream[first..<second])
                events += try parser.parse(Self.mixedStream[second...])
                #expect(events == expected, "split at \(first) and \(second)")
                #expect(!parser.hasPendingInput)
            }
        }
    }

    @Test func oneByteAtATimeParsesTheSame() throws {
        var whole = ServerSentEventParser()
        let expected = try whole.parse(Self.mixedStream)
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in Self.mixedStream { events += try parser.parse([byte]) }
        #expect(events == expected)
    }

    @Test func aCROnlyStreamSplitBeforeTheNextLineIsNotALineFeed() throws {
        var parser = ServerSentEventParser()
        var events = try parser.parse(Array("data: a\r".utf8))
        events += try parser.parse(Array("\rdata: b\r".utf8))
        events += try parser.parse(Array("\n\n".utf8))
        #expect(events == [Self.event("a"), Self.event("b")])
    }

    @Test func invalidUTF8ReadsAsReplacementCharacters() throws {
        var parser = ServerSentEventParser()
        let events = try parser.parse(Array("data: a".utf8) + [0xFF, 0xC3] + Array("\n\n".utf8))
        #expect(events.first?.text == "a\u{FFFD}\u{FFFD}")
        #expect(events.first?.data == Array("a".utf8) + [0xFF, 0xC3])
    }

    // MARK: - Bounds

    @Test func rejectsALineLongerThanTheLimit() throws {
        var parser = ServerSentEventParser(maximumEventSize: 64)
        #expect(throws: ProviderError.self) { try parser.parse(Array(repeating: UInt8(ascii: "x"), count: 65)) }
        var split = ServerSentEventParser(maximumEventSize: 64)
        _ = try split.parse(Array(repeating: UInt8(ascii: "x"), count: 40))
        let error = #expect(throws: ProviderError.self) {
            try split.parse(Array(repeating: UInt8(ascii: "x"), count: 40))
        }
        #expect(error?.code == .invalidResponse)
        var exact = ServerSentEventParser(maximumEventSize: 64)
        #expect(try exact.parse(Array(("data: " + String(repeating: "y", count: 58) + "\n\n").utf8)).count == 1)
    }

    @Test func rejectsEventDataLargerThanTheLimit() throws {
        var parser = ServerSentEventParser(maximumEventSize: 64)
        let line = Array(("data: " + String(repeating: "z", count: 30) + "\n").utf8)
        _ = try parser.parse(line)
        let error = #expect(throws: ProviderError.self) { try parser.parse(line + line) }
        #expect(error?.code == .invalidResponse)
    }
}
