// Streaming calls against a real server streaming chunks on loopback: snapshots, iterable elements,
// breaks mid-stream, cancellation, and a cache that is never touched.

import ChatStandIn
import Foundation
import Synchronization
import Testing

@testable import StructuredCache
@testable import StructuredCacheCore
@testable import StructuredCacheStorage
@testable import StructuredCacheSupport

struct StructuredClientStreamingTests {
    struct Person: Codable, Sendable, Equatable {
        var name: String
        var age: Int
        var tags: [String]
    }

    static let personJSON = #"{"name": "Jason Liu", "age": 25, "tags": ["a", "b"]}"#

    /// The text cut into pieces of `size` characters, as a model streams tokens.
    static func deltas(_ text: String, size: Int) -> [String] {
        var pieces: [String] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return pieces
    }

    @Test func snapshotsGrowUntilTheValidatedAnswerAndTheCacheIsNeverTouched() async throws {
        let reply = LocalChatServer.Reply.streamedToolCall(
            name: "Person", argumentDeltas: Self.deltas(Self.personJSON, size: 3))
        try await LocalChatServer.with(otherwise: reply) { server in
            let cache = try RecordingAdapter()
            let events = Mutex<[CacheEvent]>([])
            let client = StructuredClientTests.client(
                server, cache: cache,
                configuration: .init(
                    defaultModel: "gpt-test", onEvent: { event in events.withLock { $0.append(event) } }))
            var snapshots: [PartialResponse<Person>] = []
            for try await snapshot in client.createPartial(messages: [.user("Jason is 25")], responseModel: Person.self)
            {
                snapshots.append(snapshot)
            }
            #expect(snapshots.count > 5)
            #expect(snapshots.dropLast().allSatisfy { $0.value == nil })
            #expect(snapshots.last?.value == Person(name: "Jason Liu", age: 25, tags: ["a", "b"]))
            let names = snapshots.compactMap { $0.name.string }
            #expect(names.first.map { "Jason Liu".hasPrefix($0) } == true)
            #expect(names.contains("Jason Liu"))
            #expect(snapshots.contains { $0.name.string == "Jason Liu" && !$0.age.isPresent })
            #expect(snapshots.contains { $0.tags.elements.count == 1 })
            #expect(cache.calls.isEmpty)
            #expect(events.withLock { $0.map(\.kind) } == [.bypass])
            #expect(events.withLock { $0.first?.reason }?.contains("stream caching is off") == true)
            let body = try #require(server.requests.first?.json)
            #expect(body["stream"] == true)
        }
    }

    @Test func readsContentDeltasSplitAtEveryByte() async throws {
        let reply = LocalChatServer.Reply.streamedCompletion(Self.deltas(Self.personJSON, size: 4), pieceSize: 1)
        try await LocalChatServer.with(otherwise: reply) { server in
            let client = StructuredClientTests.client(server)
            var last: PartialResponse<Person>?
            for try await snapshot in client.createPartial(
                messages: [.user("x")], responseModel: Person.self, mode: .json)
            {
                last = snapshot
            }
            #expect(last?.value?.tags == ["a", "b"])
        }
    }

    @Test func readsMarkdownFencedStreams() async throws {
        let text = "Sure:\n```json\n\(Self.personJSON)\n```\nDone."
        try await LocalChatServer.with(otherwise: .streamedCompletion(Self.deltas(text, size: 5))) { server in
            let client = StructuredClientTests.client(server)
            var last: PartialResponse<Person>?
            for try await snapshot in client.createPartial(
                messages: [.user("x")], responseModel: Person.self, mode: .mdJSON)
            {
                last = snapshot
            }
            #expect(last?.value?.name == "Jason Liu")
        }
    }

    @Test func yieldsEachElementOfAnIterableAsItCompletes() async throws {
        let tasks =
            #"{"tasks": [{"name": "A", "age": 1, "tags": []}, {"name": "B", "age": 2, "tags": ["x"]}, {"name": "C", "age": 3, "tags": []}]}"#
        let reply = LocalChatServer.Reply.streamedToolCall(
            name: "IterablePerson", argumentDeltas: Self.deltas(tasks, size: 7))
        try await LocalChatServer.with(otherwise: reply) { server in
            let cache = try RecordingAdapter()
            let client = StructuredClientTests.client(server, cache: cache)
            var people: [Person] = []
            for try await person in client.createIterable(messages: [.user("A, B, C")], responseModel: Person.self) {
                people.append(person)
            }
            #expect(people.map(\.name) == ["A", "B", "C"])
            #expect(cache.calls.isEmpty)
            let function = try #require(server.requests.first?.json?["tools"]?[0]?["function"])
            #expect(function["name"] == "IterablePerson")
            #expect(function["parameters"]?["properties"]?["tasks"]?["items"] == ["$ref": "#/$defs/Person"])
        }
    }

