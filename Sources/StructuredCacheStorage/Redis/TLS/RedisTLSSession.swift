// One connection's TLS state: an OpenSSL SSL object over two memory BIOs. The connection keeps doing
// its own socket I/O; the session only turns plaintext into records and records into plaintext.

import StructuredCacheSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TLS client session over memory buffers.
///
/// The socket stays the connection's: ``handshake(fd:deadline:)`` exchanges the handshake records on it
/// (blocking, on the connection's own thread), then the writer passes queued commands through
/// ``seal(_:)`` before sending, and the reader passes what it receives through ``open(_:_:)``.
///
/// ## Threading
/// The reader thread decrypts while a writer encrypts, so every use of the SSL object and its BIOs
/// happens under ``lock``; the lock is never held across a system call that can block.
final class RedisTLSSession: @unchecked Sendable {
    /// What ``open(_:_:)`` found besides plaintext.
    struct OpenOutcome {
        /// The server sent close_notify: no more data will come.
        var closed = false
        /// OpenSSL queued records to send (such as the answer to a TLS 1.3 key update): the writer
        /// must run ``seal(_:)`` and send what it returns.
        var hasOutput = false
    }

    private let library: OpenSSLLibrary
    private let context: RedisTLSContext
    /// What the server sent, for OpenSSL to read (`SSL_read`'s source).
    private let readBIO: OpaquePointer
    /// What OpenSSL wrote, for the connection to send.
    private let writeBIO: OpaquePointer
    private let endpoint: String
    /// What only the holder of ``lock`` touches (after ``init(context:serverName:checksName:endpoint:)``,
    /// which configures the SSL object before any other thread can reach it).
    private struct Guarded: @unchecked Sendable {
        /// The `SSL *`, which owns both BIOs.
        let ssl: OpaquePointer
        /// Why decryption failed, once it has: a writer that fails afterwards reports this cause.
        var failure: String?
    }

    /// Guards the SSL object, both BIOs and the failure.
    private let lock: Lock<Guarded>
    /// Scratch space for `SSL_read`, used only under `lock`.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    /// Creates a client session.
    ///
    /// - Parameters:
    ///   - context: The cache's TLS context.
    ///   - serverName: The name for SNI and the certificate check; an IP literal is checked as an
    ///     address and not sent as SNI; `nil` for neither.
    ///   - checksName: Whether to check the certificate's names against `serverName`.
    ///   - endpoint: The server, for messages.
    /// - Throws: ``CacheError/Code/connectionFailed`` when OpenSSL cannot set the session up.
    init(context: RedisTLSContext, serverName: String?, checksName: Bool, endpoint: String) throws(CacheError) {
        let library = context.library
        library.ERR_clear_error()
        guard let ssl = library.SSL_new(context.context) else {
            throw .connectionFailed("cannot start a TLS session: \(library.drainErrors())")
        }
        guard let readBIO = library.BIO_new(library.BIO_s_mem()) else {
            library.SSL_free(ssl)
            throw .connectionFailed("cannot start a TLS session: \(library.drainErrors())")
        }
        guard let writeBIO = library.BIO_new(library.BIO_s_mem()) else {
            _ = library.BIO_free(readBIO)
            library.SSL_free(ssl)
            throw .connectionFailed("cannot start a TLS session: \(library.drainErrors())")
        }
        library.SSL_set_bio(ssl, readBIO, writeBIO)
        self.library = library
        self.context = context
        self.lock = Lock(Guarded(ssl: ssl))
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.endpoint = endpoint
        // From here on deinit frees the SSL object.
        if let serverName {
            let isAddress = Self.isIPAddress(serverName)
            if !isAddress {
                let sent = serverName.withCString { name in
                    library.SSL_ctrl(
                        ssl, OpenSSLLibrary.ctrlSetTLSExtHostName, OpenSSLLibrary.nameTypeHostName,
                        UnsafeMutableRawPointer(mutating: name))
                }
                guard sent == 1 else {
                    throw .connectionFailed("cannot set the TLS server name: \(library.drainErrors())")
                }
            }
            if checksName {
                let checked =
                    isAddress
                    ? library.X509_VERIFY_PARAM_set1_ip_asc(library.SSL_get0_param(ssl), serverName)
                    : library.SSL_set1_host(ssl, serverName)
                guard checked == 1 else {
                    throw .connectionFailed(
                        "cannot check the TLS certificate against '\(serverName)': \(library.drainErrors())")
                }
            }
        }
        library.SSL_set_connect_state(ssl)
    }

