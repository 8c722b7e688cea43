// The Redis the examples share a cache through: REDIS_URL, a server on the default port, or one
// started for the example when redis-server is installed.

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Redis server for an example.
package final class ExampleRedis {
    /// Its URL.
    package let url: String
    private let process: Process?
    private let directory: URL?

    private init(url: String, process: Process?, directory: URL?) {
        self.url = url
        self.process = process
        self.directory = directory
    }

    /// `REDIS_URL` when set; else a server listening on 127.0.0.1:6379; else a `redis-server` started
    /// on a free port (stopped by ``stop()``); `nil` when there is none of these.
    package static func locate() throws -> ExampleRedis? {
        if let given = ProcessInfo.processInfo.environment["REDIS_URL"], !given.isEmpty {
            return ExampleRedis(url: given, process: nil, directory: nil)
        }
        if canConnect(port: 6379) { return ExampleRedis(url: "redis://127.0.0.1:6379", process: nil, directory: nil) }
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent("redis-server") }
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            return nil
        }
        let port = Int.random(in: 30_000..<40_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "structuredcache-example-redis-\(port)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = executable
        process.arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<500 where !canConnect(port: port) { usleep(10_000) }
        print("(started redis-server for this example on port \(port); it stops when the example ends)")
        return ExampleRedis(url: "redis://127.0.0.1:\(port)", process: process, directory: directory)
    }

    /// Stops the server this example started, if it started one.
    package func stop() {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private static func canConnect(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
