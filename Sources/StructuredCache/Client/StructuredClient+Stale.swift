// Stale answers when the provider fails: an entry expired no longer ago than the call's staleIfError
// answers instead of a transient provider error, and is reported as such.

import Foundation

extension StructuredClient {
    /// Answers a call whose provider failed with `error` from an entry expired no longer ago than the
    /// call's `staleIfError`, or throws `error`.
    ///
    /// Only a transient ``ProviderError`` (transport, timeout, HTTP 408, 429 or 5xx; the provider has
    /// already retried it) is answered so, only for a policy that reads the cache, and only from an adapter
    /// that keeps expired entries (``StaleReadingCacheAdapter``). The entry is decoded and validated as a
    /// hit is; one that cannot be used, a failed read, or none at all leaves the provider's error to be
    /// thrown.
    ///
    /// - Parameters:
    ///   - error: What the provider call (or the flight it shared) threw.
    ///   - call: The call.
    ///   - adapter: The call's cache.
    ///   - type: The type of the answer.
    ///   - needsCompletion: Whether the caller needs the stored completion too.
    /// - Returns: The stale answer, and its stored completion when asked for.
    /// - Throws: `error`, whenever no stale answer is given.
    func staleAnswer<Response: Decodable>(
        replacing error: any Error, _ call: Call, _ adapter: any CacheAdapter, _ type: Response.Type,
        needsCompletion: Bool
    ) async throws -> (Response, ChatCompletion?) {
        guard let bound = call.staleIfError ?? configuration.staleIfError, bound > .zero, call.policy.reads,
            let failure = error as? ProviderError, failure.isTransient,
            let reader = adapter as? any StaleReadingCacheAdapter
        else { throw error }
        let started = ContinuousClock.now
        let found: (value: Data, staleness: Duration)?
        do {
            found = try await reader.getStale(call.key, maxStaleness: bound)
        } catch let readError {
            emit(
                .error, call, adapter: adapter, since: started,
                reason: "the stale read after a provider failure failed; the provider's error is thrown",
                error: readError)
            throw error
        }
        // A custom adapter might return more than it was asked for.
        guard let found, found.staleness <= bound, let envelope = CacheEnvelope(bytes: found.value),
            let answer = try? answer(in: envelope, Response.self, needsCompletion: needsCompletion)
        else { throw error }
        emit(
            .stale, call, adapter: adapter, since: started,
            reason: "the provider failed (\(failure)); answered by an entry that expired \(found.staleness) ago")
        return answer
    }
}
