// RedisCache against redis-benchmark: sequential and 50-way GET and SET of 1,024-byte values, on the same
// server, in the same run, interleaved round by round so that both see the same machine load.
//
//     swift run -c release StructuredCacheBenchmarks redis
//
// The suite starts its own redis-server (no persistence) unless REDIS_URL names one
// (redis://host:port or unix:///path). REDIS_BENCH_REQUESTS (default 100000) and REDIS_BENCH_ROUNDS
// (default 3) size the runs; REDIS_BENCH_CASES (such as "GET, 1 task") picks cases.
//
// Then the same GETs over TLS: a second redis-server of its own on a TLS port, with certificates made
// for the run by the openssl command line, against `redis-benchmark --tls --cert … --key … --cacert …`
// with the same certificates. REDIS_BENCH_TLS=0 skips it; REDIS_BENCH_TLS_ONLY=1 runs only it.

import Dispatch
import Foundation
import StructuredCache

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

func redisBenchmarks() async throws {
    emit("\n== redis: RedisCache vs redis-benchmark (values of 1024 bytes)")
    let environment = ProcessInfo.processInfo.environment
    let requests = Int(environment["REDIS_BENCH_REQUESTS"] ?? "") ?? 100_000
    let rounds = Int(environment["REDIS_BENCH_ROUNDS"] ?? "") ?? 3

    var server: BenchmarkRedisServer?
    let url: String
    if let given = environment["REDIS_URL"] {
        url = given
    } else {
        guard let started = try BenchmarkRedisServer.start() else {
            emit("redis-server not found on PATH and REDIS_URL not set: redis suite skipped")
            return
        }
        server = started
        url = started.url
    }
    defer { server?.stop() }
    guard let redisBenchmark = findExecutable("redis-benchmark") else {
        emit("redis-benchmark not found on PATH: redis suite skipped")
        return
    }
    if environment["REDIS_BENCH_TLS_ONLY"] == "1" {
        try await redisTLSBenchmarks(redisBenchmark, requests: requests, rounds: rounds)
        return
    }
    let target = try redisBenchmarkTarget(url)

    let value = Data(repeating: UInt8(ascii: "x"), count: 1024)
    // redis-benchmark without -r uses the literal key "key:__rand_int__"; ours uses the same name.
    let key = "key:__rand_int__"
    // REDIS_BENCH_POOL tries another pool size; the default is the library's.
    let options = RedisCache.Configuration(
        keyPrefix: "bench:", pool: .init(size: Int(environment["REDIS_BENCH_POOL"] ?? "") ?? 4))
    let cache = try RedisCache(url: url, configuration: options)
    emit(
        "server: \(url); \(requests) requests per run, \(rounds) interleaved rounds; "
            + "pool size \(options.pool.size)")
    defer { cache.shutdown() }
    try await cache.set(key, value, ttl: .never)
    _ = try await runRedisBenchmark(redisBenchmark, target, ["-c", "1", "-n", "2000", "-t", "set", "-d", "1024"])

    struct Case {
        var name: String
        var test: String
        var clients: Int
    }
    let allCases = [
        Case(name: "GET, 1 task", test: "get", clients: 1),
        Case(name: "GET, 50 tasks", test: "get", clients: 50),
        Case(name: "SET, 1 task", test: "set", clients: 1),
        Case(name: "SET, 50 tasks", test: "set", clients: 50),
    ]
    let selected = environment["REDIS_BENCH_CASES"].map { $0.split(separator: ";").map(String.init) }
    let cases = allCases.filter { selected?.contains($0.name) ?? true }
    var ours: [String: [Double]] = [:]
    var theirs: [String: [Double]] = [:]
    var ratios: [String: [Double]] = [:]
    // Client CPU time per operation (user + system, all threads): unlike throughput, barely moved by
    // other load on the machine.
    var ourCPU: [String: [Double]] = [:]
    var theirCPU: [String: [Double]] = [:]

    // Warm up both sides: connections, caches, the CPU frequency.
    for item in cases {
        _ = try await measureCache(cache, key: key, value: value, test: item.test, tasks: item.clients, requests: 5_000)
    }

    for round in 1...rounds {
        for item in cases {
            let arguments = ["-c", String(item.clients), "-n", String(requests), "-t", item.test, "-d", "1024"]
            let (mine, reference, mineCPU, referenceCPU) = try await measureRound(
                round, requests: requests,
                mine: {
                    try await measureCache(
                        cache, key: key, value: value, test: item.test, tasks: item.clients, requests: requests)
                },
                reference: { try await runRedisBenchmark(redisBenchmark, target, arguments) })
            ourCPU[item.name, default: []].append(mineCPU)
            theirCPU[item.name, default: []].append(referenceCPU)
            ours[item.name, default: []].append(mine)
            theirs[item.name, default: []].append(reference)
            ratios[item.name, default: []].append(mine / reference)
            emit(
                "round \(round)  \(pad(item.name))"
                    + String(
                        format:
                            "RedisCache %9.0f ops/s (cpu %5.1f µs/op)   redis-benchmark -c %-2d %9.0f ops/s (cpu %5.1f µs/op)   ratio %5.1f%%",
                        mine, mineCPU, item.clients, reference, referenceCPU, 100 * mine / reference))
        }
    }

    emit("\nmedians over \(rounds) rounds; ratio = median of the per-round ratios")
    emit("(targets: 1 task >= 90% of redis-benchmark -c 1, 50 tasks >= 80% of redis-benchmark -c 50)")
    for item in cases {
        let mine = median(ours[item.name] ?? [])
        let reference = median(theirs[item.name] ?? [])
        let ratio = median(ratios[item.name] ?? [])
        let goal = item.clients == 1 ? 0.9 : 0.8
        Harness.record(
            name: "RedisCache \(item.name.trimmingCharacters(in: .whitespaces))", ours: mine, reference: reference,
            referenceName: "redis-benchmark", unit: "ops/s", ratio: ratio, target: goal)
        emit(
            pad(item.name)
                + String(
                    format:
                        "RedisCache %9.0f ops/s (cpu %5.1f µs/op)   redis-benchmark %9.0f ops/s (cpu %5.1f µs/op)   ratio %5.1f%%  ",
                    mine, median(ourCPU[item.name] ?? []), reference, median(theirCPU[item.name] ?? []), 100 * ratio)
                + (ratio >= goal ? "meets target" : "BELOW TARGET"))
    }
    if environment["REDIS_BENCH_TLS"] != "0" {
        try await redisTLSBenchmarks(redisBenchmark, requests: requests, rounds: rounds)
    }
}

