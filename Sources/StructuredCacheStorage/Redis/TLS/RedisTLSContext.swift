// The OpenSSL SSL_CTX of one cache: protocol floor, trust roots, client certificate and verification
// mode, built once when the cache is created and shared by every connection it opens.

import StructuredCacheSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An OpenSSL `SSL_CTX` configured from ``RedisCache/Configuration/TLS``; makes the per-connection
/// ``RedisTLSSession``s.
///
/// OpenSSL allows `SSL_new` on one context from many threads at once, and the context is not changed
/// after ``init(_:)``, so it is shared freely.
final class RedisTLSContext: @unchecked Sendable, Equatable {
    /// The options the context was built from.
    let options: RedisCache.Configuration.TLS
    let library: OpenSSLLibrary
    /// The `SSL_CTX *`.
    let context: OpaquePointer

    /// Builds the context: TLS 1.2 or later, the trust roots, the client certificate and key.
    ///
    /// - Parameter options: The TLS options.
    /// - Throws: ``CacheError/Code/unsupported`` when OpenSSL cannot be loaded;
    ///   ``CacheError/Code/invalidConfiguration`` when a certificate or key cannot be read or the key
    ///   does not match the certificate (the message never quotes PEM text).
    init(_ options: RedisCache.Configuration.TLS) throws(CacheError) {
        let library = try OpenSSLLibrary.get()
        library.ERR_clear_error()
        guard let method = library.TLS_client_method(), let context = library.SSL_CTX_new(method) else {
            throw .unsupported("OpenSSL could not create a TLS client context: \(library.drainErrors())")
        }
        self.options = options
        self.library = library
        self.context = context
        // From here on deinit frees the context, whatever fails below.
        guard
            library.SSL_CTX_ctrl(context, OpenSSLLibrary.ctrlSetMinProtoVersion, OpenSSLLibrary.tls12Version, nil)
                == 1
        else {
            throw .unsupported("OpenSSL refused TLS 1.2 as the minimum version: \(library.drainErrors())")
        }
        try loadTrustRoots()
        try loadClientCertificate()
        let mode =
            options.verification == .dangerouslyDisabled ? OpenSSLLibrary.verifyNone : OpenSSLLibrary.verifyPeer
        library.SSL_CTX_set_verify(context, mode, nil)
    }

    deinit {
        library.SSL_CTX_free(context)
    }

    static func == (lhs: RedisTLSContext, rhs: RedisTLSContext) -> Bool { lhs === rhs }

    /// Starts a session for one connection.
    ///
    /// - Parameters:
    ///   - serverName: The name to send as SNI and to check the certificate against (an IP literal is
    ///     checked as an address and sent as no SNI); `nil` for neither.
    ///   - endpoint: The server, for messages.
    /// - Returns: A session in client mode, before its handshake.
    /// - Throws: ``CacheError/Code/connectionFailed`` when OpenSSL cannot set it up.
    func makeSession(serverName: String?, endpoint: String) throws(CacheError) -> RedisTLSSession {
        try RedisTLSSession(
            context: self, serverName: serverName, checksName: options.verification == .full, endpoint: endpoint)
    }

    // MARK: - Private

