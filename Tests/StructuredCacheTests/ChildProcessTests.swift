// The helper that starts the tests' child processes: with thousands of descriptors open in the test
// process, a child starts, sees none of them, reports its output and status, and can be signalled.

import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite(.timeLimit(.minutes(1)))
struct ChildProcessTests {
    @Test func aChildGetsNoneOfTheTestProcessDescriptors() throws {
        // Descriptors without close-on-exec, more than a `readdir` buffer of `/dev/fd` holds.
        let held = (0..<2_000).map { _ in openForReading("/dev/null") }
        defer { for descriptor in held where descriptor >= 0 { close(descriptor) } }
        #expect(held.allSatisfy { $0 >= 0 })
        for _ in 0..<20 {
            let child = try ChildProcess(
                "/bin/sh", ["-c", "ls /dev/fd/ | wc -l; exit 3"], standardOutput: .captured)
            let listed = String(decoding: child.readOutputToEnd(), as: UTF8.self)
            #expect(child.waitUntilExit() == .exited(3))
            // 0, 1 and 2, plus the one `ls` reads the folder through.
            #expect(Int(listed.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 <= 4, "\(listed)")
        }
    }

    @Test func aSignalledChildReportsTheSignal() throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        #expect(child.isRunning)
        child.signal(SIGKILL)
        #expect(child.waitUntilExit() == .signaled(SIGKILL))
        #expect(!child.isRunning)
    }

    @Test func aChildRunsInTheGivenFolderAndItsErrorsAreCaptured() throws {
        let child = try ChildProcess(
            "/bin/sh", ["-c", "pwd >&2"], directory: "/", standardError: .captured)
        #expect(String(decoding: child.readOutputToEnd(), as: UTF8.self) == "/\n")
        #expect(child.waitUntilExit() == .exited(0))
    }
}

/// Opens `path` for reading, without close-on-exec.
private func openForReading(_ path: String) -> Int32 { open(path, O_RDONLY) }
