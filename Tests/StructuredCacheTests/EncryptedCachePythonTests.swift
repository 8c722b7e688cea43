// EncryptedCache against Python's `cryptography` package on a generated table: values the cache wrote
// open in Python by the documented format alone, values Python wrote open in the cache, and tenant keys
// derive the same. Skipped, with a message, where python3 or the package is missing.

import Foundation
import Testing

@testable import StructuredCacheStorage

/// The `python3` that the cross-checks run, when it has the `cryptography` package.
enum PythonCryptography {
    /// `python3` on `PATH`, when it imports `cryptography`'s AES-GCM and HKDF.
    static let executable: URL? = {
        guard let python = RedisServerProcess.find("python3") else {
            print("⚠️  python3 not found on PATH: the EncryptedCache cross-checks with Python are skipped.")
            return nil
        }
        let imports =
            "from cryptography.hazmat.primitives.ciphers.aead import AESGCM; "
            + "from cryptography.hazmat.primitives.kdf.hkdf import HKDF"
        guard let probe = try? ChildProcess(python.path, ["-c", imports]), probe.waitUntilExit() == .exited(0) else {
            print(
                "⚠️  python3 has no cryptography package: the EncryptedCache cross-checks with Python are skipped "
                    + "(pip install cryptography).")
            return nil
        }
        return python
    }()

    /// Whether the cross-checks can run.
    static var isAvailable: Bool { executable != nil }

    /// The script: reads the table (a JSON file), decrypts the cache's values by the documented format,
    /// encrypts its own, derives tenant keys, and prints the results as one JSON object.
    static let script = """
        import json, os, sys
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        with open(sys.argv[1], encoding="utf-8") as table_file:
            table = json.load(table_file)
        result = {"opened": [], "sealed": [], "tenants": []}
        for row in table["fromSwift"]:
            stored = bytes.fromhex(row["stored"])
            assert stored[0] == 1, "format version"
            n = stored[1]
            header, nonce, sealed = stored[:2 + n], stored[2 + n:14 + n], stored[14 + n:]
            value = AESGCM(bytes.fromhex(row["secret"])).decrypt(nonce, sealed, header + row["cacheKey"].encode("utf-8"))
            result["opened"].append({"identifier": stored[2:2 + n].decode("utf-8"), "value": value.hex()})
        for row in table["fromPython"]:
            identifier = row["identifier"].encode("utf-8")
            header = bytes([1, len(identifier)]) + identifier
            nonce = os.urandom(12)
            sealed = AESGCM(bytes.fromhex(row["secret"])).encrypt(
                nonce, bytes.fromhex(row["value"]), header + row["cacheKey"].encode("utf-8"))
            result["sealed"].append((header + nonce + sealed).hex())
        for row in table["tenants"]:
            info = b"structuredcache/tenant-key/v1:" + row["tenant"].encode("utf-8")
            derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(bytes.fromhex(row["master"]))
            result["tenants"].append(derived.hex())
        print(json.dumps(result))
        """
}

@Suite(
    .enabled(
        if: PythonCryptography.isAvailable,
        "python3 with the cryptography package is not installed; the Python cross-checks are skipped"),
    .timeLimit(.minutes(1))
)
struct EncryptedCachePythonTests {
    struct Row: Codable {
        var secret: String
        var identifier: String
        var cacheKey: String
        var value: String
        var stored: String?
    }

    struct Tenant: Codable {
        var master: String
        var tenant: String
    }

    struct Table: Codable {
        var fromSwift: [Row]
        var fromPython: [Row]
        var tenants: [Tenant]
    }

    struct Opened: Codable {
        var identifier: String
        var value: String
    }

    struct Result: Codable {
        var opened: [Opened]
        var sealed: [String]
        var tenants: [String]
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// Runs the script on `table`.
    static func runPython(_ table: Table) throws -> Result {
        let python = try #require(PythonCryptography.executable)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sc-encrypted-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONEncoder().encode(table).write(to: file)
        let process = try ChildProcess(
            python.path, ["-c", PythonCryptography.script, file.path], standardOutput: .captured,
            standardError: .captured)
        let output = process.readOutputToEnd()
        let termination = process.waitUntilExit()
        guard termination == .exited(0) else {
            throw PythonFailed(
                description: "python3 ended with \(termination): \(String(decoding: output, as: UTF8.self))")
        }
        return try JSONDecoder().decode(Result.self, from: output)
    }

