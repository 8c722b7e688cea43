// EncryptedCache: the adapter contract over AutoCache, the documented bytes, every way a stored value
// can be unusable (a miss that is removed), rotation, tenant keys, TieredCache's promotions, keys that
// never show in text, and the client reporting a tampered value as an error and a miss.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheStorage

struct EncryptedCacheTests {
    struct User: Codable, Sendable, Equatable { var name: String }

    /// A key whose bytes are easy to look for in text: 0xA0 to 0xBF.
    static let secret: [UInt8] = Array(0xA0...0xBF)
    /// Another key's bytes.
    static let otherSecret: [UInt8] = Array(0x40...0x5F)

    static func key(_ identifier: String, _ secret: [UInt8] = secret) throws -> EncryptionKey {
        try EncryptionKey(identifier: identifier, bytes: secret)
    }

    /// An encrypted cache over a fresh AutoCache, and that AutoCache.
    static func cache(
        _ keys: EncryptedCache.Keys, over wrapped: AutoCache? = nil
    ) throws -> (cache: EncryptedCache, wrapped: AutoCache) {
        let wrapped = try wrapped ?? AutoCache(maxSize: 1_000)
        return (try EncryptedCache(wrapping: wrapped, keys: keys), wrapped)
    }

    /// The error `body` throws, as a `CacheError`, or `nil` when it throws none or another type.
    static func failure(_ body: () async throws -> Void) async -> CacheError? {
        await CacheError.thrown(by: body)
    }

    /// Checks that reading `key` throws `corruptEntry` with `reason` in its message, and that the value is
    /// gone from `wrapped` afterwards.
    static func expectRefusedAndRemoved(
        _ cache: EncryptedCache, _ wrapped: AutoCache, _ key: String, _ reason: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let error = await failure { _ = try await cache.get(key) }
        #expect(error?.code == .corruptEntry, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(try await wrapped.get(key) == nil, "the unusable value was removed", sourceLocation: sourceLocation)
    }

    // MARK: The contract

    @Test func keepsTheAdapterContractOverAutoCache() async throws {
        let clock = ManualClock()
        let (cache, _) = try Self.cache(
            .init(current: Self.key("k1")), over: AutoCache(maxSize: 10_000, configuration: .init(clock: clock)))
        try await CacheAdapterConformance.check(cache, advance: { clock.advance(by: $0) })
    }

    @Test func keepsTheDefaultTTLOfTheWrappedAdapter() async throws {
        let clock = ManualClock()
        let wrapped = try AutoCache(maxSize: 100, configuration: .init(defaultTTL: .milliseconds(1_500), clock: clock))
        let (cache, _) = try Self.cache(.init(current: Self.key("k1")), over: wrapped)
        try await CacheAdapterConformance.checkDefaultTTL(cache, advance: { clock.advance(by: $0) })
    }

    @Test func readsStaleValuesThroughTheWrappedAdapter() async throws {
        let clock = ManualClock()
        let wrapped = try AutoCache(maxSize: 100, configuration: .init(staleGrace: .seconds(3), clock: clock))
        let (cache, _) = try Self.cache(.init(current: Self.key("k1")), over: wrapped)
        try await CacheAdapterConformance.checkStaleGrace(cache, advance: { clock.advance(by: $0) })
        // A stale value that does not authenticate is removed too.
        try await cache.set("stale", Data("old".utf8), ttl: .seconds(1))
        clock.advance(by: .seconds(2))
        let (stored, _) = try #require(try await wrapped.getStale("stale", maxStaleness: .seconds(10)))
        var tampered = stored
        tampered[tampered.count - 1] ^= 0x01
        try await wrapped.set("stale", tampered, ttl: .seconds(1))
        clock.advance(by: .seconds(2))
        let error = await Self.failure { _ = try await cache.getStale("stale", maxStaleness: .seconds(10)) }
        #expect(error?.code == .corruptEntry)
        #expect(try await wrapped.getStale("stale", maxStaleness: .seconds(10)) == nil)
        // Over an adapter that keeps no expired values, nothing is stale.
        let plain = try EncryptedCache(wrapping: RecordingAdapter(), keys: .init(current: Self.key("k1")))
        try await plain.set("x", Data("x".utf8), ttl: .never)
        #expect(try await plain.getStale("x", maxStaleness: .seconds(10)) == nil)
    }

