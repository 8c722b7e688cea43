// TLS against a real redis-server with certificates made for the run: verified round trips, refused
// chains and names, mutual TLS, the opt-out, the hints for a plain/TLS mismatch, large values, many
// tasks, and a password that never shows in errors.

import Foundation
import Testing

@testable import StructuredCacheStorage

@Suite(
    .enabled(
        if: RedisServerProcess.isAvailable && TLSCertificates.isAvailable,
        "redis-server or openssl is not installed; TLS tests skipped"),
    .timeLimit(.minutes(2))
)
struct RedisTLSTests {
    /// Options with generous timeouts (the machine may be loaded) and the given TLS options.
    static func options(_ tls: RedisCache.Configuration.TLS?, password: String? = nil) -> RedisCache.Configuration {
        RedisCache.Configuration(
            keyPrefix: "tls:", connection: .init(connectTimeout: .seconds(20), commandTimeout: .seconds(20)),
            authentication: .init(password: password), tls: tls)
    }

    /// The error `body` throws, as a `CacheError`, or `nil` when it throws none or another type.
    static func failure(_ body: () async throws -> Void) async -> CacheError? {
        await CacheError.thrown(by: body)
    }

    static func roundTrip(_ cache: RedisCache) async throws {
        try await cache.set("a", Data("one".utf8), ttl: .never)
        try await cache.set("b", Data("two".utf8), ttl: .seconds(60))
        #expect(try await cache.get("a") == Data("one".utf8))
        #expect(try await cache.get("b") == Data("two".utf8))
        try await cache.remove("a")
        #expect(try await cache.get("a") == nil)
        try await cache.removeAll()
        #expect(try await cache.get("b") == nil)
    }

