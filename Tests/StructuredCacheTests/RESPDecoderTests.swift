// The RESP decoder: every type of RESP2 and RESP3, replies split at every byte, limits, malformed input,
// and the regression corpus (including inputs found by fuzzing).

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct RESPDecoderTests {
    /// Decodes `bytes` fed in one piece; returns the values, and the error if decoding stopped on one.
    static func decodeAll(
        _ bytes: [UInt8], limits: RESPDecoder.Limits = .init()
    ) -> (values: [RESPValue], error: RESPDecodingError?) {
        decodeAll(pieces: [bytes[...]], limits: limits)
    }

    /// Decodes bytes fed piece by piece, taking every complete value after each piece.
    static func decodeAll(
        pieces: [ArraySlice<UInt8>], limits: RESPDecoder.Limits = .init()
    ) -> (values: [RESPValue], error: RESPDecodingError?) {
        var decoder = RESPDecoder(limits: limits)
        var values: [RESPValue] = []
        for piece in pieces {
            piece.withUnsafeBytes { decoder.append($0) }
            do {
                while let value = try decoder.next() { values.append(value) }
            } catch {
                return (values, error)
            }
        }
        return (values, nil)
    }

    static let examples: [(String, [UInt8], RESPValue)] = [
        ("simple string", bytes("+OK\r\n"), .simpleString("OK")),
        ("empty simple string", bytes("+\r\n"), .simpleString("")),
        ("error", bytes("-ERR unknown command\r\n"), .error("ERR unknown command")),
        ("integer", bytes(":1000\r\n"), .integer(1000)),
        ("negative integer", bytes(":-42\r\n"), .integer(-42)),
        ("plus-signed integer", bytes(":+7\r\n"), .integer(7)),
        ("Int64.max", bytes(":9223372036854775807\r\n"), .integer(.max)),
        ("Int64.min", bytes(":-9223372036854775808\r\n"), .integer(.min)),
        ("bulk string", bytes("$5\r\nhello\r\n"), .bulkString(bytes("hello"))),
        ("empty bulk string", bytes("$0\r\n\r\n"), .bulkString([])),
        ("binary bulk string", bytes("$4\r\n") + [0, 13, 10, 255] + bytes("\r\n"), .bulkString([0, 13, 10, 255])),
        ("null bulk string", bytes("$-1\r\n"), .null),
        ("null array", bytes("*-1\r\n"), .null),
        ("RESP3 null", bytes("_\r\n"), .null),
        ("empty array", bytes("*0\r\n"), .array([])),
        (
            "array", bytes("*3\r\n:1\r\n$3\r\nfoo\r\n+bar\r\n"),
            .array([.integer(1), .bulkString(bytes("foo")), .simpleString("bar")])
        ),
        (
            "nested array", bytes("*2\r\n*1\r\n:1\r\n*2\r\n$-1\r\n*0\r\n"),
            .array([.array([.integer(1)]), .array([.null, .array([])])])
        ),
        ("true", bytes("#t\r\n"), .boolean(true)),
        ("false", bytes("#f\r\n"), .boolean(false)),
        ("double", bytes(",1.23\r\n"), .double(1.23)),
        ("exponent double", bytes(",-1.5e10\r\n"), .double(-1.5e10)),
        ("integral double", bytes(",10\r\n"), .double(10)),
        ("infinity", bytes(",inf\r\n"), .double(.infinity)),
        ("negative infinity", bytes(",-inf\r\n"), .double(-.infinity)),
        ("NaN", bytes(",nan\r\n"), .double(.nan)),
        (
            "big number", bytes("(3492890328409238509324850943850943825024385\r\n"),
            .bigNumber("3492890328409238509324850943850943825024385")
        ),
        ("negative big number", bytes("(-12345678901234567890\r\n"), .bigNumber("-12345678901234567890")),
        ("blob error", bytes("!21\r\nSYNTAX invalid syntax\r\n"), .error("SYNTAX invalid syntax")),
        (
            "verbatim string", bytes("=15\r\ntxt:Some string\r\n"),
            .verbatimString(format: "txt", text: bytes("Some string"))
        ),
        (
            "map", bytes("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"),
            .map([(.simpleString("first"), .integer(1)), (.simpleString("second"), .integer(2))])
        ),
        ("empty map", bytes("%0\r\n"), .map([])),
        ("set", bytes("~2\r\n+a\r\n+b\r\n"), .set([.simpleString("a"), .simpleString("b")])),
        (
            "push", bytes(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"),
            .push([.bulkString(bytes("message")), .bulkString(bytes("ch")), .bulkString(bytes("hi"))])
        ),
        ("attribute before a value", bytes("|1\r\n+key-popularity\r\n:9\r\n:5\r\n"), .integer(5)),
        ("empty attribute", bytes("|0\r\n+OK\r\n"), .simpleString("OK")),
        (
            "attribute inside an array", bytes("*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n"),
            .array([.integer(1), .integer(2)])
        ),
        (
            "HELLO reply", bytes("%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"),
            .map([
                (.bulkString(bytes("server")), .bulkString(bytes("redis"))), (.bulkString(bytes("proto")), .integer(3)),
            ])
        ),
    ]

    @Test(arguments: examples.indices)
    func decodesEveryType(_ index: Int) {
        let (name, input, expected) = Self.examples[index]
        let result = Self.decodeAll(input)
        #expect(result.error == nil, "\(name)")
        #expect(result.values == [expected], "\(name)")
    }

    @Test(arguments: examples.indices)
    func decodesTheSameWhenSplitAtEveryByte(_ index: Int) {
        let (name, input, expected) = Self.examples[index]
        for split in 0...input.count {
            let result = Self.decodeAll(pieces: [input[..<split], input[split...]])
            #expect(result.values == [expected] && result.error == nil, "\(name) split at \(split)")
        }
        let byteByByte = Self.decodeAll(pieces: input.indices.map { input[$0...$0] })
        #expect(byteByByte.values == [expected] && byteByByte.error == nil, "\(name) byte by byte")
    }

    @Test func decodesAStreamOfEveryTypeSplitAtEveryPoint() {
        let stream = Self.examples.flatMap(\.1)
        let expected = Self.examples.map(\.2)
        #expect(Self.decodeAll(stream).values == expected)
        for split in 0...stream.count {
            let result = Self.decodeAll(pieces: [stream[..<split], stream[split...]])
            #expect(result.values == expected && result.error == nil, "split at \(split)")
        }
        for split in stride(from: 0, to: stream.count, by: 7) {
            let pieces = [
                stream[..<split], stream[split..<min(stream.count, split + 13)],
                stream[min(stream.count, split + 13)...],
            ]
            #expect(Self.decodeAll(pieces: pieces).values == expected, "three pieces at \(split)")
        }
    }

    @Test func returnsNilUntilAReplyIsComplete() throws {
        var decoder = RESPDecoder()
        decoder.append(contentsOf: Self.bytes("*2\r\n$5\r\nhel"))
        #expect(try decoder.next() == nil)
        decoder.append(contentsOf: Self.bytes("lo\r\n"))
        #expect(try decoder.next() == nil)
        decoder.append(contentsOf: Self.bytes(":1\r\n+OK\r\n"))
        #expect(try decoder.next() == .array([.bulkString(Self.bytes("hello")), .integer(1)]))
        #expect(try decoder.next() == .simpleString("OK"))
        #expect(try decoder.next() == nil)
        #expect(decoder.isIdle)
    }

    @Test func decodesALargeBulkStringArrivingInPieces() throws {
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let input = Self.bytes("$\(payload.count)\r\n") + payload + Self.bytes("\r\n")
        var decoder = RESPDecoder()
        var result: RESPValue?
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + 65_536)
            decoder.append(contentsOf: input[offset..<end])
            offset = end
            if let value = try decoder.next() { result = value }
        }
        #expect(result == .bulkString(payload))
        #expect(decoder.isIdle)
    }

    @Test func keepsTheBufferSmallWhileStreaming() throws {
        var decoder = RESPDecoder()
        let reply = Self.bytes("$10\r\n0123456789\r\n")
        for _ in 0..<10_000 {
            decoder.append(contentsOf: reply[..<7])
            #expect(try decoder.next() == nil)
            decoder.append(contentsOf: reply[7...])
            #expect(try decoder.next() == .bulkString(Self.bytes("0123456789")))
        }
        #expect(decoder.isIdle)
    }

    // MARK: - Limits

    @Test func refusesAnOverLimitBulkLengthBeforeItsBytesArrive() {
        let limits = RESPDecoder.Limits(maximumBulkLength: 1024)
        let result = Self.decodeAll(Self.bytes("$1025\r\n"), limits: limits)
        #expect(result.error?.code == .replyTooLarge)
        #expect(Self.decodeAll(Self.bytes("$1024\r\n"), limits: limits).error == nil)
        #expect(Self.decodeAll(Self.bytes("$999999999999999999\r\n")).error?.code == .replyTooLarge)
        #expect(Self.decodeAll(Self.bytes("$9999999999999999999\r\n")).error?.code == .invalidLength)
    }

    @Test func refusesAReplyLargerThanTheReplyLimit() {
        let limits = RESPDecoder.Limits(maximumReplySize: 100)
        let many = Self.bytes("*20\r\n") + Array(repeating: Self.bytes("$5\r\nhello\r\n"), count: 20).flatMap { $0 }
        #expect(Self.decodeAll(many, limits: limits).error?.code == .replyTooLarge)
        #expect(Self.decodeAll(Self.bytes("*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n"), limits: limits).error == nil)
    }

    @Test func refusesDeepNestingWithoutRecursing() {
        let limits = RESPDecoder.Limits(maximumDepth: 8)
        let deep = Array(repeating: Self.bytes("*1\r\n"), count: 9).flatMap { $0 } + Self.bytes(":1\r\n")
        #expect(Self.decodeAll(deep, limits: limits).error?.code == .nestingTooDeep)
        let allowed = Array(repeating: Self.bytes("*1\r\n"), count: 8).flatMap { $0 } + Self.bytes(":1\r\n")
        #expect(Self.decodeAll(allowed, limits: limits).values.count == 1)
        let hostile = Array(repeating: Self.bytes("*1\r\n"), count: 200_000).flatMap { $0 }
        #expect(Self.decodeAll(hostile).error?.code == .nestingTooDeep)
    }

    @Test func decodesVeryDeepNestingOnAnExplicitStack() throws {
        // With the depth limit lifted, 100,000 levels decode without touching the thread's stack.
        let depth = 100_000
        let limits = RESPDecoder.Limits(maximumDepth: depth + 1)
        let input = Array(repeating: Self.bytes("*1\r\n"), count: depth).flatMap { $0 } + Self.bytes(":7\r\n")
        var decoder = RESPDecoder(limits: limits)
        decoder.append(contentsOf: input)
        var value = try #require(try decoder.next())
        // Taken apart level by level: releasing such a tree in one go would recurse 100,000 deep.
        var levels = 0
        while case .array(let elements) = value {
            levels += 1
            value = elements[0]
        }
        #expect(levels == depth)
        #expect(value == .integer(7))
    }

    @Test func refusesAnOverLimitAggregateCount() {
        let limits = RESPDecoder.Limits(maximumAggregateLength: 100)
        #expect(Self.decodeAll(Self.bytes("*101\r\n"), limits: limits).error?.code == .aggregateTooLarge)
        #expect(Self.decodeAll(Self.bytes("%51\r\n"), limits: limits).error?.code == .aggregateTooLarge)
        #expect(Self.decodeAll(Self.bytes("*100\r\n"), limits: limits).error == nil)
        // A huge declared count allocates nothing up front.
        #expect(Self.decodeAll(Self.bytes("*16777216\r\n")).error == nil)
    }

    @Test func refusesAnEndlessLine() {
        let limits = RESPDecoder.Limits(maximumLineLength: 64)
        let long = Self.bytes("+") + Array(repeating: UInt8(ascii: "a"), count: 65)
        #expect(Self.decodeAll(long, limits: limits).error?.code == .lineTooLong)
        let pieces = (0..<100).map { _ in Array(repeating: UInt8(ascii: "a"), count: 10)[...] }
        #expect(Self.decodeAll(pieces: [Self.bytes("-")[...]] + pieces, limits: limits).error?.code == .lineTooLong)
        let exact = Self.bytes("+") + Array(repeating: UInt8(ascii: "a"), count: 64) + Self.bytes("\r\n")
        #expect(Self.decodeAll(exact, limits: limits).error == nil)
    }

    // MARK: - Malformed input

    static let malformed: [(String, String, RESPDecodingError.Code)] = [
        ("unknown type byte", "?x\r\n", .invalidTypeByte),
        ("inline command", "PING\r\n", .invalidTypeByte),
        ("CR without LF", "+OK\rX\n", .missingCRLF),
        ("bulk without trailing CRLF", "$3\r\nabcXY", .missingCRLF),
        ("non-numeric length", "$abc\r\n", .invalidLength),
        ("empty length", "$\r\n", .invalidLength),
        ("negative bulk length", "$-2\r\n", .invalidLength),
        ("negative array length", "*-5\r\n", .invalidLength),
        ("null map", "%-1\r\n", .invalidLength),
        ("null set", "~-1\r\n", .invalidLength),
        ("null blob error", "!-1\r\n", .invalidLength),
        ("streamed string", "$?\r\n;4\r\nHell\r\n;0\r\n", .unsupportedStreamedType),
        ("streamed array", "*?\r\n:1\r\n.\r\n", .unsupportedStreamedType),
        ("integer with letters", ":12a\r\n", .invalidInteger),
        ("empty integer", ":\r\n", .invalidInteger),
        ("lone minus", ":-\r\n", .invalidInteger),
        ("integer overflow", ":9223372036854775808\r\n", .invalidInteger),
        ("integer underflow", ":-9223372036854775809\r\n", .invalidInteger),
        ("bad boolean", "#x\r\n", .invalidScalar),
        ("long boolean", "#tt\r\n", .invalidScalar),
        ("null with payload", "_x\r\n", .invalidScalar),
        ("bad double", ",1.2.3\r\n", .invalidScalar),
        ("empty double", ",\r\n", .invalidScalar),
        ("bad big number", "(12x\r\n", .invalidScalar),
        ("verbatim without format", "=3\r\nabc\r\n", .invalidScalar),
        ("verbatim without colon", "=5\r\ntxtab\r\n", .invalidScalar),
        ("garbage inside an array", "*2\r\n:1\r\n@\r\n", .invalidTypeByte),
    ]

    @Test(arguments: malformed.indices)
    func rejectsMalformedInputWithATypedError(_ index: Int) {
        let (name, text, code) = Self.malformed[index]
        let input = Self.bytes(text)
        #expect(Self.decodeAll(input).error?.code == code, "\(name)")
        // The same error whatever the split.
        for split in 0...input.count {
            #expect(
                Self.decodeAll(pieces: [input[..<split], input[split...]]).error?.code == code, "\(name) at \(split)")
        }
    }

    @Test func keepsFailingAfterAnError() throws {
        var decoder = RESPDecoder()
        decoder.append(contentsOf: Self.bytes("+OK\r\n?bad\r\n+OK\r\n"))
        #expect(try decoder.next() == .simpleString("OK"))
        #expect(throws: RESPDecodingError.self) { try decoder.next() }
        decoder.append(contentsOf: Self.bytes("+OK\r\n"))
        #expect(throws: RESPDecodingError.self) { try decoder.next() }
    }

    // MARK: - Corpus

    @Test func decodesTheRegressionCorpusWithoutCrashing() throws {
        let directory = try #require(
            Bundle.module.url(forResource: "resp-corpus", withExtension: nil, subdirectory: "Fixtures"))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && $0.pathExtension != "md" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        #expect(files.count >= 20)
        let limits = RESPDecoder.Limits(
            maximumBulkLength: 1 << 20, maximumReplySize: 1 << 21, maximumAggregateLength: 1 << 16,
            maximumDepth: 32, maximumLineLength: 1 << 16)
        for file in files {
            let input = try [UInt8](Data(contentsOf: file))
            let whole = Self.decodeAll(input, limits: limits)
            let name = file.lastPathComponent
            // Split anywhere, the same values and the same error.
            for split in Set([0, 1, input.count / 3, input.count / 2, input.count - 1, input.count])
            where split >= 0 && split <= input.count {
                let pieces = Self.decodeAll(pieces: [input[..<split], input[split...]], limits: limits)
                #expect(pieces.values == whole.values, "\(name) split at \(split)")
                #expect(pieces.error?.code == whole.error?.code, "\(name) split at \(split)")
            }
            if name.hasPrefix("valid-") {
                #expect(whole.error == nil && !whole.values.isEmpty, "\(name) should decode")
            } else if name.hasPrefix("invalid-") {
                #expect(whole.error != nil, "\(name) should be rejected")
            }
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}