    // MARK: The stored bytes

    @Test func storesTheDocumentedBytes() async throws {
        let (cache, wrapped) = try Self.cache(.init(current: Self.key("2025-01")))
        let value = Data("{\"name\": \"Jason\"}".utf8)
        try await cache.set("the key", value, ttl: .never)
        let stored = try #require(try await wrapped.get("the key"))
        let bytes = [UInt8](stored)
        let identifier = Array("2025-01".utf8)
        #expect(bytes.count == 2 + identifier.count + 12 + value.count + 16)
        #expect(bytes[0] == 1, "format version 1")
        #expect(Int(bytes[1]) == identifier.count)
        #expect(Array(bytes[2..<9]) == identifier)
        #expect(stored.range(of: value) == nil, "the value is not stored in the clear")
        // The format is enough to decrypt: the header and the cache key are the associated data.
        let header = Array(bytes[..<9])
        let cipher = try AESGCM.get()
        let opened = try cipher.open(
            Array(bytes[21..<(bytes.count - 16)]), key: cipher.prepare(Self.secret), nonce: Array(bytes[9..<21]),
            tag: Array(bytes[(bytes.count - 16)...]), authenticating: header + Array("the key".utf8))
        #expect(opened == [UInt8](value))
        #expect(try await cache.get("the key") == value)
        // Each write has a fresh nonce, so the same value never gives the same bytes.
        try await cache.set("the key", value, ttl: .never)
        let again = try #require(try await wrapped.get("the key"))
        #expect(again.count == stored.count)
        #expect(again[9..<21] != stored[9..<21])
        #expect(again[21...] != stored[21...])
    }

    @Test func readsAStoredSliceOfData() async throws {
        // A value handed over as a slice of a larger Data (indices not starting at 0) reads back whole.
        let (cache, wrapped) = try Self.cache(.init(current: Self.key("k1")))
        try await cache.set("k", Data("value".utf8), ttl: .never)
        let stored = try #require(try await wrapped.get("k"))
        let padded = Data([9, 9, 9]) + stored + Data([9])
        try await wrapped.set("k", padded[3..<(3 + stored.count)], ttl: .never)
        #expect(try await cache.get("k") == Data("value".utf8))
    }

    // MARK: Unusable values

    /// One bit to flip in a stored value, and what the refusal says. The value is stored under key
    /// `k1`; `k0` is held as a previous key with the same secret, so that a header naming it can only be
    /// refused because the header is authenticated.
    struct Flip: Sendable, CustomTestStringConvertible {
        var field: String
        /// The byte's offset; negative from the end.
        var offset: Int
        var bit: UInt8
        var reason: String
        var testDescription: String { "\(field), byte \(offset)" }
    }

    static let flips: [Flip] = [
        Flip(field: "format version", offset: 0, bit: 0x02, reason: "format version is 3"),
        Flip(field: "identifier length", offset: 1, bit: 0x01, reason: "names a key that is not among the keys"),
        Flip(
            field: "identifier, to another held key", offset: 3, bit: 0x01, reason: "fails authentication under key k0"),
        Flip(field: "identifier, to an unknown key", offset: 2, bit: 0x20, reason: "not among the keys: \"K1\""),
        Flip(field: "nonce", offset: 4, bit: 0x80, reason: "fails authentication under key k1"),
        Flip(field: "nonce", offset: 15, bit: 0x01, reason: "fails authentication"),
        Flip(field: "ciphertext", offset: 16, bit: 0x01, reason: "fails authentication"),
        Flip(field: "ciphertext", offset: -17, bit: 0x40, reason: "fails authentication"),
        Flip(field: "tag", offset: -16, bit: 0x01, reason: "fails authentication"),
        Flip(field: "tag", offset: -1, bit: 0x80, reason: "fails authentication"),
    ]

