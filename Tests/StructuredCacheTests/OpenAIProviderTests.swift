// Tests of OpenAIProvider's non-streamed path against a real HTTP server on loopback: what is sent,
// what is parsed, typed errors, retries with Retry-After, timeouts, cut connections, cancellation.

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

@Suite struct OpenAIProviderTests {
    static let request = ChatRequest(
        model: "gpt-test", messages: [.system("Be terse."), .user("Extract: Jason is 25. é ✓")],
        options: .init(temperature: 0.2, maxTokens: 64, seed: 7, extraBody: ["user": "tests"]),
        tools: [["type": "function", "function": ["name": "User", "parameters": ["type": "object"]]]],
        toolChoice: ["type": "function", "function": ["name": "User"]])

    /// Retries that never wait long, so tests stay fast.
    static let quickRetries = OpenAIProvider.Configuration(
        maxRetries: 2, initialRetryDelay: .milliseconds(1), maxRetryDelay: .seconds(20))

    static func provider(
        _ server: LocalChatServer, apiKey: String? = "sk-test", headers: [String: String] = [:],
        timeout: Duration = .seconds(10), configuration: OpenAIProvider.Configuration = quickRetries
    ) -> OpenAIProvider {
        var configuration = configuration
        configuration.timeout = timeout
        return OpenAIProvider(baseURL: server.baseURL, apiKey: apiKey, headers: headers, configuration: configuration)
    }

    /// Runs `body` and returns the ProviderError it throws (failing the test when it throws none).
    static func providerError(_ body: () async throws -> Void) async -> ProviderError? {
        do {
            try await body()
            Issue.record("expected a ProviderError, got success")
            return nil
        } catch let error as ProviderError {
            return error
        } catch {
            Issue.record("expected a ProviderError, got \(error)")
            return nil
        }
    }

    // MARK: - What is sent

    @Test func postsTheRequestBodyAndHeaders() async throws {
        try await LocalChatServer.with(replies: [.completion(content: "ok")]) { server in
            let provider = Self.provider(server, headers: ["OpenAI-Organization": "org-1"])
            _ = try await provider.complete(Self.request)
            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST")
            #expect(sent.target == "/v1/chat/completions")
            #expect(sent.body == JSONValue.object(Self.request.body).jsonBytes(.compact))
            #expect(sent.header("Authorization") == "Bearer sk-test")
            #expect(sent.header("Content-Type") == "application/json")
            #expect(sent.header("Accept") == "application/json")
            #expect(sent.header("OpenAI-Organization") == "org-1")
            #expect(sent.json?["stream"] == nil)
        }
    }

    @Test func sendsNoAuthorizationWithoutAKeyAndLetsHeadersWin() async throws {
        try await LocalChatServer.with(replies: [.completion(content: "a"), .completion(content: "b")]) { server in
            _ = try await Self.provider(server, apiKey: nil, headers: ["api-key": "azure-secret"]).complete(
                Self.request)
            _ = try await Self.provider(server, headers: ["Authorization": "Token custom"]).complete(Self.request)
            #expect(server.requests[0].header("Authorization") == nil)
            #expect(server.requests[0].header("api-key") == "azure-secret")
            #expect(server.requests[1].header("Authorization") == "Token custom")
        }
    }

