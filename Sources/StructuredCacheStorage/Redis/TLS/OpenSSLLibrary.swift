// The system's OpenSSL, loaded at run time with dlopen: the package builds without OpenSSL's headers
// and links no TLS library, and only a cache that uses TLS needs libssl to be installed.

import StructuredCacheSupport

/// The OpenSSL functions the TLS session uses, resolved once per process from `libssl` (and the
/// `libcrypto` it depends on).
///
/// Pointers to OpenSSL objects (`SSL_CTX *`, `SSL *`, `BIO *`, `X509 *`…) are `OpaquePointer`s; the
/// constants below are OpenSSL's, copied from the header that defines each.
struct OpenSSLLibrary: @unchecked Sendable {
    // MARK: - Constants

    /// `SSL_CTRL_SET_TLSEXT_HOSTNAME`, from `openssl/tls1.h`.
    static let ctrlSetTLSExtHostName: Int32 = 55
    /// `TLSEXT_NAMETYPE_host_name`, from `openssl/tls1.h`.
    static let nameTypeHostName: Int = 0
    /// `SSL_CTRL_SET_MIN_PROTO_VERSION`, from `openssl/ssl.h`.
    static let ctrlSetMinProtoVersion: Int32 = 123
    /// `SSL_CTRL_EXTRA_CHAIN_CERT`, from `openssl/ssl.h`.
    static let ctrlExtraChainCert: Int32 = 14
    /// `TLS1_2_VERSION`, from `openssl/prov_ssl.h` (`openssl/tls1.h` before OpenSSL 3).
    static let tls12Version: Int = 0x0303
    /// `SSL_VERIFY_NONE`, from `openssl/ssl.h`.
    static let verifyNone: Int32 = 0
    /// `SSL_VERIFY_PEER`, from `openssl/ssl.h`.
    static let verifyPeer: Int32 = 1
    /// `SSL_FILETYPE_PEM` (`X509_FILETYPE_PEM`), from `openssl/ssl.h` and `openssl/x509.h`.
    static let fileTypePEM: Int32 = 1
    /// `SSL_ERROR_NONE`, from `openssl/ssl.h`.
    static let errorNone: Int32 = 0
    /// `SSL_ERROR_SSL`, from `openssl/ssl.h`.
    static let errorSSL: Int32 = 1
    /// `SSL_ERROR_WANT_READ`, from `openssl/ssl.h`.
    static let errorWantRead: Int32 = 2
    /// `SSL_ERROR_WANT_WRITE`, from `openssl/ssl.h`.
    static let errorWantWrite: Int32 = 3
    /// `SSL_ERROR_SYSCALL`, from `openssl/ssl.h`.
    static let errorSyscall: Int32 = 5
    /// `SSL_ERROR_ZERO_RETURN` (the peer sent close_notify), from `openssl/ssl.h`.
    static let errorZeroReturn: Int32 = 6
    /// `X509_V_OK`, from `openssl/x509_vfy.h`.
    static let verifyOK: Int = 0
    /// `BIO_CTRL_PENDING`, from `openssl/bio.h`.
    static let bioCtrlPending: Int32 = 10

    // MARK: - Functions (libssl)

