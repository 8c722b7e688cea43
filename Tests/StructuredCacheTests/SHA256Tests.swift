// SHA256: NIST vectors, every length 0...300 against Python's hashlib, and split updates, for both
// the hardware and the portable implementation.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct SHA256Tests {
    static let implementations: [SHA256.Implementation] = [.portable, .hardware]

    static let nistVectors: [(message: [UInt8], digest: String)] = [
        ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            Array(
                ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
                    + "mnopqrstnopqrstu").utf8),
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        (
            [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    static func digest(_ message: [UInt8], _ implementation: SHA256.Implementation) -> String {
        var function = SHA256(implementation: implementation)
        function.update(data: message)
        return function.finalize().hexString
    }

    @Test func reportsWhichImplementationRuns() {
        let best = SHA256.Implementation.best
        print(
            "SHA256: this CPU uses the \(best == .hardware ? "hardware (SHA instructions)" : "portable") implementation"
        )
        #expect(SHA256().implementation == best)
        #expect(SHA256(implementation: .portable).implementation == .portable)
    }

    @Test(arguments: implementations)
    func matchesTheNISTVectors(implementation: SHA256.Implementation) {
        for vector in Self.nistVectors {
            #expect(Self.digest(vector.message, implementation) == vector.digest)
        }
    }

    @Test(arguments: implementations)
    func matchesHashlibAtEveryLengthUpTo300(implementation: SHA256.Implementation) throws {
        let fixture = try Fixtures.json("sha256-lengths.json")
        let digests = try #require(fixture["digests"]?.arrayValue)
        #expect(digests.count == 301)
        for (length, expected) in digests.enumerated() {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            #expect(Self.digest(message, implementation) == expected.stringValue, "length \(length)")
        }
    }

    @Test(arguments: implementations)
    func anySplitGivesTheSameDigest(implementation: SHA256.Implementation) {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200 {
            let length = Int(generator.next() % 700)
            let message = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let whole = Self.digest(message, implementation)
            var function = SHA256(implementation: implementation)
            var offset = 0
            while offset < length {
                let piece = min(length - offset, Int(generator.next() % 130))
                function.update(data: message[offset..<(offset + piece)])
                offset += piece
            }
            #expect(function.finalize().hexString == whole)
        }
        // Every single split point of a message spanning several blocks.
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0) }
        let whole = Self.digest(message, implementation)
        for split in 0...message.count {
            var function = SHA256(implementation: implementation)
            function.update(data: message[..<split])
            function.update(data: message[split...])
            #expect(function.finalize().hexString == whole)
        }
    }

    @Test func offersOneShotAndStringForms() {
        #expect(SHA256.hash(string: "abc").hexString == Self.nistVectors[1].digest)
        #expect(SHA256.hash(data: Array("abc".utf8)).description == Self.nistVectors[1].digest)
        let digest = SHA256.hash(data: [UInt8]())
        #expect(digest.bytes.count == 32)
        #expect(digest.bytes.prefix(4) == [0xe3, 0xb0, 0xc4, 0x42])
        #expect(digest == SHA256.hash(string: ""))
        #expect(digest != SHA256.hash(string: "a"))
        // A non-contiguous sequence is hashed too.
        #expect(SHA256.hash(data: "abc".utf8.lazy.map { $0 }).hexString == Self.nistVectors[1].digest)
    }
}
