// Parsing of redis:// and unix:// URLs and validation of the cache's options.

import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct RedisConfigurationTests {
    @Test func parsesAHostOnly() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(configuration.database == 0)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
    }

    @Test func parsesEveryPart() throws {
        let configuration = try RedisConfiguration(url: "redis://alice:s3cret@cache.internal:6380/4")
        #expect(configuration.endpoint == .tcp(host: "cache.internal", port: 6380))
        #expect(configuration.username == "alice")
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 4)
    }

    @Test func parsesAPasswordWithoutAUser() throws {
        let configuration = try RedisConfiguration(url: "redis://:pw@10.0.0.1")
        #expect(configuration.username == nil)
        #expect(configuration.password == "pw")
        #expect(configuration.endpoint == .tcp(host: "10.0.0.1", port: 6379))
    }

    @Test func percentDecodesCredentials() throws {
        let configuration = try RedisConfiguration(url: "redis://us%40er:p%3Aa%2Fss%20%C3%A9@h:1/0")
        #expect(configuration.username == "us@er")
        #expect(configuration.password == "p:a/ss \u{E9}")
        // The last "@" separates credentials from the host, so a raw "@" in a password still works.
        let raw = try RedisConfiguration(url: "redis://:p@ss@h")
        #expect(raw.password == "p@ss")
        #expect(raw.endpoint == .tcp(host: "h", port: 6379))
    }

    @Test func parsesIPv6Literals() throws {
        #expect(try RedisConfiguration(url: "redis://[::1]:7000").endpoint == .tcp(host: "::1", port: 7000))
        #expect(
            try RedisConfiguration(url: "redis://[fe80::1%25eth0]").endpoint == .tcp(host: "fe80::1%eth0", port: 6379))
        #expect(try RedisConfiguration(url: "redis://u:p@[2001:db8::2]/3").database == 3)
    }

    @Test func parsesUnixSocketURLs() throws {
        let plain = try RedisConfiguration(url: "unix:///var/run/redis/redis.sock")
        #expect(plain.endpoint == .unix(path: "/var/run/redis/redis.sock"))
        #expect(plain.database == 0)
        let withDatabase = try RedisConfiguration(url: "unix:///run/r%20s.sock?db=5")
        #expect(withDatabase.endpoint == .unix(path: "/run/r s.sock"))
        #expect(withDatabase.database == 5)
        let withPassword = try RedisConfiguration(url: "unix://:pw@/run/r.sock")
        #expect(withPassword.password == "pw")
        #expect(withPassword.endpoint == .unix(path: "/run/r.sock"))
    }

    @Test func acceptsTheDatabaseAsAQueryOption() throws {
        #expect(try RedisConfiguration(url: "redis://h?db=2").database == 2)
        #expect(try RedisConfiguration(url: "redis://h/2?db=2").database == 2)
        #expect(try RedisConfiguration(url: "redis://h/").database == 0)
        #expect(try RedisConfiguration(url: "REDIS://h:1").endpoint == .tcp(host: "h", port: 1))
    }

    @Test func turnsTLSOnForRedissURLs() throws {
        let secure = try RedisConfiguration(url: "rediss://secure.example.com:6380/1")
        #expect(secure.tls == RedisCache.Configuration.TLS())
        #expect(secure.endpoint == .tcp(host: "secure.example.com", port: 6380))
        #expect(secure.database == 1)
        #expect(secure.tlsServerName == "secure.example.com")
        #expect(try RedisConfiguration(url: "redis://plain.example.com").tls == nil)
        let named = try RedisConfiguration(
            url: "redis://10.0.0.1", options: .init(tls: .init(serverName: "cache.internal")))
        #expect(named.tls?.serverName == "cache.internal")
        #expect(named.tlsServerName == "cache.internal")
        #expect(named.tlsContext != nil)
        // Over a Unix socket there is no host name to check the certificate against.
        #expect(throws: CacheError.self) {
            try RedisConfiguration(url: "unix:///run/redis.sock", options: .init(tls: .init()))
        }
        let unix = try RedisConfiguration(
            url: "unix:///run/redis.sock", options: .init(tls: .init(serverName: "cache.internal")))
        #expect(unix.tlsServerName == "cache.internal")
    }

    @Test(arguments: [
        "localhost:6379", "http://localhost", "redis://", "redis://:pw@", "redis://h:0", "redis://h:65536",
        "redis://h:port", "redis://h:", "redis://h/x", "redis://h/-1", "redis://h/1/2", "redis://::1",
        "redis://[::1", "redis://[::1]x", "redis://h?db=x", "redis://h?timeout=3", "redis://h/1?db=2",
        "redis://u:%zz@h", "redis://h#frag", "unix://", "unix://relative.sock", "unix:///", "redis://u:%FF@h",
    ])
    func rejectsMalformedURLs(_ url: String) {
        #expect {
            try RedisConfiguration(url: url)
        } throws: { error in
            (error as? CacheError)?.code == .invalidConfiguration
        }
    }

    @Test func keepsPasswordsOutOfErrorMessages() {
        #expect(RedisConfiguration.redacted("redis://u:hunter2@h") == "redis://***@h")
        #expect(RedisConfiguration.redacted("redis://h") == "redis://h")
    }

    @Test func appliesTheCacheOptions() throws {
        var options = RedisCache.Configuration()
        options.pool.size = 7
        options.connection.commandTimeout = .milliseconds(250)
        options.connection.clientName = "worker-1"
        options.authentication.username = "bob"
        options.authentication.password = "override"
        options.connection.maximumReplySize = 1024
        options.connection.protocolVersion = .resp2
        let configuration = try RedisConfiguration(url: "redis://alice:pw@h", options: options)
        #expect(configuration.poolSize == 7)
        #expect(configuration.commandTimeout == .milliseconds(250))
        #expect(configuration.clientName == "worker-1")
        #expect(configuration.username == "bob")
        #expect(configuration.password == "override")
        #expect(configuration.decoderLimits.maximumBulkLength == 1024)
        #expect(configuration.protocolVersion == .resp2)
    }

    @Test func validatesTheCacheOptions() {
        func rejects(_ change: (inout RedisCache.Configuration) -> Void) -> Bool {
            var options = RedisCache.Configuration()
            change(&options)
            do {
                _ = try RedisCache(url: "redis://localhost", configuration: options)
                return false
            } catch {
                return (error as? CacheError)?.code == .invalidConfiguration
            }
        }
        #expect(rejects { $0.pool.size = 0 })
        #expect(rejects { $0.connection.connectTimeout = .zero })
        #expect(rejects { $0.connection.commandTimeout = .seconds(-1) })
        #expect(rejects { $0.connection.clientName = "has space" })
        #expect(rejects { $0.connection.clientName = "" })
        #expect(rejects { $0.maximumValueSize = 0 })
        #expect(rejects { $0.connection.maximumReplySize = 0 })
        #expect(rejects { $0.scanBatchSize = 0 })
        #expect(rejects { $0.authentication.username = "userWithoutPassword" })
        #expect(rejects { $0.pool.reconnectBackoff = .init(initial: .seconds(2), maximum: .seconds(1)) })
        #expect(rejects { $0.breaker.failureThreshold = -1 })
        #expect(rejects { $0.breaker.probeInterval = .zero })
        #expect(!rejects { $0.breaker = .disabled })
        #expect(!rejects { $0.connection.clientName = nil })
    }

    @Test func roundsTTLUpToWholeMilliseconds() {
        #expect(RedisCache.milliseconds(roundingUp: .milliseconds(1500)) == 1500)
        #expect(RedisCache.milliseconds(roundingUp: .microseconds(1)) == 1)
        #expect(RedisCache.milliseconds(roundingUp: .nanoseconds(1_000_001)) == 2)
        #expect(RedisCache.milliseconds(roundingUp: .seconds(86_400)) == 86_400_000)
        #expect(RedisCache.milliseconds(roundingUp: .seconds(Int64.max)) == 1_000_000_000_000_000)
    }

    @Test func escapesGlobCharactersInThePrefix() {
        #expect(RedisCache.globEscaped("plain:") == "plain:")
        #expect(RedisCache.globEscaped("a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f")
    }
}
