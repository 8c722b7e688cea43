// The system's libcrypto, loaded at run time with dlopen for AES-256-GCM: the package builds without
// OpenSSL's headers and links no crypto library; only an EncryptedCache on Linux needs libcrypto.

/// The libcrypto functions of AES-256-GCM (OpenSSL's EVP interface) and of its random bytes, resolved
/// once per process.
///
/// Pointers to OpenSSL objects (`EVP_CIPHER_CTX *`, `EVP_CIPHER *`, `ENGINE *`) are `OpaquePointer`s;
/// the constants below are OpenSSL's, copied from the header that defines each.
struct LibCrypto: @unchecked Sendable {
    // MARK: - Constants

    /// `EVP_CTRL_GCM_SET_IVLEN` (`EVP_CTRL_AEAD_SET_IVLEN`), from `openssl/evp.h`.
    static let ctrlGCMSetIVLength: Int32 = 0x9
    /// `EVP_CTRL_GCM_GET_TAG` (`EVP_CTRL_AEAD_GET_TAG`), from `openssl/evp.h`.
    static let ctrlGCMGetTag: Int32 = 0x10
    /// `EVP_CTRL_GCM_SET_TAG` (`EVP_CTRL_AEAD_SET_TAG`), from `openssl/evp.h`.
    static let ctrlGCMSetTag: Int32 = 0x11

    // MARK: - Functions

    let EVP_CIPHER_CTX_new: @convention(c) () -> OpaquePointer?
    let EVP_CIPHER_CTX_free: @convention(c) (OpaquePointer?) -> Void
    let EVP_CIPHER_CTX_ctrl: @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    let EVP_aes_256_gcm: @convention(c) () -> OpaquePointer?
    let EVP_EncryptInit_ex:
        @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?)
            -> Int32
    let EVP_EncryptUpdate:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32
        )
            -> Int32
    let EVP_EncryptFinal_ex:
        @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?) -> Int32
    let EVP_DecryptInit_ex:
        @convention(c) (OpaquePointer?, OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, UnsafePointer<UInt8>?)
            -> Int32
    let EVP_DecryptUpdate:
        @convention(c) (
            OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?, UnsafePointer<UInt8>?, Int32
        )
            -> Int32
    let EVP_DecryptFinal_ex:
        @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<Int32>?) -> Int32
    let RAND_bytes: @convention(c) (UnsafeMutablePointer<UInt8>?, Int32) -> Int32
    let ERR_clear_error: @convention(c) () -> Void

    // MARK: - Loading

    /// The library, loaded on first use; the failure, if it could not be, is kept and thrown each time.
    static let shared: Result<LibCrypto, CacheError> = load()

    /// The shared objects tried, in order.
    static let candidates = ["libcrypto.so.3", "libcrypto.so", "libcrypto.so.1.1"]

    /// Loads the first of `names` that `dlopen` finds and that has every function.
    ///
    /// - Parameter names: Shared objects to try, in order.
    /// - Returns: The library, or ``CacheError/Code/unsupported`` naming what was missing for each.
    static func load(_ names: [String] = candidates) -> Result<LibCrypto, CacheError> {
        DynamicLibrary.load(
            names, kind: "OpenSSL 1.1 or 3",
            need: "EncryptedCache needs the system's OpenSSL 3 (libcrypto.so.3)", install: "apt-get install libssl3"
        ) { library throws(CacheError) in try LibCrypto(library) }
    }

    private init(_ library: DynamicLibrary) throws(CacheError) {
        func symbol<T>(_ symbol: String) throws(CacheError) -> T { try library.function(symbol) }
        EVP_CIPHER_CTX_new = try symbol("EVP_CIPHER_CTX_new")
        EVP_CIPHER_CTX_free = try symbol("EVP_CIPHER_CTX_free")
        EVP_CIPHER_CTX_ctrl = try symbol("EVP_CIPHER_CTX_ctrl")
        EVP_aes_256_gcm = try symbol("EVP_aes_256_gcm")
        EVP_EncryptInit_ex = try symbol("EVP_EncryptInit_ex")
        EVP_EncryptUpdate = try symbol("EVP_EncryptUpdate")
        EVP_EncryptFinal_ex = try symbol("EVP_EncryptFinal_ex")
        EVP_DecryptInit_ex = try symbol("EVP_DecryptInit_ex")
        EVP_DecryptUpdate = try symbol("EVP_DecryptUpdate")
        EVP_DecryptFinal_ex = try symbol("EVP_DecryptFinal_ex")
        RAND_bytes = try symbol("RAND_bytes")
        ERR_clear_error = try symbol("ERR_clear_error")
    }

    // MARK: - Errors

    /// The error of a libcrypto call that failed, after emptying this thread's OpenSSL error queue (where
    /// TLS would otherwise find it later).
    ///
    /// - Parameter what: What failed, for the message.
    /// - Returns: ``CacheError/Code/unsupported``, naming it.
    func failure(_ what: String) -> CacheError {
        ERR_clear_error()
        return .unsupported("libcrypto's AES-256-GCM failed: \(what)")
    }
}
