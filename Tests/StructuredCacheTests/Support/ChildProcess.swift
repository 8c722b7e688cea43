// Starts the tests' helper processes (redis-server, redis-cli, openssl, the DiskCache worker) with
// posix_spawn, so that no file descriptor of the test process leaks into them.
//
// Foundation's `Process` is not used: on Linux, `Process.run()` of the toolchain's Foundation reads every
// record of `/proc/self/fd` as a whole `struct dirent`, past the record's end, and crashes the test
// process (SIGSEGV in memmove) when the last record ends next to unmapped memory. With the hundreds of
// sockets and pipes that the suites keep open at once, that happens every few runs.

import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process started by the tests: its identifier, its output when asked for, and how it ended.
final class ChildProcess: Sendable {
    /// Where the child's standard output (and standard error) go.
    enum Output: Equatable {
        /// To `/dev/null`.
        case discarded
        /// To a pipe the test reads through ``output``.
        case captured
        /// To the file at this path, created or emptied (for a standard error kept apart from a
        /// captured standard output).
        case file(String)
    }

    /// How the child ended.
    enum Termination: Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal killed it.
        case signaled(Int32)
    }

    /// The process identifier.
    let pid: pid_t
    /// The reading end of the child's output, when it was captured.
    let output: FileHandle?
    private let termination = Mutex<Termination?>(nil)

    /// Starts `executable` with `arguments`, standard input from `/dev/null`.
    ///
    /// - Parameters:
    ///   - executable: The path of the program.
    ///   - arguments: Its arguments, without the program's name.
    ///   - directory: The working directory of the child, or `nil` for the test process's.
    ///   - standardOutput: Where its standard output goes.
    ///   - standardError: Where its standard error goes; `.captured` shares the pipe of a captured
    ///     standard output, or makes one of its own when standard output is discarded.
    /// - Throws: ``ChildProcessError`` when the process cannot be started.
    init(
        _ executable: String, _ arguments: [String], directory: String? = nil,
        standardOutput: Output = .discarded, standardError: Output = .discarded
    ) throws {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        try Self.check(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        try Self.check(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }

        var capture: (read: Int32, write: Int32)?
        if standardOutput == .captured || standardError == .captured {
            var ends: [Int32] = [-1, -1]
            guard ends.withUnsafeMutableBufferPointer({ pipe($0.baseAddress!) }) == 0 else {
                throw ChildProcessError("pipe", errno)
            }
            for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            capture = (ends[0], ends[1])
        }
        var captureHandedOver = false
        defer {
            if let capture {
                close(capture.write)
                if !captureHandedOver { close(capture.read) }
            }
        }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen")
        for (descriptor, destination) in [(Int32(1), standardOutput), (2, standardError)] {
            if destination == .captured, let capture {
                try Self.check(posix_spawn_file_actions_adddup2(&actions, capture.write, descriptor), "adddup2")
            } else if case .file(let path) = destination {
                try Self.check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600),
                    "addopen")
            } else {
                try Self.check(
                    posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0), "addopen")
            }
        }
        if let directory {
            guard let addChdir = SpawnExtensions.addChdir else {
                throw ChildProcessError("posix_spawn_file_actions_addchdir_np is not available", ENOSYS)
            }
            try Self.check(addChdir(&actions, directory), "addchdir")
        }

        // Nothing else of the test process reaches the child, whatever its close-on-exec flag.
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
            flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
            guard let addCloseFrom = SpawnExtensions.addCloseFrom else {
                throw ChildProcessError("posix_spawn_file_actions_addclosefrom_np is not available", ENOSYS)
            }
            try Self.check(addCloseFrom(&actions, 3), "addclosefrom")
        #endif
        // A child started from a Dispatch thread would otherwise inherit that thread's blocked signals.
        var signals = sigset_t()
        sigemptyset(&signals)
        try Self.check(posix_spawnattr_setsigmask(&attributes, &signals), "setsigmask")
        sigfillset(&signals)
        try Self.check(posix_spawnattr_setsigdefault(&attributes, &signals), "setsigdefault")
        try Self.check(posix_spawnattr_setflags(&attributes, Int16(truncatingIfNeeded: flags)), "setflags")

        let argv = ([executable] + arguments).map { strdup($0) }
        let environment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + environment).forEach { free($0) } }
        var identifier: pid_t = 0
        let status = posix_spawn(&identifier, executable, &actions, &attributes, argv + [nil], environment + [nil])
        guard status == 0 else { throw ChildProcessError("posix_spawn \(executable)", status) }
        pid = identifier
        if let capture {
            captureHandedOver = true
            output = FileHandle(fileDescriptor: capture.read, closeOnDealloc: true)
        } else {
            output = nil
        }
    }

    deinit {
        _ = isRunning  // reaps a child that already ended
    }

    /// Whether the child is still running (reaps it once it has ended).
    var isRunning: Bool {
        termination.withLock { ended in
            if ended != nil { return false }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { ended = Self.termination(status) }
            return reaped == 0
        }
    }

    /// Blocks until the child ends.
    ///
    /// - Returns: How it ended.
    @discardableResult
    func waitUntilExit() -> Termination {
        while true {
            if let ended = termination.withLock({ $0 }) { return ended }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, 0)
            if reaped == pid {
                let ended = Self.termination(status)
                termination.withLock { $0 = ended }
                return ended
            }
            if reaped < 0 && errno != EINTR {
                // Reaped by a concurrent `isRunning`, which records how it ended.
                usleep(1_000)
            }
        }
    }

    /// Sends `signal` to the child, unless it has already been reaped (its identifier may belong to
    /// another process by then).
    ///
    /// - Parameter signal: The signal, such as `SIGSTOP` or `SIGKILL`.
    func signal(_ signal: Int32) {
        termination.withLock { ended in
            if ended == nil { _ = kill(pid, signal) }
        }
    }

    /// The path of the helper executable `name` that the package builds beside the test bundle, or `nil`
    /// when it was not built.
    ///
    /// - Parameter name: The executable product's name.
    static func helper(_ name: String) -> String? {
        var folders = [Bundle.module.bundleURL.deletingLastPathComponent()]
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        folders += Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map {
            $0.bundleURL.deletingLastPathComponent()
        }
        return folders.map { $0.appendingPathComponent(name).path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Everything the child writes to its captured output until it closes it.
    ///
    /// - Returns: The bytes, or none when the output was not captured.
    func readOutputToEnd() -> Data {
        output?.readDataToEndOfFile() ?? Data()
    }

    private static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7F
        return signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
    }

    private static func check(_ status: Int32, _ what: String) throws {
        if status != 0 { throw ChildProcessError(what, status) }
    }
}

/// The spawn file actions that the C library has but its Swift module leaves out (Glibc declares them
/// only for `_GNU_SOURCE`), looked up by name.
private enum SpawnExtensions {
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) ->
        Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    private static func symbol<Function>(_ name: String) -> Function? {
        #if canImport(Darwin)
            let everywhere = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
            let everywhere: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #endif
        return dlsym(everywhere, name).map { unsafeBitCast($0, to: Function.self) }
    }
}

/// A failure to start a child process.
struct ChildProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ what: String, _ code: Int32) { description = "\(what) failed: \(String(cString: strerror(code)))" }
}
