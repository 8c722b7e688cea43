// Starts a real Redis Cluster for the tests: six redis-server processes on free loopback ports (three
// primaries, one replica each), joined with `redis-cli --cluster create`, stopped and removed when done.

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Redis Cluster of six local `redis-server` processes started by the test run.
final class RedisClusterProcess: @unchecked Sendable {
    /// One node as `CLUSTER NODES` describes it.
    struct Node: Sendable, CustomStringConvertible {
        /// The node's identifier.
        var id: String
        /// The node's TCP port on 127.0.0.1.
        var port: Int
        /// Whether the node is a primary (`master`).
        var isPrimary: Bool
        /// Whether the cluster considers the node failed (`fail` or `fail?`).
        var isFailing: Bool
        /// The identifier of the primary a replica copies; `nil` for a primary.
        var primaryID: String?
        /// The slots the node serves.
        var slots: [ClosedRange<Int>]

        /// Whether the node serves `slot`.
        ///
        /// - Parameter slot: A hash slot.
        /// - Returns: Whether one of the node's ranges holds it.
        func serves(_ slot: Int) -> Bool { slots.contains { $0.contains(slot) } }

        var description: String { "\(isPrimary ? "primary" : "replica") \(port) \(slots)" }
    }

    /// The six servers, in the order they were given to `redis-cli --cluster create`.
    let servers: [RedisServerProcess]
    private let lock = NSLock()
    private var stopped = false
    /// The ports of the nodes frozen with ``pause(_:)``, which no helper asks anything.
    private var paused: Set<Int> = []

    /// The `redis-cli` executable on `PATH`, or `nil`.
    static let cli: URL? = RedisServerProcess.find("redis-cli")

    /// Whether a cluster can be started here: `redis-server` and `redis-cli` are both installed.
    static let isAvailable: Bool = RedisServerProcess.isAvailable && cli != nil

    /// The ports of the six nodes.
    var ports: [Int] { servers.map(\.port) }

    /// `redis://` URLs of every node, to use as seeds.
    var seedURLs: [String] { servers.map(\.url) }

    /// The TLS port of each node (in the order of ``servers``), when started with TLS.
    let tlsPorts: [Int]
    /// The password every node requires, if any.
    let password: String?

    /// `rediss://localhost` URLs of every node's TLS port, to use as seeds.
    var tlsSeedURLs: [String] { tlsPorts.map { "rediss://localhost:\($0)" } }

    private init(servers: [RedisServerProcess], tlsPorts: [Int] = [], password: String? = nil) {
        self.tlsPorts = tlsPorts
        self.password = password
        self.servers = servers
    }

    deinit {
        stop()
    }

