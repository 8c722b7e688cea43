// A small measuring harness: repeated timed rounds, the median round reported, figures printed as a table.

import Dispatch
import Foundation
import StructuredCache

/// One measured figure.
struct Measurement {
    var name: String
    var nanosecondsPerOperation: Double
    var extra: String = ""

    var operationsPerSecond: Double { 1e9 / nanosecondsPerOperation }
}

/// Measures and prints figures in a stable format.
enum Harness {
    /// Keeps the optimizer from removing work whose result is otherwise unused.
    @inline(never)
    static func blackHole<T>(_ value: T) {
        withExtendedLifetime(value) {}
    }

    /// Times `body` over `iterations` calls per round and returns the median of `rounds` rounds.
    ///
    /// - Parameters:
    ///   - name: The label printed beside the figure.
    ///   - iterations: Calls per round.
    ///   - rounds: Rounds measured after one warm-up round.
    ///   - body: The operation; it receives the call index.
    @discardableResult
    static func measure(
        _ name: String, iterations: Int, rounds: Int = 7, extra: String = "", _ body: (Int) throws -> Void
    ) rethrows -> Measurement {
        var samples: [Double] = []
        for round in 0...rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<iterations { try body(index) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            if round > 0 { samples.append(elapsed / Double(iterations)) }
        }
        samples.sort()
        let result = Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2], extra: extra)
        report(result)
        return result
    }

    /// Times an async `body`, as ``measure(_:iterations:rounds:extra:_:)`` does.
    @discardableResult
    static func measureAsync(
        _ name: String, iterations: Int, rounds: Int = 7, extra: String = "", _ body: (Int) async throws -> Void
    ) async rethrows -> Measurement {
        var samples: [Double] = []
        for round in 0...rounds {
            let start = DispatchTime.now().uptimeNanoseconds
            for index in 0..<iterations { try await body(index) }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
            if round > 0 { samples.append(elapsed / Double(iterations)) }
        }
        samples.sort()
        let result = Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2], extra: extra)
        report(result)
        return result
    }

    /// Prints one figure: time per operation, operations per second, and any extra text.
    static func report(_ m: Measurement) {
        let perOp: String
        if m.nanosecondsPerOperation >= 1_000_000 {
            perOp = String(format: "%9.3f ms", m.nanosecondsPerOperation / 1e6)
        } else if m.nanosecondsPerOperation >= 1_000 {
            perOp = String(format: "%9.3f µs", m.nanosecondsPerOperation / 1e3)
        } else {
            perOp = String(format: "%9.1f ns", m.nanosecondsPerOperation)
        }
        let name = m.name.padding(toLength: 58, withPad: " ", startingAt: 0)
        print("\(name) \(perOp)/op  \(String(format: "%14.0f", m.operationsPerSecond)) ops/s  \(m.extra)")
    }

    /// Prints a section heading.
    static func section(_ title: String) {
        print("\n== \(title)")
    }
}

extension Harness {
    /// The folder of the Python reference scripts (Benchmarks/python).
    static let pythonFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("python")

    /// Runs a Python reference script with `--json` and returns its figures.
    ///
    /// The script prints one JSON object: figures by name, an optional `"about"` line (versions) that
    /// is printed, or an `"error"` that explains why it could not measure. Set
    /// `STRUCTUREDCACHE_BENCH_PYTHON=0` to skip every Python script.
    ///
    /// - Parameter script: The file name under Benchmarks/python.
    /// - Returns: The figures by name; empty (with a note printed) when Python or its packages are missing.
    static func runPython(_ script: String) -> [String: Double] {
        if ProcessInfo.processInfo.environment["STRUCTUREDCACHE_BENCH_PYTHON"] == "0" {
            print("(Python \(script) skipped: STRUCTUREDCACHE_BENCH_PYTHON=0)")
            return [:]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", pythonFolder.appendingPathComponent(script).path, "--json"]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            print("(Python \(script) not run: \(error))")
            return [:]
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let object = (try? JSONValue(parsing: data))?.objectValue else {
            print("(Python \(script) printed no JSON; exit status \(process.terminationStatus))")
            return [:]
        }
        if let error = object["error"]?.stringValue {
            print("(Python \(script) could not measure: \(error))")
            return [:]
        }
        if let about = object["about"]?.stringValue { print("Python \(script): \(about)") }
        var figures: [String: Double] = [:]
        for (name, value) in object { if let number = value.doubleValue { figures[name] = number } }
        return figures
    }

    /// Prints a comparison row: our figure, the reference figure, and how many times faster we are.
    static func compare(_ name: String, oursMicroseconds: Double, referenceMicroseconds: Double?, reference: String) {
        let label = name.padding(toLength: 52, withPad: " ", startingAt: 0)
        guard let referenceMicroseconds else {
            print("\(label) ours \(String(format: "%10.3f", oursMicroseconds)) µs   \(reference): not measured")
            return
        }
        record(
            name: name, ours: oursMicroseconds, reference: referenceMicroseconds, referenceName: reference, unit: "µs",
            ratio: referenceMicroseconds / oursMicroseconds)
        print(
            "\(label) ours \(String(format: "%10.3f", oursMicroseconds)) µs   \(reference) \(String(format: "%10.3f", referenceMicroseconds)) µs   ×\(String(format: "%.1f", referenceMicroseconds / oursMicroseconds)) faster"
        )
    }
}

extension Harness {
    /// Runs `body` on `threads` threads at once, each making `iterations` calls, and reports the total
    /// operations per second (median of `rounds` rounds after one warm-up).
    ///
    /// - Parameters:
    ///   - name: The label printed beside the figure.
    ///   - threads: How many threads run at once.
    ///   - iterations: Calls per thread per round.
    ///   - rounds: Rounds measured after one warm-up round.
    ///   - body: The operation; it receives the thread number and the call index.
    @discardableResult
    static func measureThreads(
        _ name: String, threads: Int, iterations: Int, rounds: Int = 5, extra: String = "",
        _ body: @escaping @Sendable (Int, Int) -> Void
    ) -> Measurement {
        var samples: [Double] = []
        for round in 0...rounds {
            let elapsed = runThreads(threads) { thread in
                for index in 0..<iterations { body(thread, index) }
            }
            if round > 0 { samples.append(elapsed / Double(threads * iterations)) }
        }
        samples.sort()
        let result = Measurement(name: name, nanosecondsPerOperation: samples[samples.count / 2], extra: extra)
        report(result)
        return result
    }

