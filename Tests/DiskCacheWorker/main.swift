// A helper process for DiskCache's multi-process tests: it hammers a shared cache folder and checks every
// value it reads is whole.
//
//     DiskCacheWorker <directory> mixed <worker> <iterations> <keys>    sets and gets; exits 1 on a torn value
//     DiskCacheWorker <directory> write-forever <worker> 0 <keys>       writes large values until killed

import Foundation
import StructuredCache
import WorkerValue

let arguments = CommandLine.arguments
guard arguments.count == 6, let worker = Int(arguments[3]), let iterations = Int(arguments[4]),
    let keys = Int(arguments[5]), keys > 0
else {
    FileHandle.standardError.write(
        Data("usage: DiskCacheWorker <directory> <mode> <worker> <iterations> <keys>\n".utf8))
    exit(2)
}
let cache = try DiskCache(directory: URL(fileURLWithPath: arguments[1]))

/// Sets and gets at random through the async API (a function of its own: top-level code would pick the
/// synchronous calls of the same names), and exits 1 on a torn value.
func mixed(_ cache: DiskCache) async throws {
    var generator = SystemRandomNumberGenerator()
    var reads = 0
    var hits = 0
    var writes = 0
    for sequence in 0..<iterations {
        let key = Int.random(in: 0..<keys, using: &generator)
        if Bool.random(using: &generator) {
            let length = Int.random(in: 0...65_536, using: &generator)
            try await cache.set(
                "key-\(key)", WorkerValue.make(key: key, worker: worker, sequence: sequence, length: length),
                ttl: .never)
            writes += 1
        } else {
            reads += 1
            if let data = try await cache.get("key-\(key)") {
                hits += 1
                if let problem = WorkerValue.problem(in: data, key: key) {
                    print("torn: \(problem)")
                    exit(1)
                }
            }
        }
    }
    print("reads=\(reads) hits=\(hits) writes=\(writes)")
}

switch arguments[2] {
case "mixed":
    try await mixed(cache)
case "write-forever":
    // Unbuffered, so the parent sees it at once.
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    var sequence = 0
    while true {
        let key = sequence % keys
        try cache.set(
            "key-\(key)", WorkerValue.make(key: key, worker: worker, sequence: sequence, length: 4 << 20))
        sequence += 1
    }
default:
    FileHandle.standardError.write(Data("unknown mode \(arguments[2])\n".utf8))
    exit(2)
}