    deinit {
        lock.withLock { library.SSL_free($0.ssl) }
        scratch.deallocate()
    }

    /// Whether `name` is an IPv4 or IPv6 address literal (without brackets).
    ///
    /// - Parameter name: A host name or address.
    /// - Returns: `true` for an address.
    static func isIPAddress(_ name: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET, name, &address) == 1 || inet_pton(AF_INET6, name, &address) == 1
    }

    // MARK: - Handshake

    /// Runs the TLS handshake on `fd`, blocking the calling thread (the connection's own) until it is
    /// done or `deadline` passes.
    ///
    /// - Parameters:
    ///   - fd: The connected socket.
    ///   - deadline: When to give up.
    /// - Throws: ``CacheError/Code/connectionFailed`` with OpenSSL's reason (a failed verification
    ///   names the certificate problem; a server that answers with something other than TLS is said not
    ///   to speak TLS on that port), or ``CacheError/Code/timeout``.
    func handshake(fd: Int32, deadline: ContinuousClock.Instant) throws(CacheError) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var receivedAny = false
        while true {
            let (done, failure, output) = lock.withLock { guarded -> (Bool, CacheError?, [UInt8]) in
                let ssl = guarded.ssl
                library.ERR_clear_error()
                let result = library.SSL_do_handshake(ssl)
                let output = drainWriteBIO()
                if result == 1 { return (true, nil, output) }
                let code = library.SSL_get_error(ssl, result)
                if code == OpenSSLLibrary.errorWantRead || code == OpenSSLLibrary.errorWantWrite {
                    return (false, nil, output)
                }
                return (false, handshakeFailure(code, ssl), output)
            }
            if let failure {
                // An alert explains the failure to the server too; its loss changes nothing here.
                try? send(output, on: fd, deadline: deadline)
                throw failure
            }
            try send(output, on: fd, deadline: deadline)
            if done { return }
            let received = try receive(into: &buffer, from: fd, deadline: deadline, receivedAny: receivedAny)
            if received == 0 {
                throw .connectionFailed(
                    receivedAny
                        ? "\(endpoint) closed the connection during the TLS handshake"
                        : "\(endpoint) closed the connection during the TLS handshake without answering; "
                            + "the server does not seem to speak TLS on that port (use a redis:// URL for a "
                            + "plain port), or it refused the client")
            }
            receivedAny = true
            lock.withLock { _ in
                buffer.withUnsafeBytes { bytes in
                    _ = library.BIO_write(readBIO, bytes.baseAddress, Int32(received))
                }
            }
        }
    }

    /// The error for a handshake that OpenSSL gave up on, from its error queue and verification result.
    /// Called under `lock`.
    private func handshakeFailure(_ code: Int32, _ ssl: OpaquePointer) -> CacheError {
        let queue = library.drainErrors()
        let verified = library.SSL_get_verify_result(ssl)
        let detail = queue.isEmpty ? "SSL_get_error \(code)" : queue
        // Without verification OpenSSL still records what it found, but fails nothing for it.
        if verified != OpenSSLLibrary.verifyOK && context.options.verification != .dangerouslyDisabled {
            return .connectionFailed(
                "the TLS handshake with \(endpoint) failed: certificate verify failed: "
                    + "\(library.verifyErrorText(verified)) (\(detail))")
        }
        if Self.meansNotTLS(queue) {
            return .connectionFailed(
                "the TLS handshake with \(endpoint) failed: the server does not seem to speak TLS on that port "
                    + "(use a redis:// URL for a plain port) (\(detail))")
        }
        return .connectionFailed("the TLS handshake with \(endpoint) failed: \(detail)")
    }

    /// Whether OpenSSL's errors say the peer's bytes were not TLS records at all.
    private static func meansNotTLS(_ queue: String) -> Bool {
        ["wrong version number", "packet length too long", "record layer failure", "http request", "unknown protocol"]
            .contains { queue.contains($0) }
    }

    /// Sends all of `bytes`, waiting for the socket to take them until `deadline`.
    private func send(_ bytes: [UInt8], on fd: Int32, deadline: ContinuousClock.Instant) throws(CacheError) {
        var offset = 0
        while true {
            switch RedisSocket.send(fd, bytes, from: &offset) {
            case .done:
                return
            case .wouldBlock:
                try wait(for: Int16(POLLOUT), on: fd, deadline: deadline, answered: true)
            case .failed(let code):
                throw .connectionFailed(
                    "the TLS handshake with \(endpoint) failed",
                    underlying: RedisSocketError(operation: "send", code: code))
            }
        }
    }

    /// Receives what has arrived, waiting for it until `deadline`.
    ///
    /// - Returns: The bytes read, or 0 when the server closed the connection.
    private func receive(
        into buffer: inout [UInt8], from fd: Int32, deadline: ContinuousClock.Instant, receivedAny: Bool
    ) throws(CacheError) -> Int {
        while true {
            try wait(for: Int16(POLLIN), on: fd, deadline: deadline, answered: receivedAny)
            let received = buffer.withUnsafeMutableBytes { raw in
                RedisSocket.receive(fd, into: raw.baseAddress!, count: raw.count)
            }
            if received >= 0 { return received }
            let code = RedisSocket.lastErrno
            if RedisSocket.isInterrupted(code) || RedisSocket.isWouldBlock(code) { continue }
            if code == ECONNRESET { return 0 }
            throw .connectionFailed(
                "the TLS handshake with \(endpoint) failed", underlying: RedisSocketError(operation: "recv", code: code)
            )
        }
    }

    /// Waits until `fd` is ready for `events`, or throws a timeout at `deadline`; `answered` tells
    /// whether the server has sent anything yet, for the message.
    private func wait(
        for events: Int16, on fd: Int32, deadline: ContinuousClock.Instant, answered: Bool
    ) throws(CacheError) {
        var descriptor = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard remaining > .zero else {
                // A plain Redis port takes a ClientHello for the start of a command and waits in silence.
                throw .timeout(
                    answered
                        ? "the TLS handshake with \(endpoint) did not finish within the connect timeout"
                        : "\(endpoint) did not answer the TLS handshake within the connect timeout: the server does "
                            + "not seem to speak TLS on that port (use a redis:// URL for a plain port), or it is "
                            + "not responding")
            }
            let ready = poll(&descriptor, 1, Int32(clamping: remaining.milliseconds(roundingUp: true)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw .connectionFailed(
                    "the TLS handshake with \(endpoint) failed",
                    underlying: RedisSocketError(operation: "poll", code: errno))
            }
        }
    }

    // MARK: - Records

    /// Encrypts `plaintext` and returns the records to send, after any records OpenSSL had queued.
    ///
    /// - Parameter plaintext: The bytes to send; may be empty, to collect queued records only.
    /// - Returns: The ciphertext, in the order it must be sent.
    /// - Throws: ``CacheError/Code/connectionClosed`` when OpenSSL fails (its reason in the message).
    func seal(_ plaintext: [UInt8]) throws(CacheError) -> [UInt8] {
        let (output, failure) = lock.withLock { guarded -> ([UInt8], CacheError?) in
            let ssl = guarded.ssl
            let earlier = guarded.failure
            library.ERR_clear_error()
            var offset = 0
            let failure = plaintext.withUnsafeBytes { raw -> CacheError? in
                while offset < raw.count {
                    let count = Int32(min(raw.count - offset, 1 << 30))
                    let written = library.SSL_write(ssl, raw.baseAddress! + offset, count)
                    guard written > 0 else {
                        let code = library.SSL_get_error(ssl, written)
                        let reason = describe(code)
                        // Once the reader has seen the session fail (an alert), that is the cause.
                        return .connectionClosed(
                            "TLS encryption for \(endpoint) failed: \(earlier.map { "\($0) (then \(reason))" } ?? reason)"
                        )
                    }
                    offset += Int(written)
                }
                return nil
            }
            return (drainWriteBIO(), failure)
        }
        if let failure { throw failure }
        return output
    }

    /// Decrypts `ciphertext` and hands each piece of plaintext to `deliver`, in order.
    ///
    /// - Parameters:
    ///   - ciphertext: Bytes received from the server (any part of any record).
    ///   - deliver: Receives the plaintext; called under the session's lock, so it must not block.
    /// - Returns: Whether the server closed the session, and whether records wait to be sent.
    /// - Throws: ``CacheError/Code/connectionClosed`` when OpenSSL rejects the records (its reason in the
    ///   message, such as an alert from a server that refused the client certificate).
    func open(
        _ ciphertext: UnsafeRawBufferPointer, _ deliver: (UnsafeRawBufferPointer) -> Void
    ) throws(CacheError) -> OpenOutcome {
        let (outcome, failure) = lock.withLock { guarded -> (OpenOutcome, CacheError?) in
            let ssl = guarded.ssl
            library.ERR_clear_error()
            var outcome = OpenOutcome()
            if !ciphertext.isEmpty {
                _ = library.BIO_write(readBIO, ciphertext.baseAddress, Int32(clamping: ciphertext.count))
            }
            var failure: CacheError?
            while true {
                let read = library.SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
                if read > 0 {
                    deliver(UnsafeRawBufferPointer(rebasing: scratch[0..<Int(read)]))
                    continue
                }
                let code = library.SSL_get_error(ssl, read)
                if code == OpenSSLLibrary.errorWantRead { break }
                if code == OpenSSLLibrary.errorZeroReturn {
                    outcome.closed = true
                    break
                }
                // A memory BIO never refuses a write; anything else is a failure.
                let reason = describe(code)
                guarded.failure = reason
                failure = .connectionClosed("TLS decryption of \(endpoint)'s data failed: \(reason)")
                break
            }
            outcome.hasOutput = library.BIO_ctrl(writeBIO, OpenSSLLibrary.bioCtrlPending, 0, nil) > 0
            return (outcome, failure)
        }
        if let failure { throw failure }
        return outcome
    }

    // MARK: - Private

    /// Everything OpenSSL wrote to the write BIO. Called under `lock`.
    private func drainWriteBIO() -> [UInt8] {
        let pending = library.BIO_ctrl(writeBIO, OpenSSLLibrary.bioCtrlPending, 0, nil)
        guard pending > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: pending) { buffer, count in
            let read = library.BIO_read(writeBIO, buffer.baseAddress, Int32(clamping: pending))
            count = max(0, Int(read))
        }
    }

    /// OpenSSL's error queue, or the `SSL_get_error` code when the queue is empty. Called under `lock`.
    private func describe(_ code: Int32) -> String {
        let queue = library.drainErrors()
        // With TLS 1.3 a server that refuses the client's certificate says so after the handshake.
        if queue.contains("certificate required") {
            return "the server requires a client certificate (set tls.clientCertificate and tls.clientKey): \(queue)"
        }
        if ["bad certificate", "unknown ca", "certificate unknown"].contains(where: queue.contains) {
            return "the server refused the client certificate: \(queue)"
        }
        if !queue.isEmpty { return queue }
        return code == OpenSSLLibrary.errorSyscall ? "the TLS stream ended abruptly" : "SSL_get_error \(code)"
    }
}