    /// Times every call of `body` on `threads` threads at once and returns the latency percentiles, in
    /// nanoseconds, over all calls of all threads (the timer's own cost, about 20 ns, is included).
    static func latencies(
        threads: Int, iterations: Int, _ body: @escaping @Sendable (Int, Int) -> Void
    ) -> (p50: Double, p99: Double, p999: Double) {
        let collected = LatencyStore(threads: threads, iterations: iterations)
        _ = runThreads(threads) { thread in
            var samples = [UInt64](repeating: 0, count: iterations)
            for index in 0..<iterations {
                let start = DispatchTime.now().uptimeNanoseconds
                body(thread, index)
                samples[index] = DispatchTime.now().uptimeNanoseconds - start
            }
            collected.store(samples, for: thread)
        }
        let all = collected.all().sorted()
        func percentile(_ fraction: Double) -> Double {
            Double(all[min(all.count - 1, Int(Double(all.count) * fraction))])
        }
        return (percentile(0.5), percentile(0.99), percentile(0.999))
    }

    /// Starts `threads` threads that begin together and returns the nanoseconds until the last finishes.
    private static func runThreads(_ threads: Int, _ work: @escaping @Sendable (Int) -> Void) -> Double {
        let ready = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                ready.signal()
                go.wait()
                work(thread)
                done.leave()
            }.start()
        }
        for _ in 0..<threads { ready.wait() }
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<threads { go.signal() }
        done.wait()
        return Double(DispatchTime.now().uptimeNanoseconds - start)
    }
}

/// Per-thread latency samples, gathered from the measuring threads.
private final class LatencyStore: @unchecked Sendable {
    // Each thread writes only its own slot, and reads happen after every thread has finished.
    private var samples: [[UInt64]]
    private let lock = NSLock()

    init(threads: Int, iterations: Int) {
        samples = Array(repeating: [], count: threads)
    }

    func store(_ values: [UInt64], for thread: Int) {
        lock.lock()
        samples[thread] = values
        lock.unlock()
    }

    func all() -> [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return samples.flatMap { $0 }
    }
}

/// One comparison with a reference, for the summary `Benchmarks/run-all.sh` turns into the README's table.
struct ComparisonRow: Encodable {
    var suite: String
    var name: String
    var ours: Double
    var reference: Double
    var referenceName: String
    var unit: String
    /// How many times better ours is (faster, or more operations per second).
    var ratio: Double
    /// The ratio the issue asks for, when it names one.
    var target: Double?
}

extension Harness {
    /// The suite running now, for the summary rows.
    nonisolated(unsafe) static var currentSuite = ""
    /// Every comparison made in this run.
    nonisolated(unsafe) static var comparisons: [ComparisonRow] = []

    /// Adds a comparison to the summary.
    static func record(
        name: String, ours: Double, reference: Double, referenceName: String, unit: String, ratio: Double,
        target: Double? = nil
    ) {
        comparisons.append(
            ComparisonRow(
                suite: currentSuite, name: name, ours: ours, reference: reference, referenceName: referenceName,
                unit: unit, ratio: ratio, target: target))
    }

    /// Writes the summary as JSON to `path`.
    static func writeSummary(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let machine = ProcessInfo.processInfo
        let summary: [String: AnyEncodable] = [
            "machine": AnyEncodable(
                "\(machine.activeProcessorCount) cores, \(machine.physicalMemory >> 30) GiB, \(machine.operatingSystemVersionString)"
            ),
            "comparisons": AnyEncodable(comparisons),
        ]
        try encoder.encode(summary).write(to: URL(fileURLWithPath: path))
    }
}

/// A type-erased Encodable, for the summary's mixed members.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode(to:) }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