    @Test func roundTripsWithTheCAAsAFile() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cache = try RedisCache(
                url: server.tlsURL, configuration: Self.options(.init(trustRoots: .file(certificates.caCertificate))))
            defer { cache.shutdown() }
            try await Self.roundTrip(cache)
        }
    }

    @Test func roundTripsWithTheCAAsTextByIPAddress() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let options = Self.options(.init(trustRoots: .text(try certificates.text(certificates.caCertificate))))
            // redis:// with `tls` set uses TLS too; the certificate names 127.0.0.1 as an IP address.
            let cache = try RedisCache(url: "redis://127.0.0.1:\(server.port)", configuration: options)
            defer { cache.shutdown() }
            try await Self.roundTrip(cache)
        }
    }

    @Test func refusesACertificateFromAnotherCA() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            for roots in [RedisCache.Configuration.TLS.PEM.file(certificates.otherCACertificate), nil] {
                let cache = try RedisCache(url: server.tlsURL, configuration: Self.options(.init(trustRoots: roots)))
                defer { cache.shutdown() }
                let error = await Self.failure { _ = try await cache.get("k") }
                #expect(error?.code == .connectionFailed)
                #expect(error?.message.contains("certificate verify failed") == true, "\(String(describing: error))")
                // The server sends its CA along, which the client does not trust.
                let reasons = [
                    "self-signed certificate in certificate chain", "unable to get local issuer certificate",
                ]
                #expect(
                    reasons.contains { error?.message.contains($0) == true }, "\(String(describing: error))")
            }
        }
    }

    @Test func refusesANameTheCertificateDoesNotHold() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cases = [("wrong.example", "hostname mismatch"), ("127.0.0.2", "IP address mismatch")]
            for (name, reason) in cases {
                let tls = RedisCache.Configuration.TLS(
                    trustRoots: .file(certificates.caCertificate), serverName: name)
                let cache = try RedisCache(url: server.tlsURL, configuration: Self.options(tls))
                defer { cache.shutdown() }
                let error = await Self.failure { _ = try await cache.get("k") }
                #expect(error?.code == .connectionFailed)
                #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
            }
            // chainOnly accepts the same certificate under a name it does not hold.
            let tls = RedisCache.Configuration.TLS(
                trustRoots: .file(certificates.caCertificate), serverName: "wrong.example", verification: .chainOnly)
            let cache = try RedisCache(url: server.tlsURL, configuration: Self.options(tls))
            defer { cache.shutdown() }
            #expect(try await cache.get("k") == nil)
        }
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates, authClients: true) { server in
            let withFiles = RedisCache.Configuration.TLS(
                trustRoots: .file(certificates.caCertificate), clientCertificate: .file(certificates.clientCertificate),
                clientKey: .file(certificates.clientKey))
            let withText = RedisCache.Configuration.TLS(
                trustRoots: .file(certificates.caCertificate),
                clientCertificate: .text(try certificates.text(certificates.clientCertificate)),
                clientKey: .text(try certificates.text(certificates.clientKey)))
            for tls in [withFiles, withText] {
                let cache = try RedisCache(url: server.tlsURL, configuration: Self.options(tls))
                defer { cache.shutdown() }
                try await Self.roundTrip(cache)
            }
            let cache = try RedisCache(
                url: server.tlsURL, configuration: Self.options(.init(trustRoots: .file(certificates.caCertificate))))
            defer { cache.shutdown() }
            let error = await Self.failure { _ = try await cache.get("k") }
            #expect(error != nil)
            #expect(
                [.connectionFailed, .connectionClosed].contains(error?.code), "\(String(describing: error))")
            #expect(error?.message.contains("client certificate") == true, "\(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains("BEGIN") == false)
        }
    }

    @Test func dangerouslyDisabledAcceptsAnUntrustedServer() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cache = try RedisCache(
                url: "rediss://127.0.0.1:\(server.port)",
                configuration: Self.options(.init(serverName: "wrong.example", verification: .dangerouslyDisabled)))
            defer { cache.shutdown() }
            try await Self.roundTrip(cache)
        }
    }

    @Test func aPlainURLToATLSPortHintsAtTLS() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cache = try RedisCache(url: server.url, configuration: Self.options(nil))
            defer { cache.shutdown() }
            let error = await Self.failure { _ = try await cache.get("k") }
            #expect(
                error?.message.contains("the server may expect TLS (use a rediss:// URL)") == true,
                "\(String(describing: error))")
        }
    }

    @Test func aTLSURLToAPlainPortSaysTheServerDoesNotSpeakTLS() async throws {
        try await RedisServerProcess.with { server in
            // A plain server that receives a ClientHello mostly waits for the rest of a command (the
            // handshake then times out), and answers with an error when the hello holds a newline byte.
            var options = Self.options(.init(verification: .dangerouslyDisabled))
            options.connection.connectTimeout = .seconds(3)
            let cache = try RedisCache(url: "rediss://127.0.0.1:\(server.port)", configuration: options)
            defer { cache.shutdown() }
            let error = await Self.failure { _ = try await cache.get("k") }
            #expect([.connectionFailed, .timeout].contains(error?.code), "\(String(describing: error))")
            #expect(
                error?.message.contains("does not seem to speak TLS on that port") == true,
                "\(String(describing: error))")
        }
    }

    @Test func aTLSURLToAServerThatAnswersInPlainTextSaysItDoesNotSpeakTLS() async throws {
        // What a plain Redis answers to a ClientHello that holds a newline byte.
        let server = try FakeRedisServer(rawAnswer: Array("-ERR unknown command '\u{16}\u{03}'\r\n".utf8)) { _ in
            .ignore
        }
        defer { server.stop() }
        let cache = try RedisCache(
            url: "rediss://127.0.0.1:\(server.port)",
            configuration: Self.options(.init(verification: .dangerouslyDisabled)))
        defer { cache.shutdown() }
        let error = await Self.failure { _ = try await cache.get("k") }
        #expect(error?.code == .connectionFailed, "\(String(describing: error))")
        #expect(
            error?.message.contains("does not seem to speak TLS on that port") == true, "\(String(describing: error))")
    }

    @Test func roundTripsATwoMebibyteValue() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cache = try RedisCache(
                url: server.tlsURL, configuration: Self.options(.init(trustRoots: .file(certificates.caCertificate))))
            defer { cache.shutdown() }
            var generator = SystemRandomNumberGenerator()
            let value = Data((0..<(2 * 1024 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try await cache.set("big", value, ttl: .never)
            #expect(try await cache.get("big") == value)
        }
    }

    @Test func fiftyTasksOfAHundredGetsAllSucceed() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            let cache = try RedisCache(
                url: server.tlsURL, configuration: Self.options(.init(trustRoots: .file(certificates.caCertificate))))
            defer { cache.shutdown() }
            for index in 0..<50 {
                try await cache.set("k\(index)", Data("value \(index)".utf8), ttl: .never)
            }
            let successes = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<50 {
                    group.addTask {
                        var matched = 0
                        for round in 0..<100 {
                            let index = (task + round) % 50
                            if try await cache.get("k\(index)") == Data("value \(index)".utf8) { matched += 1 }
                        }
                        return matched
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(successes == 5_000)
        }
    }

    @Test func aPasswordWorksOverTLSAndNeverShowsInErrors() async throws {
        let certificates = try TLSCertificates.get()
        let password = "tls-secret-4711"
        try await RedisServerProcess.with(arguments: ["--requirepass", password], tls: certificates) { server in
            let roots = RedisCache.Configuration.TLS(trustRoots: .file(certificates.caCertificate))
            let cache = try RedisCache(url: server.tlsURL, configuration: Self.options(roots, password: password))
            defer { cache.shutdown() }
            try await Self.roundTrip(cache)

            let wrong = "wrong-secret-0815"
            let refused = try RedisCache(url: server.tlsURL, configuration: Self.options(roots, password: wrong))
            defer { refused.shutdown() }
            let error = await Self.failure { _ = try await refused.get("k") }
            #expect(error?.code == .authenticationFailed, "\(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains(wrong) == false)

            let untrusted = try RedisCache(
                url: "rediss://:\(password)@localhost:\(server.port)",
                configuration: Self.options(.init(trustRoots: .file(certificates.otherCACertificate))))
            defer { untrusted.shutdown() }
            let verification = await Self.failure { _ = try await untrusted.get("k") }
            #expect(verification?.message.contains("certificate verify failed") == true)
            #expect(verification.map { "\($0)" }?.contains(password) == false)
        }
    }

    @Test func reconnectsAfterTheServerEndsTheTLSSession() async throws {
        let certificates = try TLSCertificates.get()
        try await RedisServerProcess.with(tls: certificates) { server in
            var options = Self.options(.init(trustRoots: .file(certificates.caCertificate)))
            options.pool.size = 1
            let cache = try RedisCache(url: server.tlsURL, configuration: options)
            defer { cache.shutdown() }
            try await cache.set("k", Data("v".utf8), ttl: .never)
            // The server answers, then ends the session (close_notify) and closes the connection.
            #expect(try await cache.command(["QUIT"]) == .simpleString("OK"))
            // A connection sees the close_notify itself.
            let connection = try await RedisConnection.open(
                try RedisConfiguration(url: server.tlsURL, options: options))
            #expect(try await connection.command(["QUIT"]) == .simpleString("OK"))
            var ended: CacheError?
            for _ in 0..<100 where ended == nil {
                try await Task.sleep(for: .milliseconds(20))
                if connection.isClosed { ended = await Self.failure { _ = try await connection.command(["PING"]) } }
            }
            #expect(ended?.message.contains("closed the TLS session") == true, "\(String(describing: ended))")
            // The cache opens a new connection.
            var value: Data?
            for _ in 0..<40 where value == nil {
                value = try? await cache.get("k")
                if value == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(value == Data("v".utf8))
        }
    }

    @Test func aMissingOpenSSLIsATypedError() {
        #expect(throws: Never.self) { try OpenSSLLibrary.get() }
        guard case .failure(let missing) = OpenSSLLibrary.load(["libssl-missing.so.42"]) else {
            Issue.record("a missing library loaded")
            return
        }
        #expect(missing.code == .unsupported)
        #expect(missing.message.contains("TLS needs the system's OpenSSL 3 (libssl.so.3)"), "\(missing)")
        #expect(missing.message.contains("libssl-missing.so.42"), "\(missing)")
        guard case .failure(let notSSL) = OpenSSLLibrary.load(["libc.so.6"]) else {
            Issue.record("libc passed for libssl")
            return
        }
        #expect(notSSL.code == .unsupported)
        #expect(notSSL.message.contains("libc.so.6 has no function TLS_client_method"), "\(notSSL)")
    }

    @Test func descriptionsNeverShowTheClientKey() throws {
        let key =
            "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n"
        let tls = RedisCache.Configuration.TLS(
            trustRoots: .text("-----BEGIN CERTIFICATE-----\n"), clientCertificate: .file("/etc/client.crt"),
            clientKey: .text(key))
        var options = RedisCache.Configuration()
        options.tls = tls
        var dumped = ""
        dump(options, to: &dumped)
        for text in ["\(tls)", "\(options)", dumped, "\(String(reflecting: tls.clientKey!))"] {
            #expect(!text.contains("MIGHAgEA"), "\(text)")
            #expect(!text.contains("BEGIN PRIVATE KEY"), "\(text)")
        }
        #expect("\(tls)".contains("clientKey: <redacted>"))
        #expect("\(tls)".contains("file(/etc/client.crt)"))
    }

    @Test func unreadableTLSMaterialIsAConfigurationError() throws {
        let key = "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n"
        let cases: [RedisCache.Configuration.TLS] = [
            .init(trustRoots: .file("/nonexistent/ca.crt")),
            .init(trustRoots: .text("not PEM")),
            .init(clientCertificate: .file("/nonexistent/client.crt"), clientKey: .file("/nonexistent/client.key")),
            .init(clientCertificate: .file("/nonexistent/client.crt")),
            .init(
                clientCertificate: .text(try TLSCertificates.get().text(TLSCertificates.get().clientCertificate)),
                clientKey: .text(key)),
        ]
        for tls in cases {
            #expect {
                try RedisCache(url: "rediss://localhost:6380", configuration: Self.options(tls))
            } throws: { error in
                let error = error as? CacheError
                return error?.code == .invalidConfiguration && error?.message.contains("not a key") == false
            }
        }
    }
}