    struct PythonFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// A generated table: values of many lengths (none, under a block, blocks and tails, 70 kB), keys of
    /// every shape (empty, non-ASCII, composed and decomposed, long), identifiers up to 255 bytes.
    static func generatedRows() -> [Row] {
        var random = SplitMix64(seed: 0x5EED_CAFE)
        let lengths = [0, 1, 12, 15, 16, 17, 31, 64, 1_000, 2_048, 70_001]
        let cacheKeys = [
            "", "k", "caf\u{E9}", "cafe\u{301}", "provider:openai/👍/\u{0}/ключ",
            String(repeating: "long-key/", count: 300),
        ]
        let identifiers = ["k1", "2025-01", "ключ-🔑", String(repeating: "i", count: 255)]
        var rows: [Row] = []
        for (index, length) in lengths.enumerated() {
            for cacheKey in cacheKeys where (index + cacheKey.utf8.count) % 2 == 0 || length == 0 {
                let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }
                let value = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                rows.append(
                    Row(
                        secret: hex(secret), identifier: identifiers[rows.count % identifiers.count],
                        cacheKey: cacheKey,
                        value: hex(value)))
            }
        }
        return rows
    }

    /// An encrypted cache over a fresh AutoCache with the row's key alone.
    static func cache(for row: Row) throws -> (EncryptedCache, AutoCache) {
        let wrapped = try AutoCache(maxSize: 10)
        let key = try EncryptionKey(identifier: row.identifier, bytes: AESGCM.bytes(hex: row.secret))
        return (try EncryptedCache(wrapping: wrapped, keys: .init(current: key)), wrapped)
    }

    @Test func valuesOpenInPythonAndPythonsOpenInTheCache() async throws {
        var fromSwift = Self.generatedRows()
        for index in fromSwift.indices {
            let (cache, wrapped) = try Self.cache(for: fromSwift[index])
            let row = fromSwift[index]
            try await cache.set(row.cacheKey, Data(AESGCM.bytes(hex: row.value)), ttl: .never)
            fromSwift[index].stored = Self.hex(try #require(try await wrapped.get(row.cacheKey)))
        }
        let fromPython = Self.generatedRows().reversed().map { row in
            Row(secret: row.secret, identifier: row.identifier, cacheKey: row.cacheKey, value: row.value)
        }
        let masters = [Self.hex(Array(0xA0...0xBF)), Self.hex([UInt8](repeating: 0, count: 32))]
        let tenants = masters.flatMap { master in
            ["acme", "", "tenant/42", "ключ", String(repeating: "t", count: 1_000)].map {
                Tenant(master: master, tenant: $0)
            }
        }
        let result = try Self.runPython(Table(fromSwift: fromSwift, fromPython: Array(fromPython), tenants: tenants))

        try #require(result.opened.count == fromSwift.count)
        for (row, opened) in zip(fromSwift, result.opened) {
            #expect(opened.value == row.value, "Python opened another value under \(row.cacheKey.prefix(20))")
            #expect(opened.identifier == row.identifier)
        }
        try #require(result.sealed.count == fromPython.count)
        for (row, sealed) in zip(fromPython, result.sealed) {
            let (cache, wrapped) = try Self.cache(for: row)
            try await wrapped.set(row.cacheKey, Data(AESGCM.bytes(hex: sealed)), ttl: .never)
            let value = try await cache.get(row.cacheKey)
            #expect(value.map { Self.hex($0) } == row.value, "the cache opened another value of Python's")
        }
        try #require(result.tenants.count == tenants.count)
        for (tenant, derived) in zip(tenants, result.tenants) {
            let master = try EncryptionKey(identifier: "master", bytes: AESGCM.bytes(hex: tenant.master))
            #expect(
                Self.hex(try master.derivedKey(forTenant: tenant.tenant).secret) == derived, "tenant \(tenant.tenant)")
        }
    }
}
