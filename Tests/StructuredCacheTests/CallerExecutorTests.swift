// Where a cached call runs: a hit stays on the caller's executor (an actor's, the main actor's in an
// app), so that it pays no hop off and back; a miss asks the provider off it.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheStorage

/// Runs jobs one at a time on a thread of its own, so that code can tell whether it runs there.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    static let shared = ThreadExecutor()

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init() {
        Thread { [unowned self] in run() }.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        Self.thread.withLock { $0 = pthread_self() }
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }

    /// Whether the calling code runs on the executor's thread.
    static var isCurrent: Bool {
        thread.withLock { owner in owner.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    private static let thread = Mutex<pthread_t?>(nil)
}

/// An actor whose jobs run on ``ThreadExecutor``.
actor ThreadActor {
    nonisolated var unownedExecutor: UnownedSerialExecutor { ThreadExecutor.shared.asUnownedSerialExecutor() }

    /// A miss, then a hit, both asked from this actor.
    func askTwice(_ client: StructuredClient) async throws -> CallerExecutorTests.Noted {
        _ = try await client.create(
            messages: StructuredClientTests.hello, responseModel: CallerExecutorTests.Noted.self)
        return try await client.create(
            messages: StructuredClientTests.hello, responseModel: CallerExecutorTests.Noted.self)
    }
}

struct CallerExecutorTests {
    /// An AutoCache that notes whether each read ran on the actor's thread.
    final class WatchedAdapter: CacheAdapter {
        let wrapped: AutoCache
        let readsOnCaller = Mutex<[Bool]>([])

        init() throws { wrapped = try AutoCache() }

        nonisolated(nonsending) func get(_ key: String) async throws -> Data? {
            readsOnCaller.withLock { $0.append(ThreadExecutor.isCurrent) }
            return try await wrapped.get(key)
        }

        func set(_ key: String, _ value: Data, ttl: CacheTTL) async throws {
            try await wrapped.set(key, value, ttl: ttl)
        }
        func remove(_ key: String) async throws { try await wrapped.remove(key) }
        func removeAll() async throws { try await wrapped.removeAll() }
    }

    /// An answer that notes whether each validation ran on the actor's thread.
    struct Noted: Codable, Sendable, Validatable {
        static let validatedOnCaller = Mutex<[Bool]>([])
        var name: String
        func validate() throws { Self.validatedOnCaller.withLock { $0.append(ThreadExecutor.isCurrent) } }
    }

    @Test func aHitFromAnActorRunsOnItsExecutor() async throws {
        try await LocalChatServer.with(otherwise: .toolCall(name: "Noted", arguments: #"{"name": "Jason"}"#)) {
            server in
            let cache = try WatchedAdapter()
            let client = StructuredClientTests.client(server, cache: cache)
            let hit = try await ThreadActor().askTwice(client)
            #expect(hit.name == "Jason" && server.requestCount == 1 && client.statistics.hits == 1)
            // Both reads ran where the calls were made; the hit's answer was checked there too, the
            // miss's off it, where the provider was asked.
            #expect(cache.readsOnCaller.withLock { $0 } == [true, true])
            #expect(Noted.validatedOnCaller.withLock { $0 } == [false, true])
        }
    }

}
