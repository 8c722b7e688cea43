// Lets the processes that share one cache answer identical misses with one call: the first takes a lease on
// the key and makes the call, the others wait for the answer it stores.

public import Foundation

/// A ``CacheAdapter`` shared by several processes that can make identical concurrent misses cost one
/// provider call across all of them.
///
/// The process that misses first takes a lease on the key (``claim(_:lease:wait:readsStoredValue:)``
/// returns ``CacheClaim/leased(_:)``), makes the call, stores the answer and releases the lease
/// (``release(_:stored:)``), which tells the others. The others wait for that answer and read it
/// (``CacheClaim/stored(_:)``). The lease bounds what a holder that dies or stalls costs the others: once it
/// lapses, a waiter takes it. A holder whose call outlasts the lease keeps it with
/// ``renew(_:for:)``.
///
/// ``RedisCache`` adopts it (standalone and cluster), and ``TieredCache`` when one of its tiers does.
/// `StructuredClient` uses it when its configuration's `sharedFlight` is set.
public protocol SharedFlightCacheAdapter: CacheAdapter {
    /// Whether this adapter can share calls at all; `false` for a ``TieredCache`` none of whose tiers can.
    /// `true` unless an adapter says otherwise.
    var sharesFlights: Bool { get }

    /// Takes the lease on `key`, or waits for the value that the process holding it stores.
    ///
    /// - Parameters:
    ///   - key: The key the value will be stored under.
    ///   - lease: How long the lease lasts unless renewed: how long a holder that died holds up the others.
    ///   - wait: How long to wait at most for another holder's value.
    ///   - readsStoredValue: Whether a value already stored ends the wait. `false` for a call that replaces
    ///     the stored value (a refresh): then only a value stored by a holder while this call waits does.
    /// - Returns: The lease, the value another process stored, or ``CacheClaim/timedOut`` when `wait` ran
    ///   out first.
    /// - Throws: ``CacheError`` when the backend fails; the caller then goes on without a lease.
    func claim(_ key: String, lease: Duration, wait: Duration, readsStoredValue: Bool) async throws -> CacheClaim

    /// Extends a lease this process holds, if it still holds it.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - duration: How long it lasts from now.
    /// - Returns: Whether the lease was still held (and was extended).
    /// - Throws: ``CacheError`` when the backend fails.
    func renew(_ lease: CacheLease, for duration: Duration) async throws -> Bool

    /// Ends a lease, if this process still holds it (another may hold it after it lapsed), and tells the
    /// processes waiting for the key.
    ///
    /// - Parameters:
    ///   - lease: The lease.
    ///   - stored: Whether the holder stored a value: waiters then read it; otherwise one of them takes the
    ///     lease.
    /// - Throws: ``CacheError`` when the backend fails; the lease then lapses by itself.
    func release(_ lease: CacheLease, stored: Bool) async throws
}

extension SharedFlightCacheAdapter {
    /// `true`: an adapter that adopts ``SharedFlightCacheAdapter`` shares calls.
    public var sharesFlights: Bool { true }
}

/// What ``SharedFlightCacheAdapter/claim(_:lease:wait:readsStoredValue:)`` got.
public enum CacheClaim: Sendable {
    /// This process holds the lease: it makes the call and releases the lease afterwards.
    case leased(CacheLease)
    /// The value another process stored under the key.
    case stored(Data)
    /// The wait ran out with another process still holding the lease: the caller makes the call itself.
    case timedOut
}

/// A lease on one key of a shared cache, held by the process that took it.
public struct CacheLease: Sendable, Hashable {
    /// The key the lease is on.
    public let key: String
    /// What tells this holder's lease from a later holder's.
    public let token: String

    /// Creates a lease (for adapters that implement ``SharedFlightCacheAdapter``).
    ///
    /// - Parameters:
    ///   - key: The key the lease is on.
    ///   - token: A value unique to this holding of the lease.
    public init(key: String, token: String) {
        self.key = key
        self.token = token
    }
}
