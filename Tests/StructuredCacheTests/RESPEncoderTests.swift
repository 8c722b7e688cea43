// The RESP command encoder: the exact bytes of every kind of argument.

import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct RESPEncoderTests {
    @Test func encodesACommandAsAnArrayOfBulkStrings() {
        var encoder = RESPEncoder(argumentCount: 2)
        encoder.append("GET")
        encoder.append("key")
        #expect(encoder.isComplete)
        #expect(encoder.bytes == Array("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n".utf8))
    }

    @Test func encodesIntegersAsDecimalBulkStrings() {
        var encoder = RESPEncoder(argumentCount: 5)
        encoder.append("SET")
        encoder.append("k")
        encoder.append("v")
        encoder.append("PX")
        encoder.append(1500)
        #expect(encoder.bytes == Array("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$2\r\nPX\r\n$4\r\n1500\r\n".utf8))
        for (number, text) in [
            (0, "0"), (-1, "-1"), (Int.max, "9223372036854775807"), (Int.min, "-9223372036854775808"),
        ] {
            var single = RESPEncoder(argumentCount: 1)
            single.append(number)
            #expect(single.bytes == Array("*1\r\n$\(text.utf8.count)\r\n\(text)\r\n".utf8))
        }
    }

    @Test func encodesBinaryArgumentsVerbatim() {
        let everyByte = (0...255).map { UInt8($0) }
        var encoder = RESPEncoder(argumentCount: 2)
        encoder.append(bytes: everyByte)
        Data(everyByte).withUnsafeBytes { encoder.append(bytes: $0) }
        let bulk = Array("$256\r\n".utf8) + everyByte + [13, 10]
        #expect(encoder.bytes == Array("*2\r\n".utf8) + bulk + bulk)
    }

    @Test func encodesEmptyArguments() {
        var encoder = RESPEncoder(argumentCount: 2)
        encoder.append("")
        encoder.append(bytes: [])
        #expect(encoder.bytes == Array("*2\r\n$0\r\n\r\n$0\r\n\r\n".utf8))
    }

    @Test func joinsAPrefixAndAKeyIntoOneArgument() {
        var encoder = RESPEncoder(argumentCount: 1)
        encoder.append(prefix: "ns:", "caf\u{E9}")
        // "é" is two bytes of UTF-8: the length counts bytes, not characters.
        #expect(encoder.bytes == Array("*1\r\n$8\r\nns:caf\u{E9}\r\n".utf8))
        var decomposed = RESPEncoder(argumentCount: 1)
        decomposed.append(prefix: "ns:", "cafe\u{301}")
        #expect(decomposed.bytes == Array("*1\r\n$9\r\nns:cafe\u{301}\r\n".utf8))
        #expect(encoder.bytes != decomposed.bytes)
    }

    @Test func encodesKeysWithNulAndNewlines() {
        var encoder = RESPEncoder(argumentCount: 1)
        encoder.append("a\u{0}\r\nb")
        #expect(encoder.bytes == Array("*1\r\n$5\r\n".utf8) + [97, 0, 13, 10, 98] + [13, 10])
    }

    @Test func roundTripsThroughTheDecoder() throws {
        var encoder = RESPEncoder(argumentCount: 3)
        encoder.append("SET")
        encoder.append(prefix: "p:", "k")
        encoder.append(bytes: [0, 1, 2])
        var decoder = RESPDecoder()
        decoder.append(contentsOf: encoder.bytes)
        #expect(
            try decoder.next()
                == .array([.bulkString(Array("SET".utf8)), .bulkString(Array("p:k".utf8)), .bulkString([0, 1, 2])]))
    }
}
