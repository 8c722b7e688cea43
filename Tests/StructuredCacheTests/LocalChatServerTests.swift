// Tests of the loopback test server itself, which other suites rely on: scripting, recording,
// keep-alive, and stopping while a client waits.

import ChatStandIn
import Foundation
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

@Suite struct LocalChatServerTests {
    static let request = ChatRequest(model: "gpt-test", messages: [.user("Hi")])

    @Test func answersFromTheQueueThenOtherwiseAndRecordsEverything() async throws {
        try await LocalChatServer.with(replies: [.completion(content: "one")], otherwise: .completion(content: "more"))
        {
            server in
            let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: "sk-test")
            server.enqueue(.completion(content: "two"))
            var texts: [String] = []
            for _ in 0..<3 { texts.append(try await provider.complete(Self.request).message?.content?.text ?? "") }
            #expect(texts == ["one", "two", "more"])
            #expect(server.requestCount == 3)
            #expect(server.requests.allSatisfy { $0.method == "POST" && $0.path == "/v1/chat/completions" })
            #expect(server.requests.allSatisfy { $0.json?["model"] == "gpt-test" })
            // One provider, one session: the connection is kept alive between requests.
            #expect(server.connectionCount == 1)
            #expect(Set(server.requests.map(\.connection)) == [1])
        }
    }

    @Test func withoutAScriptItAnswers500() async throws {
        try await LocalChatServer.with { server in
            let provider = OpenAIProvider(
                baseURL: server.baseURL, apiKey: nil, configuration: .init(maxRetries: 0))
            let error = await OpenAIProviderTests.providerError { _ = try await provider.complete(Self.request) }
            #expect(error?.status == 500)
            #expect(error?.message.contains("no reply scripted") == true)
        }
    }

    @Test func stoppingWhileAClientWaitsEndsItsRequest() async throws {
        let server = try LocalChatServer(otherwise: .hang)
        let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: nil, configuration: .init(maxRetries: 0))
        let call = Task { try await provider.complete(Self.request) }
        #expect(await server.wait { $0.requestCount == 1 })
        let stopped = ContinuousClock.now
        await server.shutDown()
        let error = await OpenAIProviderTests.providerError { _ = try await call.value }
        #expect(error?.code == .transport)
        // Well before the provider's own 60 s timeout would have ended it.
        #expect(ContinuousClock.now - stopped < .seconds(45))
        // Stopped means stopped: nothing listens on the port any more.
        let refused = await OpenAIProviderTests.providerError { _ = try await provider.complete(Self.request) }
        #expect(refused?.code == .transport)
    }

    /// On a loaded machine, other tests can keep every thread of the pool busy for longer than a wait's
    /// timeout, holding up the wait's next check and the request it waits for alike: that time does not
    /// use up the wait, so the request still gets its turn.
    @Test func aWaitHeldOffItsThreadStillSeesTheRequest() async throws {
        try await LocalChatServer.with(otherwise: .completion(content: "hi")) { server in
            let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: nil, configuration: .init(maxRetries: 0))
            let call = Task { try await provider.complete(Self.request) }
            let clock = StallingClock(stall: .seconds(60))
            #expect(await server.wait(timeout: .seconds(30), clock: clock) { $0.requestCount == 1 })
            let completion = try await call.value
            #expect(completion.message?.content?.text == "hi")
            // A condition that never holds still ends the wait.
            #expect(await !server.wait(timeout: .milliseconds(50)) { _ in false })
        }
    }

    @Test func stoppingMidStreamEndsTheStream() async throws {
        let server = try LocalChatServer(replies: [
            .eventStream(pieces: [
                .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "a")], done: false)),
                .init(bytes: ChatPayload.eventStream([ChatPayload.chunk(content: "b")]), delay: .seconds(60)),
            ])
        ])
        let provider = OpenAIProvider(baseURL: server.baseURL, apiKey: nil, configuration: .init(maxRetries: 0))
        let stream = provider.stream(Self.request)
        var iterator = stream.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first?.choices.first?.content == "a")
        server.stop()
        await #expect(throws: ProviderError.self) { _ = try await iterator.next() }
        await server.shutDown()
    }
}

/// The continuous clock, except that its first pause seems to last `stall` longer than asked: what a
/// task sees when it gets a thread again long after its pause ended.
private struct StallingClock: Clock {
    typealias Instant = ContinuousClock.Instant

    let stall: Duration
    /// `nil` until the first pause; then how far this clock is ahead of the continuous clock.
    private let lead = Lock<Duration?>(nil)

    init(stall: Duration) {
        self.stall = stall
    }

    var now: Instant { ContinuousClock.now + (lead.withLock { $0 } ?? .zero) }
    var minimumResolution: Duration { ContinuousClock().minimumResolution }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let lead = lead.withLock { lead -> Duration? in
            guard let lead else {
                lead = stall
                return nil
            }
            return lead
        }
        // The stalled pause ends at once in real time, so nothing the waiter waits for happens during it.
        guard let lead else { return }
        try await ContinuousClock().sleep(until: deadline - lead, tolerance: tolerance)
    }
}