    @Test func keepsTheBaseURLQueryAndIgnoresTrailingSlashes() async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "ok")) { server in
            let azure = try #require(
                URL(string: "http://127.0.0.1:\(server.port)/openai/deployments/gpt4o/?api-version=2024-06-01"))
            _ = try await OpenAIProvider(baseURL: azure, apiKey: nil, headers: ["api-key": "k"]).complete(Self.request)
            let slashes = try #require(URL(string: "http://127.0.0.1:\(server.port)/v1//"))
            _ = try await OpenAIProvider(baseURL: slashes, apiKey: nil).complete(Self.request)
            let full = try #require(URL(string: "http://127.0.0.1:\(server.port)/v1/chat/completions"))
            _ = try await OpenAIProvider(baseURL: full, apiKey: nil).complete(Self.request)
            #expect(
                server.requests.map(\.target) == [
                    "/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01", "/v1/chat/completions",
                    "/v1/chat/completions",
                ])
        }
    }

    @Test func rejectsUnusableBaseURLsAndHeaders() async throws {
        let fileURL = try #require(URL(string: "file:///srv/v1"))
        let badURL = await Self.providerError {
            _ = try await OpenAIProvider(baseURL: fileURL, apiKey: nil).complete(Self.request)
        }
        #expect(badURL?.code == .invalidRequest)
        let injected = await Self.providerError {
            _ = try await OpenAIProvider(apiKey: "sk\r\nX-Evil: 1").complete(Self.request)
        }
        #expect(injected?.code == .invalidRequest)
        let badName = await Self.providerError {
            _ = try await OpenAIProvider(apiKey: nil, headers: ["Bad Name": "v"]).complete(Self.request)
        }
        #expect(badName?.code == .invalidRequest)
    }

    // MARK: - What is parsed

    @Test func parsesATextCompletionAndKeepsTheRawJSON() async throws {
        let payload = ChatPayload.completion(content: "Jason, 25", promptTokens: 30, completionTokens: 4)
        try await LocalChatServer.with(replies: [.json(payload)]) { server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.id == "chatcmpl-test")
            #expect(completion.model == "gpt-test")
            #expect(completion.message?.content?.text == "Jason, 25")
            #expect(completion.choices.first?.finishReason == "stop")
            #expect(completion.usage == ChatCompletion.Usage(promptTokens: 30, completionTokens: 4))
            #expect(completion.raw == payload)
            #expect(completion.raw["system_fingerprint"] == "fp_test")
        }
    }

    @Test func parsesAToolCallCompletion() async throws {
        let arguments = #"{"name": "Jason", "age": 25}"#
        try await LocalChatServer.with(replies: [.toolCall(name: "User", arguments: arguments, callID: "call_9")]) {
            server in
            let completion = try await Self.provider(server).complete(Self.request)
            let call = try #require(completion.message?.toolCalls?.first)
            #expect(call.id == "call_9")
            #expect(call.name == "User")
            #expect(call.arguments == arguments)
            #expect(completion.message?.content == nil)
            #expect(completion.choices.first?.finishReason == "tool_calls")
        }
    }

    @Test func invalidJSONIsAnInvalidResponseAndIsNotRetried() async throws {
        try await LocalChatServer.with(replies: [.invalidJSON, .json(["object": "list", "data": []])]) { server in
            let provider = Self.provider(server)
            let broken = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(broken?.code == .invalidResponse)
            let notACompletion = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(notACompletion?.code == .invalidResponse)
            #expect(server.requestCount == 2)
        }
    }

    // MARK: - HTTP errors

    @Test(arguments: [400, 401, 404])
    func httpErrorsCarryStatusAndTheProviderMessage(status: Int) async throws {
        let message = "Incorrect API key provided: sk-test. (\(status))"
        try await LocalChatServer.with(replies: [.error(status: status, message: message, code: "invalid_api_key")]) {
            server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.request) }
            #expect(error?.code == .http)
            #expect(error?.status == status)
            // The provider's message, without the key it echoes.
            #expect(error?.message == "Incorrect API key provided: ***. (\(status))")
            #expect(error?.isTransient == false)
            #expect(server.requestCount == 1)
        }
    }

    @Test func readsOtherErrorBodyShapes() async throws {
        let long = String(repeating: "x", count: 5_000)
        let replies: [LocalChatServer.Reply] = [
            .json(["error": "model 'llama9' not found"], status: 404),
            .json(["detail": [["loc": ["body", "model"], "msg": "field required"]]], status: 422),
            .json(["object": "error", "message": "vLLM says no", "code": 400], status: 400),
            .text("upstream exploded", status: 418),
            .text("", status: 403),
            .text(long, status: 409),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            var messages: [String] = []
            for _ in replies {
                let error = await Self.providerError { _ = try await provider.complete(Self.request) }
                messages.append(error?.message ?? "")
            }
            #expect(messages[0] == "model 'llama9' not found")
            #expect(messages[1] == "field required")
            #expect(messages[2] == "vLLM says no")
            #expect(messages[3] == "upstream exploded")
            #expect(messages[4] == HTTPURLResponse.localizedString(forStatusCode: 403))
            #expect(messages[5].count < 600 && messages[5].hasSuffix("…"))
        }
    }

    // MARK: - Retries

    @Test func retriesA429AfterTheServersRetryAfter() async throws {
        // Backoff without the server's hint would wait ten minutes: finishing at all shows it was honoured.
        let patient = OpenAIProvider.Configuration(
            maxRetries: 3, initialRetryDelay: .seconds(600), maxRetryDelay: .seconds(600))
        let past = "Sun, 06 Nov 1994 08:49:37 GMT"
        let replies: [LocalChatServer.Reply] = [
            .rateLimited(retryAfter: "0"), .rateLimited(headers: ["retry-after-ms": "5"]),
            .rateLimited(retryAfter: past), .completion(content: "finally"),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let completion = try await Self.provider(server, configuration: patient).complete(Self.request)
            #expect(completion.message?.content?.text == "finally")
            #expect(server.requestCount == 4)
            #expect(Set(server.requests.map(\.body)).count == 1)
        }
    }

    @Test func givesUpAtOnceWhenRetryAfterExceedsTheMaximumDelay() async throws {
        try await LocalChatServer.with(replies: [.rateLimited(retryAfter: "3600"), .completion(content: "late")]) {
            server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.request) }
            #expect(error?.code == .http)
            #expect(error?.status == 429)
            #expect(error?.message == "Rate limit reached for requests")
            #expect(server.requestCount == 1)
        }
    }

    @Test func serverErrorsBeyondMaxRetriesThrowTheLastError() async throws {
        try await LocalChatServer.with(otherwise: .error(status: 503, message: "overloaded", type: "server_error")) {
            server in
            let error = await Self.providerError { _ = try await Self.provider(server).complete(Self.request) }
            #expect(error?.code == .http)
            #expect(error?.status == 503)
            #expect(error?.message == "overloaded")
            #expect(server.requestCount == 3)
        }
    }

    @Test func retriesA500ThenSucceeds() async throws {
        try await LocalChatServer.with(replies: [.error(status: 500, message: "oops"), .completion(content: "ok")]) {
            server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.message?.content?.text == "ok")
            #expect(server.requestCount == 2)
        }
    }

    @Test func honoursXShouldRetry() async throws {
        let replies: [LocalChatServer.Reply] = [
            .error(status: 500, message: "final", headers: ["x-should-retry": "false"]),
            .error(status: 409, message: "try again", headers: ["x-should-retry": "true"]),
            .completion(content: "ok"),
        ]
        try await LocalChatServer.with(replies: replies) { server in
            let provider = Self.provider(server)
            let error = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.status == 500)
            #expect(server.requestCount == 1)
            _ = try await provider.complete(Self.request)
            #expect(server.requestCount == 3)
        }
    }

    @Test func noRetriesWhenMaxRetriesIsZero() async throws {
        try await LocalChatServer.with(otherwise: .error(status: 500, message: "down")) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 0))
            let error = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.status == 500)
            #expect(server.requestCount == 1)
        }
    }

    // MARK: - Timeouts, cut connections, cancellation

    @Test func aSilentServerTimesOut() async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "too late").delayed(by: .seconds(120))) {
            server in
            let provider = Self.provider(
                server, timeout: .milliseconds(300), configuration: .init(maxRetries: 1, initialRetryDelay: .zero))
            let started = ContinuousClock.now
            let error = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.code == .timeout)
            #expect(error?.isTransient == true)
            #expect(server.requestCount == 2)
            #expect(ContinuousClock.now - started < .seconds(60))
            #expect(await server.wait { $0.abandonedReplies == 2 })
        }
    }

    @Test func aClosedConnectionIsATransportError() async throws {
        try await LocalChatServer.with(otherwise: .closeConnection) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 0))
            let error = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.code == .transport)
        }
        try await LocalChatServer.with(otherwise: .closedMidBody(sentBytes: 25)) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 0))
            let error = await Self.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.code == .transport)
        }
    }

    @Test func aRefusedConnectionIsATransportError() async throws {
        let refusing = try RefusingPort()
        let provider = OpenAIProvider(
            baseURL: URL(string: "http://127.0.0.1:\(refusing.port)/v1")!, apiKey: "sk-test",
            configuration: .init(maxRetries: 1, initialRetryDelay: .zero))
        let error = await Self.providerError { _ = try await provider.complete(Self.request) }
        withExtendedLifetime(refusing) {}
        #expect(error?.code == .transport)
        #expect(error?.message.contains("sk-test") == false)
    }

    @Test func transportErrorsAreRetried() async throws {
        try await LocalChatServer.with(replies: [.closeConnection], otherwise: .completion(content: "second try")) {
            server in
            let completion = try await Self.provider(server).complete(Self.request)
            #expect(completion.message?.content?.text == "second try")
            #expect(server.requestCount >= 2)
        }
    }

    @Test func cancellingTheCallerCancelsTheRequest() async throws {
        try await LocalChatServer.with(otherwise: .hang) { server in
            let provider = Self.provider(server)
            let call = Task { try await provider.complete(Self.request) }
            #expect(await server.wait { $0.requestCount == 1 })
            call.cancel()
            let error = await Self.providerError { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(await server.wait { $0.abandonedReplies == 1 })
            #expect(server.requestCount == 1)
        }
    }

    @Test func cancellingStopsRetrying() async throws {
        try await LocalChatServer.with(otherwise: .rateLimited(retryAfter: "100")) { server in
            let provider = Self.provider(server, configuration: .init(maxRetries: 2, maxRetryDelay: .seconds(120)))
            let call = Task { try await provider.complete(Self.request) }
            #expect(await server.wait { $0.requestCount == 1 })
            let cancelled = ContinuousClock.now
            call.cancel()
            let error = await Self.providerError { _ = try await call.value }
            #expect(error?.code == .cancelled)
            // Far sooner than the 100 s the server asked for.
            #expect(ContinuousClock.now - cancelled < .seconds(60))
            #expect(server.requestCount == 1)
        }
    }

    @Test func anAlreadyCancelledTaskSendsNothing() async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "unused")) { server in
            let provider = Self.provider(server)
            let call = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await provider.complete(Self.request)
            }
            let error = await Self.providerError { _ = try await call.value }
            #expect(error?.code == .cancelled)
            #expect(server.requestCount == 0)
        }
    }

    @Test func manyConcurrentRequestsShareOneProvider() async throws {
        try await LocalChatServer.with(handler: { request in
            .completion(content: request.json?["messages"]?[0]?["content"]?.stringValue ?? "?")
        }) { server in
            let provider = Self.provider(server)
            let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let request = ChatRequest(model: "gpt-test", messages: [.user("question \(index)")])
                        let completion = try await provider.complete(request)
                        return (index, completion.message?.content?.text ?? "")
                    }
                }
                return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == 24)
            #expect(answers.allSatisfy { $0.value == "question \($0.key)" })
            #expect(server.requestCount == 24)
        }
    }

    // MARK: - Identity and description

    @Test func cacheIdentityIsStableAndSeparatesEndpointsKeysAndHeaders() throws {
        let base = try #require(URL(string: "https://API.OpenAI.com:443/v1/"))
        let identity = OpenAIProvider(baseURL: base, apiKey: "sk-secret").cacheIdentity
        #expect(
            identity
                == "openai-compatible:https://api.openai.com/v1;key=sha256:"
                + SHA256.hash(string: "sk-secret").hexString)
        #expect(OpenAIProvider(apiKey: "sk-secret").cacheIdentity == identity)
        #expect(!identity.contains("sk-secret"))
        let others = [
            OpenAIProvider(apiKey: "sk-other").cacheIdentity,
            OpenAIProvider(apiKey: nil).cacheIdentity,
            OpenAIProvider(apiKey: "sk-secret", headers: ["OpenAI-Organization": "org-a"]).cacheIdentity,
            OpenAIProvider(apiKey: "sk-secret", headers: ["OpenAI-Organization": "org-b"]).cacheIdentity,
            OpenAIProvider(baseURL: try #require(URL(string: "http://localhost:11434/v1")), apiKey: "sk-secret")
                .cacheIdentity,
        ]
        #expect(Set(others + [identity]).count == 6)
        #expect(others[1].hasSuffix(";key=none"))
        #expect(
            OpenAIProvider(apiKey: "k", headers: ["A": "1"]).cacheIdentity
                == OpenAIProvider(apiKey: "k", headers: ["a": "1"]).cacheIdentity)
        let azure = OpenAIProvider(
            baseURL: try #require(
                URL(string: "https://r.openai.azure.com/openai/deployments/d?api-version=2024-06-01&sig=abc")),
            apiKey: nil, headers: ["api-key": "azure-secret"])
        #expect(azure.cacheIdentity.contains("api-version=2024-06-01"))
        #expect(!azure.cacheIdentity.contains("sig=abc"))
        #expect(!azure.cacheIdentity.contains("azure-secret"))
    }

    @Test func descriptionsHideTheKey() {
        let provider = OpenAIProvider(apiKey: "sk-very-secret", headers: ["api-key": "hidden-too"])
        var dumped = ""
        dump(provider, to: &dumped)
        for text in [provider.description, dumped, "\(provider)", String(reflecting: provider)] {
            #expect(!text.contains("sk-very-secret"))
            #expect(!text.contains("hidden-too"))
        }
    }

    @Test func aStreamingRequestToCompleteIsAssembled() async throws {
        try await LocalChatServer.with(replies: [.streamedCompletion(["Jas", "on"])]) { server in
            var request = Self.request
            request.stream = true
            let completion = try await Self.provider(server).complete(request)
            #expect(completion.message?.content?.text == "Jason")
            #expect(completion.usage?.totalTokens == 18)
            #expect(server.requests.first?.json?["stream"] == true)
        }
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(maxRetries: 3, initialDelay: .milliseconds(500), maxDelay: .seconds(20))
    let limited = ProviderError.http(status: 429, message: "slow down")

    @Test func backsOffExponentiallyWithJitterUpToTheMaximum() {
        #expect(policy.delay(after: limited, head: nil, attempt: 0, random: 0) == .milliseconds(500))
        #expect(policy.delay(after: limited, head: nil, attempt: 1, random: 0) == .seconds(1))
        #expect(policy.delay(after: limited, head: nil, attempt: 2, random: 0.999_999)! > .milliseconds(1_500))
        #expect(policy.delay(after: limited, head: nil, attempt: 2, random: 1) == .milliseconds(1_500))
        let long = RetryPolicy(maxRetries: 40, initialDelay: .seconds(1), maxDelay: .seconds(20))
        #expect(long.delay(after: limited, head: nil, attempt: 35, random: 0) == .seconds(20))
        #expect(policy.delay(after: limited, head: nil, attempt: 3) == nil)
    }

    @Test func retriesOnlyTransientFailures() {
        for error in [
            ProviderError.http(status: 500, message: ""), .http(status: 408, message: ""),
            ProviderError(code: .transport, message: ""), ProviderError(code: .timeout, message: ""),
        ] {
            #expect(policy.delay(after: error, head: nil, attempt: 0) != nil)
        }
        for error in [
            ProviderError.http(status: 400, message: ""), .invalidResponse(""),
            ProviderError(code: .cancelled, message: ""),
        ] {
            #expect(policy.delay(after: error, head: nil, attempt: 0) == nil)
        }
    }

    @Test func readsTheServersDelay() throws {
        let now = try #require(RetryPolicy.httpDate("Wed, 21 Oct 2015 07:28:00 GMT"))
        #expect(now.timeIntervalSince1970 == 1_445_412_480)
        func delay(_ headers: [String: String]) -> Duration? {
            policy.delay(after: limited, head: HTTPResponseHead(status: 429, headers: headers), attempt: 0, now: now)
        }
        #expect(delay(["retry-after": "3"]) == .seconds(3))
        #expect(delay(["retry-after": "1.5"]) == .milliseconds(1_500))
        #expect(delay(["retry-after-ms": "250", "retry-after": "9"]) == .milliseconds(250))
        #expect(delay(["retry-after": "Wed, 21 Oct 2015 07:28:07 GMT"]) == .seconds(7))
        #expect(delay(["retry-after": "Wed, 21 Oct 2015 07:00:00 GMT"]) == .zero)
        #expect(delay(["retry-after": "60"]) == nil)
        let unreadable = try #require(delay(["retry-after": "soon"]))
        #expect(unreadable <= .milliseconds(500) && unreadable >= .milliseconds(375))
        #expect(RetryPolicy.httpDate("21 Oct 2015") == nil)
    }
}
