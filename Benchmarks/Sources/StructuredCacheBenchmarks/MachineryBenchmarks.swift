// What each piece of speed machinery buys, measured with it and without it in the same run: DiskCache's
// reuse of replaced files and its reads on the calling task.
//
//     swift run -c release StructuredCacheBenchmarks machinery
//
// Each row prints the figure with the machinery on, then off, then their ratio; a piece stays only where
// the ratio shows it pays in a case users have.

import Foundation
import StructuredCache
import StructuredCacheStorage

func machineryBenchmarks() async throws {
    Harness.section("machinery: each piece on, then off, in the same run")
    try await diskSpareFileBenchmarks()
    try await diskInlineReadBenchmarks()
}

private func temporaryFolder(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
}

/// Prints and records how much faster an operation is with a piece of machinery than without it.
private func printRatio(_ label: String, on: Measurement, off: Measurement) {
    let ratio = off.nanosecondsPerOperation / on.nanosecondsPerOperation
    print(String(format: "  → %@: ×%.2f with it", label, ratio))
    Harness.record(
        name: label, ours: on.nanosecondsPerOperation / 1_000, reference: off.nanosecondsPerOperation / 1_000,
        referenceName: "without it", unit: "µs/op", ratio: ratio)
}

/// Overwrites (a `refresh` policy, an expired entry stored again, two processes storing one answer)
/// and writes of new keys, with replaced files reused and without.
private func diskSpareFileBenchmarks() async throws {
    let keys = (0..<10_000).map { "machinery-disk-\($0)" }
    let value = Data(repeating: 7, count: 2_048)
    for (label, overwrite) in [("overwrite", true), ("new keys", false)] {
        var results: [Bool: Measurement] = [:]
        for reuses in [true, false] {
            let folder = temporaryFolder("MachinerySpares")
            defer { try? FileManager.default.removeItem(at: folder) }
            let cache = try DiskCache(directory: folder, configuration: .init(reusesReplacedFiles: reuses))
            if overwrite { for key in keys { try cache.sync.set(key, value) } }
            var round = 0
            results[reuses] = try Harness.measure(
                "DiskCache 2 KiB set, \(label), reuse \(reuses ? "on" : "off")", iterations: keys.count, rounds: 3
            ) { index in
                if index == 0 { round += 1 }
                try cache.set(overwrite ? keys[index] : keys[index] + "-\(round)", value)
            }
        }
        printRatio("DiskCache reusing replaced files, 2 KiB \(label)", on: results[true]!, off: results[false]!)
    }
}

/// Async hits from one task, answered on the calling task when the kernel holds the file, and always on
/// an I/O thread.
private func diskInlineReadBenchmarks() async throws {
    let keys = (0..<10_000).map { "machinery-inline-\($0)" }
    let value = Data(repeating: 7, count: 2_048)
    let folder = temporaryFolder("MachineryInline")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cache = try DiskCache(directory: folder)
    for key in keys { try cache.sync.set(key, value) }
    var results: [Bool: Measurement] = [:]
    for inline in [true, false] {
        cache.readsWithoutWaiting.store(inline, ordering: .relaxed)
        results[inline] = try await Harness.measureAsync(
            "DiskCache 2 KiB get-hit (async, 1 task), on the calling task \(inline ? "on" : "off")",
            iterations: keys.count, rounds: 5
        ) { index in
            Harness.blackHole(try await cache.get(keys[index]))
        }
    }
    printRatio("DiskCache reads on the calling task, 2 KiB async hit", on: results[true]!, off: results[false]!)
}
