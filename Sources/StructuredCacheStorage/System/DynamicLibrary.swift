// A shared object of the system, opened at run time with dlopen: the package builds without the
// library's headers and links nothing of it, and only the code that uses it needs it installed.

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A shared object opened with `dlopen`, whose C functions are found by name.
///
/// The object stays loaded for the life of the process once a library type has been made of it: the
/// function pointers taken from it are kept.
struct DynamicLibrary {
    /// The name it was opened by, such as `libcrypto.so.3`.
    let name: String
    /// What the object must be for its functions to be usable, for messages: `OpenSSL 1.1 or 3`.
    let kind: String
    private let handle: UnsafeMutableRawPointer

    /// Opens the first of `names` that `dlopen` finds and of which `make` finds every function.
    ///
    /// - Parameters:
    ///   - names: The shared objects to try, in order.
    ///   - kind: What the object must be, for the message of a missing function (`OpenSSL 1.1 or 3`).
    ///   - need: What the failure says is needed (`TLS needs the system's OpenSSL 3 (libssl.so.3)`).
    ///   - install: How to install it (`apt-get install libssl3`).
    ///   - make: Makes the library type, resolving its functions with ``function(_:)``.
    /// - Returns: What `make` made of the first usable object, or ``CacheError/Code/unsupported`` saying
    ///   what was missing in each.
    static func load<Library>(
        _ names: [String], kind: String, need: String, install: String,
        _ make: (DynamicLibrary) throws(CacheError) -> Library
    ) -> Result<Library, CacheError> {
        var reasons: [String] = []
        for name in names {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): cannot be loaded")
                continue
            }
            do {
                return .success(try make(DynamicLibrary(name: name, kind: kind, handle: handle)))
            } catch {
                dlclose(handle)
                reasons.append(error.message)
            }
        }
        return .failure(
            .unsupported("\(need): " + reasons.joined(separator: "; ") + " (install it with: \(install))"))
    }

    /// The C function `symbol`, as the function type `T` (a `@convention(c)` type of its signature).
    ///
    /// - Parameter symbol: The function's name.
    /// - Returns: The function.
    /// - Throws: ``CacheError/Code/unsupported`` when the object has no such function.
    func function<T>(_ symbol: String) throws(CacheError) -> T {
        guard let address = dlsym(handle, symbol) else {
            throw .unsupported("\(name) has no function \(symbol), so it is not a usable \(kind)")
        }
        return unsafeBitCast(address, to: T.self)
    }
}