    private func loadTrustRoots() throws(CacheError) {
        guard let roots = options.trustRoots else {
            guard options.verification == .dangerouslyDisabled || library.SSL_CTX_set_default_verify_paths(context) == 1
            else {
                throw .invalidConfiguration(
                    "cannot load the system's trust store for TLS: \(library.drainErrors())")
            }
            return
        }
        switch roots.source {
        case .file(let path):
            guard library.SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw .invalidConfiguration(
                    "cannot load the TLS trust roots from '\(path)': \(library.drainErrors())")
            }
        case .text(let text):
            let store = library.SSL_CTX_get_cert_store(context)
            let certificates = try readCertificates(text, what: "trust roots")
            defer { certificates.forEach { library.X509_free($0) } }
            for certificate in certificates {
                guard library.X509_STORE_add_cert(store, certificate) == 1 else {
                    throw .invalidConfiguration("cannot add a TLS trust root: \(library.drainErrors())")
                }
            }
        }
    }

    private func loadClientCertificate() throws(CacheError) {
        switch (options.clientCertificate, options.clientKey) {
        case (nil, nil):
            return
        case (nil, _), (_, nil):
            throw .invalidConfiguration("TLS clientCertificate and clientKey must be given together")
        case (let certificate?, let key?):
            switch certificate.source {
            case .file(let path):
                guard library.SSL_CTX_use_certificate_chain_file(context, path) == 1 else {
                    throw .invalidConfiguration(
                        "cannot load the TLS client certificate from '\(path)': \(library.drainErrors())")
                }
            case .text(let text):
                let chain = try readCertificates(text, what: "client certificate")
                var index = 0
                defer { chain[index...].forEach { library.X509_free($0) } }
                guard library.SSL_CTX_use_certificate(context, chain[0]) == 1 else {
                    throw .invalidConfiguration(
                        "cannot use the TLS client certificate: \(library.drainErrors())")
                }
                library.X509_free(chain[0])
                index = 1
                while index < chain.count {
                    // The context takes ownership of an extra chain certificate.
                    guard
                        library.SSL_CTX_ctrl(
                            context, OpenSSLLibrary.ctrlExtraChainCert, 0, UnsafeMutableRawPointer(chain[index]))
                            == 1
                    else {
                        throw .invalidConfiguration(
                            "cannot add to the TLS client certificate chain: \(library.drainErrors())")
                    }
                    index += 1
                }
            }
            switch key.source {
            case .file(let path):
                guard library.SSL_CTX_use_PrivateKey_file(context, path, OpenSSLLibrary.fileTypePEM) == 1 else {
                    throw .invalidConfiguration(
                        "cannot load the TLS client key from '\(path)': \(library.drainErrors())")
                }
            case .text(let text):
                let read = try withMemoryBIO(text, what: "client key") { bio in
                    library.PEM_read_bio_PrivateKey(bio, nil, nil, nil)
                }
                guard let privateKey = read else {
                    throw .invalidConfiguration(
                        "the TLS client key is not a PEM private key: \(library.drainErrors())")
                }
                defer { library.EVP_PKEY_free(privateKey) }
                guard library.SSL_CTX_use_PrivateKey(context, privateKey) == 1 else {
                    throw .invalidConfiguration("cannot use the TLS client key: \(library.drainErrors())")
                }
            }
            guard library.SSL_CTX_check_private_key(context) == 1 else {
                throw .invalidConfiguration(
                    "the TLS client key does not match the client certificate: \(library.drainErrors())")
            }
        }
    }

    /// Every certificate in `text`, in order; at least one.
    private func readCertificates(_ text: String, what: String) throws(CacheError) -> [OpaquePointer] {
        try withMemoryBIO(text, what: what) { bio throws(CacheError) in
            var certificates: [OpaquePointer] = []
            while let certificate = library.PEM_read_bio_X509(bio, nil, nil, nil) {
                certificates.append(certificate)
            }
            // Reading stops with a "no start line" error at the end of the text: expected, not a failure.
            let errors = library.drainErrors()
            guard !certificates.isEmpty else {
                throw .invalidConfiguration("the TLS \(what) hold no PEM certificate: \(errors)")
            }
            return certificates
        }
    }

    /// Runs `body` with a read-only memory BIO (`BIO_new_mem_buf`) over a copy of `text`.
    private func withMemoryBIO<T>(
        _ text: String, what: String, _ body: (OpaquePointer) throws(CacheError) -> T
    ) throws(CacheError) -> T {
        // BIO_new_mem_buf does not copy: the bytes must outlive the BIO.
        let bytes = Array(text.utf8)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        guard let bio = library.BIO_new_mem_buf(copy.baseAddress, Int32(clamping: bytes.count)) else {
            throw .invalidConfiguration("cannot read the TLS \(what): \(library.drainErrors())")
        }
        defer { _ = library.BIO_free(bio) }
        return try body(bio)
    }
}
