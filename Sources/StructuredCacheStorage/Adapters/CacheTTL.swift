// How long a stored value lives, with one spelling for each meaning: a duration, no expiry, or the
// adapter's configured default.

/// How long a value stored in a ``CacheAdapter`` lives.
///
/// Each meaning has its own spelling, in every adapter and in ``StructuredClient``:
///
/// ```swift
/// try await cache.set(key, value, ttl: .seconds(3_600))     // gone after an hour
/// try await cache.set(key, value, ttl: .never)              // never expires, whatever the adapter's default
/// try await cache.set(key, value, ttl: .adapterDefault)     // the adapter's defaultTTL (none unless configured)
/// ```
///
/// A duration of zero or less stores nothing and removes the key: such a value would be expired on
/// arrival.
public struct CacheTTL: Hashable, Sendable, CustomStringConvertible {
    private enum Base: Hashable, Sendable {
        case adapterDefault
        case never
        case after(Duration)
    }

    private let base: Base

    private init(_ base: Base) { self.base = base }

    /// The adapter's configured default TTL (its `defaultTTL`); no expiry when it has none.
    public static let adapterDefault = CacheTTL(.adapterDefault)

    /// No expiry, even in an adapter configured with a default TTL.
    public static let never = CacheTTL(.never)

    /// Expiry once `duration` has passed.
    ///
    /// - Parameter duration: How long the value lives; zero or less removes the key instead.
    /// - Returns: The TTL.
    public static func after(_ duration: Duration) -> CacheTTL { CacheTTL(.after(duration)) }

    /// Expiry after a whole number of seconds.
    ///
    /// - Parameter seconds: How many seconds the value lives.
    /// - Returns: The TTL.
    public static func seconds(_ seconds: some BinaryInteger) -> CacheTTL { .after(.seconds(seconds)) }

    /// Expiry after a number of seconds.
    ///
    /// - Parameter seconds: How many seconds the value lives.
    /// - Returns: The TTL.
    public static func seconds(_ seconds: Double) -> CacheTTL { .after(.seconds(seconds)) }

    /// Expiry after a whole number of milliseconds.
    ///
    /// - Parameter milliseconds: How many milliseconds the value lives.
    /// - Returns: The TTL.
    public static func milliseconds(_ milliseconds: some BinaryInteger) -> CacheTTL {
        .after(.milliseconds(milliseconds))
    }

    /// The lifetime this TTL stands for in an adapter whose default is `defaultTTL`.
    ///
    /// Custom adapters call this once per write, then store without expiry for `nil`, remove the key for
    /// a duration of zero or less, and expire after the duration otherwise.
    ///
    /// - Parameter defaultTTL: The adapter's default TTL; `nil` when it has none.
    /// - Returns: The duration, or `nil` for no expiry.
    public func resolved(defaultTTL: Duration?) -> Duration? {
        switch base {
        case .adapterDefault: defaultTTL
        case .never: nil
        case .after(let duration): duration
        }
    }

    /// The duration given with ``after(_:)``, or `nil` for ``never`` and ``adapterDefault``.
    public var duration: Duration? {
        if case .after(let duration) = base { return duration }
        return nil
    }

    /// The TTL as written in Swift (`.seconds(60)`, `.never`, `.adapterDefault`).
    public var description: String {
        switch base {
        case .adapterDefault: "adapterDefault"
        case .never: "never"
        case .after(let duration): "\(duration)"
        }
    }
}
