// Credentials must not leak into error text or descriptions: a base URL's user info and query
// credentials, an API key echoed (in full or masked) by a real loopback server's error body, a
// configured header's value, a Redis password, and the dumps of the types that hold them.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct RedactionTests {
    static let request = ChatRequest(model: "gpt-test", messages: [.user("Hi")])
    static let apiKey = "sk-proj-Q7rT2vX9mB4nL8kJ5hG3fD1sA6pO0iU9yTeW"
    static let noRetries = OpenAIProvider.Configuration(maxRetries: 0)

    /// Every way a caller may turn `error` into text: the description and debug description, string
    /// interpolation, `localizedDescription`, `dump`, the user info of its `NSError` bridge, and the
    /// same for the errors it wraps (with a `URLError`'s failing URL).
    static func texts(of error: any Error) -> [String] {
        var dumped = ""
        dump(error, to: &dumped)
        var texts = [
            String(describing: error), "\(error)", String(reflecting: error), error.localizedDescription, dumped,
            "\((error as NSError).userInfo)",
        ]
        var underlying: (any Error)?
        if let error = error as? ProviderError {
            texts.append(error.message)
            underlying = error.underlying
        } else if let error = error as? CacheError {
            texts.append(error.message)
            underlying = error.underlying
        } else if let error = error as? URLError {
            texts += [error.failingURL?.absoluteString ?? "", "\(error.userInfo)"]
        }
        if let underlying { texts += Self.texts(of: underlying) }
        return texts
    }

    /// Records an issue for each of `secrets` found in one of `texts`.
    static func expectNone(
        of secrets: [String], in texts: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for text in texts {
            for secret in secrets where text.contains(secret) {
                Issue.record("\"\(secret)\" appears in: \(text)", sourceLocation: sourceLocation)
            }
        }
    }

    static func streamError(_ stream: AsyncThrowingStream<ChatCompletionChunk, any Error>) async -> ProviderError? {
        let received = await OpenAIProviderStreamingTests.receive(stream)
        #expect(received.chunks.isEmpty)
        return received.providerError
    }

    // MARK: - OpenAIProvider

    @Test func aTransportErrorCarriesNoCredentialOfTheBaseURL() async throws {
        let refusing = try RefusingPort()
        let baseURL = try #require(
            URL(string: "http://user:pa55word@127.0.0.1:\(refusing.port)/v1?api-version=2024-06-01&api-key=SECRET"))
        let provider = OpenAIProvider(baseURL: baseURL, apiKey: Self.apiKey, configuration: Self.noRetries)
        let completeError = await OpenAIProviderTests.providerError { _ = try await provider.complete(Self.request) }
        let streamError = await Self.streamError(provider.stream(Self.request))
        withExtendedLifetime(refusing) {}
        for error in [completeError, streamError] {
            let error = try #require(error)
            #expect(error.code == .transport)
            // Still useful: where the request went, and the system's error with its code.
            #expect(error.message.contains("127.0.0.1:\(refusing.port)"))
            let underlying = try #require(error.underlying as? URLError)
            #expect(underlying.code != .unknown)
            Self.expectNone(of: ["pa55word", "SECRET", Self.apiKey], in: Self.texts(of: error))
        }
    }

    @Test(arguments: ["masked", "full"])
    func anAPIKeyEchoedByA401IsRedacted(echo: String) async throws {
        try await LocalChatServer.with(handler: { request in
            let key = request.bearerToken ?? "none"
            return echo == "masked"
                ? .invalidAPIKey(key)
                : .error(status: 401, message: "The key \(key) is not valid.", code: "invalid_api_key")
        }) { server in
            let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: Self.apiKey, configuration: Self.noRetries)
            var streaming = Self.request
            streaming.stream = true
            let errors = [
                await OpenAIProviderTests.providerError { _ = try await provider.complete(Self.request) },
                await OpenAIProviderTests.providerError { _ = try await provider.complete(streaming) },
                await Self.streamError(provider.stream(Self.request)),
            ]
            #expect(server.requests.allSatisfy { $0.bearerToken == Self.apiKey })
            for error in errors {
                let error = try #require(error)
                #expect(error.code == .http)
                #expect(error.status == 401)
                #expect(error.message.contains(echo == "masked" ? "Incorrect API key provided: " : "is not valid"))
                Self.expectNone(
                    of: [Self.apiKey, LocalChatServer.Reply.maskedKey(Self.apiKey), String(Self.apiKey.suffix(4))],
                    in: Self.texts(of: error))
            }
        }
    }

    @Test func aKeyEchoedInAStreamedErrorEventIsRedacted() async throws {
        let masked = LocalChatServer.Reply.maskedKey(Self.apiKey)
        let event = "event: error\ndata: {\"error\": {\"message\": \"key \(masked) revoked (was \(Self.apiKey))\"}}\n\n"
        try await LocalChatServer.with(otherwise: .eventStream(Array(event.utf8))) { server in
            let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: Self.apiKey, configuration: Self.noRetries)
            let error = try #require(await Self.streamError(provider.stream(Self.request)))
            #expect(error.code == .http)
            #expect(error.message.contains("revoked"))
            Self.expectNone(of: [Self.apiKey, masked, String(Self.apiKey.suffix(4))], in: Self.texts(of: error))
        }
    }

    @Test func headerAndQueryCredentialsEchoedByTheServerAreRedacted() async throws {
        try await LocalChatServer.with(handler: { request in
            .error(
                status: 401,
                message: "Access denied for key \(request.header("api-key") ?? "") and token "
                    + "\(request.header("X-Auth-Token") ?? "") at \(request.target)")
        }) { server in
            let baseURL = try #require(URL(string: "\(server.baseURL.absoluteString)?api-version=1&sig=QUERYSIG77"))
            let provider = OpenAIProvider(
                baseURL: baseURL, apiKey: nil,
                headers: [
                    "api-key": "azure0123456789abcdef", "X-Auth-Token": "tok-998877", "OpenAI-Project": "proj_1",
                ],
                configuration: Self.noRetries)
            let error = try #require(
                await OpenAIProviderTests.providerError { _ = try await provider.complete(Self.request) })
            #expect(error.status == 401)
            #expect(error.message.contains("Access denied for key"))
            #expect(error.message.contains("api-version=1"))
            Self.expectNone(of: ["azure0123456789abcdef", "tok-998877", "QUERYSIG77"], in: Self.texts(of: error))
        }
    }

    // MARK: - Redis

    @Test func aRedisPasswordAppearsInNoConnectionErrorOrDump() async throws {
        let refusing = try RefusingPort()
        let cache = try RedisCache(
            url: "redis://admin:pa55word@127.0.0.1:\(refusing.port)/0",
            configuration: .init(pool: .init(size: 1, reconnectBackoff: .init(initial: .zero, maximum: .zero))))
        defer { cache.shutdown() }
        var errors: [any Error] = []
        do { _ = try await cache.get("k") } catch { errors.append(error) }
        do { try await cache.set("k", Data(), ttl: .never) } catch { errors.append(error) }
        withExtendedLifetime(refusing) {}
        #expect(errors.count == 2)
        var dumped = ""
        dump(cache, to: &dumped)
        Self.expectNone(of: ["pa55word"], in: errors.flatMap(Self.texts(of:)) + [dumped, String(reflecting: cache)])
    }

    @Test func aServerReplyEchoingTheRedisPasswordIsRedacted() async throws {
        let server = try FakeRedisServer { command in
            command[0] == "HELLO"
                ? .reply(Array("-WRONGPASS invalid password 'pa55word' for user 'admin'\r\n".utf8)) : .ignore
        }
        defer { server.stop() }
        let cache = try RedisCache(
            url: "redis://admin:pa55word@127.0.0.1:\(server.port)", configuration: .init(pool: .init(size: 1)))
        defer { cache.shutdown() }
        do {
            _ = try await cache.get("k")
            Issue.record("expected an authentication failure")
        } catch let error as CacheError {
            #expect(error.code == .authenticationFailed)
            #expect(error.message.contains("WRONGPASS invalid password"))
            Self.expectNone(of: ["pa55word"], in: Self.texts(of: error))
        }
    }

    @Test(arguments: [
        "admin:pa55word@localhost:6379",  // no scheme
        "redis://admin:pa55word",  // no "@": the password reads as a port
        "redis://admin:pa55word@localhost:6379?password=pa55word",
        "http://admin:pa55word@localhost",
    ])
    func malformedRedisURLsKeepThePasswordOutOfTheError(url: String) {
        do {
            _ = try RedisCache(url: url)
            Issue.record("expected \(url) to be refused")
        } catch {
            #expect((error as? CacheError)?.code == .invalidConfiguration)
            Self.expectNone(of: ["pa55word"], in: Self.texts(of: error))
        }
    }

    @Test func redisConfigurationsDescribeThemselvesWithoutThePassword() throws {
        let options = RedisCache.Configuration(
            keyPrefix: "app:", authentication: .init(username: "admin", password: "pa55word"))
        let parsed = try RedisConfiguration(url: "redis://admin:pa55word@cache.internal:6380/2", options: options)
        var texts: [String] = []
        for value in [options as Any, parsed as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            texts += [String(describing: value), "\(value)", String(reflecting: value), dumped]
        }
        Self.expectNone(of: ["pa55word"], in: texts)
        #expect(String(describing: options).contains("app:"))
        #expect(String(describing: parsed).contains("cache.internal:6380"))
    }

    // MARK: - Descriptions of values that hold credentials

    @Test func dumpsOfAClientAndItsProviderAndCacheHideEveryCredential() throws {
        let provider = OpenAIProvider(
            baseURL: try #require(URL(string: "https://user:pa55word@llm.internal/v1?api-key=SECRET")),
            apiKey: Self.apiKey, headers: ["api-key": "azure0123456789abcdef"])
        let cache = try RedisCache(url: "redis://admin:redispa55@127.0.0.1:1/0")
        defer { cache.shutdown() }
        let client = StructuredClient(provider: provider, cache: cache)
        var texts: [String] = []
        for value in [client as Any, provider as Any, cache as Any] {
            var dumped = ""
            dump(value, to: &dumped)
            texts += [String(describing: value), String(reflecting: value), dumped]
        }
        Self.expectNone(
            of: [Self.apiKey, "pa55word", "SECRET", "azure0123456789abcdef", "redispa55"], in: texts)
    }

    @Test func descriptionsOfErrorsAndEventsMadeElsewhereAreRedacted() {
        let secrets = [Self.apiKey, "pa55word", "SECRET", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"]
        let text =
            "key \(Self.apiKey) for https://user:pa55word@host/v1?token=SECRET with Bearer "
            + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl"
        let provider = ProviderError(code: .http, status: 401, message: text)
        let wrapped = ProviderError(code: .transport, message: "failed", underlying: provider)
        let redis = CacheError(code: .connectionFailed, message: text, underlying: provider)
        let event = CacheEvent(
            kind: .error, key: "0123456789abcdef", adapter: "Custom", duration: .zero, reason: text,
            error: provider, tokensSaved: nil)
        let descriptions = [provider.description, wrapped.description, redis.description, event.description]
        Self.expectNone(of: secrets, in: descriptions)
        #expect(provider.description.hasPrefix("ProviderError.http 401: key "))
        #expect(provider.description.contains("https://***@host/v1?token=***"))
    }

    @Test func everyErrorDescribesItselfAlikeWithCredentialsHidden() throws {
        let leak = "see https://user:pa55word@host/v1?token=SECRET"
        let cause = CacheError.ioFailure("inner \(Self.apiKey)")
        let completion = try ChatCompletion(json: ChatPayload.toolCallCompletion(name: "User", arguments: "{}"))
        let described: [(String, String)] = [
            (
                CacheError.timeout("no reply; \(leak)").description,
                "CacheError.timeout: no reply; see https://***@host/v1?token=***"
            ),
            (
                CacheError(code: .connectionFailed, message: "down", underlying: cause).description,
                "CacheError.connectionFailed: down (CacheError.ioFailure: inner ***)"
            ),
            (
                JSONParseError(.trailingData, at: 7, "after \(Self.apiKey)").description,
                "JSONParseError.trailingData at byte 7: after ***"
            ),
            (
                SchemaError(.dynamicKeys, type: Int.self, path: ["a", "b"], leak, underlying: cause).description,
                "SchemaError.dynamicKeys: cannot describe Swift.Int at a.b: see https://***@host/v1?token=*** "
                    + "(CacheError.ioFailure: inner ***)"
            ),
            (
                ProviderError.http(status: 401, message: "bad key \(Self.apiKey)").description,
                "ProviderError.http 401: bad key ***"
            ),
            (
                ClientError(.retriesExhausted, "gave up", attempts: [.init(error: cause, completion: completion)])
                    .description,
                "ClientError.retriesExhausted: gave up\n  attempt 1: CacheError.ioFailure: inner ***"
            ),
        ]
        for (description, expected) in described { #expect(description == expected) }
    }

    // MARK: - The redactor itself

    @Test(arguments: [
        (
            "Incorrect API key provided: sk-proj-********abcd. You can find your API key at "
                + "https://platform.openai.com/account/api-keys.",
            "Incorrect API key provided: ***. You can find your API key at https://platform.openai.com/account/api-keys."
        ),
        ("key sk-...abcd and sk-ant-api03-xyz_12 rejected", "key *** and *** rejected"),
        ("masked abcd********wxyz here", "masked *** here"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ***"),
        ("redis://admin:p@ss@cache:6379/0 down", "redis://***@cache:6379/0 down"),
        (
            "GET /v1?api-version=1&api_key=k1&access_token=t2&X-Amz-Signature=s3&code=c4#top",
            "GET /v1?api-version=1&api_key=***&access_token=***&X-Amz-Signature=***&code=***#top"
        ),
        // Text with nothing secret in it stays as it is.
        (
            "the task-list of desk_lamp has 3 tokens; status code 401",
            "the task-list of desk_lamp has 3 tokens; status code 401"
        ),
        ("ProviderError.http 429: Rate limit reached", "ProviderError.http 429: Rate limit reached"),
        ("request max_tokens=64 prompt_tokens=12", "request max_tokens=64 prompt_tokens=12"),
        (
            #"Error Domain=NSURLErrorDomain Code=-1004 "(null)" UserInfo={NSErrorFailingURLKey=http://u:p@h/v1?key=k&a=1}"#,
            #"Error Domain=NSURLErrorDomain Code=-1004 "(null)" UserInfo={NSErrorFailingURLKey=http://***@h/v1?key=***&a=1}"#
        ),
    ])
    func redactsCredentialShapedText(input: String, expected: String) {
        #expect(Redactor.standard.redact(input) == expected)
    }

    @Test func redactsConfiguredSecretsWhateverTheirShape() {
        let redactor = Redactor(secrets: ["plainSecretValue42", "x", "p a/ss"])
        #expect(redactor.redact("got plainSecretValue42 and plainSe...ue42") == "got *** and ***")
        // One character is too short to hide without destroying the text; longer ones are hidden
        // percent-encoded too.
        #expect(redactor.redact("x marks p a/ss and p%20a%2Fss") == "x marks *** and ***")
    }
}
