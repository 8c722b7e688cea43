// Figures for EncryptedCache: sealing and opening one 2 KiB value, beside OpenSSL's own
// `openssl speed -evp aes-256-gcm` run in the same run, and what it adds to a cached `create` hit.

import Foundation
import StructuredCache
import StructuredCacheStorage

func encryptionBenchmarks() async throws {
    let value = Data((0..<2_048).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
    let key = try EncryptionKey(identifier: "2025-01", bytes: (0..<32).map { UInt8($0) })
    let cache = try EncryptedCache(wrapping: try AutoCache(maxSize: 1_000), keys: .init(current: key))
    // A client's key: 64 hexadecimal digits.
    let cacheKey = String(repeating: "5e", count: 32)

    Harness.section("EncryptedCache, one 2 KiB value")
    let stored = try cache.sealed(value, under: cacheKey)
    let seal = try Harness.measure("seal: header, random nonce, AES-256-GCM, tag", iterations: 100_000) { _ in
        Harness.blackHole(try cache.sealed(value, under: cacheKey))
    }
    let open = try Harness.measure("open: header, AES-256-GCM, tag check", iterations: 100_000) { _ in
        Harness.blackHole(try cache.open(stored, under: cacheKey))
    }
    let cipher = try cipherAlone(value)

    Harness.section("Against OpenSSL's own loop (openssl speed -evp aes-256-gcm, same run)")
    let ours = (seal.nanosecondsPerOperation + open.nanosecondsPerOperation) / 1e3
    if let rates = opensslSpeed() {
        for size in [1_024, 8_192] {
            guard let rate = rates[size] else { continue }
            // OpenSSL encrypts each block in place with one context, keyed once: the cipher's cost alone.
            let reference = 2 * 2_048 / rate * 1e6
            let name = "seal + open, 2 KiB (openssl's \(size)-byte column)"
            Harness.record(
                name: name, ours: ours, reference: reference, referenceName: "openssl speed", unit: "µs",
                ratio: reference / ours)
            print(
                "\(name.padding(toLength: 58, withPad: " ", startingAt: 0)) ours \(String(format: "%7.3f", ours)) µs"
                    + "   openssl \(String(format: "%7.3f", reference)) µs   ours ×\(String(format: "%.2f", ours / reference))"
                    + "   (cipher alone ×\(String(format: "%.2f", cipher / 1e3 / reference)))")
        }
    }

    try await hitBenchmarks()
}

/// Times AES-256-GCM alone on 2 KiB, sealing and opening with one prepared key into buffers made once;
/// nanoseconds per pair.
private func cipherAlone(_ value: Data) throws -> Double {
    let cipher = try AESGCM.get()
    let key = cipher.prepare([UInt8](repeating: 7, count: AESGCM.keyByteCount))
    let nonce = [UInt8](repeating: 9, count: AESGCM.nonceByteCount)
    let header = [UInt8](repeating: 1, count: 9)
    let associated = [UInt8](repeating: 0x35, count: 64)
    var ciphertext = [UInt8](repeating: 0, count: value.count)
    var tag = [UInt8](repeating: 0, count: AESGCM.tagByteCount)
    var plaintext = [UInt8](repeating: 0, count: value.count)
    let pair = try Harness.measure("AES-256-GCM alone: seal + open, buffers made once", iterations: 100_000) { _ in
        try value.withUnsafeBytes { value in
            try nonce.withUnsafeBytes { nonce in
                try header.withUnsafeBytes { header in
                    try associated.withUnsafeBytes { associated in
                        try ciphertext.withUnsafeMutableBytes { ciphertext in
                            try tag.withUnsafeMutableBytes { tag in
                                try cipher.seal(
                                    value, key: key, nonce: nonce, authenticating: header, associated, into: ciphertext,
                                    tag: tag)
                                try plaintext.withUnsafeMutableBytes { plaintext in
                                    let authentic = try cipher.open(
                                        UnsafeRawBufferPointer(ciphertext), key: key, nonce: nonce,
                                        tag: UnsafeRawBufferPointer(tag), authenticating: header, associated,
                                        into: plaintext)
                                    precondition(authentic)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    return pair.nanosecondsPerOperation
}

/// `openssl speed -evp aes-256-gcm` (one second per block size, machine-readable): bytes per second by
/// block size, or `nil` (with a note printed) when it cannot be run.
private func opensslSpeed() -> [Int: Double]? {
    guard let openssl = findExecutable("openssl") else {
        print("(openssl speed not run: no openssl on PATH)")
        return nil
    }
    guard let text = outputWithSignalsUnblocked(openssl.path, ["speed", "-evp", "aes-256-gcm", "-seconds", "1", "-mr"])
    else {
        print("(openssl speed could not be started)")
        return nil
    }
    // `+H:16:64:…` names the block sizes; `+F:<n>:AES-256-GCM:<bytes/s>:…` gives a rate for each.
    let lines = text.split(separator: "\n")
    guard
        let sizes = lines.first(where: { $0.hasPrefix("+H:") })?.split(separator: ":").dropFirst().compactMap({
            Int($0)
        }),
        let rates = lines.first(where: { $0.hasPrefix("+F:") })?.split(separator: ":").dropFirst(3).compactMap({
            Double($0)
        }),
        sizes.count == rates.count, !sizes.isEmpty
    else {
        print("(openssl speed printed no rates)")
        return nil
    }
    print(
        "openssl speed -evp aes-256-gcm: \(zip(sizes, rates).map { "\($0) B \(String(format: "%.0f", $1 / 1e6)) MB/s" }.joined(separator: ", "))"
    )
    return Dictionary(uniqueKeysWithValues: zip(sizes, rates))
}

/// The cached `create` of the client suite over AutoCache, without and with EncryptedCache in front of it
/// (goal: under 10% added), each measured three times in turn and the fastest kept.
private func hitBenchmarks() async throws {
    let key = try EncryptionKey(identifier: "2025-01", bytes: (0..<32).map { UInt8($0) })
    let one: [ChatMessage] = [.user("Extract: Jason")]
    let six = try realisticMessages().map(ChatMessage.init(json:))
    let person =
        #"{"name": "Jason", "age": 25, "email": null, "tags": ["a", "b"], "address": {"street": "1 Main St", "city": "Paris", "country": "FR"}, "score": 0.5, "active": true, "nickname": null}"#
    func clients(_ arguments: String) throws -> [(name: String, client: StructuredClient)] {
        let plain = try AutoCache(maxSize: 1_000)
        let encrypted = try EncryptedCache(wrapping: try AutoCache(maxSize: 1_000), keys: .init(current: key))
        return [("AutoCache", plain), ("EncryptedCache over AutoCache", encrypted)].map { name, cache in
            (
                name,
                StructuredClient(
                    provider: CannedProvider(arguments: arguments), cache: cache,
                    configuration: .init(defaultModel: "gpt-4.1-mini"))
            )
        }
    }
    let cases: [(label: String, messages: [ChatMessage], arguments: String, iterations: Int, large: Bool)] = [
        ("one message, User", one, #"{"name": "Jason"}"#, 20_000, false),
        ("six 2 KB messages, Person (8 fields)", six, person, 5_000, true),
    ]
    for test in cases {
        Harness.section("StructuredClient.create, cache hit, \(test.label): without and with EncryptedCache")
        let pair = try clients(test.arguments)
        var best: [String: Double] = [:]
        for (_, client) in pair {
            if test.large {
                _ = try await client.create(messages: test.messages, responseModel: Bench.Person.self)
            } else {
                _ = try await client.create(messages: test.messages, responseModel: Bench.User.self)
            }
        }
        for round in 0..<3 {
            for (name, client) in pair {
                let measured = try await Harness.measureAsync(
                    "\(name) (round \(round + 1))", iterations: test.iterations
                ) { _ in
                    if test.large {
                        Harness.blackHole(
                            try await client.create(messages: test.messages, responseModel: Bench.Person.self))
                    } else {
                        Harness.blackHole(
                            try await client.create(messages: test.messages, responseModel: Bench.User.self))
                    }
                }
                best[name] = min(best[name] ?? .infinity, measured.nanosecondsPerOperation)
            }
        }
        // The read alone, of the envelope the hits read: what decrypting it costs.
        for (name, client) in pair {
            let key =
                test.large
                ? try client.cacheKey(messages: test.messages, responseModel: Bench.Person.self)
                : try client.cacheKey(messages: test.messages, responseModel: Bench.User.self)
            guard let adapter = client.cache, let stored = try await adapter.get(key) else {
                fatalError("the benchmark's answer is not stored")
            }
            _ = try await Harness.measureAsync("get alone, \(name), \(stored.count) B", iterations: 100_000) { _ in
                Harness.blackHole(try await adapter.get(key))
            }
        }
        guard pair.allSatisfy({ $0.client.statistics.misses == 1 }) else {
            fatalError("the benchmark missed the cache: \(pair.map { $0.client.statistics })")
        }
        let plain = best["AutoCache"]!
        let encrypted = best["EncryptedCache over AutoCache"]!
        Harness.record(
            name: "create hit, \(test.label), EncryptedCache over AutoCache", ours: encrypted / 1e3,
            reference: plain / 1e3,
            referenceName: "AutoCache alone", unit: "µs", ratio: plain / encrypted, target: 1 / 1.1)
        print(
            "EncryptedCache adds \(String(format: "%.3f", (encrypted - plain) / 1e3)) µs per hit: "
                + "+\(String(format: "%.1f", (encrypted / plain - 1) * 100))% (goal: under 10%)")
    }
}

/// Runs `executable` and returns what it writes to its standard output (its standard error is discarded).
///
/// Started with `posix_spawn` and every signal unblocked: a child inherits the signal mask of the thread
/// that starts it, and the threads of Swift's pool block SIGALRM, by which `openssl speed` ends each test.
private func outputWithSignalsUnblocked(_ executable: String, _ arguments: [String]) -> String? {
    var actions = posix_spawn_file_actions_t()
    var attributes = posix_spawnattr_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var ends: [Int32] = [-1, -1]
    guard ends.withUnsafeMutableBufferPointer({ pipe($0.baseAddress!) }) == 0 else { return nil }
    posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
    posix_spawn_file_actions_addclose(&actions, ends[0])
    posix_spawn_file_actions_addclose(&actions, ends[1])
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var signals = sigset_t()
    sigemptyset(&signals)
    posix_spawnattr_setsigmask(&attributes, &signals)
    sigfillset(&signals)
    posix_spawnattr_setsigdefault(&attributes, &signals)
    posix_spawnattr_setflags(
        &attributes, Int16(truncatingIfNeeded: Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
    let argv = ([executable] + arguments).map { strdup($0) }
    let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
    defer { (argv + environment).forEach { free($0) } }
    var child: pid_t = 0
    let started = posix_spawn(&child, executable, &actions, &attributes, argv + [nil], environment + [nil])
    close(ends[1])
    let output = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
    guard started == 0 else { return nil }
    let text = String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
    var status: Int32 = 0
    while waitpid(child, &status, 0) < 0 && errno == EINTR {}
    return text
}