    @Test(arguments: flips) func aValueWithOneBitFlippedIsRefusedAndRemoved(_ flip: Flip) async throws {
        let keys = EncryptedCache.Keys(current: try Self.key("k1"), previous: [try Self.key("k0")])
        let (cache, wrapped) = try Self.cache(keys)
        try await cache.set("victim", Data("a value of some length".utf8), ttl: .never)
        try await cache.set("bystander", Data("untouched".utf8), ttl: .never)
        var stored = try #require(try await wrapped.get("victim"))
        let offset = flip.offset >= 0 ? flip.offset : stored.count + flip.offset
        stored[offset] ^= flip.bit
        try await wrapped.set("victim", stored, ttl: .never)
        try await Self.expectRefusedAndRemoved(cache, wrapped, "victim", flip.reason)
        #expect(try await cache.get("bystander") == Data("untouched".utf8))
    }

    @Test func aTruncatedOrExtendedValueIsRefusedAndRemoved() async throws {
        let (cache, wrapped) = try Self.cache(.init(current: Self.key("k1")))
        try await cache.set("k", Data("twelve bytes".utf8), ttl: .never)
        let stored = try #require(try await wrapped.get("k"))
        // Header 4 bytes, nonce 12, ciphertext 12, tag 16.
        let cuts: [(length: Int, reason: String)] = [
            (0, "it is empty"), (1, "shorter than its header"), (3, "shorter than its header, nonce and tag"),
            (4 + 12 + 15, "shorter than its header, nonce and tag"), (stored.count - 1, "fails authentication"),
            (4 + 12 + 16, "fails authentication"),
        ]
        for cut in cuts {
            try await wrapped.set("k", stored.prefix(cut.length), ttl: .never)
            try await Self.expectRefusedAndRemoved(cache, wrapped, "k", cut.reason)
        }
        try await wrapped.set("k", stored + Data([0]), ttl: .never)
        try await Self.expectRefusedAndRemoved(cache, wrapped, "k", "fails authentication")
        try await wrapped.set("k", stored, ttl: .never)
        #expect(try await cache.get("k") == Data("twelve bytes".utf8))
    }

