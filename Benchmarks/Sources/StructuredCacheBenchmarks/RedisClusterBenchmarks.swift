// RedisCache(cluster:) against redis-benchmark --cluster: 50-way GET of 1,024-byte values on a local
// three-primary Redis Cluster, in the same run, interleaved round by round.
//
//     swift run -c release StructuredCacheBenchmarks redis-cluster
//
// The suite starts three redis-server nodes (no persistence, no replicas) and joins them with
// `redis-cli --cluster create`. REDIS_BENCH_REQUESTS (default 100000) and REDIS_BENCH_ROUNDS (default 3)
// size the runs; REDIS_BENCH_POOL sets the pool size, which the primaries share (default: the
// library's, 4: one connection per node here).

import Dispatch
import Foundation
import StructuredCache

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Measures cluster GETs from 50 tasks through ``RedisCache`` and through `redis-benchmark --cluster`.
func redisClusterBenchmarks() async throws {
    emit("\n== redis-cluster: RedisCache(cluster:) vs redis-benchmark --cluster (GET, 50 tasks, 1024-byte values)")
    guard let server = findExecutable("redis-server"), let cli = findExecutable("redis-cli"),
        let redisBenchmark = findExecutable("redis-benchmark")
    else {
        emit("redis-server, redis-cli or redis-benchmark not found on PATH: redis-cluster suite skipped")
        return
    }
    let environment = ProcessInfo.processInfo.environment
    let requests = Int(environment["REDIS_BENCH_REQUESTS"] ?? "") ?? 100_000
    let rounds = Int(environment["REDIS_BENCH_ROUNDS"] ?? "") ?? 3
    let cluster = try await BenchmarkRedisCluster.start(server: server, cli: cli)
    defer { cluster.stop() }

    let cache = try RedisCache(
        cluster: cluster.urls,
        configuration: .init(keyPrefix: "bench:", pool: .init(size: Int(environment["REDIS_BENCH_POOL"] ?? "") ?? 4)))
    defer { cache.shutdown() }
    let value = Data(repeating: UInt8(ascii: "x"), count: 1024)
    // Keys spread over every primary, as redis-benchmark --cluster spreads its clients over the nodes.
    let keys = (0..<300).map { "key:\($0)" }
    for key in keys { try await cache.set(key, value, ttl: .never) }
    let tasks = 50
    let arguments = [
        "--cluster", "-h", "127.0.0.1", "-p", String(cluster.ports[0]), "-c", String(tasks), "-n", String(requests),
        "-t", "get", "-d", "1024",
    ]
    emit(
        "nodes: \(cluster.ports.map(String.init).joined(separator: ", ")); \(requests) requests per run, "
            + "\(rounds) interleaved rounds; reference: redis-benchmark \(arguments.joined(separator: " ")) -q")
    _ = try await runRedisBenchmark(redisBenchmark, [], arguments.map { $0 == String(requests) ? "5000" : $0 })
    _ = try await measureClusterGets(cache, keys: keys, tasks: tasks, requests: 5_000)

    var ours: [Double] = []
    var theirs: [Double] = []
    var ratios: [Double] = []
    // Client CPU time per operation (user + system, all threads), which load on the machine barely moves.
    var ourCPU: [Double] = []
    var theirCPU: [Double] = []
    for round in 1...rounds {
        let (mine, reference, mineCPU, referenceCPU) = try await measureRound(
            round, requests: requests,
            mine: { try await measureClusterGets(cache, keys: keys, tasks: tasks, requests: requests) },
            reference: { try await runRedisBenchmark(redisBenchmark, [], arguments) })
        ourCPU.append(mineCPU)
        theirCPU.append(referenceCPU)
        ours.append(mine)
        theirs.append(reference)
        ratios.append(mine / reference)
        emit(
            "round \(round)  "
                + String(
                    format:
                        "RedisCache %9.0f ops/s (cpu %5.1f µs/op)   redis-benchmark --cluster -c %d %9.0f ops/s "
                        + "(cpu %5.1f µs/op)   ratio %5.1f%%",
                    mine, ourCPU.last!, tasks, reference, theirCPU.last!, 100 * mine / reference))
    }
    let ratio = median(ratios)
    Harness.record(
        name: "RedisCache cluster GET, 50 tasks", ours: median(ours), reference: median(theirs),
        referenceName: "redis-benchmark --cluster", unit: "ops/s", ratio: ratio, target: 0.8)
    emit(
        String(
            format:
                "median: RedisCache %9.0f ops/s (cpu %5.1f µs/op)   redis-benchmark --cluster %9.0f ops/s "
                + "(cpu %5.1f µs/op)   ratio %5.1f%%",
            median(ours), median(ourCPU), median(theirs), median(theirCPU), 100 * ratio))
}

