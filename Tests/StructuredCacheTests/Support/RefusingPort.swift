// A loopback port where connections are refused for as long as the value lives: a socket is bound to it
// but never listens, so no other server (of this test run or another process) can take the port meanwhile.

import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

final class RefusingPort {
    /// The port, on 127.0.0.1.
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, RedisServerProcess.streamType, 0)
        guard fd >= 0 else { throw RedisTestServerError("socket failed: errno \(errno)") }
        var address = RedisServerProcess.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw RedisTestServerError("binding a loopback port failed: errno \(errno)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