    @Test func aValueCopiedUnderAnotherKeyIsRefusedAndRemoved() async throws {
        let (cache, wrapped) = try Self.cache(.init(current: Self.key("k1")))
        try await cache.set("user:alice", Data("alice's answer".utf8), ttl: .never)
        try await cache.set("user:bob", Data("bob's answer".utf8), ttl: .never)
        try await wrapped.set("user:bob", try #require(try await wrapped.get("user:alice")), ttl: .never)
        try await Self.expectRefusedAndRemoved(cache, wrapped, "user:bob", "stored under another cache key")
        #expect(try await cache.get("user:alice") == Data("alice's answer".utf8))
        // Keys that differ only in their scalars' composition are other keys.
        try await cache.set("caf\u{E9}", Data("composed".utf8), ttl: .never)
        try await wrapped.set("cafe\u{301}", try #require(try await wrapped.get("caf\u{E9}")), ttl: .never)
        try await Self.expectRefusedAndRemoved(cache, wrapped, "cafe\u{301}", "fails authentication")
    }

    @Test func aValueOfAKeyNotHeldIsRefusedAndRemoved() async throws {
        let wrapped = try AutoCache(maxSize: 100)
        let writer = try EncryptedCache(wrapping: wrapped, keys: .init(current: Self.key("retired")))
        try await writer.set("k", Data("secret answer".utf8), ttl: .never)
        let reader = try EncryptedCache(wrapping: wrapped, keys: .init(current: Self.key("k2", Self.otherSecret)))
        try await Self.expectRefusedAndRemoved(reader, wrapped, "k", "not among the keys: \"retired\"")
        // The same identifier with other bytes: the value does not authenticate.
        try await writer.set("k", Data("secret answer".utf8), ttl: .never)
        let impostor = try EncryptedCache(
            wrapping: wrapped, keys: .init(current: Self.key("retired", Self.otherSecret)))
        try await Self.expectRefusedAndRemoved(impostor, wrapped, "k", "fails authentication under key retired")
    }

    @Test func plainValuesOfTheWrappedAdapterAreRefused() async throws {
        let (cache, wrapped) = try Self.cache(.init(current: Self.key("k1")))
        try await wrapped.set("k", Data("{\"name\": \"plain JSON, written before encryption\"}".utf8), ttl: .never)
        try await Self.expectRefusedAndRemoved(cache, wrapped, "k", "format version is 123")
    }

    // MARK: Keys

    @Test func rotatesKeys() async throws {
        let wrapped = try AutoCache(maxSize: 100)
        let old = try Self.key("2024-12")
        let new = try Self.key("2025-01", Self.otherSecret)
        let before = try EncryptedCache(wrapping: wrapped, keys: .init(current: old))
        try await before.set("written before", Data("old".utf8), ttl: .never)
        let after = try EncryptedCache(wrapping: wrapped, keys: .init(current: new, previous: [old]))
        #expect(try await after.get("written before") == Data("old".utf8), "values of a previous key still read")
        try await after.set("written after", Data("new".utf8), ttl: .never)
        let stored = try #require(try await wrapped.get("written after"))
        #expect(Array(stored[2..<9]) == Array("2025-01".utf8), "new values use the current key")
        #expect(try await after.get("written after") == Data("new".utf8))
        // Once the old key is dropped, what it encrypted is refused (and removed); the new values read.
        let onlyNew = try EncryptedCache(wrapping: wrapped, keys: .init(current: new))
        #expect(try await onlyNew.get("written after") == Data("new".utf8))
        try await Self.expectRefusedAndRemoved(onlyNew, wrapped, "written before", "not among the keys: \"2024-12\"")
    }

    @Test func refusesKeysOfTheWrongShape() throws {
        for length in [0, 16, 31, 33, 64] {
            let error = #expect(throws: CacheError.self) {
                try EncryptionKey(identifier: "k", bytes: [UInt8](repeating: 0xA5, count: length))
            }
            #expect(error?.code == .invalidConfiguration)
            #expect(
                error?.message.contains("must be 32 bytes long (AES-256), got \(length)") == true,
                "\(String(describing: error))")
        }
        for identifier in ["", String(repeating: "x", count: 256)] {
            let error = #expect(throws: CacheError.self) {
                try EncryptionKey(identifier: identifier, bytes: Self.secret)
            }
            #expect(error?.code == .invalidConfiguration)
        }
        #expect(throws: Never.self) {
            try EncryptionKey(identifier: String(repeating: "x", count: 255), bytes: Self.secret)
        }
        let twice = #expect(throws: CacheError.self) {
            try EncryptedCache(
                wrapping: RecordingAdapter(),
                keys: .init(
                    current: Self.key("same"), previous: [Self.key("other"), Self.key("same", Self.otherSecret)]))
        }
        #expect(twice?.code == .invalidConfiguration)
        #expect(twice?.message.contains("distinct identifiers") == true)
    }

    @Test func derivesTenantKeysWithHKDF() async throws {
        let master = try Self.key("master-2025")
        let acme = try master.derivedKey(forTenant: "acme")
        let globex = try master.derivedKey(forTenant: "globex", identifier: "globex-2025")
        // Python's cryptography: HKDF(SHA256(), 32, salt=None, info=b"structuredcache/tenant-key/v1:acme")
        // .derive(bytes(range(0xA0, 0xC0))); and the same for globex.
        #expect(acme.secret == AESGCM.bytes(hex: "40f24bfb7eaaf652f65f356babe31eebe02387c9cbcab674c5a880077fbfee38"))
        #expect(globex.secret == AESGCM.bytes(hex: "67b69b22cf0bfa7be4b5833fd7ba6a0f5820422b38347dcba5c1407590e956d1"))
        #expect(acme.identifier == "master-2025", "the tenant's name is not written into the values")
        #expect(globex.identifier == "globex-2025")
        #expect(try master.derivedKey(forTenant: "acme").secret == acme.secret)
        #expect(try master.derivedKey(forTenant: "acme ").secret != acme.secret)
        // One tenant's cache cannot read another's values, even under the same identifier.
        let wrapped = try AutoCache(maxSize: 100)
        let acmeCache = try EncryptedCache(wrapping: wrapped, keys: .init(current: acme))
        let initech = try EncryptedCache(
            wrapping: wrapped, keys: .init(current: master.derivedKey(forTenant: "initech")))
        try await acmeCache.set("shared key", Data("acme's answer".utf8), ttl: .never)
        #expect(try await acmeCache.get("shared key") == Data("acme's answer".utf8))
        try await Self.expectRefusedAndRemoved(initech, wrapped, "shared key", "fails authentication")
    }

    @Test func keysNeverShowInText() async throws {
        let master = try Self.key("visible-id")
        let tenant = try master.derivedKey(forTenant: "acme", identifier: "visible-tenant")
        let keys = EncryptedCache.Keys(current: tenant, previous: [master])
        let (cache, wrapped) = try Self.cache(keys)
        try await cache.set("k", Data("v".utf8), ttl: .never)
        var tampered = try #require(try await wrapped.get("k"))
        tampered[tampered.count - 1] ^= 1
        try await wrapped.set("k", tampered, ttl: .never)
        let corrupt = await Self.failure { _ = try await cache.get("k") }
        let wrongLength = await Self.failure {
            _ = try EncryptionKey(identifier: "short", bytes: Self.secret.prefix(16))
        }
        var texts = [
            master.description, master.debugDescription, String(describing: master), String(reflecting: master),
            "\(tenant)", "\(keys)", String(reflecting: keys), cache.description, String(reflecting: cache),
            String(describing: corrupt), String(describing: wrongLength), corrupt?.message ?? "",
        ]
        for value in [master, tenant] as [Any] + [keys, cache] as [Any] {
            var dumped = ""
            dump(value, to: &dumped)
            texts.append(dumped)
        }
        #expect(texts.contains { $0.contains("visible-id") }, "the identifier does show")
        #expect(
            cache.description
                == "EncryptedCache(wrapping: AutoCache, keys: Keys(current: visible-tenant, previous: [visible-id]))")
        for secret in [Self.secret, tenant.secret] {
            let forms = [
                secret.map { String(format: "%02x", $0) }.joined(), secret.map { String(format: "%02X", $0) }.joined(),
                Data(secret).base64EncodedString(),
            ]
            for text in texts {
                for form in forms {
                    #expect(!text.contains(form), "a key shows in: \(text)")
                }
                // In decimal, however separated (a list, a dump's lines): no four of its bytes in a row.
                let numbers = Self.decimalNumbers(in: text)
                let shown = numbers.indices.contains { numbers[$0...].starts(with: secret.prefix(4).map(Int.init)) }
                #expect(!shown, "a key shows in decimal in: \(text)")
            }
        }
    }

    /// The runs of decimal digits in `text`, as numbers, in order.
    static func decimalNumbers(in text: String) -> [Int] {
        text.split(whereSeparator: { !$0.isASCII || !$0.isNumber }).compactMap { Int($0) }
    }

    // MARK: With TieredCache

    @Test func promotesWithTheTimeLeftOrThePromotionTTL() async throws {
        let clock = ManualClock()
        let front = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        // Over an AutoCache, the time a value has left is known, and a promoted copy keeps it.
        let slow = try EncryptedCache(
            wrapping: AutoCache(maxSize: 10, configuration: .init(clock: clock)), keys: .init(current: Self.key("k1")))
        let tiered = try TieredCache([front, slow], promotionTTL: .seconds(600))
        try await slow.set("k", Data("v".utf8), ttl: .seconds(10))
        clock.advance(by: .seconds(4))
        #expect(try await tiered.get("k") == Data("v".utf8))
        #expect(try await front.get("k") == Data("v".utf8), "promoted, in the clear, to the memory tier")
        clock.advance(by: .seconds(7))
        #expect(try await front.get("k") == nil, "the copy expired with the value")
        // Over an adapter that cannot tell, the copy lives for the promotion TTL, not for ever.
        let front2 = try AutoCache(maxSize: 10, configuration: .init(clock: clock))
        let opaque = try EncryptedCache(wrapping: RecordingAdapter(), keys: .init(current: Self.key("k1")))
        let tiered2 = try TieredCache([front2, opaque], promotionTTL: .seconds(5))
        try await opaque.set("k", Data("v".utf8), ttl: .never)
        #expect(try await tiered2.get("k") == Data("v".utf8))
        #expect(try await front2.get("k") == Data("v".utf8))
        clock.advance(by: .seconds(6))
        #expect(try await front2.get("k") == nil, "the copy lived for the promotion TTL")
    }

    // MARK: With the client

    @Test func theClientReportsATamperedValueAsAnErrorAndAMissAndReplacesIt() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "User", arguments: #"{"name": "Jason"}"#)) { server in
            let recording = RecordingAdapter(try AutoCache(maxSize: 10))
            let cache = try EncryptedCache(wrapping: recording, keys: .init(current: Self.key("k1")))
            let events = Mutex<[CacheEvent]>([])
            let client = StructuredClient(
                provider: OpenAIProvider(
                    baseURL: server.baseURL, apiKey: "sk-test",
                    configuration: .init(initialRetryDelay: .milliseconds(5))),
                cache: cache,
                configuration: .init(
                    defaultModel: "gpt-test", onEvent: { event in events.withLock { $0.append(event) } }))
            let messages: [ChatMessage] = [.user("Extract: Jason")]
            #expect(try await client.create(messages: messages, responseModel: User.self) == User(name: "Jason"))
            #expect(server.requestCount == 1)
            guard case .set(let key, _) = try #require(recording.calls.last) else {
                Issue.record("the answer was not stored: \(recording.calls)")
                return
            }
            var tampered = try #require(try await recording.wrapped.get(key))
            tampered[tampered.count / 2] ^= 0x10
            try await recording.wrapped.set(key, tampered, ttl: .never)
            events.withLock { $0.removeAll() }
            let callsBefore = recording.calls.count

            #expect(try await client.create(messages: messages, responseModel: User.self) == User(name: "Jason"))
            #expect(server.requestCount == 2, "the provider was asked again")
            let seen = events.withLock { $0 }
            #expect(seen.map(\.kind) == [.error, .miss, .store])
            #expect((seen.first?.error as? CacheError)?.code == .corruptEntry)
            #expect(seen.allSatisfy { $0.adapter == "EncryptedCache" })
            // Read, removed, then replaced by the new answer.
            #expect(
                Array(recording.calls[callsBefore...]).map { call -> String in
                    switch call {
                    case .get: "get"
                    case .set: "set"
                    case .remove: "remove"
                    case .removeAll: "removeAll"
                    }
                } == ["get", "remove", "set"])
            let replaced = try #require(try await recording.wrapped.get(key))
            #expect(replaced != tampered)
            #expect(try await cache.get(key) != nil)
            #expect(try await client.create(messages: messages, responseModel: User.self) == User(name: "Jason"))
            #expect(server.requestCount == 2, "the replaced value is a hit")
            #expect(client.statistics.errors == 1 && client.statistics.hits == 1)
            let text = seen.map(\.description).joined(separator: "\n")
            #expect(!text.contains(Self.secret.map { String(format: "%02x", $0) }.joined()))
        }
    }
}

