// Starts a real redis-server for the tests: a free loopback port, a Unix socket, no persistence, a
// temporary directory; stopped (and its directory removed) when the test is done with it.

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `redis-server` process started by the test run.
final class RedisServerProcess: @unchecked Sendable {
    /// The TCP port on 127.0.0.1 (the TLS port when the server was started with TLS).
    let port: Int
    /// Whether the server speaks TLS (only) on ``port``.
    let usesTLS: Bool
    /// The Unix socket path.
    let socketPath: String
    /// The temporary directory holding the socket and the log.
    let directory: URL
    private let process: ChildProcess
    private let extraArguments: [String]

    /// The `redis-server` executable on `PATH`, or `nil` when it is not installed.
    static let executable: URL? = find("redis-server")

    /// Whether a `redis-server` is installed; the Redis suites are skipped otherwise.
    static let isAvailable: Bool = {
        if executable == nil {
            print(
                "⚠️  redis-server not found on PATH: the Redis test suites are skipped (apt-get install redis-server).")
        }
        return executable != nil
    }()

    /// The URL of the server over TCP.
    var url: String { "redis://127.0.0.1:\(port)" }

    /// The URL of the server over TCP with TLS, by the name its certificate was issued for.
    var tlsURL: String { "rediss://localhost:\(port)" }

    /// The URL of the server over its Unix socket.
    var unixURL: String { "unix://\(socketPath)" }

    /// Starts a server and waits until it accepts connections.
    ///
    /// - Parameters:
    ///   - port: The port to listen on; a free one when `nil`.
    ///   - bindAddress: The address to listen on; `"::1"` for IPv6 tests.
    ///   - arguments: Extra `redis-server` arguments, such as `["--requirepass", "secret"]`.
    ///   - tls: Certificates to serve TLS with on `port` (and no plain TCP port), or `nil` for plain TCP.
    ///   - authClients: With TLS, whether clients must present a certificate signed by the CA.
    init(
        port: Int? = nil, bindAddress: String = "127.0.0.1", arguments: [String] = [],
        tls: TLSCertificates? = nil, authClients: Bool = false
    ) throws {
        guard let executable = Self.executable else { throw RedisTestServerError("redis-server is not installed") }
        self.port = try port ?? Self.freePort()
        self.usesTLS = tls != nil
        self.extraArguments = arguments
        // A short directory: Unix socket paths are limited to about 100 bytes, so a long temporary
        // directory gives way to the C library's own (`P_tmpdir`).
        let base = NSTemporaryDirectory().count < 60 ? NSTemporaryDirectory() : P_tmpdir
        var template = Array((base + (base.hasSuffix("/") ? "" : "/") + "scredis.XXXXXX").utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw RedisTestServerError("cannot create a temporary directory")
        }
        directory = URL(fileURLWithPath: String(cString: created), isDirectory: true)
        socketPath = directory.appendingPathComponent("redis.sock").path
        let listeningPort = String(self.port)
        let listening =
            tls.map { tls in
                [
                    "--port", "0", "--tls-port", listeningPort, "--tls-cert-file", tls.serverCertificate,
                    "--tls-key-file", tls.serverKey, "--tls-ca-cert-file", tls.caCertificate,
                    "--tls-auth-clients", authClients ? "yes" : "no",
                ]
            } ?? ["--port", listeningPort]
        let serverArguments =
            listening + [
                "--bind", bindAddress, "--save", "", "--appendonly", "no",
                "--dir", directory.path, "--unixsocket", socketPath, "--unixsocketperm", "700",
                "--logfile", directory.appendingPathComponent("redis.log").path, "--daemonize", "no",
                "--protected-mode", "no",
            ] + arguments
        process = try ChildProcess(executable.path, serverArguments)
        try waitUntilReady(ipv6: bindAddress.contains(":"))
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Whether the process is still running.
    var isRunning: Bool { process.isRunning }

    /// The process identifier, for sending signals.
    var pid: pid_t { process.pid }

    /// Kills the server at once (SIGKILL) and waits for it to exit.
    func kill() {
        guard process.isRunning else { return }
        process.signal(SIGKILL)
        process.waitUntilExit()
    }

    /// Stops the server (SIGCONT in case it was stopped, then SIGKILL: nothing is persisted anyway).
    func stop() {
        guard process.isRunning else { return }
        process.signal(SIGCONT)
        kill()
    }

    /// Sends a signal, such as SIGSTOP or SIGCONT.
    func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// Runs `body` with a fresh server and stops the server afterwards.
    ///
    /// - Parameters:
    ///   - arguments: Extra `redis-server` arguments.
    ///   - tls: Certificates to serve TLS with, or `nil` for plain TCP.
    ///   - authClients: With TLS, whether clients must present a certificate.
    ///   - body: What to do with the server.
    /// - Returns: What `body` returns.
    static func with<T>(
        arguments: [String] = [], tls: TLSCertificates? = nil, authClients: Bool = false,
        _ body: (RedisServerProcess) async throws -> T
    ) async throws -> T {
        let server = try RedisServerProcess(arguments: arguments, tls: tls, authClients: authClients)
        defer { server.stop() }
        return try await body(server)
    }

    private func waitUntilReady(ipv6: Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard process.isRunning else {
                let log =
                    (try? String(contentsOf: directory.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
                throw RedisTestServerError("redis-server exited at start:\n\(log)")
            }
            // redis-server opens its Unix socket just after its TCP port: wait for both.
            if (ipv6 || Self.canConnect(port: port)) && Self.canConnect(unixSocket: socketPath) { return }
            usleep(10_000)
        }
        stop()
        throw RedisTestServerError("redis-server did not start listening on port \(port) within 10 s")
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether something accepts connections on the Unix socket at `path`.
    static func canConnect(unixSocket path: String) -> Bool {
        let fd = socket(AF_UNIX, Self.streamType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// Ports already handed out in this process.
    private static let handedOut = NSLock()
    nonisolated(unsafe) private static var usedPorts: Set<Int> = []

    /// A port that is free now and that nothing else in this process will be given.
    ///
    /// Ports come from 20000–29999, below the ephemeral range the kernel assigns to port-0 listeners
    /// (such as ``FakeRedisServer``) and outgoing connections, so that a port freed by a killed server
    /// is not taken by another test before the server is restarted on it.
    static func freePort() throws -> Int {
        for _ in 0..<1_000 {
            let candidate = Int.random(in: 20_000..<30_000)
            let fresh = handedOut.withLock { usedPorts.insert(candidate).inserted }
            guard fresh, isBindable(candidate) else { continue }
            return candidate
        }
        throw RedisTestServerError("no free port found")
    }

    /// Whether a listener could bind 127.0.0.1:`port` now.
    static func isBindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        return address
    }

    #if canImport(Glibc)
        static let streamType = Int32(SOCK_STREAM.rawValue)
    #else
        static let streamType = SOCK_STREAM
    #endif

    /// The executable `name` on `PATH` (or in the usual places), or `nil`.
    static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let candidates = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/opt/homebrew/bin"]
        for directory in candidates {
            let file = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: file.path) { return file }
        }
        return nil
    }
}

/// A failure to run the test server.
struct RedisTestServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
