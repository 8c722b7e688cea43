// The few POSIX socket calls the loopback test server needs, with the differences between Linux and
// Darwin (socket type constants, sin_len, SIGPIPE suppression) kept in one place.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Thin wrappers over POSIX sockets for a blocking, thread-per-connection server on 127.0.0.1.
package enum LoopbackSocket {
    /// An error from a socket call, with `errno`'s text.
    package struct Failure: Error, CustomStringConvertible {
        package var call: String
        package var code: Int32
        package var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    /// What waiting on a connection found.
    package enum WaitResult {
        /// The time passed.
        case elapsed
        /// The server is stopping.
        case stopping
        /// The client closed (or reset) the connection.
        case clientClosed
        /// Bytes arrived.
        case readable
    }

    #if canImport(Darwin)
        private static let streamType = SOCK_STREAM
        private static let sendFlags: Int32 = 0
    #else
        private static let streamType = Int32(SOCK_STREAM.rawValue)
        private static let sendFlags = Int32(MSG_NOSIGNAL)
    #endif

    /// Opens a listening socket on 127.0.0.1 with an ephemeral port.
    ///
    /// - Returns: The socket and its port.
    package static func listen() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "bind", code: code)
        }
        guard posixListen(fd, 64) == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "listen", code: code)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            let code = errno
            close(fd)
            throw Failure(call: "getsockname", code: code)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Accepts a connection, or returns `nil` on a transient failure.
    package static func accept(_ listener: Int32) -> Int32? {
        let fd = posixAccept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        var yes: Int32 = 1
        // Each piece of a scripted stream goes out when written, not when Nagle's algorithm decides.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        #if canImport(Darwin)
            setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return fd
    }

    /// Creates the pipe whose read end becomes readable (and stays so) when the server stops.
    package static func makeWakePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(call: "pipe", code: errno) }
        return (fds[0], fds[1])
    }

    /// Makes the wake pipe readable, waking every thread that waits on it.
    package static func signal(_ wakeWrite: Int32) {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Waits until `fd` is readable, the server stops, or `milliseconds` pass (`-1`: no limit).
    ///
    /// - Parameters:
    ///   - fd: The socket, or `nil` to wait on the wake pipe alone.
    ///   - wake: The wake pipe's read end.
    ///   - milliseconds: The limit.
    package static func wait(for fd: Int32?, wake: Int32, milliseconds: Int32) -> WaitResult {
        var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        if let fd { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
        while true {
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                return .stopping
            }
            if ready == 0 { return .elapsed }
            if fds[0].revents != 0 { return .stopping }
            if fds.count > 1, fds[1].revents != 0 {
                return fds[1].revents & Int16(POLLIN) != 0 ? .readable : .clientClosed
            }
            return .elapsed
        }
    }

    /// Whether the peer has closed a connection that reported readable (a zero-byte peek).
    package static func peerClosed(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let count = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
    }

    /// Receives up to `capacity` bytes; empty at end of stream or on error.
    package static func receive(_ fd: Int32, capacity: Int = 65_536) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, capacity, 0) }
            if count < 0, errno == EINTR { continue }
            return count > 0 ? Array(buffer[0..<count]) : []
        }
    }

    /// Sends all of `bytes`.
    ///
    /// - Returns: `false` when the peer is gone.
    package static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                posixSend(fd, buffer.baseAddress! + offset, bytes.count - offset, sendFlags)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    /// Shuts both directions of a socket down, waking a thread blocked on it.
    package static func shutdownBoth(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Closes a descriptor.
    package static func closeDescriptor(_ fd: Int32) {
        _ = close(fd)
    }
}

// The free functions `listen`, `accept` and `send` are shadowed by this enum's own methods; these
// aliases reach the C ones.
#if canImport(Glibc)
    private func posixListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Glibc.listen(fd, backlog) }
    private func posixAccept(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
    ) -> Int32 { Glibc.accept(fd, address, length) }
    private func posixSend(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
        Glibc.send(fd, buffer, count, flags)
    }
#elseif canImport(Musl)
    private func posixListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Musl.listen(fd, backlog) }
    private func posixAccept(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
    ) -> Int32 { Musl.accept(fd, address, length) }
    private func posixSend(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
        Musl.send(fd, buffer, count, flags)
    }
#elseif canImport(Darwin)
    private func posixListen(_ fd: Int32, _ backlog: Int32) -> Int32 { Darwin.listen(fd, backlog) }
    private func posixAccept(
        _ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: UnsafeMutablePointer<socklen_t>?
    ) -> Int32 { Darwin.accept(fd, address, length) }
    private func posixSend(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int, _ flags: Int32) -> Int {
        Darwin.send(fd, buffer, count, flags)
    }
#endif
