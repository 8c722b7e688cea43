// The POSIX socket calls the Redis client needs, behind one small interface that hides Glibc/Darwin
// differences: resolving, connecting with a deadline, sending without blocking, receiving.

import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A failed system call: which call, and `errno`.
struct RedisSocketError: Error, CustomStringConvertible, Equatable {
    /// The system call that failed.
    var operation: String
    /// The `errno` value it left, or a `getaddrinfo` error code when ``operation`` is `getaddrinfo`.
    var code: Int32

    var description: String {
        if operation == "getaddrinfo" {
            return "getaddrinfo: \(String(cString: gai_strerror(code)))"
        }
        return "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Socket system calls, with the platform's spelling of each flag.
///
/// Sockets are created close-on-exec, never raise SIGPIPE (`MSG_NOSIGNAL` on Linux, `SO_NOSIGPIPE`
/// on Darwin), and are left in blocking mode after connecting: the connection's own reader thread
/// blocks in ``receive(_:into:count:)`` while writers use ``send(_:from:count:)``, which never blocks.
enum RedisSocket {
    #if canImport(Glibc)
        private static let streamType = Int32(SOCK_STREAM.rawValue)
        private static let sendFlags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
    #elseif canImport(Musl)
        private static let streamType = SOCK_STREAM
        private static let sendFlags = Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT)
    #else
        private static let streamType = SOCK_STREAM
        private static let sendFlags = Int32(MSG_DONTWAIT)
    #endif

    /// Connects to `endpoint`, trying each resolved address in turn, and gives up at `deadline`.
    ///
    /// This blocks the calling thread (name resolution and the wait for the handshake), so it is only
    /// ever called on a connection's dedicated thread, never on Swift's cooperative pool.
    ///
    /// - Parameters:
    ///   - endpoint: The server's address.
    ///   - deadline: When to stop trying.
    /// - Returns: A connected, blocking socket.
    /// - Throws: ``CacheError/Code/connectionFailed`` or ``CacheError/Code/timeout``.
    static func connect(
        to endpoint: RedisConfiguration.Endpoint, deadline: ContinuousClock.Instant
    ) throws(CacheError) -> Int32 {
        switch endpoint {
        case .unix(let path):
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            #if canImport(Darwin)
                address.sun_len = UInt8(MemoryLayout<sockaddr_un>.size)
            #endif
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            let pathBytes = Array(path.utf8)
            guard pathBytes.count < capacity else {
                throw .invalidConfiguration("the Unix socket path is longer than \(capacity - 1) bytes")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: pathBytes)
                raw[pathBytes.count] = 0
            }
            let fd = try makeSocket(family: AF_UNIX, endpoint: endpoint)
            do {
                try withUnsafePointer(to: &address) { pointer throws(CacheError) in
                    try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address throws(CacheError) in
                        try connect(fd, address, socklen_t(MemoryLayout<sockaddr_un>.size), endpoint, deadline)
                    }
                }
            } catch {
                POSIXFile.close(fd)
                throw error
            }
            return fd

        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = streamType
            hints.ai_flags = AI_NUMERICSERV
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else {
                throw .connectionFailed(
                    "cannot resolve '\(host)'", underlying: RedisSocketError(operation: "getaddrinfo", code: status))
            }
            defer { freeaddrinfo(list) }
            var lastError = CacheError.connectionFailed("'\(host)' resolved to no usable address")
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let info = entry {
                entry = info.pointee.ai_next
                guard let address = info.pointee.ai_addr else { continue }
                let fd: Int32
                do {
                    fd = try makeSocket(family: info.pointee.ai_family, endpoint: endpoint)
                } catch {
                    lastError = error
                    continue
                }
                do {
                    try connect(fd, address, info.pointee.ai_addrlen, endpoint, deadline)
                    var one: Int32 = 1
                    _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    return fd
                } catch {
                    POSIXFile.close(fd)
                    lastError = error
                    if error.code == .timeout { break }
                }
            }
            throw lastError
        }
    }

    /// Writes as much of `count` bytes as the socket takes now, without blocking.
    ///
    /// - Returns: The bytes written, or -1 with `errno` set (`EAGAIN` when the send buffer is full).
    static func send(_ fd: Int32, from bytes: UnsafeRawPointer, count: Int) -> Int {
        #if canImport(Darwin)
            return Darwin.send(fd, bytes, count, sendFlags)
        #elseif canImport(Glibc)
            return Glibc.send(fd, bytes, count, sendFlags)
        #else
            return Musl.send(fd, bytes, count, sendFlags)
        #endif
    }

    /// How a ``send(_:_:from:)`` ended.
    enum SendOutcome: Equatable {
        /// Every byte was written.
        case done
        /// The send buffer is full; the offset says how far the bytes got.
        case wouldBlock
        /// The socket failed with this `errno`.
        case failed(Int32)
    }

    /// Writes `bytes` from `offset` on, as far as the socket takes them now, without blocking.
    ///
    /// - Parameters:
    ///   - fd: The socket.
    ///   - bytes: What to write.
    ///   - offset: Where to start; advanced past what was written.
    /// - Returns: Whether everything was written, the socket is full, or it failed.
    static func send(_ fd: Int32, _ bytes: [UInt8], from offset: inout Int) -> SendOutcome {
        while offset < bytes.count {
            let start = offset
            let written = bytes.withUnsafeBytes { raw in
                send(fd, from: raw.baseAddress! + start, count: raw.count - start)
            }
            if written > 0 {
                offset += written
                continue
            }
            let code = lastErrno
            if written < 0 && isInterrupted(code) { continue }
            return written < 0 && isWouldBlock(code) ? .wouldBlock : .failed(code)
        }
        return .done
    }

    /// Reads what has arrived, blocking the calling thread until something has.
    ///
    /// - Returns: The bytes read, 0 at end of stream, or -1 with `errno` set.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        recv(fd, buffer, count, 0)
    }

    /// Shuts both directions down, which wakes a thread blocked in ``receive(_:into:count:)``.
    static func shutdown(_ fd: Int32) {
        #if canImport(Darwin)
            _ = Darwin.shutdown(fd, Int32(SHUT_RDWR))
        #elseif canImport(Glibc)
            _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        #else
            _ = Musl.shutdown(fd, Int32(SHUT_RDWR))
        #endif
    }

    /// The current `errno`.
    static var lastErrno: Int32 { errno }

    /// Whether `code` means "try again later" rather than failure.
    static func isWouldBlock(_ code: Int32) -> Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// Whether `code` means "interrupted by a signal; retry".
    static func isInterrupted(_ code: Int32) -> Bool { code == EINTR }

    // MARK: - Private

    private static func makeSocket(
        family: Int32, endpoint: RedisConfiguration.Endpoint
    ) throws(CacheError) -> Int32 {
        #if canImport(Glibc)
            let fd = socket(family, streamType | Int32(SOCK_CLOEXEC.rawValue), 0)
        #elseif canImport(Musl)
            let fd = socket(family, streamType | SOCK_CLOEXEC, 0)
        #else
            let fd = socket(family, streamType, 0)
        #endif
        guard fd >= 0 else {
            throw .connectionFailed(
                "cannot create a socket for \(endpoint)", underlying: RedisSocketError(operation: "socket", code: errno)
            )
        }
        #if canImport(Darwin)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return fd
    }

    /// Connects without blocking past `deadline`: a non-blocking `connect`, then `poll` for writability.
    private static func connect(
        _ fd: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t,
        _ endpoint: RedisConfiguration.Endpoint, _ deadline: ContinuousClock.Instant
    ) throws(CacheError) {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var result: Int32
        repeat {
            #if canImport(Darwin)
                result = Darwin.connect(fd, address, length)
            #elseif canImport(Glibc)
                result = Glibc.connect(fd, address, length)
            #else
                result = Musl.connect(fd, address, length)
            #endif
        } while result != 0 && errno == EINTR
        if result != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                throw .connectionFailed(
                    "cannot connect to \(endpoint)", underlying: RedisSocketError(operation: "connect", code: code))
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            while true {
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else {
                    throw .timeout("connecting to \(endpoint) took longer than the connect timeout")
                }
                let milliseconds = Int32(clamping: remaining.milliseconds(roundingUp: true))
                let ready = poll(&descriptor, 1, milliseconds)
                if ready > 0 { break }
                if ready < 0 && errno != EINTR {
                    throw .connectionFailed(
                        "cannot connect to \(endpoint)", underlying: RedisSocketError(operation: "poll", code: errno))
                }
            }
            var socketError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &size)
            guard socketError == 0 else {
                throw .connectionFailed(
                    "cannot connect to \(endpoint)",
                    underlying: RedisSocketError(operation: "connect", code: socketError))
            }
        }
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
    }
}
