// A key made ready for AES-256-GCM once, for many values: on Linux, libcrypto contexts keyed with it and
// reused, since keying a context (the cipher's fetch, the key schedule) costs more than sealing 1 KiB.

import StructuredCacheSupport
import Synchronization

#if canImport(CryptoKit)
    import CryptoKit
#endif

extension AESGCM {
    /// A key ready for ``AESGCM/seal(_:key:nonce:authenticating:_:into:tag:)`` and
    /// ``AESGCM/open(_:key:nonce:tag:authenticating:_:into:)``, safe to use from many threads at once.
    ///
    /// On Linux it keeps the libcrypto contexts keyed with it that are not in use (at most
    /// ``maximumIdleContexts``); each value takes one, sets its nonce, and gives it back when it is done.
    /// A context whose value failed is freed, not reused. On Darwin it holds CryptoKit's `SymmetricKey`.
    package final class PreparedKey: @unchecked Sendable {
        #if canImport(CryptoKit)
            let symmetricKey: SymmetricKey

            init(secret: [UInt8]) {
                symmetricKey = SymmetricKey(data: secret)
            }
        #else
            /// The most contexts kept for reuse; more are freed when given back.
            static let maximumIdleContexts = 16

            /// A context, shared only through the lock, and used by one value at a time.
            private struct Context: @unchecked Sendable {
                let pointer: OpaquePointer
            }

            private let crypto: LibCrypto
            private let secret: [UInt8]
            private let idle = Lock<[Context]>([])

            init(secret: [UInt8], crypto: LibCrypto) {
                self.secret = secret
                self.crypto = crypto
            }

            deinit {
                let contexts = idle.withLock { contexts in
                    defer { contexts = [] }
                    return contexts
                }
                for context in contexts { crypto.EVP_CIPHER_CTX_free(context.pointer) }
            }

            /// A context of AES-256-GCM keyed with this key, with a 12-byte nonce to be set: one that was
            /// given back, or a new one.
            ///
            /// - Returns: The context, for one value; give it back with ``reuse(_:)`` or ``discard(_:)``.
            /// - Throws: ``CacheError/Code/unsupported`` when libcrypto cannot make one.
            func take() throws(CacheError) -> OpaquePointer {
                if let context = idle.withLock({ $0.popLast() }) { return context.pointer }
                guard let context = crypto.EVP_CIPHER_CTX_new() else { throw crypto.failure("a cipher context") }
                let keyed = secret.withUnsafeBufferPointer { key in
                    crypto.EVP_EncryptInit_ex(context, crypto.EVP_aes_256_gcm(), nil, nil, nil) == 1
                        && crypto.EVP_CIPHER_CTX_ctrl(
                            context, LibCrypto.ctrlGCMSetIVLength, Int32(AESGCM.nonceByteCount), nil) == 1
                        && crypto.EVP_EncryptInit_ex(context, nil, nil, key.baseAddress, nil) == 1
                }
                guard keyed else {
                    crypto.EVP_CIPHER_CTX_free(context)
                    throw crypto.failure("keying AES-256-GCM")
                }
                return context
            }

            /// Gives back a context whose value is done, for the next one.
            ///
            /// - Parameter context: A context from ``take()``.
            func reuse(_ context: OpaquePointer) {
                let kept = idle.withLock { contexts in
                    guard contexts.count < Self.maximumIdleContexts else { return false }
                    contexts.append(Context(pointer: context))
                    return true
                }
                if !kept { crypto.EVP_CIPHER_CTX_free(context) }
            }

            /// Frees a context whose value failed.
            ///
            /// - Parameter context: A context from ``take()``.
            func discard(_ context: OpaquePointer) {
                crypto.EVP_CIPHER_CTX_free(context)
            }
        #endif
    }
}