/// An adapter that shares calls as a Redis would, in memory: a claim on a key that holds a value returns it,
/// any other takes the lease; renewals and releases are recorded.
private final class SharingAdapter: SharedFlightCacheAdapter {
    let values: AutoCache
    let leases = Mutex<[String]>([])

    init() throws { values = try AutoCache(maxSize: 100) }

    func get(_ key: String) async throws -> Data? { try await values.get(key) }
    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws { try await values.set(key, value, ttl: ttl) }
    func remove(_ key: String) async throws { try await values.remove(key) }
    func removeAll() async throws { try await values.removeAll() }

    func claim(_ key: String, lease: Duration, wait: Duration, readsStoredValue: Bool) async throws -> CacheClaim {
        if readsStoredValue, let value = try await values.get(key) { return .stored(value) }
        return .leased(CacheLease(key: key, token: "token"))
    }

    func renew(_ lease: CacheLease, for duration: Duration) async throws -> Bool {
        leases.withLock { $0.append("renew \(lease.key)") }
        return true
    }

    func release(_ lease: CacheLease, stored: Bool) async throws {
        leases.withLock { $0.append("release \(lease.key) \(stored)") }
    }
}

extension EncryptedCacheTests {
    @Test func sharesCallsThroughTheWrappedAdapterAndDecryptsWhatOthersStored() async throws {
        let sharing = try SharingAdapter()
        let cache = try EncryptedCache(wrapping: sharing, keys: .init(current: Self.key("k1")))
        #expect(cache.sharesFlights)
        try await cache.set("answered", Data("another process's answer".utf8), ttl: .never)
        guard
            case .stored(let value) = try await cache.claim(
                "answered", lease: .seconds(1), wait: .seconds(1), readsStoredValue: true)
        else {
            Issue.record("a stored value did not end the wait")
            return
        }
        #expect(value == Data("another process's answer".utf8), "decrypted")
        guard
            case .leased(let lease) = try await cache.claim(
                "new", lease: .seconds(1), wait: .seconds(1), readsStoredValue: true)
        else {
            Issue.record("a key without a value was not leased")
            return
        }
        #expect(try await cache.renew(lease, for: .seconds(1)))
        try await cache.release(lease, stored: true)
        #expect(sharing.leases.withLock { $0 } == ["renew new", "release new true"])
        // What another process stored and was since altered is refused, and removed.
        var stored = try #require(try await sharing.values.get("answered"))
        stored[stored.count - 1] ^= 1
        try await sharing.values.set("answered", stored, ttl: .never)
        let error = await Self.failure {
            _ = try await cache.claim("answered", lease: .seconds(1), wait: .seconds(1), readsStoredValue: true)
        }
        #expect(error?.code == .corruptEntry)
        #expect(try await sharing.values.get("answered") == nil)
        // Over an adapter that shares nothing, nothing is shared.
        let alone = try EncryptedCache(wrapping: AutoCache(maxSize: 10), keys: .init(current: Self.key("k1")))
        #expect(!alone.sharesFlights)
        let unsupported = await Self.failure {
            _ = try await alone.claim("k", lease: .seconds(1), wait: .seconds(1), readsStoredValue: true)
        }
        #expect(unsupported?.code == .unsupported)
    }
}