/// GET from 1 and 50 tasks over TLS, RedisCache against `redis-benchmark --tls`, on one TLS server with
/// the same certificates, interleaved round by round.
private func redisTLSBenchmarks(_ redisBenchmark: URL, requests: Int, rounds: Int) async throws {
    emit("\n== redis over TLS: RedisCache vs redis-benchmark --tls (GET of 1024-byte values)")
    guard let certificates = try BenchmarkCertificates.make() else {
        emit("openssl not found: TLS benchmark skipped")
        return
    }
    defer { certificates.remove() }
    guard let server = try BenchmarkRedisServer.start(tls: certificates) else {
        emit("redis-server not found on PATH: TLS benchmark skipped")
        return
    }
    defer { server.stop() }
    let target = [
        "-h", "localhost", "-p", String(server.port), "--tls", "--cert", certificates.file("client.crt"),
        "--key", certificates.file("client.key"), "--cacert", certificates.file("ca.crt"),
    ]
    let tls = RedisCache.Configuration.TLS(
        trustRoots: .file(certificates.file("ca.crt")), clientCertificate: .file(certificates.file("client.crt")),
        clientKey: .file(certificates.file("client.key")))
    let cache = try RedisCache(
        url: "rediss://localhost:\(server.port)", configuration: .init(keyPrefix: "bench:", tls: tls))
    defer { cache.shutdown() }
    emit("server: rediss://localhost:\(server.port); \(requests) requests per run, \(rounds) interleaved rounds")
    let value = Data(repeating: UInt8(ascii: "x"), count: 1024)
    let key = "key:__rand_int__"
    try await cache.set(key, value, ttl: .never)
    _ = try await runRedisBenchmark(redisBenchmark, target, ["-c", "1", "-n", "2000", "-t", "set", "-d", "1024"])
    let cases = [("GET, 1 task", 1), ("GET, 50 tasks", 50)]
    for (_, tasks) in cases {
        _ = try await measureCache(cache, key: key, value: value, test: "get", tasks: tasks, requests: 5_000)
    }
    var ours: [String: [Double]] = [:]
    var theirs: [String: [Double]] = [:]
    var ratios: [String: [Double]] = [:]
    for round in 1...rounds {
        for (name, tasks) in cases {
            let arguments = ["-c", String(tasks), "-n", String(requests), "-t", "get", "-d", "1024"]
            let (mine, reference, _, _) = try await measureRound(
                round, requests: requests,
                mine: {
                    try await measureCache(cache, key: key, value: value, test: "get", tasks: tasks, requests: requests)
                },
                reference: { try await runRedisBenchmark(redisBenchmark, target, arguments) })
            ours[name, default: []].append(mine)
            theirs[name, default: []].append(reference)
            ratios[name, default: []].append(mine / reference)
            emit(
                "round \(round)  \(pad(name))"
                    + String(
                        format:
                            "RedisCache TLS %9.0f ops/s   redis-benchmark --tls -c %-2d %9.0f ops/s   ratio %5.1f%%",
                        mine, tasks, reference, 100 * mine / reference))
        }
    }
    emit("\nmedians over \(rounds) rounds; ratio = median of the per-round ratios")
    for (name, _) in cases {
        let mine = median(ours[name] ?? [])
        let reference = median(theirs[name] ?? [])
        let ratio = median(ratios[name] ?? [])
        Harness.record(
            name: "RedisCache TLS \(name)", ours: mine, reference: reference, referenceName: "redis-benchmark --tls",
            unit: "ops/s", ratio: ratio, target: 0.8)
        emit(
            pad(name)
                + String(
                    format: "RedisCache TLS %9.0f ops/s   redis-benchmark --tls %9.0f ops/s   ratio %5.1f%%", mine,
                    reference, 100 * ratio))
    }
}

