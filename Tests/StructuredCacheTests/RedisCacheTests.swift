// RedisCache against a real redis-server started by the test run: the adapter contract, TTL, binary
// safety, large values, concurrency, authentication, database selection and protocol fallback.

import Foundation
import Testing

@testable import StructuredCache

@Suite(
    .enabled(if: RedisServerProcess.isAvailable, "redis-server is not installed; Redis tests skipped"),
    .timeLimit(.minutes(1))
)
struct RedisCacheTests {
    @Test func passesTheAdapterConformanceSuite() async throws {
        try await RedisServerProcess.with { server in
            let cache = try RedisCache(url: server.url)
            defer { cache.shutdown() }
            try await CacheAdapterConformance.check(cache) { try await Task.sleep(for: $0) }
        }
    }
}