/// EncryptedCache over a real Redis shared by several clients, each with a cache of its own as another
/// process would have: identical misses still make one provider call, and Redis holds only ciphertext.
@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"),
    .timeLimit(.minutes(2)))
struct EncryptedCacheSharedFlightTests {
    @Test func clientsOverEncryptedRedisCachesMakeOneCallPerQuestion() async throws {
        try await RedisServerProcess.with { redis in
            try await LocalChatServer.with(handler: SharedFlightTests.answering(after: .milliseconds(300))) { server in
                let redisCaches = try (0..<3).map { _ in try SharedFlightTests.redisCache(redis.url) }
                defer { redisCaches.forEach { $0.shutdown() } }
                let key = try EncryptionKey(identifier: "k1", bytes: EncryptedCacheTests.secret)
                let caches = try redisCaches.map { try EncryptedCache(wrapping: $0, keys: .init(current: key)) }
                #expect(caches.allSatisfy { $0.sharesFlights })
                let clients = caches.map { SharedFlightTests.client(server, $0) }
                let wrong = try await SharedFlightTests.askEverything(clients, tasks: 5, questions: 10)
                #expect(wrong.isEmpty, "\(wrong.prefix(3))")
                #expect(server.requestCount == 10, "\(server.requestCount) provider calls for 10 questions")
                #expect(clients.map(\.statistics.awaitedAnswers).reduce(0, +) > 0)
                // Redis holds the answers encrypted.
                let stored = try #require(
                    try await redisCaches[0].get(
                        clients[0].cacheKey(messages: [.user("q-3")], responseModel: SharedFlightTests.Answer.self)))
                #expect(stored.first == 1 && stored.range(of: Data("q-3".utf8)) == nil)
            }
        }
    }
}