    /// Starts six nodes, creates the cluster and waits until every node sees all 16384 slots served.
    ///
    /// - Parameters:
    ///   - tls: Certificates for a TLS port on every node besides its plain one (which the helpers here
    ///     use), or `nil` for plain TCP only.
    ///   - password: The password every node requires (and replicas use with their primaries).
    /// - Returns: The running cluster.
    /// - Throws: ``RedisTestServerError`` when a node does not start or the cluster does not form within
    ///   about 30 s.
    static func start(tls: TLSCertificates? = nil, password: String? = nil) async throws -> RedisClusterProcess {
        guard isAvailable else { throw RedisTestServerError("redis-server or redis-cli is not installed") }
        var servers: [RedisServerProcess] = []
        var tlsPorts: [Int] = []
        for _ in 0..<6 {
            var port = try RedisServerProcess.freePort()
            // The cluster bus listens on the port + 10000.
            while !RedisServerProcess.isBindable(port + 10_000) { port = try RedisServerProcess.freePort() }
            var arguments = [
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes-\(port).conf",
                "--cluster-node-timeout", "2000",
            ]
            if let tls {
                let tlsPort = try RedisServerProcess.freePort()
                tlsPorts.append(tlsPort)
                arguments += [
                    "--tls-port", String(tlsPort), "--tls-cert-file", tls.serverCertificate, "--tls-key-file",
                    tls.serverKey, "--tls-ca-cert-file", tls.caCertificate, "--tls-auth-clients", "no",
                    // The bus and replication over TLS too, so that nodes announce their TLS ports; the
                    // bus keeps the plain port + 10000, where `redis-cli --cluster create` expects it.
                    "--tls-cluster", "yes", "--tls-replication", "yes", "--cluster-port", String(port + 10_000),
                ]
            }
            if let password { arguments += ["--requirepass", password, "--masterauth", password] }
            servers.append(try RedisServerProcess(port: port, arguments: arguments))
        }
        let cluster = RedisClusterProcess(servers: servers, tlsPorts: tlsPorts, password: password)
        do {
            let output = try await runCLI(
                cluster.authentication + ["--cluster", "create"] + servers.map { "127.0.0.1:\($0.port)" }
                    + ["--cluster-replicas", "1", "--cluster-yes"],
                timeout: 60)
            guard output.contains("All 16384 slots covered") else {
                throw RedisTestServerError("redis-cli --cluster create failed:\n\(output)")
            }
            try await cluster.waitUntilHealthy()
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Runs `body` with a fresh cluster and stops it afterwards, whether `body` succeeds or throws.
    ///
    /// - Parameters:
    ///   - tls: Certificates for a TLS port on every node, as for ``start(tls:password:)``.
    ///   - password: The password every node requires.
    ///   - body: What to do with the cluster.
    /// - Returns: What `body` returns.
    /// - Throws: What starting the cluster or `body` throws.
    static func with<T>(
        tls: TLSCertificates? = nil, password: String? = nil, _ body: (RedisClusterProcess) async throws -> T
    ) async throws -> T {
        let cluster = try await start(tls: tls, password: password)
        defer { cluster.stop() }
        return try await body(cluster)
    }

    /// The cluster shared by the tests that leave its topology as they found it; started on first use and
    /// stopped when the test process exits.
    ///
    /// - Returns: The shared cluster.
    /// - Throws: What ``start()`` throws.
    static func shared() async throws -> RedisClusterProcess {
        try await SharedCluster.instance.get()
    }

    /// Stops every node and removes their directories.
    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        for server in servers { server.stop() }
        for server in servers { try? FileManager.default.removeItem(at: server.directory) }
    }

    // MARK: - Nodes

    /// Runs a command on the node at `port` with `redis-cli` and returns what it printed.
    ///
    /// - Parameters:
    ///   - port: The node's port.
    ///   - arguments: The command and its arguments.
    /// - Returns: `redis-cli`'s output, without the trailing newline.
    /// - Throws: ``RedisTestServerError`` when `redis-cli` cannot run or takes more than 20 s.
    @discardableResult
    func run(_ port: Int, _ arguments: [String]) async throws -> String {
        try await Self.runCLI(authentication + ["-h", "127.0.0.1", "-p", String(port)] + arguments, timeout: 20)
            .trimmingCharacters(in: .newlines)
    }

    /// The `redis-cli` options that authenticate, when the nodes require a password.
    private var authentication: [String] { password.map { ["-a", $0, "--no-auth-warning"] } ?? [] }

    /// The server listening on `port`.
    ///
    /// - Parameter port: A node's port.
    /// - Returns: Its server.
    func server(_ port: Int) -> RedisServerProcess {
        servers.first { $0.port == port }!
    }

    /// Kills the node at `port` with SIGKILL.
    ///
    /// - Parameter port: The node's port.
    func kill(_ port: Int) { server(port).kill() }

    /// Freezes the node at `port` with SIGSTOP.
    ///
    /// - Parameter port: The node's port.
    func pause(_ port: Int) {
        lock.withLock { _ = paused.insert(port) }
        server(port).signal(SIGSTOP)
    }

    /// Lets the node at `port` run again with SIGCONT.
    ///
    /// - Parameter port: The node's port.
    func resume(_ port: Int) {
        server(port).signal(SIGCONT)
        lock.withLock { _ = paused.remove(port) }
    }

    /// The servers that are running and not frozen.
    private var answering: [RedisServerProcess] {
        let frozen = lock.withLock { paused }
        return servers.filter { $0.isRunning && !frozen.contains($0.port) }
    }

    /// The nodes as the node at `port` (by default the first one still running) sees them.
    ///
    /// - Parameter port: The node to ask.
    /// - Returns: Every node it knows.
    /// - Throws: ``RedisTestServerError`` when `redis-cli` fails.
    func nodes(askingPort port: Int? = nil) async throws -> [Node] {
        let asked = port ?? answering.first!.port
        let text = try await run(asked, ["CLUSTER", "NODES"])
        return text.split(separator: "\n").compactMap { line -> Node? in
            let fields = line.split(separator: " ")
            guard fields.count >= 8, let address = fields[1].split(separator: "@").first,
                let colon = address.lastIndex(of: ":"), let nodePort = Int(address[address.index(after: colon)...])
            else { return nil }
            let flags = fields[2].split(separator: ",")
            let slots = fields.dropFirst(8).compactMap { field -> ClosedRange<Int>? in
                guard !field.hasPrefix("[") else { return nil }
                let bounds = field.split(separator: "-").compactMap { Int($0) }
                return bounds.count == 2 ? bounds[0]...bounds[1] : bounds.count == 1 ? bounds[0]...bounds[0] : nil
            }
            return Node(
                id: String(fields[0]), port: nodePort, isPrimary: flags.contains("master"),
                isFailing: flags.contains("fail") || flags.contains("fail?"),
                primaryID: fields[3] == "-" ? nil : String(fields[3]), slots: slots)
        }
    }

    /// The primary that serves `slot`.
    ///
    /// - Parameter slot: A hash slot.
    /// - Returns: Its primary.
    /// - Throws: ``RedisTestServerError`` when no node serves it.
    func primary(ofSlot slot: Int) async throws -> Node {
        guard let node = try await nodes().first(where: { $0.isPrimary && !$0.isFailing && $0.serves(slot) }) else {
            throw RedisTestServerError("no primary serves slot \(slot)")
        }
        return node
    }

    /// The primaries, in port order.
    ///
    /// - Returns: The nodes that serve slots.
    /// - Throws: ``RedisTestServerError`` when `redis-cli` fails.
    func primaries() async throws -> [Node] {
        try await nodes().filter { $0.isPrimary && !$0.isFailing && !$0.slots.isEmpty }.sorted { $0.port < $1.port }
    }

    /// The replica of `primary`.
    ///
    /// - Parameter primary: A primary.
    /// - Returns: A replica that copies it.
    /// - Throws: ``RedisTestServerError`` when it has none.
    func replica(of primary: Node) async throws -> Node {
        guard let node = try await nodes().first(where: { $0.primaryID == primary.id && !$0.isFailing }) else {
            throw RedisTestServerError("primary \(primary.port) has no replica")
        }
        return node
    }

    /// Waits until every running node that is not frozen reports `cluster_state:ok`, 16384 slots served and every other node
    /// known, and every replica's link to its primary is up.
    ///
    /// - Parameter timeout: How long to wait, in seconds.
    /// - Throws: ``RedisTestServerError`` when the cluster does not get there in time.
    func waitUntilHealthy(timeout: TimeInterval = 30) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            var healthy = true
            for server in answering {
                let info = (try? await run(server.port, ["CLUSTER", "INFO"])) ?? ""
                let replication = (try? await run(server.port, ["INFO", "replication"])) ?? ""
                let linked = !replication.contains("role:slave") || replication.contains("master_link_status:up")
                guard info.contains("cluster_state:ok"), info.contains("cluster_slots_ok:16384"), linked else {
                    healthy = false
                    last = "\(server.port): \(info)\n\(replication)"
                    break
                }
            }
            if healthy { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw RedisTestServerError("the cluster did not become healthy within \(Int(timeout)) s; last seen:\n\(last)")
    }

    /// Runs `redis-cli` with `arguments`, killing it after `timeout` seconds.
    private static func runCLI(_ arguments: [String], timeout: TimeInterval) async throws -> String {
        guard let cli else { throw RedisTestServerError("redis-cli is not installed") }
        let process = try ChildProcess(cli.path, arguments, standardOutput: .captured, standardError: .captured)
        let watchdog = DispatchWorkItem { process.signal(SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let (data, termination) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let data = process.readOutputToEnd()
                continuation.resume(returning: (data, process.waitUntilExit()))
            }
        }
        watchdog.cancel()
        let text = String(decoding: data, as: UTF8.self)
        guard case .exited = termination else {
            throw RedisTestServerError("redis-cli \(arguments.joined(separator: " ")) took more than \(Int(timeout)) s")
        }
        return text
    }
}

/// Starts the shared cluster once and stops it when the process exits.
private actor SharedCluster {
    static let instance = SharedCluster()
    /// The nodes' process identifiers, killed at exit.
    nonisolated(unsafe) private static var pids: [pid_t] = []
    /// The nodes' directories, removed at exit.
    nonisolated(unsafe) private static var directories: [String] = []
    private var cluster: RedisClusterProcess?

    func get() async throws -> RedisClusterProcess {
        if let cluster { return cluster }
        let started = try await RedisClusterProcess.start()
        cluster = started
        Self.pids = started.servers.map(\.pid)
        Self.directories = started.servers.map(\.directory.path)
        atexit {
            for pid in SharedCluster.pids { _ = kill(pid, SIGKILL) }
            for directory in SharedCluster.directories { try? FileManager.default.removeItem(atPath: directory) }
        }
        return started
    }
}