/// A CA, a server certificate for localhost and 127.0.0.1 and a client certificate, made with the
/// openssl command line in a temporary directory.
struct BenchmarkCertificates {
    let directory: URL

    /// The path of one of the files (`ca.crt`, `server.crt`, `server.key`, `client.crt`, `client.key`).
    func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    static func make() throws -> BenchmarkCertificates? {
        guard let openssl = findExecutable("openssl") else { return nil }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scbench-tls-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func run(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = openssl
            process.arguments = arguments
            process.currentDirectoryURL = directory
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BenchmarkError("openssl \(arguments.joined(separator: " ")) failed")
            }
        }
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try run(
            ["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=bench CA"])
        let leaves = [
            ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
            ("client", "extendedKeyUsage=clientAuth\n"),
        ]
        for (name, extensions) in leaves {
            try extensions.write(to: directory.appendingPathComponent("\(name).ext"), atomically: true, encoding: .utf8)
            try run(["req"] + key + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=localhost"])
            try run([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext",
            ])
        }
        return BenchmarkCertificates(directory: directory)
    }
}

/// Runs `requests` GETs or SETs spread over `tasks` concurrent tasks; returns operations per second.
private func measureCache(
    _ cache: RedisCache, key: String, value: Data, test: String, tasks: Int, requests: Int
) async throws -> Double {
    let perTask = requests / tasks
    let start = DispatchTime.now().uptimeNanoseconds
    if tasks == 1 {
        try await runOperations(cache, key: key, value: value, test: test, count: perTask)
    } else {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask { try await runOperations(cache, key: key, value: value, test: test, count: perTask) }
            }
            try await group.waitForAll()
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return Double(perTask * tasks) / elapsed
}

private func runOperations(_ cache: RedisCache, key: String, value: Data, test: String, count: Int) async throws {
    if test == "get" {
        for _ in 0..<count {
            guard let read = try await cache.get(key), read.count == value.count else {
                throw BenchmarkError("GET returned the wrong value")
            }
        }
    } else {
        for _ in 0..<count {
            try await cache.set(key, value, ttl: .never)
        }
    }
}

/// Runs redis-benchmark quietly and returns its requests per second.
func runRedisBenchmark(_ executable: URL, _ target: [String], _ arguments: [String]) async throws -> Double {
    let output = try await runProcess(executable, target + arguments + ["-q"])
    // Progress lines end in "\r"; the final one reads "GET: 27510.32 requests per second, p50=…".
    for line in output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).reversed() {
        if let range = line.range(of: " requests per second") {
            let head = line[..<range.lowerBound]
            if let number = head.split(separator: " ").last, let value = Double(number) { return value }
        }
    }
    throw BenchmarkError("cannot read redis-benchmark's output: \(output)")
}

/// The redis-benchmark arguments that point it at `url`.
private func redisBenchmarkTarget(_ url: String) throws -> [String] {
    if url.hasPrefix("unix://") {
        return ["-s", String(url.dropFirst("unix://".count).split(separator: "?")[0])]
    }
    guard let components = URLComponents(string: url), let host = components.host else {
        throw BenchmarkError("cannot read the host of \(url)")
    }
    var target = ["-h", host, "-p", String(components.port ?? 6379)]
    if let password = components.password { target += ["-a", password] }
    if let user = components.user, !user.isEmpty, components.password != nil { target += ["--user", user] }
    let path = components.path.dropFirst()
    if !path.isEmpty { target += ["--dbnum", String(path)] }
    return target
}

