// DiskCache's async reads that the kernel can answer from memory: they must return without an I/O
// thread, and everything that needs file work (an expired entry to remove, a damaged file) must still go
// to one. The pool's only thread is held, so a call that needs it visibly waits.

import CStructuredCacheFiles
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

/// Whether this kernel opens a path without waiting (`/` is always in the lookup cache).
private let kernelCanReadWithoutWaiting: Bool = {
    let fd = structuredcache_open_beneath(AT_FDCWD, ".", 1)
    guard fd >= 0 else { return false }
    POSIXFile.close(fd)
    return true
}()

@Suite(
    .enabled(if: kernelCanReadWithoutWaiting, "needs openat2 with RESOLVE_CACHED (Linux 5.12 or later)"),
    .timeLimit(.minutes(1))
)
struct DiskCacheReadsWithoutWaitingTests {
    static let value = Data(repeating: 7, count: 100)

    @Test func answersAWarmHitAndAKnownMissWithoutAnIOThread() async throws {
        try await DiskCacheTests.withFolder { folder in
            let held = try await HeldIOPool()
            defer { held.release() }
            let cache = try DiskCache(directory: folder, configuration: .init(), io: held.pool)
            try cache.sync.set("warm", Self.value)
            #expect(try cache.sync.get("missing") == nil)
            let hit = try await Self.finished(within: .seconds(20)) { try await cache.get("warm") }
            #expect(hit == .some(Self.value))
            let miss = try await Self.finished(within: .seconds(20)) { try await cache.get("missing") }
            #expect(miss == .some(nil))
            let stillEnabled = cache.readsWithoutWaiting.load(ordering: .relaxed)
            #expect(stillEnabled)
        }
    }

    @Test func aReadRefreshesRecencyInTheByteBudget() async throws {
        try await DiskCacheTests.withFolder { folder in
            let held = try await HeldIOPool()
            defer { held.release() }
            // Each entry: 48 header + 2 key + 100 value = 150 bytes; three fit.
            let cache = try DiskCache(directory: folder, configuration: .init(maxBytes: 450), io: held.pool)
            for key in ["k1", "k2", "k3"] { try cache.sync.set(key, Self.value) }
            let hit = try await Self.finished(within: .seconds(20)) { try await cache.get("k1") }
            #expect(hit == .some(Self.value))
            // k1 was read last: the write of k4 evicts k2, the least recently used.
            try cache.sync.set("k4", Self.value)
            #expect(try cache.sync.get("k2") == nil)
            for key in ["k1", "k3", "k4"] { #expect(try cache.sync.get(key) == Self.value, "\(key)") }
        }
    }

    @Test func leavesFileWorkToTheIOThreads() async throws {
        try await DiskCacheTests.withFolder { folder in
            let held = try await HeldIOPool()
            defer { held.release() }
            let clock = ManualClock()
            let cache = try DiskCache(directory: folder, configuration: .init(clock: clock), io: held.pool)
            try cache.sync.set("expiring", Self.value, ttl: .seconds(60))
            try cache.sync.set("damaged", Self.value)
            #expect(try cache.sync.get("expiring") == Self.value)
            let damagedPath = DiskCacheTests.entryFiles(in: folder).first {
                (try? Data(contentsOf: $0))?.range(of: Data("damaged".utf8)) != nil
            }
            var damaged = try Data(contentsOf: try #require(damagedPath))
            damaged[damaged.count - 1] ^= 0xFF
            try damaged.write(to: try #require(damagedPath))
            clock.advance(by: .seconds(61))
            // Both need a file removed: they wait for the held I/O thread and leave the files alone.
            let expired = Task { try await cache.get("expiring") }
            let corrupt = Task { try await cache.get("damaged") }
            let early = try await Self.finished(within: .milliseconds(300)) { try await expired.value }
            #expect(early == nil, "an expired entry was settled without an I/O thread")
            #expect(DiskCacheTests.entryFiles(in: folder).count == 2)
            held.release()
            #expect(try await expired.value == nil)
            #expect(try await corrupt.value == nil)
            #expect(DiskCacheTests.entryFiles(in: folder).isEmpty)
        }
    }

    /// What `body` returned, or `nil` when it has not finished within `limit` (it goes on running).
    private static func finished<T: Sendable>(
        within limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let outcome = Lock<Result<T, any Error>?>(nil)
        Task {
            do {
                let value = try await body()
                outcome.withLock { $0 = .success(value) }
            } catch {
                outcome.withLock { $0 = .failure(error) }
            }
        }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let result = outcome.withLock({ $0 }) { return try result.get() }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }
}

/// An I/O thread pool whose only thread is held by a job until ``release()``.
private final class HeldIOPool: Sendable {
    let pool = IOThreadPool(threadCount: 1, name: "DiskCacheTests.held")
    private let gate = DispatchSemaphore(value: 0)
    private let released = Lock(false)

    /// Starts the job that holds the thread and returns once it runs.
    init() async throws {
        let running = Lock(false)
        Task { [pool, gate] in
            try await pool.run {
                running.withLock { $0 = true }
                gate.wait()
            }
        }
        while !running.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(1)) }
    }

    /// Lets the held thread go on to the jobs queued behind it; later calls do nothing.
    func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        if first { gate.signal() }
    }
}