/// Runs `requests` GETs over `keys`, spread over `tasks` concurrent tasks; returns operations per second.
private func measureClusterGets(_ cache: RedisCache, keys: [String], tasks: Int, requests: Int) async throws -> Double {
    let perTask = requests / tasks
    let start = DispatchTime.now().uptimeNanoseconds
    try await withThrowingTaskGroup(of: Void.self) { group in
        for task in 0..<tasks {
            group.addTask {
                for index in 0..<perTask {
                    guard try await cache.get(keys[(task &* 7 &+ index) % keys.count])?.count == 1024 else {
                        throw BenchmarkError("GET returned the wrong value")
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return Double(perTask * tasks) / elapsed
}

/// Three local cluster nodes started for the benchmark, each in a directory of its own.
final class BenchmarkRedisCluster {
    let processes: [Process]
    let ports: [Int]
    let directory: URL

    /// `redis://` URLs of the nodes.
    var urls: [String] { ports.map { "redis://127.0.0.1:\($0)" } }

    private init(processes: [Process], ports: [Int], directory: URL) {
        self.processes = processes
        self.ports = ports
        self.directory = directory
    }

    /// Starts three primaries (each with `replicas` replicas), creates the cluster and waits until every
    /// node reports `cluster_state:ok`.
    static func start(server: URL, cli: URL, replicas: Int = 0) async throws -> BenchmarkRedisCluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scbench-cluster-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Ports well below the ephemeral range, so that the cluster bus (port + 10000) fits too.
        var ports: [Int] = []
        while ports.count < 3 * (1 + replicas) {
            let port = Int.random(in: 20_000..<30_000)
            if !ports.contains(port) && isFree(port) && isFree(port + 10_000) { ports.append(port) }
        }
        var processes: [Process] = []
        for port in ports {
            let process = Process()
            process.executableURL = server
            process.arguments = [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--daemonize", "no", "--logfile", "", "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes-\(port).conf", "--cluster-node-timeout", "2000",
            ]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        let cluster = BenchmarkRedisCluster(processes: processes, ports: ports, directory: directory)
        do {
            for port in ports {
                try await cluster.waitFor(cli, ["-p", String(port), "PING"], toPrint: "PONG")
            }
            let output = try await runProcess(
                cli,
                ["--cluster", "create"] + ports.map { "127.0.0.1:\($0)" } + [
                    "--cluster-replicas", String(replicas), "--cluster-yes",
                ])
            guard output.contains("All 16384 slots covered") else {
                throw BenchmarkError("redis-cli --cluster create failed: \(output)")
            }
            for port in ports {
                try await cluster.waitFor(cli, ["-p", String(port), "CLUSTER", "INFO"], toPrint: "cluster_state:ok")
            }
            // A replica can take over only once it has copied its primary.
            for port in ports {
                let role = try await runProcess(cli, ["-h", "127.0.0.1", "-p", String(port), "ROLE"])
                if role.hasPrefix("slave") {
                    try await cluster.waitFor(
                        cli, ["-p", String(port), "INFO", "replication"], toPrint: "master_link_status:up")
                }
            }
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Kills one node with SIGKILL.
    ///
    /// - Parameter node: Its index in ``ports``.
    func killNode(_ index: Int) {
        let process = processes[index]
        guard process.isRunning else { return }
        #if canImport(Glibc)
            Glibc.kill(process.processIdentifier, SIGKILL)
        #else
            Darwin.kill(process.processIdentifier, SIGKILL)
        #endif
        process.waitUntilExit()
    }

    /// Stops every node (SIGKILL: nothing is persisted) and removes the directory.
    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `redis-cli` until its output contains `expected`, for up to 30 s.
    private func waitFor(_ cli: URL, _ arguments: [String], toPrint expected: String) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try await runProcess(cli, ["-h", "127.0.0.1"] + arguments).contains(expected) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkError("redis-cli \(arguments.joined(separator: " ")) did not print \(expected) within 30 s")
    }

    /// Whether 127.0.0.1:`port` can be bound now.
    private static func isFree(_ port: Int) -> Bool {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
