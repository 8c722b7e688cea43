// How the processes that share one cache answer identical concurrent misses with one provider call.

/// Whether, and for how long, a call that misses coordinates with the other processes sharing the cache,
/// so that identical concurrent misses across them make one provider call.
///
/// With an adapter that shares calls (``SharedFlightCacheAdapter``: ``RedisCache``, or a ``TieredCache``
/// in front of one), the first process to miss takes a lease on the key, makes the call and stores the
/// answer; the others wait for that answer, up to ``wait``, and return it as the call's answer
/// (a ``CacheEvent/Kind/awaited`` event). Failing open, as everywhere: a lease holder that dies holds the
/// others up for at most ``lease``, after which one of them takes over; a wait that runs out, or a cache
/// that fails, has the caller make the call itself. A holder renews its lease every third of ``lease``
/// while its call runs, so a call may take longer than the lease.
///
/// Within one process, identical concurrent calls already share one call (and one lease).
/// Calls under ``CachePolicy/bypass`` take no lease; under ``CachePolicy/refresh`` a call takes the lease
/// and replaces the stored answer, and waits only for an answer stored while it waited.
public struct SharedFlight: Sendable, Hashable {
    /// How long a lease lasts unless its holder renews it: the longest a holder that died or stalls holds
    /// up the others. 10 seconds by default.
    public var lease: Duration
    /// How long a call waits at most for the answer of the process that holds the lease; then it makes
    /// the call itself. 60 seconds by default.
    public var wait: Duration

    /// Creates a shared-flight setting.
    ///
    /// - Parameters:
    ///   - lease: How long a lease lasts unless renewed; at least 100 ms.
    ///   - wait: How long a call waits at most for another process's answer.
    public init(lease: Duration = .seconds(10), wait: Duration = .seconds(60)) {
        self.lease = max(lease, .milliseconds(100))
        self.wait = max(wait, .zero)
    }
}
