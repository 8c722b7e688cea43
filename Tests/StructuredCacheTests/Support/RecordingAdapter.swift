// A real adapter (an AutoCache) wrapped to record every call the client makes to it.

import Foundation
import StructuredCache
import Synchronization

/// Records the calls made to an adapter and passes them on to it.
final class RecordingAdapter: CacheAdapter {
    enum Call: Equatable, Sendable {
        case get(String)
        case set(String, ttl: CacheTTL)
        case remove(String)
        case removeAll
    }

    let wrapped: any CacheAdapter
    private let log = Mutex<[Call]>([])

    init(_ wrapped: any CacheAdapter) { self.wrapped = wrapped }

    convenience init() throws { self.init(try AutoCache(maxSize: 100)) }

    var calls: [Call] { log.withLock { $0 } }
    var setTTLs: [CacheTTL] { calls.compactMap { if case .set(_, let ttl) = $0 { return ttl } else { return nil } } }

    func get(_ key: String) async throws -> Data? {
        log.withLock { $0.append(.get(key)) }
        return try await wrapped.get(key)
    }

    func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
        log.withLock { $0.append(.set(key, ttl: ttl)) }
        try await wrapped.set(key, value, ttl: ttl)
    }

    func remove(_ key: String) async throws {
        log.withLock { $0.append(.remove(key)) }
        try await wrapped.remove(key)
    }

    func removeAll() async throws {
        log.withLock { $0.append(.removeAll) }
        try await wrapped.removeAll()
    }
}