    let TLS_client_method: @convention(c) () -> OpaquePointer?
    let SSL_CTX_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let SSL_CTX_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_CTX_set_default_verify_paths: @convention(c) (OpaquePointer?) -> Int32
    let SSL_CTX_load_verify_locations:
        @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_get_cert_store: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_CTX_set_verify: @convention(c) (OpaquePointer?, Int32, OpaquePointer?) -> Void
    let SSL_CTX_use_certificate: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let SSL_CTX_use_certificate_chain_file: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_CTX_use_PrivateKey: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let SSL_CTX_use_PrivateKey_file: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32
    let SSL_CTX_check_private_key: @convention(c) (OpaquePointer?) -> Int32
    let SSL_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_free: @convention(c) (OpaquePointer?) -> Void
    let SSL_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let SSL_set1_host: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let SSL_get0_param: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let SSL_set_bio: @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Void
    let SSL_set_connect_state: @convention(c) (OpaquePointer?) -> Void
    let SSL_do_handshake: @convention(c) (OpaquePointer?) -> Int32
    let SSL_read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    let SSL_write: @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32) -> Int32
    let SSL_get_error: @convention(c) (OpaquePointer?, Int32) -> Int32
    let SSL_get_verify_result: @convention(c) (OpaquePointer?) -> Int

    // MARK: - Functions (libcrypto)

    let BIO_s_mem: @convention(c) () -> OpaquePointer?
    let BIO_new: @convention(c) (OpaquePointer?) -> OpaquePointer?
    let BIO_new_mem_buf: @convention(c) (UnsafeRawPointer?, Int32) -> OpaquePointer?
    let BIO_free: @convention(c) (OpaquePointer?) -> Int32
    let BIO_read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, Int32) -> Int32
    let BIO_write: @convention(c) (OpaquePointer?, UnsafeRawPointer?, Int32) -> Int32
    let BIO_ctrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int
    let PEM_read_bio_X509:
        @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafeMutableRawPointer?) -> OpaquePointer?
    let PEM_read_bio_PrivateKey:
        @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafeMutableRawPointer?) -> OpaquePointer?
    let X509_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_PKEY_free: @convention(c) (OpaquePointer?) -> Void
    let X509_STORE_add_cert: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32
    let X509_VERIFY_PARAM_set1_ip_asc: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?) -> Int32
    let X509_verify_cert_error_string: @convention(c) (Int) -> UnsafePointer<CChar>?
    let ERR_get_error: @convention(c) () -> UInt
    let ERR_error_string_n: @convention(c) (UInt, UnsafeMutablePointer<CChar>?, Int) -> Void
    let ERR_clear_error: @convention(c) () -> Void

    // MARK: - Loading

    /// The library, loaded on first use; the failure, if it could not be, is kept and thrown each time.
    static let shared: Result<OpenSSLLibrary, CacheError> = load()

    /// The process-wide library.
    ///
    /// - Returns: The loaded functions.
    /// - Throws: ``CacheError/Code/unsupported`` when libssl or one of its functions is missing.
    static func get() throws(CacheError) -> OpenSSLLibrary {
        try shared.get()
    }

    /// The shared objects tried, in order.
    static let candidates = ["libssl.so.3", "libssl.so", "libssl.so.1.1"]

    /// Loads the first of `names` that `dlopen` finds and that has every function.
    ///
    /// - Parameter names: Shared objects to try, in order.
    /// - Returns: The library, or ``CacheError/Code/unsupported`` naming what was missing for each.
    static func load(_ names: [String] = candidates) -> Result<OpenSSLLibrary, CacheError> {
        #if canImport(Darwin)
            return .failure(.unsupported("TLS on Darwin is not implemented yet"))
        #else
            return DynamicLibrary.load(
                names, kind: "OpenSSL 1.1 or 3", need: "TLS needs the system's OpenSSL 3 (libssl.so.3)",
                install: "apt-get install libssl3"
            ) { library throws(CacheError) in try OpenSSLLibrary(library) }
        #endif
    }

    private init(_ library: DynamicLibrary) throws(CacheError) {
        func symbol<T>(_ symbol: String) throws(CacheError) -> T { try library.function(symbol) }
        TLS_client_method = try symbol("TLS_client_method")
        SSL_CTX_new = try symbol("SSL_CTX_new")
        SSL_CTX_free = try symbol("SSL_CTX_free")
        SSL_CTX_ctrl = try symbol("SSL_CTX_ctrl")
        SSL_CTX_set_default_verify_paths = try symbol("SSL_CTX_set_default_verify_paths")
        SSL_CTX_load_verify_locations = try symbol("SSL_CTX_load_verify_locations")
        SSL_CTX_get_cert_store = try symbol("SSL_CTX_get_cert_store")
        SSL_CTX_set_verify = try symbol("SSL_CTX_set_verify")
        SSL_CTX_use_certificate = try symbol("SSL_CTX_use_certificate")
        SSL_CTX_use_certificate_chain_file = try symbol("SSL_CTX_use_certificate_chain_file")
        SSL_CTX_use_PrivateKey = try symbol("SSL_CTX_use_PrivateKey")
        SSL_CTX_use_PrivateKey_file = try symbol("SSL_CTX_use_PrivateKey_file")
        SSL_CTX_check_private_key = try symbol("SSL_CTX_check_private_key")
        SSL_new = try symbol("SSL_new")
        SSL_free = try symbol("SSL_free")
        SSL_ctrl = try symbol("SSL_ctrl")
        SSL_set1_host = try symbol("SSL_set1_host")
        SSL_get0_param = try symbol("SSL_get0_param")
        SSL_set_bio = try symbol("SSL_set_bio")
        SSL_set_connect_state = try symbol("SSL_set_connect_state")
        SSL_do_handshake = try symbol("SSL_do_handshake")
        SSL_read = try symbol("SSL_read")
        SSL_write = try symbol("SSL_write")
        SSL_get_error = try symbol("SSL_get_error")
        SSL_get_verify_result = try symbol("SSL_get_verify_result")
        BIO_s_mem = try symbol("BIO_s_mem")
        BIO_new = try symbol("BIO_new")
        BIO_new_mem_buf = try symbol("BIO_new_mem_buf")
        BIO_free = try symbol("BIO_free")
        BIO_read = try symbol("BIO_read")
        BIO_write = try symbol("BIO_write")
        BIO_ctrl = try symbol("BIO_ctrl")
        PEM_read_bio_X509 = try symbol("PEM_read_bio_X509")
        PEM_read_bio_PrivateKey = try symbol("PEM_read_bio_PrivateKey")
        X509_free = try symbol("X509_free")
        EVP_PKEY_free = try symbol("EVP_PKEY_free")
        X509_STORE_add_cert = try symbol("X509_STORE_add_cert")
        X509_VERIFY_PARAM_set1_ip_asc = try symbol("X509_VERIFY_PARAM_set1_ip_asc")
        X509_verify_cert_error_string = try symbol("X509_verify_cert_error_string")
        ERR_get_error = try symbol("ERR_get_error")
        ERR_error_string_n = try symbol("ERR_error_string_n")
        ERR_clear_error = try symbol("ERR_clear_error")
    }

    // MARK: - Errors

    /// Empties this thread's OpenSSL error queue and returns its entries as text, oldest first, such as
    /// `error:0A000086:SSL routines::certificate verify failed`.
    ///
    /// - Returns: The entries joined by `"; "`, or an empty string when the queue was empty.
    func drainErrors() -> String {
        var entries: [String] = []
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
        defer { buffer.deallocate() }
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            buffer.initialize(repeating: 0, count: 256)
            ERR_error_string_n(code, buffer, 256)
            entries.append(String(cString: buffer))
        }
        return entries.joined(separator: "; ")
    }

    /// OpenSSL's description of the verification error `code`, for messages.
    ///
    /// - Parameter code: An `X509_V_ERR_*` value.
    /// - Returns: Its text, such as `unable to get local issuer certificate`.
    func verifyErrorText(_ code: Int) -> String {
        X509_verify_cert_error_string(code).map { String(cString: $0) } ?? "verification error \(code)"
    }
}