    @Test func theIterableWrapperIsInstructorsIterableModel() throws {
        // pydantic: IterableModel(User).model_json_schema()
        let expected =
            ##"{"$defs": {"User": {"properties": {"name": {"title": "Name", "type": "string"}}, "required": ["name"], "title": "User", "type": "object"}}, "description": "Correct segmentation of `User` tasks", "properties": {"tasks": {"description": "Correctly segmented list of `User` tasks", "items": {"$ref": "#/$defs/User"}, "title": "Tasks", "type": "array"}}, "title": "IterableUser", "type": "object"}"##
        #expect(try IterableSchema.entry(for: Twins.User.self).schema.jsonString(.python) == expected)
    }

    @Test func aCutStreamEndsWithAnErrorAfterWhatWasYielded() async throws {
        let bytes = ChatPayload.eventStream(
            ChatPayload.toolCallChunks(name: "Person", argumentDeltas: Self.deltas(Self.personJSON, size: 3)))
        let reply = LocalChatServer.Reply.eventStream(Array(bytes.prefix(bytes.count / 2)), pieceSize: 64, cut: true)
        try await LocalChatServer.with(otherwise: reply) { server in
            let client = StructuredClientTests.client(server)
            var yielded = 0
            do {
                for try await _ in client.createPartial(messages: [.user("x")], responseModel: Person.self) {
                    yielded += 1
                }
                Issue.record("a cut stream ended normally")
            } catch {
                #expect(error is ProviderError || error is ClientError, "\(error)")
            }
            #expect(yielded > 0)
        }
    }

    @Test func aStreamWithoutDoneStillCompletes() async throws {
        let payloads = ChatPayload.toolCallChunks(
            name: "Person", argumentDeltas: Self.deltas(Self.personJSON, size: 10))
        try await LocalChatServer.with(otherwise: .events(payloads, done: false)) { server in
            var last: PartialResponse<Person>?
            for try await snapshot in StructuredClientTests.client(server).createPartial(
                messages: [.user("x")], responseModel: Person.self)
            {
                last = snapshot
            }
            #expect(last?.value?.age == 25)
        }
    }

    @Test func anInvalidFinalAnswerEndsWithADecodingError() async throws {
        let reply = LocalChatServer.Reply.streamedToolCall(
            name: "Person", argumentDeltas: [#"{"name": "x", "#, #""age": "old"}"#])
        _ = try await LocalChatServer.with(otherwise: reply) { server in
            await #expect(throws: DecodingError.self) {
                for try await _ in StructuredClientTests.client(server).createPartial(
                    messages: [.user("x")], responseModel: Person.self)
                {}
            }
        }
    }

    @Test func cancellingTheConsumerCancelsTheRequest() async throws {
        let chunks = ChatPayload.toolCallChunks(name: "Person", argumentDeltas: Self.deltas(Self.personJSON, size: 2))
        let stalled = LocalChatServer.Reply.eventStream(pieces: [
            .init(bytes: ChatPayload.eventStream(Array(chunks.prefix(6)), done: false)),
            .init(bytes: ChatPayload.eventStream(Array(chunks.dropFirst(6))), delay: .seconds(120)),
        ])
        try await LocalChatServer.with(otherwise: stalled) { server in
            let client = StructuredClientTests.client(server)
            let consumer = Task {
                var count = 0
                for try await _ in client.createPartial(messages: [.user("x")], responseModel: Person.self) {
                    count += 1
                    if count == 2 { break }
                }
                return count
            }
            let consumed = try await consumer.value
            #expect(consumed == 2)
            // The server sees the client go away while it holds back the rest of the stream.
            #expect(await server.wait { $0.abandonedReplies == 1 })
        }
    }

    @Test func streamsRawChunks() async throws {
        try await LocalChatServer.with(otherwise: .streamedCompletion(["Hel", "lo"])) { server in
            var text = ""
            for try await chunk in StructuredClientTests.client(server).stream(messages: [.user("hi")]) {
                text += chunk.choices.first?.content ?? ""
            }
            #expect(text == "Hello")
        }
    }
}
