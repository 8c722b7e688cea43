// Figures for the key: SHA-256 throughput (hardware and portable), JSON writing, and makeCacheKey,
// beside Instructor's make_cache_key measured by Benchmarks/python/key_bench.py in the same run.

import Foundation
import StructuredCache
import StructuredCacheCore
import StructuredCacheSupport

/// Six messages of about 2 KB each, as Benchmarks/python/key_bench.py builds them.
func realisticMessages() -> [JSONValue] {
    let roles = ["system", "user", "assistant", "user", "assistant", "user"]
    let sentence = "The quick brown fox jumps over the lazy dog. Caf\u{E9} r\u{E9}sum\u{E9} na\u{EF}ve \u{2014} ok. "
    return roles.enumerated().map { index, role in
        let content = String(("Message \(index): " + String(repeating: sentence, count: 40)).prefix(2000))
        return ["role": .string(role), "content": .string(content)]
    }
}

/// The schema pydantic writes for the 8-field Person model of Benchmarks/python/key_bench.py.
let personSchemaText = """
    {"$defs": {"Address": {"properties": {"street": {"title": "Street", "type": "string"}, "city": {"title": "City", \
    "type": "string"}, "country": {"title": "Country", "type": "string"}}, "required": ["street", "city", "country"], \
    "title": "Address", "type": "object"}}, "properties": {"name": {"title": "Name", "type": "string"}, "age": \
    {"title": "Age", "type": "integer"}, "email": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, \
    "title": "Email"}, "tags": {"items": {"type": "string"}, "title": "Tags", "type": "array"}, "address": {"$ref": \
    "#/$defs/Address"}, "score": {"title": "Score", "type": "number"}, "active": {"title": "Active", "type": "boolean"}, \
    "nickname": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null, "title": "Nickname"}}, "required": \
    ["name", "age", "tags", "address", "score", "active"], "title": "Person", "type": "object"}
    """

/// SHA-256 throughput of each implementation, in MB/s.
@discardableResult
func shaBenchmarks() -> [String: Double] {
    Harness.section("SHA-256 throughput (1 MiB and 2 KiB messages)")
    let mebibyte = [UInt8](repeating: 0x61, count: 1 << 20)
    let small = [UInt8](repeating: 0x61, count: 2048)
    var sha: [String: Double] = [:]
    for (label, implementation) in [("hardware", SHA256.Implementation.hardware), ("portable", .portable)] {
        if implementation == .hardware && SHA256.Implementation.best != .hardware {
            print("hardware: this CPU has no SHA instructions; skipped")
            continue
        }
        let big = Harness.measure("SHA256 \(label) 1 MiB", iterations: 40) { _ in
            var function = SHA256(implementation: implementation)
            function.update(data: mebibyte)
            Harness.blackHole(function.finalize())
        }
        let megabytesPerSecond = Double(1 << 20) / big.nanosecondsPerOperation * 1e3
        sha[label] = megabytesPerSecond
        print("    → \(String(format: "%.0f", megabytesPerSecond)) MB/s")
        let little = Harness.measure("SHA256 \(label) 2 KiB", iterations: 20_000) { _ in
            var function = SHA256(implementation: implementation)
            function.update(data: small)
            Harness.blackHole(function.finalize())
        }
        print("    → \(String(format: "%.0f", 2048 / little.nanosecondsPerOperation * 1e3)) MB/s")
    }
    return sha
}

/// Swift twins of the models of Benchmarks/python/key_bench.py (a namespace, so the titles match).
enum Bench {
    struct User: Codable { var name: String }

    struct Address: Codable {
        var street: String
        var city: String
        var country: String
    }

    /// The 8-field model: a nested type, a list, two optionals.
    struct Person: Codable {
        var name: String
        var age: Int
        var email: String?
        var tags: [String]
        var address: Address
        var score: Double
        var active: Bool
        var nickname: String?
    }
}

/// The schema figures: the first walk of a type, and the cached lookup after it.
func schemaBenchmarks() throws -> (first: Measurement, cached: Measurement) {
    Harness.section("jsonSchema(for:) of an 8-field type with a nested type and a list")
    let schema = try jsonSchema(for: Bench.Person.self)
    guard schema.jsonString(.python) == personSchemaText else {
        fatalError("the benchmark type's schema differs from pydantic's: \(schema.jsonString(.python))")
    }
    let first = try Harness.measure("first computation (walks the type)", iterations: 2_000) { _ in
        Harness.blackHole(try uncachedJSONSchema(for: Bench.Person.self))
    }
    let cached = try Harness.measure("cached lookup", iterations: 1_000_000) { _ in
        Harness.blackHole(try jsonSchema(for: Bench.Person.self))
    }
    return (first, cached)
}