/// Runs `executable` with `arguments` off the cooperative pool and returns its standard output.
func runProcess(_ executable: URL, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            do {
                try process.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}

/// User plus system CPU seconds used so far by this process (all threads) or by its waited-for children.
func cpuSeconds(children: Bool) -> Double {
    var usage = rusage()
    #if canImport(Glibc)
        _ = getrusage(children ? RUSAGE_CHILDREN.rawValue : RUSAGE_SELF.rawValue, &usage)
    #else
        _ = getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &usage)
    #endif
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Measures our side and the reference once each, in an order that alternates from round to round so
/// that a drift in machine load favours neither, with the client CPU time (user + system, all threads)
/// each used per operation: unlike throughput, barely moved by other load on the machine.
///
/// - Parameters:
///   - round: The round's number, from 1; odd rounds measure ours first.
///   - requests: The operations each side makes, to divide the CPU time by.
///   - mine: Measures ours, returning operations per second.
///   - reference: Runs the reference (a child process), returning operations per second.
/// - Returns: Both throughputs and both CPU times per operation, in µs.
func measureRound(
    _ round: Int, requests: Int, mine: () async throws -> Double, reference: () async throws -> Double
) async throws -> (mine: Double, reference: Double, mineCPU: Double, referenceCPU: Double) {
    var result = (mine: 0.0, reference: 0.0, mineCPU: 0.0, referenceCPU: 0.0)
    func measureMine() async throws {
        let before = cpuSeconds(children: false)
        result.mine = try await mine()
        result.mineCPU = (cpuSeconds(children: false) - before) * 1e6 / Double(requests)
    }
    func measureReference() async throws {
        let before = cpuSeconds(children: true)
        result.reference = try await reference()
        result.referenceCPU = (cpuSeconds(children: true) - before) * 1e6 / Double(requests)
    }
    if round % 2 == 1 {
        try await measureMine()
        try await measureReference()
    } else {
        try await measureReference()
        try await measureMine()
    }
    return result
}

/// Prints a line and flushes, so that each round shows as it finishes even when output is a pipe.
func emit(_ line: String) {
    print(line)
    fflush(nil)
}

/// `text` padded with spaces to 15 characters.
func pad(_ text: String) -> String {
    text.padding(toLength: 15, withPad: " ", startingAt: 0)
}

/// The median of `values`, or NaN when there are none.
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// The executable `name` on `PATH` (or in the usual places), or `nil`.
func findExecutable(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for directory in path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/opt/homebrew/bin"] {
        let file = URL(fileURLWithPath: directory).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: file.path) { return file }
    }
    return nil
}

/// A benchmark that cannot run or read its reference.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A redis-server started for the benchmark: loopback, a free port, no persistence.
final class BenchmarkRedisServer {
    let process: Process
    let port: Int
    let directory: URL

    var url: String { "redis://127.0.0.1:\(port)" }

    private init(process: Process, port: Int, directory: URL) {
        self.process = process
        self.port = port
        self.directory = directory
    }

    /// Starts a server on a free port (or `port`): plain TCP, or only TLS (requiring client
    /// certificates) with `tls`'s files.
    static func start(port given: Int? = nil, tls: BenchmarkCertificates? = nil) throws -> BenchmarkRedisServer? {
        guard let executable = findExecutable("redis-server") else { return nil }
        let port = try given ?? freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "scbench-\(getpid())-\(port)-\(tls == nil ? "plain" : "tls")")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = executable
        let listening =
            tls.map { tls in
                [
                    "--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.file("server.crt"),
                    "--tls-key-file", tls.file("server.key"), "--tls-ca-cert-file", tls.file("ca.crt"),
                    "--tls-auth-clients", "yes",
                ]
            } ?? ["--port", String(port)]
        process.arguments =
            listening + [
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--daemonize", "no", "--logfile", "",
            ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = BenchmarkRedisServer(process: process, port: port, directory: directory)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if canConnect(port: port) { return server }
            usleep(10_000)
        }
        server.stop()
        throw BenchmarkError("redis-server did not start")
    }

    func stop() {
        if process.isRunning {
            // SIGKILL: a child spawned from a Dispatch thread inherits its blocked SIGTERM, and there is
            // nothing to persist anyway.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    #if canImport(Glibc)
        private static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
        private static let streamType = SOCK_STREAM
    #endif

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, streamType, 0)
        defer { close(fd) }
        var address = loopback(0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw BenchmarkError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, streamType, 0)
        defer { close(fd) }
        var address = loopback(port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
