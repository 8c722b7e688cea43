// The lock the package keeps shared state under: Synchronization's Mutex in release builds, and in
// debug builds a platform mutex that ThreadSanitizer understands.
//
// On Linux, Mutex takes a contended lock inside the kernel (a priority-inheritance futex), which
// ThreadSanitizer cannot see, so it reports races on data that is in fact guarded (ten lines that bump
// a counter under Mutex from eight threads show it). Debug builds, where `swift test --sanitize=thread`
// runs, therefore lock with pthread_mutex (os_unfair_lock on Apple platforms), which it intercepts:
// it then checks that every access to guarded state happens under the lock. Release builds keep Mutex,
// the fastest lock here. Both are used only through `withLock`, with the same semantics.

#if DEBUG
    #if canImport(Glibc)
        import Glibc
    #elseif canImport(Musl)
        import Musl
    #elseif canImport(Darwin)
        import Darwin
    #endif

    #if canImport(Darwin)
        typealias LockPrimitive = os_unfair_lock
    #else
        typealias LockPrimitive = pthread_mutex_t
    #endif

    /// A value guarded by a platform mutex (debug builds).
    package final class Lock<Value>: @unchecked Sendable {
        private let storage: LockStorage<Value>

        /// Creates a lock guarding `value`.
        package init(_ value: Value) {
            storage = LockStorage.make(value)
        }

        /// Runs `body` with exclusive access to the value.
        ///
        /// - Complexity: O(1) plus `body`.
        package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
            try storage.withUnsafeMutablePointers { value, lock in
                #if canImport(Darwin)
                    os_unfair_lock_lock(lock)
                    defer { os_unfair_lock_unlock(lock) }
                #else
                    pthread_mutex_lock(lock)
                    defer { pthread_mutex_unlock(lock) }
                #endif
                return try body(&value.pointee)
            }
        }
    }

    /// The value and the lock in one allocation, reached through pointers (no exclusivity checks).
    final class LockStorage<Value>: ManagedBuffer<Value, LockPrimitive> {
        static func make(_ value: Value) -> LockStorage<Value> {
            let buffer = create(minimumCapacity: 1) { _ in value }
            let storage = unsafeDowncast(buffer, to: LockStorage<Value>.self)
            storage.withUnsafeMutablePointerToElements { lock in
                #if canImport(Darwin)
                    lock.initialize(to: os_unfair_lock())
                #else
                    lock.initialize(to: pthread_mutex_t())
                    pthread_mutex_init(lock, nil)
                #endif
            }
            return storage
        }

        deinit {
            withUnsafeMutablePointerToElements { lock in
                #if !canImport(Darwin)
                    pthread_mutex_destroy(lock)
                #endif
                _ = lock.deinitialize(count: 1)
            }
        }
    }
#else
    package import Synchronization

    /// A value guarded by Synchronization's Mutex (release builds).
    package typealias Lock<Value> = Mutex<Value>
#endif