func keyBenchmarks() async throws {
    let sha = shaBenchmarks()

    Harness.section("makeCacheKey with a ready schema")
    let userSchema: JSONValue = [
        "properties": ["name": ["title": "Name", "type": "string"]], "required": ["name"], "title": "User",
        "type": "object",
    ]
    let one: [JSONValue] = [["role": "user", "content": "hello"]]
    let six = realisticMessages()
    let personSchema = try JSONValue(parsing: personSchemaText)
    let oneKey = Harness.measure("makeCacheKey one message (User)", iterations: 200_000) { _ in
        Harness.blackHole(makeCacheKey(messages: one, model: "gpt-4.1-mini", schema: userSchema, mode: "TOOLS"))
    }
    let sixKey = Harness.measure("makeCacheKey six 2 KB messages (Person, 8 fields)", iterations: 20_000) { _ in
        Harness.blackHole(makeCacheKey(messages: six, model: "gpt-4.1-mini", schema: personSchema, mode: "TOOLS"))
    }
    let payload: JSONValue = [
        "messages": .array(six), "mode": "TOOLS", "model": "gpt-4.1-mini", "schema": personSchema,
    ]
    Harness.measure("  of which JSON writing (six messages)", iterations: 20_000) { _ in
        Harness.blackHole(payload.jsonBytes())
    }
    let payloadBytes = payload.jsonBytes()
    Harness.measure("  of which SHA-256 (\(payloadBytes.count) bytes)", iterations: 100_000) { _ in
        Harness.blackHole(SHA256.hash(data: payloadBytes))
    }
    Harness.measure("JSONValue(parsing:) six 2 KB messages", iterations: 5_000) { _ in
        Harness.blackHole(try! JSONValue(parsing: payloadBytes))
    }

    let oneModel = try Harness.measure("makeCacheKey(responseModel:) one message (User)", iterations: 200_000) { _ in
        Harness.blackHole(
            try makeCacheKey(messages: one, model: "gpt-4.1-mini", responseModel: Bench.User.self, mode: "TOOLS"))
    }
    let sixModel = try Harness.measure("makeCacheKey(responseModel:) six 2 KB messages (Person)", iterations: 20_000) {
        _ in
        Harness.blackHole(
            try makeCacheKey(messages: six, model: "gpt-4.1-mini", responseModel: Bench.Person.self, mode: "TOOLS"))
    }
    let schemas = try schemaBenchmarks()

    Harness.section("Against Instructor 1.16 (Python, same inputs, same run)")
    let python = Harness.runPython("key_bench.py")
    print("(Python figures: µs per call)")
    Harness.compare(
        "key, one message, ready schema", oursMicroseconds: oneKey.nanosecondsPerOperation / 1e3,
        referenceMicroseconds: python["json.dumps+sha256 one message (ready schema)"], reference: "Python dumps+sha256")
    Harness.compare(
        "key, six 2 KB messages, ready schema", oursMicroseconds: sixKey.nanosecondsPerOperation / 1e3,
        referenceMicroseconds: python["json.dumps+sha256 six 2KB messages (ready schema)"],
        reference: "Python dumps+sha256")
    Harness.compare(
        "key from a response model, one message", oursMicroseconds: oneModel.nanosecondsPerOperation / 1e3,
        referenceMicroseconds: python["make_cache_key one message (User)"], reference: "make_cache_key")
    Harness.compare(
        "key from a response model, six 2 KB messages", oursMicroseconds: sixModel.nanosecondsPerOperation / 1e3,
        referenceMicroseconds: python["make_cache_key six 2KB messages (Person, 8 fields)"], reference: "make_cache_key"
    )
    Harness.compare(
        "schema, first computation (8 fields)", oursMicroseconds: schemas.first.nanosecondsPerOperation / 1e3,
        referenceMicroseconds: python["model_json_schema Person (pydantic)"], reference: "model_json_schema")
    if let openssl = python["hashlib.sha256 1 MiB (OpenSSL) MB/s"] {
        for (label, ours) in sha.sorted(by: { $0.key < $1.key }) {
            Harness.record(
                name: "SHA-256 \(label), 1 MiB", ours: ours, reference: openssl, referenceName: "OpenSSL (hashlib)",
                unit: "MB/s", ratio: ours / openssl)
            print(
                "SHA-256 \(label): \(String(format: "%.0f", ours)) MB/s = \(String(format: "%.2f", ours / openssl)) × OpenSSL via hashlib (\(String(format: "%.0f", openssl)) MB/s)"
            )
        }
    }
}
